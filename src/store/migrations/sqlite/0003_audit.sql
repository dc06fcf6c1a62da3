-- The record of state changes doubles as the audit log: where each
-- request came from, and an index to filter by key.
ALTER TABLE events ADD COLUMN origin TEXT;
CREATE INDEX events_key ON events (key_id, at);
CREATE INDEX events_at ON events (at);

-- Per-install secrets (the key of pseudonymous ids), made on first use.
CREATE TABLE settings (
    name    TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
