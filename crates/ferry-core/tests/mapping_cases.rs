//! Data-driven tests of the mapping language: every case in `data/mapping_cases.yaml` compiles a
//! mapping (with the fixtures' metadata when the case says so), applies it to a record and checks
//! the output, the runtime error, or the exact compile diagnostics.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use ferry_core::diag::Diagnostics;
use ferry_core::mapping::{Mapped, compile_mapping};
use ferry_core::yaml::{self, Node};
use serde_json::{Value, json};

const FILE: &str = "mapping_cases.yaml";

fn check(case: &Node) -> Result<(), String> {
    let name = case.get("name").and_then(Node::as_str).unwrap_or("?");
    let record = case.get("record").map(Node::to_json).unwrap_or(json!({}));
    let mut tables: HashMap<String, Arc<HashMap<String, Value>>> = HashMap::new();
    if let Some(t) = case.get("tables") {
        for (k, v) in t.as_map().unwrap_or_default() {
            let m: HashMap<String, Value> = match v.to_json() {
                Value::Object(o) => o.into_iter().collect(),
                _ => HashMap::new(),
            };
            tables.insert(k.name.clone(), Arc::new(m));
        }
    }
    let names: BTreeSet<String> = tables.keys().cloned().collect();
    let with_meta = case.get("metadata").and_then(|n| n.as_str()) == Some("seed");
    let (src, tgt) = (common::stocktake_meta(), common::other_inbound_meta());
    let mut d = Diagnostics::new(FILE);
    let mapping_node = case.get("mapping").ok_or("case without mapping")?;
    let compiled = compile_mapping(
        mapping_node,
        "mapping",
        case.get("skip_when"),
        &names,
        with_meta.then_some(&src),
        with_meta.then_some(&tgt),
        &mut d,
    );
    if let Some(errors) = case.get("errors") {
        let want: Vec<String> = match errors.to_json() {
            Value::Array(a) => a.into_iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect(),
            _ => vec![],
        };
        let got: Vec<String> = d.clone().sorted().items.iter().map(|x| x.to_string()).collect();
        if got != want {
            return Err(format!("{name}: diagnostics differ\n  want: {want:#?}\n  got:  {got:#?}"));
        }
        return Ok(());
    }
    let m = compiled.ok_or_else(|| format!("{name}: did not compile:\n{d}"))?;
    if !d.is_empty() {
        return Err(format!("{name}: unexpected diagnostics:\n{d}"));
    }
    let out = m.apply(&Arc::new(record), &Arc::new(tables));
    match (case.get("expect"), case.get("runtime_error"), case.get("skipped")) {
        (Some(e), _, _) => match out {
            Ok(Mapped::Model(v)) if v == e.to_json() => Ok(()),
            other => Err(format!("{name}: want {}\n  got {other:?}", e.to_json())),
        },
        (_, Some(e), _) => match out {
            Err(err) if err.to_string() == e.as_str().unwrap_or_default() => Ok(()),
            other => Err(format!("{name}: want error {:?}\n  got {other:?}", e.as_str())),
        },
        (_, _, Some(_)) => match out {
            Ok(Mapped::Skipped) => Ok(()),
            other => Err(format!("{name}: want skipped, got {other:?}")),
        },
        _ => Err(format!("{name}: the case says neither expect, runtime_error, skipped nor errors")),
    }
}

#[test]
fn mapping_language_cases() {
    let text = include_str!("data/mapping_cases.yaml");
    let root = yaml::parse(FILE, text).unwrap_or_else(|d| panic!("{d}"));
    let Some(yaml::Kind::Seq(cases)) = root.get("cases").map(|n| &n.kind) else { panic!("no cases") };
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let failures: Vec<String> = cases.iter().filter_map(|c| check(c).err()).collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
