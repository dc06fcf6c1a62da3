-- Organisations form a tree; `path` is the materialised chain of ids
-- ('/region/municipality/school/') so that "this organisation and
-- everything under it" is a prefix test.
CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT,
    path        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    doc         TEXT NOT NULL,
    etag        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX organizations_parent ON organizations (parent_id);
CREATE INDEX organizations_path ON organizations (path);

-- The banks and the programmes are stored as validated JSON documents
-- with the columns that lists filter on: `kind` (person kind, or the
-- programme's form) and `labels` ('|a|b|': a mentor's forms, a mentee's
-- category, a programme's organisations).
CREATE TABLE mentors (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    labels          TEXT NOT NULL,
    doc             TEXT NOT NULL,
    etag            TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX mentors_organization ON mentors (organization_id, id);

CREATE TABLE mentees (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    labels          TEXT NOT NULL,
    doc             TEXT NOT NULL,
    etag            TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX mentees_organization ON mentees (organization_id, id);

CREATE TABLE programmes (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    labels          TEXT NOT NULL,
    doc             TEXT NOT NULL,
    etag            TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX programmes_organization ON programmes (organization_id, id);

-- API keys: only the SHA-256 of the secret is kept.
CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    hash            TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL,
    organization_id TEXT,
    label           TEXT,
    created_at      TEXT NOT NULL,
    expires_at      TEXT,
    revoked_at      TEXT
);
