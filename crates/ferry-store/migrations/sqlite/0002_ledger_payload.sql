-- The source record of a ledger row whose write has not succeeded (failed, in doubt, dead), as JSON
-- text, so that `ferry retry` can map and write it again after the cause is fixed, without asking the
-- source (many source APIs cannot fetch one record by key). NULL for every other row: the engine
-- stores it only when a write fails and clears it once the record is written, so the ledger stays
-- small and the hot path (in-flight marking, written results) binds a NULL.
ALTER TABLE ledger ADD COLUMN payload TEXT;
