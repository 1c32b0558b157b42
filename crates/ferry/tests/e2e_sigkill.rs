//! Crash safety of the seed scheme: `ferry run` (a child process) is killed with SIGKILL at
//! random moments, then run again; Kingdee must end up with every expected bill exactly once.
//! 20 trials, bounded in time; the kill moments come from a fixed-seed SplitMix64.

mod e2e_support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e_support::*;
use ferry_sim_kingdee::{Faults, KingdeeSimConfig};
use ferry_store::{LedgerState, SqliteStore, Store};

const TRIALS: usize = 20;
/// The whole test stops starting new trials after this.
const BUDGET: Duration = Duration::from_secs(240);

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn ferry_run(conns: &Path, data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ferry"));
    c.arg("run")
        .arg(scheme_path())
        .arg("--quiet")
        .arg("--connections")
        .arg(conns)
        .arg("--data-dir")
        .arg(data)
        .env_remove("FERRY_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Run to the end (in a blocking thread: the simulators keep serving on the runtime).
async fn run_to_end(conns: &Path, data: &Path) -> (Duration, std::process::Output) {
    let mut cmd = ferry_run(conns, data);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("ferry runs")).await.unwrap();
    (started.elapsed(), out)
}

/// Rows left in flight by a killed run (read between runs).
async fn in_flight(data: &Path) -> usize {
    let store = SqliteStore::open(data).await.unwrap();
    let n = in_state(&store as &dyn Store, LedgerState::InFlight).await.len();
    store.close().await;
    n
}

fn kingdee_config() -> KingdeeSimConfig {
    // A little latency per call so that kills land during writes, not only between them.
    KingdeeSimConfig { faults: Faults { latency_ms: 15, ..Faults::default() }, ..KingdeeSimConfig::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_leaves_no_missing_and_no_duplicate_bill() {
    let started = Instant::now();
    let jackyun = start_jackyun(300, 7).await;
    let exp = expected(&jackyun.stocktakes());

    // Calibrate: how long a whole run takes here.
    let calib = start_kingdee(kingdee_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let conns = dir.path().join("connections.yaml");
    std::fs::write(&conns, connections_yaml(&jackyun, &calib)).unwrap();
    let (full, out) = run_to_end(&conns, &dir.path().join("data")).await;
    assert_eq!(out.status.code(), Some(1), "a partial run (the planted failures)");
    assert_exactly(&calib, &exp.bills);
    let full_ms = full.as_millis() as u64;

    let mut rng = SplitMix64(0x5eed);
    let (mut trials, mut kills, mut mid_write) = (0, 0, 0);
    while trials < TRIALS && started.elapsed() < BUDGET {
        trials += 1;
        let kingdee = start_kingdee(kingdee_config()).await;
        let dir = tempfile::tempdir().unwrap();
        let conns = dir.path().join("connections.yaml");
        let data = dir.path().join("data");
        std::fs::write(&conns, connections_yaml(&jackyun, &kingdee)).unwrap();
        for _ in 0..1 + rng.below(3) {
            let mut child = ferry_run(&conns, &data).spawn().expect("ferry starts");
            tokio::time::sleep(Duration::from_millis(rng.below(full_ms))).await;
            child.kill().expect("SIGKILL");
            child.wait().unwrap();
            kills += 1;
            if in_flight(&data).await > 0 {
                mid_write += 1;
            }
            // Never a bill twice, whatever moment the kill hit.
            held(&kingdee);
        }
        let (_, out) = run_to_end(&conns, &data).await;
        // 1 when this run met the planted failures, 0 when an earlier (killed) run already had.
        assert!(matches!(out.status.code(), Some(0 | 1)), "trial {trials}: {:?} {}", out.status, String::from_utf8_lossy(&out.stdout));
        assert_exactly(&kingdee, &exp.bills);
        let store = SqliteStore::open(&data).await.unwrap();
        assert_eq!(in_state(&store, LedgerState::Failed).await, exp.failures, "trial {trials}: only the planted failures");
        assert!(in_state(&store, LedgerState::InDoubt).await.is_empty(), "trial {trials}: nothing in doubt");
        store.close().await;
        let _ = kingdee.shutdown().await;
    }
    eprintln!("{trials} trials, {kills} kills, {mid_write} with records in flight, full run {full_ms} ms, {:.1} s", started.elapsed().as_secs_f64());
    assert!(trials >= 5, "at least 5 trials within the time bound");
    assert!(mid_write > 0, "some kills landed while records were in flight");
}
