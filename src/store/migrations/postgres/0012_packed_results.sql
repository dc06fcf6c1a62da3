-- A finished run's result, deflated: a region run's result lists every
-- pupil left unmatched or out of scope, about a megabyte of JSON that
-- SQLite would store as it is. `result` stays for runs stored before this
-- change (and is NULL where `result_packed` is set).
ALTER TABLE runs ADD COLUMN result_packed BYTEA;
