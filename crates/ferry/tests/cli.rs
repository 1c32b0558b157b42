//! The `ferry` command as a user runs it: exit codes, messages, a run twice, the ledger.

use std::path::Path;
use std::process::{Command, Output};

fn ferry(args: &[&str], data_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .env("FERRY_DATA_DIR", data_dir)
        .env_remove("FERRY_CONNECTIONS")
        .output()
        .expect("runs ferry")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const BAD: &str = r#"name: three mistakes
source:
  connection: file
  api: jsonl
  params: { path: in.jsonl }
  key: id
targets:
  out:
    connection: file
    api: jsonl
    batchh: 10
    options: { path: out.jsonl }
    mapping:
      a: "{{ lookupp('t', id) }}"
      b: "{{ id | uper }}"
"#;

#[test]
fn validate_reports_every_mistake_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let scheme = dir.path().join("bad.yaml");
    std::fs::write(&scheme, BAD).unwrap();
    let o = ferry(&["validate", scheme.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    let file = scheme.display().to_string();
    assert!(t.contains(&format!("{file}:11:5 targets.out.batchh: unknown key 'batchh' (did you mean 'batch'?)")), "{t}");
    assert!(t.contains(&format!("{file}:14:10 targets.out.mapping.a: unknown function 'lookupp' (did you mean 'lookup'?)")), "{t}");
    assert!(t.contains(&format!("{file}:15:10 targets.out.mapping.b: unknown filter 'uper' (did you mean 'upper'?)")), "{t}");
    assert!(t.contains("3 error(s); nothing was run."), "{t}");
}

#[test]
fn a_missing_file_and_a_bad_flag_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let o = ferry(&["validate", "/nonexistent/scheme.yaml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("/nonexistent/scheme.yaml: cannot read the scheme"), "{}", text(&o));
    let o = ferry(&["ledger", "x.yaml", "--state", "wrotten"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--state wrotten: expected one of new, filtered, in_flight, written, failed, in_doubt, dead"), "{}", text(&o));
}

#[test]
fn the_example_runs_twice_and_writes_once() {
    let dir = tempfile::tempdir().unwrap();
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/file-to-file");
    for f in ["stocktakes-to-other-inbound.yaml", "stocktakes.jsonl"] {
        std::fs::copy(ex.join(f), dir.path().join(f)).unwrap();
    }
    let scheme = dir.path().join("stocktakes-to-other-inbound.yaml");
    let s = scheme.to_str().unwrap();
    let data = dir.path().join("data");
    let o = ferry(&["run", s], &data);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("fetched         200") && t.contains("written         180") && t.contains("filtered         20"), "{t}");
    let o = ferry(&["run", s], &data);
    let t = text(&o);
    assert!(t.contains("written           0") && t.contains("skipped         180"), "{t}");
    let out = std::fs::read_to_string(dir.path().join("out/other-inbound.jsonl")).unwrap();
    assert_eq!(out.lines().count(), 180);
    let o = ferry(&["ledger", s, "--key", "PD20240502000001"], &data);
    let t = text(&o);
    assert!(t.contains("gain/written 180") && t.contains("PD20240502000001") && t.contains("PD20240502000001-GAIN"), "{t}");
    let o = ferry(&["preview", s, "--limit", "1"], &data);
    let t = text(&o);
    assert!(t.contains("\"FBillNo\": \"PD20240501000000-GAIN\"") || t.contains("filtered by source.where"), "{t}");
}

#[test]
fn help_exists_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["validate", "preview", "run", "ledger", "sim"] {
        let o = ferry(&[cmd, "--help"], dir.path());
        assert_eq!(o.status.code(), Some(0), "{cmd}: {}", text(&o));
        assert!(text(&o).contains("Usage: ferry"), "{cmd}");
    }
}
