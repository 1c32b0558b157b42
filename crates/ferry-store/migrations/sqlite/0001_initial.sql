-- Ferry's store, SQLite backend: the initial schema.
--
-- Conventions:
-- * every table is STRICT (SQLite enforces the declared column types);
-- * timestamps are unix milliseconds (INTEGER);
-- * enumerations (ledger state, run kind and status) are stored as their `as_str()` text. They carry no
--   CHECK constraint on purpose: adding a state later must not force a rebuild of a large ledger table.
--   The store reports an unknown value it reads back as corruption, naming table, column and value;
-- * counters carry CHECK (>= 0) because the Rust side holds them as unsigned integers.

-- A scheme's definition (YAML or JSON text), by its unique name.
CREATE TABLE schemes (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    definition  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

-- One execution of a scheme. `scheme` is the scheme's name; no foreign key, so that a run (or a
-- preview) of a scheme that was never recorded with upsert_scheme is still kept.
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    scheme       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    fetched      INTEGER NOT NULL DEFAULT 0 CHECK (fetched  >= 0),
    filtered     INTEGER NOT NULL DEFAULT 0 CHECK (filtered >= 0),
    skipped      INTEGER NOT NULL DEFAULT 0 CHECK (skipped  >= 0),
    written      INTEGER NOT NULL DEFAULT 0 CHECK (written  >= 0),
    failed       INTEGER NOT NULL DEFAULT 0 CHECK (failed   >= 0),
    error        TEXT,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER
) STRICT;

-- list_runs: the newest runs of a scheme.
CREATE INDEX runs_by_scheme ON runs (scheme, id);

-- The committed source checkpoint of a scheme (window, cursor, page), as JSON text.
CREATE TABLE checkpoints (
    scheme      TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL CHECK (json_valid(value)),
    updated_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The ledger: one row per source record (key) per target of a scheme.
-- WITHOUT ROWID: rows are small and always reached by their primary key, so the table is the
-- primary-key b-tree itself (no second index, and every secondary index ends with the key).
CREATE TABLE ledger (
    scheme         TEXT    NOT NULL,
    target         TEXT    NOT NULL,
    key            TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    idem_key       TEXT,
    target_id      TEXT,
    target_number  TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error     TEXT,
    run_id         INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (scheme, target, key)
) STRICT, WITHOUT ROWID;

-- Rows of a scheme by state: in_flight → in_doubt at start, failed rows to retry, ledger_counts,
-- ledger_list filtered by state. Ending with `target` (and, implicitly, the primary key's `key`)
-- makes a state-filtered list come out of the index already ordered by (target, key), and makes
-- the index cover ledger_counts.
CREATE INDEX ledger_by_state ON ledger (scheme, state, target);

-- Reconciliation: find the row that holds a target's idempotency key (e.g. Kingdee FBillNo).
CREATE INDEX ledger_by_idem_key ON ledger (scheme, target, idem_key) WHERE idem_key IS NOT NULL;

-- Calls per (connection, method, Beijing-time civil day), for daily quotas.
CREATE TABLE call_counts (
    connection  TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    count       INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (connection, method, day)
) STRICT, WITHOUT ROWID;
