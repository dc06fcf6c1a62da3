-- Sessions of the pages (/ui/): a person signs in with their API key once
-- and the browser then carries a random token in a cookie. Only the
-- SHA-256 of the token is stored; the key id ties the session to the key,
-- so that revoking the key ends the session at once. Times are RFC 3339
-- UTC without fractions, so that they compare as text.
CREATE TABLE sessions (
    hash          TEXT PRIMARY KEY,
    key_id        TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    csrf          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX sessions_key ON sessions (key_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
