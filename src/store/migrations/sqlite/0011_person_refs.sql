-- Stored run results name people by number, not by id: `person_refs`
-- gives each number its id, so that erasing a person rewrites one row
-- here instead of every stored run (a region's run names nearly every
-- pupil). An erased person's row holds their pseudonym from then on;
-- numbers are never reused.
CREATE TABLE person_refs (
    num        INTEGER PRIMARY KEY,
    person_id  TEXT NOT NULL UNIQUE
);

-- Runs whose result or score matrix may still name people by id: those
-- stored before numbers, and any that an instance of an older release
-- finishes (hence the default; a run finished now clears it). Erasure
-- searches only these, through the partial index.
ALTER TABLE runs ADD COLUMN ids_inline BIGINT NOT NULL DEFAULT 1;
UPDATE runs SET ids_inline = 0
WHERE result IS NULL AND scores_csv IS NULL AND status IN ('done', 'failed');
CREATE INDEX runs_ids_inline ON runs (id) WHERE ids_inline <> 0;

-- Erasure finds a person's proposals through indexes instead of matching
-- the `mentee_ids` text of every proposal of every run: a proposal of one
-- mentee (most of them) by the index on `mentee_ids`, which is then the
-- mentee's id; a group proposal through `proposal_mentees`, which lists
-- the mentees of proposals of several only (a table for every proposal
-- would add a tenth to a region run's storage).
CREATE TABLE proposal_mentees (
    mentee_id    TEXT NOT NULL,
    proposal_id  TEXT NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    PRIMARY KEY (mentee_id, proposal_id)
);
CREATE INDEX proposal_mentees_proposal ON proposal_mentees (proposal_id);
WITH RECURSIVE split (proposal_id, mentee_id, rest) AS (
    SELECT id, NULL, mentee_ids || '|' FROM proposals WHERE instr(mentee_ids, '|') > 0
    UNION ALL
    SELECT proposal_id, substr(rest, 1, instr(rest, '|') - 1), substr(rest, instr(rest, '|') + 1)
    FROM split WHERE rest <> ''
)
INSERT INTO proposal_mentees (mentee_id, proposal_id)
SELECT DISTINCT mentee_id, proposal_id FROM split WHERE mentee_id <> '';
CREATE INDEX proposals_mentor ON proposals (mentor_id);
CREATE INDEX proposals_mentees ON proposals (mentee_ids);

-- The rest of what erasure rewrites, found by index too.
CREATE INDEX pairs_mentee ON pairs (mentee_id);
CREATE INDEX exclusions_mentor ON exclusions (mentor_id);
CREATE INDEX exclusions_mentee ON exclusions (mentee_id);
