//! `Engine::retry` on files: failed and dead records are written again from the source records the
//! ledger kept, without reading the source and without moving its checkpoint; nothing twice.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ferry_connectors::ConnectionConfig;
use ferry_core::scheme::Scheme;
use ferry_engine::{Connections, Engine, EngineCatalog, Job, Quiet, RetrySelector, Settings};
use ferry_store::{LedgerFilter, LedgerState, SqliteStore, Store};
use serde_json::{Value, json};

/// `wh` lacks `B`: every record with `w: B` fails its mapping.
const BROKEN: &str = r#"
name: retry test
source: { connection: files, api: jsonl, params: { path: in.jsonl }, key: id }
tables:
  wh: { inline: { A: WA } }
targets:
  out:
    connection: files
    api: jsonl
    batch: 7
    options: { path: out.jsonl }
    idempotency: no
    mapping:
      no: "BILL-{{ id }}"
      wh: "{{ lookup('wh', w) }}"
"#;

fn fixed() -> String {
    BROKEN.replace("{ A: WA }", "{ A: WA, B: WB }")
}

fn connections() -> Connections {
    let mut c = Connections::builtin();
    c.by_name.insert("files".into(), ConnectionConfig { name: "files".into(), system: "file".into(), settings: json!({}) });
    c
}

fn load(text: &str) -> Scheme {
    Scheme::load("retry.yaml", text, &EngineCatalog { connections: &connections() }).unwrap_or_else(|e| panic!("{e}"))
}

fn out(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("out.jsonl")).unwrap_or_default().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

async fn rows(store: &dyn Store, state: LedgerState) -> Vec<ferry_store::LedgerEntry> {
    store.ledger_list(&LedgerFilter { scheme: "r".into(), state: Some(state), ..LedgerFilter::default() }).await.unwrap()
}

async fn setup(max_attempts: u32) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let input: String = (0..40).map(|i| format!("{}\n", json!({"id": format!("R{i:03}"), "w": if i % 4 == 0 { "B" } else { "A" }}))).collect();
    std::fs::write(dir.path().join("in.jsonl"), input).unwrap();
    let store = SqliteStore::open_memory().await.unwrap();
    let mut engine = Engine::new(Arc::new(store), connections());
    engine.settings = Settings { max_attempts, retry_base: Duration::from_millis(1), retry_max: Duration::from_millis(5), ..Settings::default() };
    (dir, engine)
}

#[tokio::test]
async fn failed_records_are_written_again_from_the_ledger_once_the_cause_is_fixed() {
    let (dir, engine) = setup(5).await;
    let broken = load(BROKEN);
    let job = Job { id: "r", scheme: &broken, definition: BROKEN, base_dir: dir.path() };
    let r = engine.run(&job, &Quiet).await.unwrap();
    assert_eq!((r.counts.written, r.counts.failed), (30, 10));
    let failed = rows(&*engine.store, LedgerState::Failed).await;
    assert_eq!(failed.len(), 10);
    for f in &failed {
        let kept: Value = serde_json::from_str(f.payload.as_deref().expect("the source record is kept")).unwrap();
        assert_eq!((kept["id"].as_str(), kept["w"].as_str()), (Some(f.key.as_str()), Some("B")));
    }
    assert!(rows(&*engine.store, LedgerState::Written).await.iter().all(|w| w.payload.is_none()), "written rows keep nothing");

    // Nothing fixed: the retry fails them again, writes nothing.
    let r = engine.retry(&job, &RetrySelector::default(), &Quiet).await.unwrap();
    assert_eq!((r.counts.fetched, r.counts.written, r.counts.failed), (10, 0, 10));

    // The table fixed; the source gone (a retry never reads it); the checkpoint stays where it was.
    let checkpoint = engine.store.load_checkpoint("r").await.unwrap();
    std::fs::remove_file(dir.path().join("in.jsonl")).unwrap();
    let text = fixed();
    let scheme = load(&text);
    let job = Job { id: "r", scheme: &scheme, definition: &text, base_dir: dir.path() };
    let one = RetrySelector { key: Some("R004".into()), ..RetrySelector::default() };
    let r = engine.retry(&job, &one, &Quiet).await.unwrap();
    assert_eq!((r.counts.fetched, r.counts.written), (1, 1));
    let r = engine.retry(&job, &RetrySelector::default(), &Quiet).await.unwrap();
    assert_eq!((r.counts.fetched, r.counts.written, r.counts.failed), (9, 9, 0));
    assert_eq!(engine.store.load_checkpoint("r").await.unwrap(), checkpoint);

    let written = out(dir.path());
    let mut numbers: Vec<&str> = written.iter().map(|v| v["no"].as_str().unwrap()).collect();
    numbers.sort();
    let before = numbers.len();
    numbers.dedup();
    assert_eq!((before, numbers.len()), (40, 40), "every record once");
    assert!(written.iter().filter(|v| v["wh"] == "WB").count() == 10);
    assert!(rows(&*engine.store, LedgerState::Failed).await.is_empty());
    assert!(rows(&*engine.store, LedgerState::Written).await.iter().all(|w| w.payload.is_none()));

    // Again: nothing to do.
    let r = engine.retry(&job, &RetrySelector::default(), &Quiet).await.unwrap();
    assert_eq!((r.counts.fetched, r.counts.written), (0, 0));
    assert_eq!(out(dir.path()).len(), 40);
}

#[tokio::test]
async fn dead_records_are_skipped_by_runs_and_re_pushed_by_retry() {
    let (dir, engine) = setup(1).await;
    let broken = load(BROKEN);
    let job = Job { id: "r", scheme: &broken, definition: BROKEN, base_dir: dir.path() };
    engine.run(&job, &Quiet).await.unwrap();
    assert_eq!(rows(&*engine.store, LedgerState::Dead).await.len(), 10, "one attempt allowed");

    let text = fixed();
    let scheme = load(&text);
    let job = Job { id: "r", scheme: &scheme, definition: &text, base_dir: dir.path() };
    let r = engine.run(&job, &Quiet).await.unwrap();
    assert_eq!(r.counts.written, 0, "a run leaves dead records alone");

    let only_failed = RetrySelector { key: None, states: vec![LedgerState::Failed] };
    assert_eq!(engine.retry(&job, &only_failed, &Quiet).await.unwrap().counts.written, 0);
    let r = engine.retry(&job, &RetrySelector::default(), &Quiet).await.unwrap();
    assert_eq!(r.counts.written, 10);
    assert!(rows(&*engine.store, LedgerState::Dead).await.is_empty());
    assert_eq!(out(dir.path()).len(), 40);
}
