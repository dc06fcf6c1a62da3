-- Runs keep their inputs instead of a dense score matrix: `inputs`
-- (deflated JSON) names the profiles a run read by entity tag (and the
-- rest of what it read by position in those lists), so its size follows
-- the pool, and the score matrix is derived again when asked.
-- `scores_csv` stays only for runs stored before this change.
ALTER TABLE runs ADD COLUMN inputs BLOB;

-- A proposal's document, deflated: `doc` is empty where `packed` is set
-- (proposals stored before this change keep their text).
ALTER TABLE proposals ADD COLUMN packed BLOB;

-- Profile versions a stored run may still name: the version a write
-- replaces or deletes is kept here while runs exist. A person's versions
-- go with their erasure; the retention sweep drops versions no stored run
-- names. (The triggers test for an existing version instead of relying on
-- OR IGNORE: the conflict clause of an outer upsert would override it.)
CREATE TABLE profile_versions (
    etag       TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX profile_versions_person ON profile_versions (person_id);
CREATE INDEX mentors_etag ON mentors (etag);
CREATE INDEX mentees_etag ON mentees (etag);

CREATE TRIGGER mentors_keep_version_on_update AFTER UPDATE OF doc ON mentors
WHEN OLD.etag <> NEW.etag AND EXISTS (SELECT 1 FROM runs)
BEGIN
    INSERT INTO profile_versions (etag, person_id, doc)
    SELECT OLD.etag, OLD.id, OLD.doc
    WHERE NOT EXISTS (SELECT 1 FROM profile_versions WHERE etag = OLD.etag);
END;
CREATE TRIGGER mentors_keep_version_on_delete AFTER DELETE ON mentors
WHEN EXISTS (SELECT 1 FROM runs)
BEGIN
    INSERT INTO profile_versions (etag, person_id, doc)
    SELECT OLD.etag, OLD.id, OLD.doc
    WHERE NOT EXISTS (SELECT 1 FROM profile_versions WHERE etag = OLD.etag);
END;
CREATE TRIGGER mentees_keep_version_on_update AFTER UPDATE OF doc ON mentees
WHEN OLD.etag <> NEW.etag AND EXISTS (SELECT 1 FROM runs)
BEGIN
    INSERT INTO profile_versions (etag, person_id, doc)
    SELECT OLD.etag, OLD.id, OLD.doc
    WHERE NOT EXISTS (SELECT 1 FROM profile_versions WHERE etag = OLD.etag);
END;
CREATE TRIGGER mentees_keep_version_on_delete AFTER DELETE ON mentees
WHEN EXISTS (SELECT 1 FROM runs)
BEGIN
    INSERT INTO profile_versions (etag, person_id, doc)
    SELECT OLD.etag, OLD.id, OLD.doc
    WHERE NOT EXISTS (SELECT 1 FROM profile_versions WHERE etag = OLD.etag);
END;

-- A what-if run solves the stored inputs of another run again.
ALTER TABLE runs ADD COLUMN inputs_of TEXT;
