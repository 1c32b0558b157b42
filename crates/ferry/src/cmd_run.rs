//! `ferry run`: one run with live progress and a summary.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use ferry_engine::{Job, Progress};
use ferry_store::{RunCounts, RunStatus};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::Common;
use crate::load;

struct Bar(ProgressBar);

fn line(c: &RunCounts) -> String {
    format!("fetched {} · filtered {} · skipped {} · written {} · failed {}", c.fetched, c.filtered, c.skipped, c.written, c.failed)
}

impl Progress for Bar {
    fn update(&self, c: &RunCounts) {
        self.0.set_message(line(c));
    }
    fn warn(&self, m: &str) {
        self.0.println(format!("warning: {m}"));
    }
}

struct Plain;

impl Progress for Plain {
    fn warn(&self, m: &str) {
        eprintln!("warning: {m}");
    }
}

/// Returns whether the run was clean (exit 0) or not (exit 1).
pub async fn run(path: &Path, quiet: bool, common: &Common) -> anyhow::Result<bool> {
    let l = load::scheme(path, common)?;
    let engine = load::engine(common, l.connections.clone()).await?;
    let job = Job { id: &l.id, scheme: &l.scheme, definition: &l.text, base_dir: &l.base_dir };
    let tty = std::io::stderr().is_terminal() && !quiet;
    let report = if tty {
        let pb = ProgressBar::new_spinner();
        pb.set_style(ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
        pb.enable_steady_tick(Duration::from_millis(120));
        let bar = Bar(pb);
        let r = engine.run(&job, &bar).await;
        bar.0.finish_and_clear();
        r?
    } else {
        engine.run(&job, &Plain).await?
    };
    let c = &report.counts;
    let secs = report.elapsed.as_secs_f64();
    println!("{} — run {} of '{}'", l.scheme.name, report.run_id, l.id);
    println!("  fetched   {:>9}", c.fetched);
    println!("  filtered  {:>9}", c.filtered);
    println!("  skipped   {:>9}   (already written, unchanged)", c.skipped);
    println!("  written   {:>9}", c.written);
    println!("  failed    {:>9}", c.failed);
    println!("  elapsed   {secs:>9.2} s ({:.0} records/s)", c.fetched as f64 / secs.max(1e-9));
    println!("  status    {}", report.status.as_str());
    if let Some(e) = &report.error {
        println!("  stopped   {e}");
    }
    if !report.failures.is_empty() {
        println!("failures (first {}; all of them: ferry ledger {} --state failed):", report.failures.len(), path.display());
        for (t, k, m) in &report.failures {
            println!("  {t} · {k}: {m}");
        }
    }
    Ok(report.status == RunStatus::Succeeded)
}
