-- Feedback questionnaires of pairs (entry and exit), answers 1..5.
CREATE TABLE feedback (
    id              TEXT PRIMARY KEY,
    pair_id         TEXT NOT NULL,
    programme_id    TEXT NOT NULL,
    stage           TEXT NOT NULL,
    respondent      TEXT NOT NULL,
    answers         TEXT NOT NULL,
    comment         TEXT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX feedback_pair ON feedback (pair_id);
CREATE INDEX feedback_programme ON feedback (programme_id);

-- Every version of a programme's weights: who changed them, when, why.
CREATE TABLE weight_versions (
    programme_id    TEXT NOT NULL,
    version         BIGINT NOT NULL,
    weights         TEXT NOT NULL,
    changed_by      TEXT NOT NULL,
    changed_at      TEXT NOT NULL,
    reason          TEXT,
    PRIMARY KEY (programme_id, version)
);
