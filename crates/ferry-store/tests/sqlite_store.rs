//! Integration tests of `SqliteStore`: on a file in a temporary data dir and in memory.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use ferry_store::{
    LedgerEntry, LedgerFilter, LedgerState, RunCounts, RunKind, RunStatus, SqliteStore, Store,
    StoreError,
};
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use tempfile::TempDir;

/// A store on a fresh temporary data dir (the dir lives as long as the returned guard).
async fn file_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    (dir, store)
}

/// Both flavours: a file store (with its dir guard) and an in-memory one.
async fn both() -> Vec<(Option<TempDir>, SqliteStore)> {
    let (dir, file) = file_store().await;
    let memory = SqliteStore::open_memory().await.expect("open_memory");
    vec![(Some(dir), file), (None, memory)]
}

/// A raw connection to a store's database file, to look under the hood or to damage it.
async fn raw(path: &Path) -> SqlitePool {
    SqlitePool::connect_with(SqliteConnectOptions::new().filename(path))
        .await
        .expect("raw connect")
}

fn entry(scheme: &str, target: &str, key: &str, state: LedgerState) -> LedgerEntry {
    LedgerEntry {
        scheme: scheme.to_owned(),
        target: target.to_owned(),
        key: key.to_owned(),
        hash: format!("hash-of-{key}"),
        state,
        idem_key: None,
        target_id: None,
        target_number: None,
        attempts: 0,
        last_error: None,
        run_id: None,
        created_at: 1_700_000_000_000,
        updated_at: 1_700_000_000_000,
        payload: None,
    }
}

/// An entry with every optional field set.
fn full_entry(scheme: &str, target: &str, key: &str, state: LedgerState) -> LedgerEntry {
    LedgerEntry {
        idem_key: Some(format!("{key}-GAIN")),
        target_id: Some("100234".to_owned()),
        target_number: Some("QTRK000123".to_owned()),
        attempts: u32::MAX,
        last_error: Some("物料编码 [A01] 不存在 \"quoted\" 'single'".to_owned()),
        run_id: Some(i64::MAX),
        created_at: 1_700_000_000_123,
        updated_at: 1_700_000_999_456,
        payload: Some(r#"{"stocktakeId":"PD1","lines":[1,2]}"#.to_owned()),
        ..entry(scheme, target, key, state)
    }
}

async fn get_one(
    store: &SqliteStore,
    scheme: &str,
    target: &str,
    key: &str,
) -> Option<LedgerEntry> {
    let mut rows = store
        .ledger_get(scheme, target, &[key.to_owned()])
        .await
        .expect("ledger_get");
    assert!(rows.len() <= 1, "at most one row per key: {rows:?}");
    rows.pop()
}

#[tokio::test]
async fn open_creates_the_data_dir_and_the_db_file() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("nested").join("data");
    let store = SqliteStore::open(&data_dir).await.expect("open");
    assert_eq!(store.path(), Some(data_dir.join("ferry.db").as_path()));
    assert!(data_dir.join("ferry.db").is_file());
    assert_eq!(SqliteStore::open_memory().await.unwrap().path(), None);
}

#[tokio::test]
async fn open_reports_a_data_dir_that_cannot_be_created() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a dir").unwrap();
    let data_dir = file.join("data");
    let err = SqliteStore::open(&data_dir)
        .await
        .expect_err("a file is in the way");
    assert!(matches!(err, StoreError::DataDir { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&data_dir.display().to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let first = SqliteStore::open(dir.path()).await.expect("first open");
    let id = first.upsert_scheme("s", "v1").await.unwrap();
    // A second store on the same file while the first is open, then a third after both closed.
    let second = SqliteStore::open(dir.path()).await.expect("second open");
    assert_eq!(second.upsert_scheme("s", "v1").await.unwrap(), id);
    first.close().await;
    second.close().await;
    let third = SqliteStore::open(dir.path()).await.expect("third open");
    assert_eq!(third.upsert_scheme("s", "v1").await.unwrap(), id);
    third.close().await;

    let pool = raw(&dir.path().join("ferry.db")).await;
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count();
    assert_eq!(
        applied,
        i64::try_from(files).unwrap(),
        "each migration applied exactly once"
    );
}

#[tokio::test]
async fn upsert_scheme_keeps_the_id_and_replaces_the_definition() {
    let (dir, store) = file_store().await;
    let a = store.upsert_scheme("stocktake", "name: v1").await.unwrap();
    let b = store.upsert_scheme("other", "name: other").await.unwrap();
    assert_ne!(a, b);
    assert_eq!(
        store.upsert_scheme("stocktake", "name: v2").await.unwrap(),
        a
    );

    let pool = raw(store.path().unwrap()).await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, definition FROM schemes ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            ("stocktake".to_owned(), "name: v2".to_owned()),
            ("other".to_owned(), "name: other".to_owned())
        ]
    );
    drop(dir);
}

#[tokio::test]
async fn run_lifecycle() {
    for (_dir, store) in both().await {
        let before = jiff::Timestamp::now().as_millisecond();
        let first = store.start_run("s", RunKind::Run).await.unwrap();
        let second = store.start_run("s", RunKind::Retry).await.unwrap();
        let other = store.start_run("t", RunKind::Preview).await.unwrap();
        assert!(first < second && second < other);

        let runs = store.list_runs("s", 10).await.unwrap();
        assert_eq!(
            runs.iter().map(|r| r.id).collect::<Vec<_>>(),
            [second, first],
            "newest first"
        );
        let running = &runs[1];
        assert_eq!(
            (running.scheme.as_str(), running.kind, running.status),
            ("s", RunKind::Run, RunStatus::Running)
        );
        assert_eq!(running.counts, RunCounts::default());
        assert_eq!(
            (running.error.as_deref(), running.finished_at),
            (None, None)
        );
        assert!(running.started_at >= before);

        let counts = RunCounts {
            fetched: 120,
            filtered: 7,
            skipped: 3,
            written: 100,
            failed: 10,
        };
        store
            .finish_run(
                first,
                RunStatus::Partial,
                &counts,
                Some("10 records failed"),
            )
            .await
            .unwrap();
        store
            .finish_run(
                second,
                RunStatus::QuotaExhausted,
                &RunCounts::default(),
                None,
            )
            .await
            .unwrap();

        let runs = store.list_runs("s", 0).await.unwrap();
        assert_eq!(runs.len(), 2, "limit 0 = no limit");
        let finished = &runs[1];
        assert_eq!(finished.id, first);
        assert_eq!(finished.status, RunStatus::Partial);
        assert_eq!(finished.counts, counts);
        assert_eq!(finished.error.as_deref(), Some("10 records failed"));
        assert!(finished.finished_at.unwrap() >= finished.started_at);
        assert_eq!(runs[0].status, RunStatus::QuotaExhausted);
        assert_eq!(runs[0].kind, RunKind::Retry);

        assert_eq!(
            store
                .list_runs("s", 1)
                .await
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>(),
            [second]
        );
        let t = store.list_runs("t", 10).await.unwrap();
        assert_eq!((t.len(), t[0].kind), (1, RunKind::Preview));
        assert!(store.list_runs("nobody", 10).await.unwrap().is_empty());

        let err = store
            .finish_run(9_999, RunStatus::Succeeded, &counts, None)
            .await
            .expect_err("no such run");
        assert!(
            matches!(
                err,
                StoreError::Db {
                    op: "finish_run",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn every_run_status_round_trips() {
    let store = SqliteStore::open_memory().await.unwrap();
    for status in [
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Partial,
        RunStatus::Failed,
        RunStatus::QuotaExhausted,
    ] {
        let id = store.start_run("s", RunKind::Run).await.unwrap();
        store
            .finish_run(id, status, &RunCounts::default(), None)
            .await
            .unwrap();
        assert_eq!(store.list_runs("s", 1).await.unwrap()[0].status, status);
    }
}

#[tokio::test]
async fn checkpoint_save_load_overwrite() {
    for (_dir, store) in both().await {
        assert_eq!(store.load_checkpoint("s").await.unwrap(), None);
        let first = json!({"window": {"from": "2025-01-01 00:00:00", "to": "2025-01-02 00:00:00"}, "page": 3,
                           "big": 12345678901234567890u64, "price": 12.5, "text": "盘点单"});
        store.save_checkpoint("s", &first).await.unwrap();
        store.save_checkpoint("t", &json!("other")).await.unwrap();
        assert_eq!(store.load_checkpoint("s").await.unwrap(), Some(first));

        let second = json!({"cursor": null, "page": 4});
        store.save_checkpoint("s", &second).await.unwrap();
        assert_eq!(store.load_checkpoint("s").await.unwrap(), Some(second));
        assert_eq!(
            store.load_checkpoint("t").await.unwrap(),
            Some(json!("other"))
        );
    }
}

#[tokio::test]
async fn ledger_round_trips_every_field_and_every_state() {
    for (_dir, store) in both().await {
        let mut entries = Vec::new();
        for state in LedgerState::ALL {
            entries.push(full_entry("s", "gain", &format!("full-{state}"), state));
            entries.push(entry("s", "gain", &format!("bare-{state}"), state));
        }
        store.ledger_put(&entries).await.unwrap();
        let keys: Vec<String> = entries.iter().map(|e| e.key.clone()).collect();
        let mut got = store.ledger_get("s", "gain", &keys).await.unwrap();
        got.sort_by(|a, b| a.key.cmp(&b.key));
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        assert_eq!(got, entries);
    }
}

#[tokio::test]
async fn ledger_put_upsert_replaces_but_keeps_created_at() {
    for (_dir, store) in both().await {
        let original = entry("s", "gain", "k1", LedgerState::InFlight);
        store
            .ledger_put(std::slice::from_ref(&original))
            .await
            .unwrap();

        let mut newer = full_entry("s", "gain", "k1", LedgerState::Written);
        newer.created_at = original.created_at + 5_000;
        store
            .ledger_put(std::slice::from_ref(&newer))
            .await
            .unwrap();
        let got = get_one(&store, "s", "gain", "k1").await.unwrap();
        assert_eq!(
            got,
            LedgerEntry {
                created_at: original.created_at,
                ..newer.clone()
            }
        );

        // Optional fields go back to None when the new row has None.
        let mut cleared = entry("s", "gain", "k1", LedgerState::Failed);
        cleared.updated_at = newer.updated_at + 1;
        store
            .ledger_put(std::slice::from_ref(&cleared))
            .await
            .unwrap();
        let got = get_one(&store, "s", "gain", "k1").await.unwrap();
        assert_eq!(
            got,
            LedgerEntry {
                created_at: original.created_at,
                ..cleared
            }
        );

        // Within one batch, the last row of a key wins.
        let a = entry("s", "gain", "k2", LedgerState::New);
        let b = LedgerEntry {
            hash: "second".to_owned(),
            ..entry("s", "gain", "k2", LedgerState::Filtered)
        };
        store.ledger_put(&[a, b.clone()]).await.unwrap();
        assert_eq!(get_one(&store, "s", "gain", "k2").await.unwrap(), b);

        let counts = store.ledger_counts("s").await.unwrap();
        assert_eq!(
            counts.iter().map(|c| c.2).sum::<u64>(),
            2,
            "upserts do not add rows: {counts:?}"
        );
    }
}

#[tokio::test]
async fn ledger_put_of_many_rows_in_uneven_sizes() {
    let (_dir, store) = file_store().await;
    for n in [1usize, 37, 38, 39, 500, 1_077] {
        let scheme = format!("s{n}");
        let entries: Vec<LedgerEntry> = (0..n)
            .map(|i| full_entry(&scheme, "t", &format!("k{i:05}"), LedgerState::Written))
            .collect();
        store.ledger_put(&entries).await.unwrap();
        let keys: Vec<String> = entries.iter().map(|e| e.key.clone()).collect();
        assert_eq!(
            store.ledger_get(&scheme, "t", &keys).await.unwrap(),
            entries,
            "batch of {n}"
        );
    }
    store
        .ledger_put(&[])
        .await
        .expect("an empty put is a no-op");
}

#[tokio::test]
async fn ledger_put_is_all_or_nothing() {
    let (_dir, store) = file_store().await;
    store
        .ledger_put(&[entry("s", "t", "kept", LedgerState::New)])
        .await
        .unwrap();
    // Make the database refuse one row; the rows before it in the same put must not stay.
    let pool = raw(store.path().unwrap()).await;
    sqlx::query(
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON ledger WHEN NEW.key = 'poison' \
         BEGIN SELECT RAISE(ABORT, 'poison refused'); END",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let mut batch: Vec<LedgerEntry> = (0..100)
        .map(|i| entry("s", "t", &format!("k{i}"), LedgerState::New))
        .collect();
    batch.push(LedgerEntry {
        hash: "changed".to_owned(),
        ..entry("s", "t", "kept", LedgerState::Written)
    });
    batch.push(entry("s", "t", "poison", LedgerState::New));
    let err = store
        .ledger_put(&batch)
        .await
        .expect_err("the trigger refuses the batch");
    assert!(
        matches!(
            err,
            StoreError::Db {
                op: "ledger_put",
                ..
            }
        ),
        "{err:?}"
    );

    let all = store
        .ledger_list(&LedgerFilter {
            scheme: "s".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        all,
        [entry("s", "t", "kept", LedgerState::New)],
        "nothing of the failed put remains"
    );
}

#[tokio::test]
async fn ledger_get_with_1200_keys() {
    for (_dir, store) in both().await {
        let entries: Vec<LedgerEntry> = (0..1_500)
            .map(|i| entry("s", "t", &format!("k{i:05}"), LedgerState::Written))
            .collect();
        store.ledger_put(&entries).await.unwrap();
        // Same keys under another target and another scheme must not leak in.
        store
            .ledger_put(&[entry("s", "other", "k00002", LedgerState::New)])
            .await
            .unwrap();
        store
            .ledger_put(&[entry("x", "t", "k00002", LedgerState::New)])
            .await
            .unwrap();

        // 1,200 keys, in reverse order: the even indexes 0..2,200 (750 of them present) + 100 never written.
        let mut keys: Vec<String> = (0..1_100).map(|i| format!("k{:05}", i * 2)).collect();
        keys.extend((0..100).map(|i| format!("missing-{i}")));
        keys.reverse();
        assert_eq!(keys.len(), 1_200);
        let expected: Vec<LedgerEntry> = entries
            .iter()
            .filter(|e| keys.contains(&e.key))
            .cloned()
            .collect();
        assert_eq!(expected.len(), 750);
        let got = store.ledger_get("s", "t", &keys).await.unwrap();
        assert_eq!(got, expected, "every present key once, in key order");

        assert!(store.ledger_get("s", "t", &[]).await.unwrap().is_empty());
        assert_eq!(
            store.ledger_get("s", "other", &keys).await.unwrap().len(),
            1
        );
    }
}

/// The fixture of the list/counts tests: 2 targets × 5 keys in mixed states, plus another scheme.
fn list_fixture() -> Vec<LedgerEntry> {
    let states = [
        LedgerState::Written,
        LedgerState::Failed,
        LedgerState::Written,
        LedgerState::InFlight,
        LedgerState::Dead,
    ];
    let mut out = Vec::new();
    // Inserted out of order on purpose.
    for target in ["loss", "gain"] {
        for (i, state) in states.iter().enumerate().rev() {
            out.push(entry("s", target, &format!("k{i}"), *state));
        }
    }
    out.push(entry("other", "gain", "k0", LedgerState::InFlight));
    out
}

fn ids(rows: &[LedgerEntry]) -> Vec<String> {
    rows.iter()
        .map(|e| format!("{}/{}", e.target, e.key))
        .collect()
}

/// `ledger_list` of scheme `s` (unless the filter names another) as `target/key` ids.
async fn list(store: &SqliteStore, filter: LedgerFilter) -> Vec<String> {
    let filter = if filter.scheme.is_empty() {
        LedgerFilter {
            scheme: "s".to_owned(),
            ..filter
        }
    } else {
        filter
    };
    ids(&store.ledger_list(&filter).await.expect("ledger_list"))
}

#[tokio::test]
async fn ledger_list_filters_and_pages() {
    for (_dir, store) in both().await {
        store.ledger_put(&list_fixture()).await.unwrap();

        let all = list(&store, LedgerFilter::default()).await;
        assert_eq!(
            all,
            [
                "gain/k0", "gain/k1", "gain/k2", "gain/k3", "gain/k4", "loss/k0", "loss/k1",
                "loss/k2", "loss/k3", "loss/k4"
            ]
        );

        let loss = list(
            &store,
            LedgerFilter {
                target: Some("loss".into()),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            loss,
            ["loss/k0", "loss/k1", "loss/k2", "loss/k3", "loss/k4"]
        );

        let written = list(
            &store,
            LedgerFilter {
                state: Some(LedgerState::Written),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(written, ["gain/k0", "gain/k2", "loss/k0", "loss/k2"]);

        let one = LedgerFilter {
            target: Some("gain".into()),
            state: Some(LedgerState::Failed),
            ..Default::default()
        };
        assert_eq!(list(&store, one).await, ["gain/k1"]);

        let by_key = list(
            &store,
            LedgerFilter {
                key: Some("k3".into()),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(by_key, ["gain/k3", "loss/k3"]);

        let none = LedgerFilter {
            key: Some("k3".into()),
            state: Some(LedgerState::Written),
            ..Default::default()
        };
        assert!(list(&store, none).await.is_empty());

        // Paging: 4 + 4 + 2, then nothing.
        let mut pages = Vec::new();
        for offset in [0, 4, 8, 12] {
            pages.push(
                list(
                    &store,
                    LedgerFilter {
                        limit: 4,
                        offset,
                        ..Default::default()
                    },
                )
                .await,
            );
        }
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2, 0]);
        assert_eq!(pages.concat(), all);

        let page = LedgerFilter {
            state: Some(LedgerState::Written),
            limit: 2,
            offset: 1,
            ..Default::default()
        };
        assert_eq!(list(&store, page).await, ["gain/k2", "loss/k0"]);

        assert_eq!(
            list(
                &store,
                LedgerFilter {
                    scheme: "other".into(),
                    ..Default::default()
                }
            )
            .await,
            ["gain/k0"]
        );
        assert!(
            list(
                &store,
                LedgerFilter {
                    scheme: "nobody".into(),
                    ..Default::default()
                }
            )
            .await
            .is_empty()
        );
    }
}

#[tokio::test]
async fn ledger_counts_per_target_and_state() {
    for (_dir, store) in both().await {
        store.ledger_put(&list_fixture()).await.unwrap();
        let counts = store.ledger_counts("s").await.unwrap();
        let mut expected = BTreeMap::new();
        for target in ["gain", "loss"] {
            expected.insert((target.to_owned(), LedgerState::Written), 2);
            expected.insert((target.to_owned(), LedgerState::Failed), 1);
            expected.insert((target.to_owned(), LedgerState::InFlight), 1);
            expected.insert((target.to_owned(), LedgerState::Dead), 1);
        }
        let got: BTreeMap<_, _> = counts
            .iter()
            .map(|(t, s, n)| ((t.clone(), *s), *n))
            .collect();
        assert_eq!(got.len(), counts.len(), "one line per (target, state)");
        assert_eq!(got, expected);
        assert!(store.ledger_counts("nobody").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn in_flight_to_in_doubt_touches_only_in_flight_rows_of_the_scheme() {
    for (_dir, store) in both().await {
        let mut rows = Vec::new();
        for state in LedgerState::ALL {
            rows.push(entry("s", "gain", &format!("a-{state}"), state));
            rows.push(entry("s", "loss", &format!("b-{state}"), state));
            rows.push(entry("other", "gain", &format!("a-{state}"), state));
        }
        rows.push(entry(
            "s",
            "gain",
            "second-in-flight",
            LedgerState::InFlight,
        ));
        store.ledger_put(&rows).await.unwrap();

        assert_eq!(store.ledger_in_flight_to_in_doubt("s").await.unwrap(), 3);
        assert_eq!(
            store.ledger_in_flight_to_in_doubt("s").await.unwrap(),
            0,
            "nothing left in flight"
        );

        for scheme in ["s", "other"] {
            let now = store
                .ledger_list(&LedgerFilter {
                    scheme: scheme.into(),
                    ..Default::default()
                })
                .await
                .unwrap();
            for row in now {
                let before = rows
                    .iter()
                    .find(|r| r.scheme == row.scheme && r.target == row.target && r.key == row.key);
                let before = before.unwrap();
                if scheme == "s" && before.state == LedgerState::InFlight {
                    assert_eq!(row.state, LedgerState::InDoubt, "{row:?}");
                    assert!(row.updated_at > before.updated_at);
                    assert_eq!(row.hash, before.hash);
                } else {
                    assert_eq!(&row, before, "untouched");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_counter_is_atomic_under_concurrency() {
    for (_dir, store) in both().await {
        let store = Arc::new(store);
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    store
                        .count_call("jackyun", "wms.stocktake.get", "2025-06-01")
                        .await
                })
            })
            .collect();
        let mut seen = Vec::new();
        for task in tasks {
            seen.push(task.await.unwrap().unwrap());
        }
        seen.sort_unstable();
        assert_eq!(
            seen,
            (1..=50).collect::<Vec<u64>>(),
            "each call saw its own new count"
        );
        assert_eq!(
            store
                .call_count("jackyun", "wms.stocktake.get", "2025-06-01")
                .await
                .unwrap(),
            50
        );

        assert_eq!(
            store
                .call_count("jackyun", "wms.stocktake.get", "2025-06-02")
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .count_call("jackyun", "wms.stocktake.get", "2025-06-02")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .count_call("jackyun", "other.method", "2025-06-01")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .count_call("kingdee", "wms.stocktake.get", "2025-06-01")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .call_count("jackyun", "wms.stocktake.get", "2025-06-01")
                .await
                .unwrap(),
            50
        );
    }
}

#[tokio::test]
async fn the_db_file_survives_reopen_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let row = full_entry("s", "gain", "k1", LedgerState::Written);
    store.ledger_put(std::slice::from_ref(&row)).await.unwrap();
    store
        .save_checkpoint("s", &json!({"page": 7}))
        .await
        .unwrap();
    store.count_call("c", "m", "2025-06-01").await.unwrap();
    assert!(
        dir.path().join("ferry.db-wal").exists(),
        "WAL mode keeps a -wal file while open"
    );

    // Dropped without close (as in a crash): the committed rows are in the WAL and must be read back.
    drop(store);
    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert_eq!(get_one(&store, "s", "gain", "k1").await, Some(row.clone()));
    store.close().await;

    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert_eq!(get_one(&store, "s", "gain", "k1").await, Some(row));
    assert_eq!(
        store.load_checkpoint("s").await.unwrap(),
        Some(json!({"page": 7}))
    );
    assert_eq!(store.call_count("c", "m", "2025-06-01").await.unwrap(), 1);

    let pool = raw(store.path().unwrap()).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn unknown_stored_values_are_reported_as_corrupt() {
    let (_dir, store) = file_store().await;
    store
        .ledger_put(&[entry("s", "t", "k", LedgerState::New)])
        .await
        .unwrap();
    let run = store.start_run("s", RunKind::Run).await.unwrap();
    let pool = raw(store.path().unwrap()).await;
    sqlx::query("UPDATE ledger SET state = 'bogus'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE runs SET kind = 'sideways' WHERE id = ?")
        .bind(run)
        .execute(&pool)
        .await
        .unwrap();

    let check = |err: StoreError, needles: &[&str]| {
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        let text = err.to_string();
        for needle in needles {
            assert!(text.contains(needle), "{text:?} names {needle:?}");
        }
    };
    check(
        store
            .ledger_get("s", "t", &["k".to_owned()])
            .await
            .unwrap_err(),
        &["ledger.state", "bogus"],
    );
    let all = LedgerFilter {
        scheme: "s".to_owned(),
        ..Default::default()
    };
    check(
        store.ledger_list(&all).await.unwrap_err(),
        &["ledger.state", "bogus"],
    );
    check(
        store.ledger_counts("s").await.unwrap_err(),
        &["ledger.state", "bogus"],
    );
    check(
        store.list_runs("s", 10).await.unwrap_err(),
        &["runs.kind", "sideways"],
    );

    sqlx::query("UPDATE runs SET kind = 'run', status = 'exploded'")
        .execute(&pool)
        .await
        .unwrap();
    check(
        store.list_runs("s", 10).await.unwrap_err(),
        &["runs.status", "exploded"],
    );
}
