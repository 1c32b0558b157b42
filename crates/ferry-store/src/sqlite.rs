//! [`SqliteStore`]: the embedded SQLite implementation of [`Store`].
//!
//! One database file, `<data_dir>/ferry.db`, in WAL mode with `synchronous=NORMAL` (a commit is durable
//! against a process crash; an OS crash may lose the last commits but never corrupts the file).
//! The schema lives in `migrations/sqlite/` and is embedded in the binary.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row};

use crate::{
    LedgerEntry, LedgerFilter, LedgerState, Result, RunCounts, RunKind, RunRow, RunStatus, Store,
    StoreError,
};

/// The database file's name inside the data dir.
const DB_FILE: &str = "ferry.db";
/// Connections of a file-backed pool (WAL: readers run beside the one writer).
const POOL_SIZE: u32 = 4;
/// How long a statement waits for a lock held by another connection or process.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Upper bound of bind parameters in one statement.
const MAX_BINDS: usize = 500;
/// Keys per `ledger_get` statement (two more binds hold the scheme and the target).
const GET_CHUNK: usize = MAX_BINDS - 2;
/// Columns bound per ledger row in `ledger_put`.
const PUT_COLUMNS: usize = 14;
/// Rows per multi-row `ledger_put` statement.
const PUT_CHUNK: usize = MAX_BINDS / PUT_COLUMNS;

/// The ledger's columns, in the order [`ledger_row`] reads them.
const LEDGER_COLUMNS: &str = "scheme, target, key, hash, state, idem_key, target_id, target_number, attempts, \
                              last_error, run_id, created_at, updated_at, payload";

/// The embedded SQLite store. Cheap to clone (clones share one connection pool).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: Option<PathBuf>,
}

impl SqliteStore {
    /// Open (creating it if needed) the store in `data_dir`: the directory is created if missing,
    /// the database is `<data_dir>/ferry.db`, and pending migrations are applied.
    pub async fn open(data_dir: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let path = data_dir.join(DB_FILE);
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .optimize_on_close(true, 400);
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect_with(options)
            .await
            .map_err(db("open"))?;
        let store = SqliteStore {
            pool,
            path: Some(path),
        };
        store.migrate().await?;
        tracing::debug!(path = %data_dir.display(), "sqlite store opened");
        Ok(store)
    }

    /// A fresh, private in-memory store (for tests). It holds exactly one connection, kept for the
    /// store's whole life, so every query sees the same database; it is gone when the store is dropped.
    pub async fn open_memory() -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(db("open_memory"))?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(db("open_memory"))?;
        let store = SqliteStore { pool, path: None };
        store.migrate().await?;
        Ok(store)
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Close every connection (waiting for running queries), which also checkpoints the WAL into the
    /// database file. Later calls on this store (or its clones) fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await
            .map_err(|source| StoreError::Migrate {
                path: self
                    .path
                    .as_deref()
                    .map_or_else(|| ":memory:".to_owned(), |p| p.display().to_string()),
                source,
            })
    }
}

/// `map_err` adapter: a sqlx error of operation `op`.
fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Db { op, source }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A counter as SQLite's signed integer (saturating: no real counter gets near `i64::MAX`).
fn count_to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn corrupt(table: &str, column: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!(
        "{table}.{column} holds an unexpected value {value:?}",
        value = value.to_string()
    ))
}

fn count_from_db(table: &str, column: &str, n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| corrupt(table, column, n))
}

fn run_kind_str(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Run => "run",
        RunKind::Retry => "retry",
        RunKind::Preview => "preview",
    }
}

fn parse_run_kind(s: &str) -> Option<RunKind> {
    [RunKind::Run, RunKind::Retry, RunKind::Preview]
        .into_iter()
        .find(|k| run_kind_str(*k) == s)
}

fn parse_run_status(s: &str) -> Option<RunStatus> {
    [
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Partial,
        RunStatus::Failed,
        RunStatus::QuotaExhausted,
    ]
    .into_iter()
    .find(|st| st.as_str() == s)
}

/// Read a ledger row selected as [`LEDGER_COLUMNS`].
fn ledger_row(row: &SqliteRow, op: &'static str) -> Result<LedgerEntry> {
    let state: String = row.try_get(4).map_err(db(op))?;
    let state = LedgerState::parse(&state).ok_or_else(|| corrupt("ledger", "state", &state))?;
    let attempts: i64 = row.try_get(8).map_err(db(op))?;
    let attempts = u32::try_from(attempts).map_err(|_| corrupt("ledger", "attempts", attempts))?;
    Ok(LedgerEntry {
        scheme: row.try_get(0).map_err(db(op))?,
        target: row.try_get(1).map_err(db(op))?,
        key: row.try_get(2).map_err(db(op))?,
        hash: row.try_get(3).map_err(db(op))?,
        state,
        idem_key: row.try_get(5).map_err(db(op))?,
        target_id: row.try_get(6).map_err(db(op))?,
        target_number: row.try_get(7).map_err(db(op))?,
        attempts,
        last_error: row.try_get(9).map_err(db(op))?,
        run_id: row.try_get(10).map_err(db(op))?,
        created_at: row.try_get(11).map_err(db(op))?,
        updated_at: row.try_get(12).map_err(db(op))?,
        payload: row.try_get(13).map_err(db(op))?,
    })
}

/// Read a run row selected as `id, scheme, kind, status, fetched, filtered, skipped, written, failed,
/// error, started_at, finished_at`.
fn run_row(row: &SqliteRow, op: &'static str) -> Result<RunRow> {
    let kind: String = row.try_get(2).map_err(db(op))?;
    let kind = parse_run_kind(&kind).ok_or_else(|| corrupt("runs", "kind", &kind))?;
    let status: String = row.try_get(3).map_err(db(op))?;
    let status = parse_run_status(&status).ok_or_else(|| corrupt("runs", "status", &status))?;
    let count = |idx: usize, column: &str| -> Result<u64> {
        let n: i64 = row.try_get(idx).map_err(db(op))?;
        count_from_db("runs", column, n)
    };
    Ok(RunRow {
        id: row.try_get(0).map_err(db(op))?,
        scheme: row.try_get(1).map_err(db(op))?,
        kind,
        status,
        counts: RunCounts {
            fetched: count(4, "fetched")?,
            filtered: count(5, "filtered")?,
            skipped: count(6, "skipped")?,
            written: count(7, "written")?,
            failed: count(8, "failed")?,
        },
        error: row.try_get(9).map_err(db(op))?,
        started_at: row.try_get(10).map_err(db(op))?,
        finished_at: row.try_get(11).map_err(db(op))?,
    })
}

/// `SELECT … FROM ledger WHERE scheme = ? AND target = ? AND key IN (?, …)` with `n` key placeholders.
fn ledger_get_sql(n: usize) -> String {
    let mut sql =
        format!("SELECT {LEDGER_COLUMNS} FROM ledger WHERE scheme = ? AND target = ? AND key IN (");
    push_placeholders(&mut sql, n);
    sql.push(')');
    sql
}

/// The number of key placeholders a `ledger_get` statement for `n` keys uses: a few fixed sizes so that
/// the per-connection statement cache holds a handful of statements, whatever the callers' batch sizes
/// (the surplus placeholders repeat the last key, which `IN` ignores).
fn get_bucket(n: usize) -> usize {
    [8, 32, 128, GET_CHUNK]
        .into_iter()
        .find(|b| n <= *b)
        .unwrap_or(GET_CHUNK)
}

/// The upsert of `rows` ledger rows in one statement. On conflict every column but `created_at` takes
/// the new value: `created_at` stays the time the ledger first saw the record.
fn ledger_put_sql(rows: usize) -> String {
    let mut sql = format!("INSERT INTO ledger ({LEDGER_COLUMNS}) VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        push_placeholders(&mut sql, PUT_COLUMNS);
        sql.push(')');
    }
    sql.push_str(
        " ON CONFLICT (scheme, target, key) DO UPDATE SET \
         hash = excluded.hash, state = excluded.state, idem_key = excluded.idem_key, \
         target_id = excluded.target_id, target_number = excluded.target_number, \
         attempts = excluded.attempts, last_error = excluded.last_error, run_id = excluded.run_id, \
         updated_at = excluded.updated_at, payload = excluded.payload",
    );
    sql
}

/// Append `n` comma-separated `?` placeholders.
fn push_placeholders(sql: &mut String, n: usize) {
    for i in 0..n {
        sql.push_str(if i == 0 { "?" } else { ", ?" });
    }
}

/// The full-size `ledger_put` statement, built once.
fn ledger_put_full_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| ledger_put_sql(PUT_CHUNK))
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn upsert_scheme(&self, name: &str, definition: &str) -> Result<i64> {
        let now = now_ms();
        // `updated_at` moves only when the definition really changed.
        sqlx::query_scalar(
            "INSERT INTO schemes (name, definition, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) \
             ON CONFLICT (name) DO UPDATE SET \
               updated_at = CASE WHEN definition = excluded.definition THEN updated_at ELSE excluded.updated_at END, \
               definition = excluded.definition \
             RETURNING id",
        )
        .bind(name)
        .bind(definition)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(db("upsert_scheme"))
    }

    async fn start_run(&self, scheme: &str, kind: RunKind) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO runs (scheme, kind, status, started_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(scheme)
        .bind(run_kind_str(kind))
        .bind(RunStatus::Running.as_str())
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(db("start_run"))
    }

    async fn finish_run(
        &self,
        run_id: i64,
        status: RunStatus,
        counts: &RunCounts,
        error: Option<&str>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE runs SET status = ?, fetched = ?, filtered = ?, skipped = ?, written = ?, failed = ?, \
             error = ?, finished_at = ? WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(count_to_db(counts.fetched))
        .bind(count_to_db(counts.filtered))
        .bind(count_to_db(counts.skipped))
        .bind(count_to_db(counts.written))
        .bind(count_to_db(counts.failed))
        .bind(error)
        .bind(now_ms())
        .bind(run_id)
        .execute(&self.pool)
        .await
        .map_err(db("finish_run"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Db {
                op: "finish_run",
                source: sqlx::Error::RowNotFound,
            });
        }
        Ok(())
    }

    async fn list_runs(&self, scheme: &str, limit: u32) -> Result<Vec<RunRow>> {
        // LIMIT -1: no limit.
        let limit = if limit == 0 { -1 } else { i64::from(limit) };
        let rows = sqlx::query(
            "SELECT id, scheme, kind, status, fetched, filtered, skipped, written, failed, error, \
             started_at, finished_at FROM runs WHERE scheme = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(scheme)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db("list_runs"))?;
        rows.iter().map(|r| run_row(r, "list_runs")).collect()
    }

    async fn load_checkpoint(&self, scheme: &str) -> Result<Option<serde_json::Value>> {
        let value: Option<String> =
            sqlx::query_scalar("SELECT value FROM checkpoints WHERE scheme = ?")
                .bind(scheme)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("load_checkpoint"))?;
        value
            .map(|text| {
                serde_json::from_str(&text).map_err(|e| {
                    StoreError::Corrupt(format!(
                        "checkpoints.value of scheme {scheme:?} is not JSON: {e}"
                    ))
                })
            })
            .transpose()
    }

    async fn save_checkpoint(&self, scheme: &str, checkpoint: &serde_json::Value) -> Result<()> {
        sqlx::query(
            "INSERT INTO checkpoints (scheme, value, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (scheme) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(scheme)
        .bind(checkpoint.to_string())
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(db("save_checkpoint"))?;
        Ok(())
    }

    async fn ledger_get(
        &self,
        scheme: &str,
        target: &str,
        keys: &[String],
    ) -> Result<Vec<LedgerEntry>> {
        const OP: &str = "ledger_get";
        let mut out = Vec::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(out);
        }
        let mut conn = self.pool.acquire().await.map_err(db(OP))?;
        for chunk in keys.chunks(GET_CHUNK) {
            let bucket = get_bucket(chunk.len());
            let mut query = sqlx::query(AssertSqlSafe(ledger_get_sql(bucket)))
                .bind(scheme)
                .bind(target);
            for key in chunk {
                query = query.bind(key.as_str());
            }
            let last = chunk[chunk.len() - 1].as_str();
            for _ in chunk.len()..bucket {
                query = query.bind(last);
            }
            for row in query.fetch_all(&mut *conn).await.map_err(db(OP))? {
                out.push(ledger_row(&row, OP)?);
            }
        }
        out.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn ledger_put(&self, entries: &[LedgerEntry]) -> Result<()> {
        const OP: &str = "ledger_put";
        if entries.is_empty() {
            return Ok(());
        }
        // IMMEDIATE: take the write lock up front, so a concurrent writer makes us wait (busy timeout)
        // instead of failing on a read-to-write lock upgrade.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db(OP))?;
        for chunk in entries.chunks(PUT_CHUNK) {
            let mut query = if chunk.len() == PUT_CHUNK {
                sqlx::query(ledger_put_full_sql())
            } else {
                sqlx::query(AssertSqlSafe(ledger_put_sql(chunk.len())))
            };
            for e in chunk {
                query = query
                    .bind(e.scheme.as_str())
                    .bind(e.target.as_str())
                    .bind(e.key.as_str())
                    .bind(e.hash.as_str())
                    .bind(e.state.as_str())
                    .bind(e.idem_key.as_deref())
                    .bind(e.target_id.as_deref())
                    .bind(e.target_number.as_deref())
                    .bind(i64::from(e.attempts))
                    .bind(e.last_error.as_deref())
                    .bind(e.run_id)
                    .bind(e.created_at)
                    .bind(e.updated_at)
                    .bind(e.payload.as_deref());
            }
            query.execute(&mut *tx).await.map_err(db(OP))?;
        }
        tx.commit().await.map_err(db(OP))
    }

    async fn ledger_list(&self, filter: &LedgerFilter) -> Result<Vec<LedgerEntry>> {
        const OP: &str = "ledger_list";
        // Only fixed fragments enter the SQL text (eight shapes in all); every value is bound.
        let mut sql = format!("SELECT {LEDGER_COLUMNS} FROM ledger WHERE scheme = ?");
        if filter.target.is_some() {
            sql.push_str(" AND target = ?");
        }
        if filter.state.is_some() {
            sql.push_str(" AND state = ?");
        }
        if filter.key.is_some() {
            sql.push_str(" AND key = ?");
        }
        sql.push_str(" ORDER BY target, key LIMIT ? OFFSET ?");
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(filter.scheme.as_str());
        if let Some(target) = &filter.target {
            query = query.bind(target.as_str());
        }
        if let Some(state) = filter.state {
            query = query.bind(state.as_str());
        }
        if let Some(key) = &filter.key {
            query = query.bind(key.as_str());
        }
        let limit = if filter.limit == 0 {
            -1
        } else {
            i64::from(filter.limit)
        };
        let rows = query
            .bind(limit)
            .bind(i64::from(filter.offset))
            .fetch_all(&self.pool)
            .await
            .map_err(db(OP))?;
        rows.iter().map(|r| ledger_row(r, OP)).collect()
    }

    async fn ledger_counts(&self, scheme: &str) -> Result<Vec<(String, LedgerState, u64)>> {
        const OP: &str = "ledger_counts";
        let rows = sqlx::query(
            "SELECT target, state, COUNT(*) FROM ledger WHERE scheme = ? GROUP BY target, state ORDER BY target, state",
        )
        .bind(scheme)
        .fetch_all(&self.pool)
        .await
        .map_err(db(OP))?;
        rows.iter()
            .map(|row| {
                let target: String = row.try_get(0).map_err(db(OP))?;
                let state: String = row.try_get(1).map_err(db(OP))?;
                let state =
                    LedgerState::parse(&state).ok_or_else(|| corrupt("ledger", "state", &state))?;
                let n: i64 = row.try_get(2).map_err(db(OP))?;
                Ok((target, state, count_from_db("ledger", "count", n)?))
            })
            .collect()
    }

    async fn ledger_in_flight_to_in_doubt(&self, scheme: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE ledger SET state = ?, updated_at = ? WHERE scheme = ? AND state = ?",
        )
        .bind(LedgerState::InDoubt.as_str())
        .bind(now_ms())
        .bind(scheme)
        .bind(LedgerState::InFlight.as_str())
        .execute(&self.pool)
        .await
        .map_err(db("ledger_in_flight_to_in_doubt"))?;
        Ok(done.rows_affected())
    }

    async fn count_call(&self, connection: &str, method: &str, day: &str) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO call_counts (connection, method, day, count) VALUES (?, ?, ?, 1) \
             ON CONFLICT (connection, method, day) DO UPDATE SET count = count + 1 RETURNING count",
        )
        .bind(connection)
        .bind(method)
        .bind(day)
        .fetch_one(&self.pool)
        .await
        .map_err(db("count_call"))?;
        count_from_db("call_counts", "count", n)
    }

    async fn call_count(&self, connection: &str, method: &str, day: &str) -> Result<u64> {
        let n: Option<i64> = sqlx::query_scalar(
            "SELECT count FROM call_counts WHERE connection = ? AND method = ? AND day = ?",
        )
        .bind(connection)
        .bind(method)
        .bind(day)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("call_count"))?;
        count_from_db("call_counts", "count", n.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_stay_within_the_bind_limit() {
        let binds = |sql: &str| sql.matches('?').count();
        assert_eq!(binds(ledger_put_full_sql()), PUT_CHUNK * PUT_COLUMNS);
        assert!(binds(ledger_put_full_sql()) <= MAX_BINDS);
        assert_eq!(binds(&ledger_put_sql(1)), PUT_COLUMNS);
        assert_eq!(
            binds(&ledger_get_sql(GET_CHUNK)),
            MAX_BINDS,
            "keys + scheme + target"
        );
        assert_eq!(LEDGER_COLUMNS.split(',').count(), PUT_COLUMNS);
    }

    #[test]
    fn get_buckets_cover_every_chunk_size() {
        for n in 1..=GET_CHUNK {
            let b = get_bucket(n);
            assert!(b >= n && b <= GET_CHUNK, "{n} → {b}");
        }
        assert_eq!(
            (get_bucket(1), get_bucket(9), get_bucket(129)),
            (8, 32, GET_CHUNK)
        );
    }

    #[test]
    fn run_kinds_and_statuses_parse_back() {
        for kind in [RunKind::Run, RunKind::Retry, RunKind::Preview] {
            assert_eq!(parse_run_kind(run_kind_str(kind)), Some(kind));
        }
        for status in [
            RunStatus::Running,
            RunStatus::Succeeded,
            RunStatus::Partial,
            RunStatus::Failed,
            RunStatus::QuotaExhausted,
        ] {
            assert_eq!(parse_run_status(status.as_str()), Some(status));
        }
        assert_eq!(parse_run_kind("Run"), None);
        assert_eq!(parse_run_status("done"), None);
    }

    #[test]
    fn corrupt_names_table_column_and_value() {
        let err = corrupt("ledger", "state", "bogus");
        assert_eq!(
            err.to_string(),
            "store: ledger.state holds an unexpected value \"bogus\""
        );
    }
}
