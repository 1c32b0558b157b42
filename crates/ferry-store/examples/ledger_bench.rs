//! Ledger throughput: put 100,000 rows in batches of 500 (as the engine does file → file), then
//! overwrite them all, then read them back 1,000 keys at a time. Prints rows/s for each phase.
//!
//! `cargo run --release -p ferry-store --example ledger_bench [-- ROWS [BATCH]]`

use std::time::Instant;

use ferry_store::{LedgerEntry, LedgerState, SqliteStore, Store};

fn entry(i: usize, state: LedgerState, now: i64) -> LedgerEntry {
    LedgerEntry {
        scheme: "jackyun-stocktake-to-kingdee".to_owned(),
        target: "gain".to_owned(),
        key: format!("PD{i:012}"),
        hash: format!(
            "{:064x}",
            (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834)
        ),
        state,
        idem_key: Some(format!("PD{i:012}-GAIN")),
        target_id: (state == LedgerState::Written).then(|| format!("{}", 100_000 + i)),
        target_number: (state == LedgerState::Written).then(|| format!("QTRK{i:08}")),
        attempts: 1,
        last_error: None,
        run_id: Some(1),
        created_at: now,
        updated_at: now,
        payload: None,
    }
}

async fn put_all(store: &SqliteStore, rows: usize, batch: usize, state: LedgerState) -> f64 {
    let now = jiff::Timestamp::now().as_millisecond();
    let started = Instant::now();
    let mut i = 0;
    while i < rows {
        let n = batch.min(rows - i);
        let entries: Vec<LedgerEntry> = (i..i + n).map(|j| entry(j, state, now)).collect();
        store.ledger_put(&entries).await.expect("ledger_put");
        i += n;
    }
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .map_or(100_000, |a| a.parse().expect("ROWS is a number"));
    let batch: usize = args
        .next()
        .map_or(500, |a| a.parse().expect("BATCH is a number"));
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("open");

    let secs = put_all(&store, rows, batch, LedgerState::InFlight).await;
    println!(
        "insert  {rows} rows in batches of {batch}: {secs:.3} s, {:.0} rows/s",
        rows as f64 / secs
    );

    let secs = put_all(&store, rows, batch, LedgerState::Written).await;
    println!(
        "update  {rows} rows in batches of {batch}: {secs:.3} s, {:.0} rows/s",
        rows as f64 / secs
    );

    let started = Instant::now();
    let mut found = 0;
    for start in (0..rows).step_by(1000) {
        let keys: Vec<String> = (start..(start + 1000).min(rows))
            .map(|j| format!("PD{j:012}"))
            .collect();
        found += store
            .ledger_get("jackyun-stocktake-to-kingdee", "gain", &keys)
            .await
            .expect("ledger_get")
            .len();
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(found, rows, "every row is read back");
    println!(
        "get     {rows} rows, 1000 keys a call:    {secs:.3} s, {:.0} rows/s",
        rows as f64 / secs
    );

    store.close().await;
}
