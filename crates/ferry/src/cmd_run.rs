//! `ferry run`: one run with live progress and a summary. The progress display and the summary
//! are shared with `ferry retry` and `ferry demo`.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use ferry_engine::{Job, Progress, RunReport};
use ferry_store::{RunCounts, RunStatus};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::Common;
use crate::load;

fn line(c: &RunCounts) -> String {
    format!("fetched {} · filtered {} · skipped {} · written {} · failed {}", c.fetched, c.filtered, c.skipped, c.written, c.failed)
}

/// Live progress: a spinner with the counts on a terminal, warnings only otherwise.
pub(crate) struct Live {
    bar: Option<ProgressBar>,
    /// Print warnings (a demo keeps them for its own sections).
    warnings: bool,
}

impl Live {
    pub(crate) fn new(quiet: bool, warnings: bool) -> Live {
        let bar = (std::io::stderr().is_terminal() && !quiet).then(|| {
            let pb = ProgressBar::new_spinner();
            pb.set_style(ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
            pb.enable_steady_tick(Duration::from_millis(120));
            pb
        });
        Live { bar, warnings }
    }
    /// Remove the spinner.
    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for Live {
    fn update(&self, c: &RunCounts) {
        if let Some(b) = &self.bar {
            b.set_message(line(c));
        }
    }
    fn warn(&self, m: &str) {
        if !self.warnings {
            return;
        }
        match &self.bar {
            Some(b) => b.println(format!("warning: {m}")),
            None => eprintln!("warning: {m}"),
        }
    }
}

/// The summary printed after a run or a retry.
pub(crate) fn print_summary(title: &str, report: &RunReport, fetched_label: &str, failures_hint: &str) {
    let c = &report.counts;
    let secs = report.elapsed.as_secs_f64();
    println!("{title}");
    println!("  {fetched_label:<9} {:>9}", c.fetched);
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
        println!("failures (first {}; all of them: {failures_hint}):", report.failures.len());
        for (t, k, m) in &report.failures {
            println!("  {t} · {k}: {m}");
        }
    }
}

/// Returns whether the run was clean (exit 0) or not (exit 1).
pub async fn run(path: &Path, quiet: bool, common: &Common) -> anyhow::Result<bool> {
    let l = load::scheme(path, common)?;
    let engine = load::engine(common, l.connections.clone()).await?;
    let job = Job { id: &l.id, scheme: &l.scheme, definition: &l.text, base_dir: &l.base_dir };
    let live = Live::new(quiet, true);
    let report = engine.run(&job, &live).await;
    live.finish();
    let report = report?;
    let title = format!("{} — run {} of '{}'", l.scheme.name, report.run_id, l.id);
    print_summary(&title, &report, "fetched", &format!("ferry ledger {} --state failed", path.display()));
    Ok(report.status == RunStatus::Succeeded)
}
