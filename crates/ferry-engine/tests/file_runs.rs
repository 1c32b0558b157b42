//! The engine end to end on files: ledger skips, changed records, per-record failures, checkpoints,
//! and the exactly-once protocol under transient, unknown-outcome and duplicate write failures.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ferry_connectors::file::{FileSink, FileSource};
use ferry_connectors::{Connection, ConnectionConfig, SinkContext, SourceContext};
use ferry_core::connector::{ConnectorError, ErrorClass, OutModel, Sink, Source, TargetRef, WriteOutcome};
use ferry_core::scheme::Scheme;
use ferry_engine::{Connections, Engine, EngineCatalog, Job, Quiet, Settings};
use ferry_store::{LedgerEntry, LedgerFilter, LedgerState, RunStatus, SqliteStore, Store};
use serde_json::{Value, json};

const SCHEME: &str = r#"
name: file test
source: { connection: files, api: jsonl, params: { path: in.jsonl, page_size: 100 }, key: id, where: "n >= 0" }
tables:
  wh: { inline: { A: WA, B: WB } }
targets:
  out:
    connection: files
    api: jsonl
    batch: 50
    options: { path: out.jsonl }
    idempotency: no
    mapping:
      no: "BILL-{{ id }}"
      n: "{{ n }}"
      wh: "{{ lookup('wh', w) }}"
"#;

fn write_input(dir: &Path, n: usize, edit: impl Fn(usize, &mut Value)) {
    let mut s = String::with_capacity(n * 40);
    for i in 0..n {
        let mut v = json!({"id": format!("R{i:06}"), "n": i, "w": if i % 2 == 0 { "A" } else { "B" }});
        edit(i, &mut v);
        s.push_str(&v.to_string());
        s.push('\n');
    }
    std::fs::write(dir.join("in.jsonl"), s).unwrap();
}

fn out_numbers(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("out.jsonl")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["no"].as_str().unwrap().to_owned()).collect()
}

fn connections() -> Connections {
    let mut c = Connections::builtin();
    c.by_name.insert("files".into(), ConnectionConfig { name: "files".into(), system: "file".into(), settings: json!({}) });
    c
}

struct Fixture {
    dir: tempfile::TempDir,
    engine: Engine,
    scheme: Scheme,
}

impl Fixture {
    async fn new(store: Arc<dyn Store>) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let conns = connections();
        let scheme = Scheme::load("test.yaml", SCHEME, &EngineCatalog { connections: &conns }).unwrap_or_else(|e| panic!("{e}"));
        let mut engine = Engine::new(store, conns);
        engine.settings = Settings { retry_base: Duration::from_millis(1), retry_max: Duration::from_millis(5), ..Settings::default() };
        Fixture { dir, engine, scheme }
    }
    async fn run(&self) -> ferry_engine::RunReport {
        let job = Job { id: "t", scheme: &self.scheme, definition: SCHEME, base_dir: self.dir.path() };
        self.engine.run(&job, &Quiet).await.unwrap()
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open_memory().await.unwrap())
}

#[tokio::test]
async fn hundred_thousand_records_then_nothing_then_the_edited_one() {
    let store: Arc<dyn Store> = {
        let d = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(d.path()).await.unwrap();
        std::mem::forget(d); // keep the db dir for the test's life
        Arc::new(s)
    };
    let f = Fixture::new(store.clone()).await;
    write_input(f.path(), 100_000, |_, _| {});
    let r1 = f.run().await;
    assert_eq!((r1.counts.fetched, r1.counts.written, r1.counts.skipped, r1.counts.failed), (100_000, 100_000, 0, 0), "{r1:?}");
    assert_eq!(r1.status, RunStatus::Succeeded);
    let r2 = f.run().await;
    assert_eq!((r2.counts.written, r2.counts.skipped), (0, 100_000), "{r2:?}");
    write_input(f.path(), 100_000, |i, v| {
        if i == 4242 {
            v["n"] = json!(-1); // would now be filtered by source.where, but it is written already
        }
        if i == 777 {
            v["w"] = json!("A"); // changed after it was written
        }
    });
    let r3 = f.run().await;
    assert_eq!((r3.counts.written, r3.counts.skipped, r3.counts.filtered), (0, 100_000, 0), "{r3:?}");
    assert!(r3.warnings.iter().any(|w| w.contains("'R000777' changed in the source after it was written as BILL-R000777")), "{:?}", r3.warnings);
    assert!(r3.warnings.iter().any(|w| w.contains("'R004242' changed in the source")), "{:?}", r3.warnings);

    // A record never seen before is written on the next run.
    write_input(f.path(), 100_001, |_, _| {});
    let r4 = f.run().await;
    assert_eq!(r4.counts.written, 1, "{r4:?}");
    let nums = out_numbers(f.path());
    assert_eq!(nums.len(), 100_001);
    assert_eq!(nums.iter().collect::<HashSet<_>>().len(), 100_001, "a bill was written twice");
    // With `on_change: update` an edited record is written again (here: its new version appended).
    let scheme = Scheme::load("test.yaml", &SCHEME.replace("    batch: 50", "    batch: 50\n    on_change: update"), &EngineCatalog { connections: &f.engine.connections }).unwrap();
    let f2 = Fixture { dir: f.dir, engine: f.engine, scheme };
    write_input(f2.path(), 100_001, |i, v| {
        if i == 9 {
            v["w"] = json!("A");
        }
    });
    let r5 = f2.run().await;
    assert_eq!((r5.counts.written, r5.counts.skipped), (1, 100_000), "{r5:?}");
    let last: Value = serde_json::from_str(std::fs::read_to_string(f2.path().join("out.jsonl")).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(last, json!({"no": "BILL-R000009", "n": 9, "wh": "WA"}));
    let cp = store.load_checkpoint("t").await.unwrap().unwrap();
    assert_eq!(cp, json!({"line": 100_001, "done": true}));
}

#[tokio::test]
async fn one_bad_record_fails_alone_and_is_written_after_the_fix() {
    let f = Fixture::new(memory().await).await;
    write_input(f.path(), 120, |i, v| {
        if i == 7 {
            v["w"] = json!("Z"); // not in table 'wh'
        }
    });
    let r = f.run().await;
    assert_eq!((r.counts.written, r.counts.failed), (119, 1), "{r:?}");
    assert_eq!(r.status, RunStatus::Partial);
    assert_eq!(r.failures[0].2, "record R000007: targets.out.mapping.wh: 'Z' is not in table 'wh'");
    let failed = f.engine.store.ledger_list(&LedgerFilter { scheme: "t".into(), state: Some(LedgerState::Failed), ..Default::default() }).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].key.as_str(), failed[0].attempts), ("R000007", 1));
    // The cause is fixed in the source: the next run writes it.
    write_input(f.path(), 120, |_, _| {});
    let r = f.run().await;
    assert_eq!((r.counts.written, r.counts.failed, r.counts.skipped), (1, 0, 119), "{r:?}");
    assert_eq!(out_numbers(f.path()).len(), 120);
}

#[tokio::test]
async fn failing_again_and_again_ends_dead() {
    let f = Fixture::new(memory().await).await;
    write_input(f.path(), 3, |i, v| {
        if i == 1 {
            v["w"] = json!("Z");
        }
    });
    for _ in 0..5 {
        f.run().await;
    }
    let e = f.engine.store.ledger_get("t", "out", &["R000001".into()]).await.unwrap();
    assert_eq!((e[0].state, e[0].attempts), (LedgerState::Dead, 5));
    let r = f.run().await;
    assert_eq!((r.counts.failed, r.counts.skipped), (0, 3), "a dead record is left alone: {r:?}");
}

/// A sink that misbehaves on purpose around a real file sink.
struct Flaky {
    inner: FileSink,
    calls: AtomicU32,
    mode: Mode,
}

#[derive(Clone, Copy)]
enum Mode {
    /// Every other call fails before writing (transient).
    TransientEveryOther,
    /// Every third call writes, then reports an unknown outcome (a timeout after sending).
    UnknownAfterWriteEveryThird,
    /// Every model is written; the first call reports every model as a duplicate.
    DuplicateFirst,
}

#[async_trait::async_trait]
impl Sink for Flaky {
    fn max_batch(&self) -> usize {
        self.inner.max_batch()
    }
    async fn write(&self, batch: &[OutModel]) -> Result<Vec<WriteOutcome>, ConnectorError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        match self.mode {
            Mode::TransientEveryOther if n.is_multiple_of(2) => Err(ConnectorError::transient("503 Service Unavailable")),
            Mode::UnknownAfterWriteEveryThird if n.is_multiple_of(3) => {
                self.inner.write(batch).await?;
                Err(ConnectorError::new(ErrorClass::Unknown, "timed out reading the response"))
            }
            Mode::DuplicateFirst if n == 0 => {
                self.inner.write(batch).await?;
                Ok(batch
                    .iter()
                    .map(|_| WriteOutcome::Failed { error: ConnectorError::business("单据编号已存在 (bill number exists)"), duplicate: true })
                    .collect())
            }
            _ => self.inner.write(batch).await,
        }
    }
    async fn lookup(&self, keys: &[String]) -> Result<HashMap<String, TargetRef>, ConnectorError> {
        self.inner.lookup(keys).await
    }
}

struct FlakyConnection(Mode);

#[async_trait::async_trait]
impl Connection for FlakyConnection {
    async fn test(&self) -> Result<String, ConnectorError> {
        Ok("flaky".into())
    }
    async fn source(&self, ctx: SourceContext<'_>) -> Result<Box<dyn Source>, ConnectorError> {
        Ok(Box::new(FileSource::open(&ctx).await?))
    }
    async fn sink(&self, ctx: SinkContext<'_>) -> Result<Arc<dyn Sink>, ConnectorError> {
        Ok(Arc::new(Flaky { inner: FileSink::open(&ctx).await?, calls: AtomicU32::new(0), mode: self.0 }))
    }
}

async fn run_flaky(mode: Mode, n: usize) -> (ferry_engine::RunReport, Vec<String>) {
    let f = Fixture::new(memory().await).await;
    f.engine.insert_connection("files", Arc::new(FlakyConnection(mode))).await;
    write_input(f.path(), n, |_, _| {});
    let r = f.run().await;
    (r, out_numbers(f.path()))
}

#[tokio::test]
async fn transient_write_failures_are_retried_without_doubling() {
    let (r, nums) = run_flaky(Mode::TransientEveryOther, 500).await;
    assert_eq!((r.counts.written, r.counts.failed), (500, 0), "{r:?}");
    assert_eq!(nums.len(), 500);
}

#[tokio::test]
async fn unknown_outcomes_are_reconciled_not_resent() {
    let (r, nums) = run_flaky(Mode::UnknownAfterWriteEveryThird, 1000).await;
    assert_eq!((r.counts.written, r.counts.failed), (1000, 0), "{r:?}");
    assert_eq!(nums.len(), 1000, "a bill was written twice (or lost)");
    assert_eq!(nums.iter().collect::<HashSet<_>>().len(), 1000);
}

#[tokio::test]
async fn a_duplicate_rejection_of_our_own_bill_counts_as_written() {
    let (r, nums) = run_flaky(Mode::DuplicateFirst, 80).await;
    assert_eq!((r.counts.written, r.counts.failed), (80, 0), "{r:?}");
    assert_eq!(nums.len(), 80);
}

#[tokio::test]
async fn in_flight_rows_of_a_crashed_run_are_asked_about_before_anything_is_resent() {
    let f = Fixture::new(memory().await).await;
    write_input(f.path(), 10, |_, _| {});
    // A crashed run: R0..R4 were in flight; the target got R0..R2 before the crash.
    let store = f.engine.store.clone();
    let hash = |i: usize| ferry_core::hash::content_hash(&json!({"id": format!("R{i:06}"), "n": i, "w": if i.is_multiple_of(2) { "A" } else { "B" }}));
    let rows: Vec<LedgerEntry> = (0..5)
        .map(|i| LedgerEntry {
            scheme: "t".into(),
            target: "out".into(),
            key: format!("R{i:06}"),
            hash: hash(i),
            state: LedgerState::InFlight,
            idem_key: Some(format!("BILL-R{i:06}")),
            target_id: None,
            target_number: None,
            attempts: 1,
            last_error: None,
            run_id: Some(1),
            created_at: 0,
            updated_at: 0,
            payload: None,
        })
        .collect();
    store.ledger_put(&rows).await.unwrap();
    let already: String = (0..3).map(|i| format!("{{\"no\":\"BILL-R{i:06}\",\"n\":{i},\"wh\":\"x\"}}\n")).collect();
    std::fs::write(f.path().join("out.jsonl"), already).unwrap();
    let r = f.run().await;
    assert!(r.warnings.iter().any(|w| w.contains("3 found in the target (written), 2 not found")), "{:?}", r.warnings);
    let nums = out_numbers(f.path());
    assert_eq!(nums.len(), 10, "{nums:?}");
    assert_eq!(nums.iter().collect::<HashSet<_>>().len(), 10);
    assert_eq!((r.counts.written, r.counts.skipped), (7, 3), "{r:?}");
}

#[tokio::test]
async fn a_key_seen_twice_in_one_run_is_written_once() {
    let f = Fixture::new(memory().await).await;
    let mut s = String::new();
    for i in 0..150 {
        // R0..R49 come again on the second page (a source whose pages overlap).
        let id = if i < 100 { i } else { i - 100 };
        s.push_str(&json!({"id": format!("R{id:06}"), "n": id, "w": "A"}).to_string());
        s.push('\n');
    }
    std::fs::write(f.path().join("in.jsonl"), s).unwrap();
    let r = f.run().await;
    assert_eq!((r.counts.fetched, r.counts.written, r.counts.skipped), (150, 100, 50), "{r:?}");
    assert_eq!(out_numbers(f.path()).len(), 100);
}
