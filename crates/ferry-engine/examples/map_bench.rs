//! Mapping throughput on one core: a seed-shaped stocktake (a header plus 10 detail lines) mapped
//! to one Kingdee other-inbound model by the example scheme, with its key, content hash and filters —
//! everything a run does per record except IO.
//!
//!     cargo run --release -p ferry-engine --example map_bench [-- RECORDS]

use std::sync::Arc;
use std::time::Instant;

use ferry_core::hash::content_hash;
use ferry_core::mapping::{Mapped, Scope};
use ferry_core::scheme::Scheme;
use ferry_engine::{Connections, EngineCatalog};
use serde_json::Value;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/file-to-file");
    let text = std::fs::read_to_string(format!("{dir}/stocktakes-to-other-inbound.yaml")).expect("example scheme");
    let conns = Connections::builtin();
    let scheme = Scheme::load("example", &text, &EngineCatalog { connections: &conns }).expect("valid scheme");
    let records: Vec<Value> = std::fs::read_to_string(format!("{dir}/stocktakes.jsonl"))
        .expect("example records")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .filter(|v: &Value| v["status"] == 5)
        .collect();
    let mut tables = ferry_core::mapping::Tables::new();
    if let Some(ferry_core::scheme::TableSpec::Inline(m)) = scheme.tables.get("warehouses") {
        tables.insert("warehouses".into(), Arc::new(m.clone()));
    }
    let tables = Arc::new(tables);
    let target = &scheme.targets[0];
    if std::env::var("MAP_ONLY").is_ok() {
        let arcs: Vec<Arc<Value>> = records.iter().map(|r| Arc::new(r.clone())).collect();
        let t = Instant::now();
        for i in 0..n {
            let _ = target.mapping.apply(&arcs[i % arcs.len()], &tables);
        }
        println!("mapping only: {:.0} records/s", n as f64 / t.elapsed().as_secs_f64());
        return;
    }
    let (mut models, mut lines) = (0usize, 0usize);
    let start = Instant::now();
    for i in 0..n {
        let record = Arc::new(records[i % records.len()].clone());
        let scope = Scope::root(&record, &tables);
        let _key = scheme.source.key.eval(&scope).expect("key");
        let _hash = content_hash(&record);
        let pass = scheme.source.filter.as_ref().is_none_or(|f| f.test(&scope).unwrap_or(false));
        if pass
            && let Mapped::Model(m) = target.mapping.apply(&record, &tables).expect("maps") {
                models += 1;
                lines += m["FEntity"].as_array().map_or(0, Vec::len);
            }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{n} records ({models} models, {lines} entry lines) in {secs:.3} s: {:.0} records/s on one core", n as f64 / secs);
    // Where the time goes.
    let arcs: Vec<Arc<Value>> = records.iter().map(|r| Arc::new(r.clone())).collect();
    let t = Instant::now();
    for i in 0..n {
        let _ = target.mapping.apply(&arcs[i % arcs.len()], &tables);
    }
    println!("  mapping only: {:.0} records/s", n as f64 / t.elapsed().as_secs_f64());
    let t = Instant::now();
    for i in 0..n {
        let _ = content_hash(&arcs[i % arcs.len()]);
    }
    println!("  content hash only: {:.0} records/s", n as f64 / t.elapsed().as_secs_f64());
    let t = Instant::now();
    for i in 0..n {
        let _ = Arc::new(records[i % records.len()].clone());
    }
    println!("  record clone only: {:.0} records/s", n as f64 / t.elapsed().as_secs_f64());
}
