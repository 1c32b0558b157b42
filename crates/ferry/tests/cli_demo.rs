//! `ferry demo`, `ferry retry` and the seed scheme's files as a user meets them.

use std::path::Path;
use std::process::{Command, Output};

fn ferry(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .current_dir(cwd)
        .env_remove("FERRY_DATA_DIR")
        .env_remove("FERRY_CONNECTIONS")
        .env_remove("FERRY_LOG")
        .output()
        .expect("runs ferry")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// From an empty directory, with a kept data dir: exit 0, every section, and the ledger is usable.
#[test]
fn the_demo_runs_from_anywhere_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("kept");
    let out = ferry(&["demo", "--quiet", "--data-dir", data.to_str().unwrap()], dir.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    for want in [
        "1. Two systems, simulated on this machine",
        "3. First run",
        "字段“物料编码”(FMATERIALID)的值“X",
        "'CK09' is not in table 'warehouses'",
        "4. What Kingdee now holds",
        "-GAIN  其他入库单",
        "-LOSS  其他出库单",
        "5. Second run: nothing is written twice",
        "written 0",
        "6. Re-push after fixing the cause",
        "The bill appears in Kingdee",
        "Result: ok",
    ] {
        assert!(t.contains(want), "missing {want:?} in:\n{t}");
    }
    assert!(data.join("ferry.db").exists(), "--data-dir keeps the ledger");
    let only_data: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(only_data, vec![std::ffi::OsString::from("kept")], "the demo writes nothing else in the current directory");

    // A second demo into the same ledger is refused: its simulators start empty.
    let again = ferry(&["demo", "--quiet", "--data-dir", data.to_str().unwrap()], dir.path());
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("already holds a ledger"), "{}", text(&again));
}

/// `ferry validate` accepts the seed scheme with the example connections (secrets from the environment).
#[test]
fn the_seed_scheme_validates_with_the_example_connections() {
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["validate", "schemes/jackyun-stocktake-to-kingdee-other-inbound.yaml", "--connections", "schemes/connections.example.yaml"])
        .current_dir(repo())
        .env("JACKYUN_APPSECRET", "x")
        .env("KINGDEE_APP_SECRET", "y")
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("gain → kingdee") && t.contains("STK_MISCELLANEOUS") && t.contains("STK_MisDelivery"), "{t}");
}

#[test]
fn retry_refuses_a_bad_state_and_an_unknown_key_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.jsonl"), "{\"id\":\"a\"}\n").unwrap();
    let scheme = "name: s\nsource: { connection: file, api: jsonl, params: { path: in.jsonl }, key: id }\ntargets:\n  out: { connection: file, api: jsonl, options: { path: out.jsonl }, mapping: { id: \"{{ id }}\" } }\n";
    std::fs::write(dir.path().join("s.yaml"), scheme).unwrap();
    let out = ferry(&["retry", "s.yaml", "--state", "written", "--data-dir", "d"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--state written: expected one of failed, dead"), "{}", text(&out));
    let out = ferry(&["retry", "s.yaml", "--key", "nope", "--data-dir", "d"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("the ledger of 's' has no record 'nope'"), "{}", text(&out));
    // Nothing failed: a retry is a clean no-op.
    assert_eq!(ferry(&["run", "s.yaml", "--data-dir", "d"], dir.path()).status.code(), Some(0));
    let out = ferry(&["retry", "s.yaml", "--data-dir", "d"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("retried           0"), "{}", text(&out));
}
