-- Pairs a curator fixed before a run: every later run of the programme
-- keeps them as given and reports them as pinned. A mentee is pinned to
-- one mentor per programme.
CREATE TABLE pins (
    programme_id TEXT NOT NULL,
    mentee_id    TEXT NOT NULL,
    mentor_id    TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (programme_id, mentee_id)
);
CREATE INDEX pins_mentor ON pins (mentor_id);

-- Wishes said at the joint meeting of a programme: whom a person (side
-- 'mentee' or 'mentor') would prefer, rank 0 first. Personal data of the
-- person who said them: erased with them, and with the person named.
CREATE TABLE wishes (
    programme_id TEXT NOT NULL,
    side         TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    rank         BIGINT NOT NULL,
    target_id    TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (programme_id, side, person_id, rank)
);
CREATE INDEX wishes_person ON wishes (person_id);
CREATE INDEX wishes_target ON wishes (target_id);
