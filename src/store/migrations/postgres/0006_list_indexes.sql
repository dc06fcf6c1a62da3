-- Pairs are listed by organisation (a curator sees the pairs of the
-- organisations under the key's scope) in id order: the index lets a
-- small scope gather its pairs without reading the others.
CREATE INDEX pairs_organization ON pairs (organization_id, id);
