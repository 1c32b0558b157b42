//! The official Kingdee Python SDK (PyPI `kingdee-cdp-webapi-sdk`) against Ferry's simulator:
//! runs `tests/python/sdk_roundtrip.py` with the Python named by `FERRY_PY`.
//!
//! Set-up (the project's test script does this):
//! ```sh
//! python3 -m venv .venv && .venv/bin/pip install kingdee-cdp-webapi-sdk
//! cargo build -p ferry                      # the standalone `ferry sim kingdee`
//! FERRY_PY=$PWD/.venv/bin/python cargo test -p ferry-connectors --test kingdee_python_sdk
//! ```
//! The script starts the `ferry` binary (`FERRY_BIN`, else `target/debug/ferry`) on a free port.
//! When that binary has not been built, the test serves the simulator in-process instead and hands
//! the script its URL, so the SDK is still exercised.

use std::path::PathBuf;
use std::process::Command;

/// Credentials the script expects (see `ACCT_ID`, `USER`, `APP_ID`, `APP_SECRET` there).
fn sim_config() -> ferry_sim_kingdee::KingdeeSimConfig {
    ferry_sim_kingdee::KingdeeSimConfig {
        acct_id: "ferry-sdk-acct".into(),
        user: "demo".into(),
        app_id: "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef".into(),
        app_secret: "0123456789abcdef0123456789abcdef".into(),
        ..Default::default()
    }
}

fn ferry_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FERRY_BIN") {
        return Some(PathBuf::from(p));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let bin = target.join("debug").join(if cfg!(windows) { "ferry.exe" } else { "ferry" });
    bin.is_file().then_some(bin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_round_trip() {
    let Some(py) = std::env::var_os("FERRY_PY").map(PathBuf::from) else {
        panic!(
            "FERRY_PY is not set. This test runs the official Kingdee Python SDK against the simulator; set it up with\n  \
             python3 -m venv .venv && .venv/bin/pip install kingdee-cdp-webapi-sdk\n  \
             export FERRY_PY=$PWD/.venv/bin/python\n\
             (the project's test script does both)"
        );
    };
    assert!(py.exists(), "FERRY_PY={} does not exist: create the venv (python3 -m venv .venv && .venv/bin/pip install kingdee-cdp-webapi-sdk)", py.display());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/sdk_roundtrip.py");

    // Keep the in-process simulator alive until the script is done.
    let mut _sim = None;
    let args: Vec<String> = match ferry_binary() {
        Some(bin) => vec!["--ferry".into(), bin.display().to_string()],
        None => {
            eprintln!("no ferry binary (build it with `cargo build -p ferry` or set FERRY_BIN): serving the simulator in-process");
            let sim = ferry_sim_kingdee::start(sim_config(), "127.0.0.1:0".parse().unwrap()).await.expect("simulator starts");
            let url = sim.base_url();
            _sim = Some(sim);
            vec!["--url".into(), url]
        }
    };
    let out = tokio::task::spawn_blocking(move || Command::new(&py).arg(&script).args(&args).output())
        .await
        .expect("the script runs")
        .expect("python starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    if stderr.contains("No module named 'k3cloud_webapi_sdk'") {
        panic!("the SDK is not installed in FERRY_PY's environment: <venv>/bin/pip install kingdee-cdp-webapi-sdk\n{stderr}");
    }
    assert!(out.status.success(), "the SDK round trip failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("sdk_roundtrip: 8 passed, 0 failed"), "{stdout}");
}
