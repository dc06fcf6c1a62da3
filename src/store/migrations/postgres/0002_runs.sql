-- Runs are jobs kept in the database: any instance may claim a queued run
-- (or one whose claimant stopped sending heartbeats) and any may answer
-- for it. `result` holds the immutable snapshot of a finished run.
CREATE TABLE runs (
    id              TEXT PRIMARY KEY,
    programme_id    TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    status          TEXT NOT NULL,
    progress        BIGINT NOT NULL DEFAULT 0,
    options         TEXT NOT NULL,
    dry_run         BIGINT NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    claimed_by      TEXT,
    heartbeat_at    TEXT,
    started_at      TEXT,
    finished_at     TEXT,
    error           TEXT,
    result          TEXT,
    scores_csv      TEXT
);
CREATE INDEX runs_status ON runs (status, created_at);
CREATE INDEX runs_programme ON runs (programme_id, created_at);

-- A proposal of a run: one mentor and one or more mentees. `doc` holds
-- the score, breakdown and the entity tags of the people as the run saw
-- them, so that approval can tell when the data went stale.
CREATE TABLE proposals (
    id              TEXT PRIMARY KEY,
    run_id          TEXT NOT NULL,
    programme_id    TEXT NOT NULL,
    mentor_id       TEXT NOT NULL,
    mentee_ids      TEXT NOT NULL,
    status          TEXT NOT NULL,
    doc             TEXT NOT NULL,
    decided_by      TEXT,
    decided_at      TEXT,
    reason          TEXT
);
CREATE INDEX proposals_run ON proposals (run_id, id);

-- Active and finished mentoring pairs; a group is several pairs with one
-- `group_id`. At most one active pair per mentee in a programme.
CREATE TABLE pairs (
    id              TEXT PRIMARY KEY,
    programme_id    TEXT NOT NULL,
    group_id        TEXT NOT NULL,
    proposal_id     TEXT,
    mentor_id       TEXT NOT NULL,
    mentee_id       TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    status          TEXT NOT NULL,
    started_on      TEXT NOT NULL,
    ended_on        TEXT,
    end_reason      TEXT,
    end_note        TEXT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX pairs_one_active_per_mentee ON pairs (programme_id, mentee_id) WHERE status = 'active';
CREATE INDEX pairs_mentor ON pairs (mentor_id, status);
CREATE INDEX pairs_programme ON pairs (programme_id, id);

-- Pairs a curator rejected: never proposed again in the programme.
CREATE TABLE exclusions (
    programme_id    TEXT NOT NULL,
    mentor_id       TEXT NOT NULL,
    mentee_id       TEXT NOT NULL,
    reason          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (programme_id, mentor_id, mentee_id)
);

-- Every state change: who (key id and role), when, what.
CREATE TABLE events (
    id              TEXT PRIMARY KEY,
    at              TEXT NOT NULL,
    key_id          TEXT NOT NULL,
    role            TEXT NOT NULL,
    action          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    detail          TEXT NOT NULL
);
CREATE INDEX events_subject ON events (subject, at);
