//! `ferry retry`: write failed records again after their cause was fixed.

use std::path::Path;

use ferry_engine::{Job, RetrySelector};
use ferry_store::{LedgerFilter, LedgerState, RunStatus};

use crate::cli::Common;
use crate::cmd_run::{Live, print_summary};
use crate::load;

/// `--state` values a retry accepts. (In-doubt records are reconciled with the target at the start
/// of every run and retry: found → written, not found → failed, then retried.)
const RETRY_STATES: [LedgerState; 2] = [LedgerState::Failed, LedgerState::Dead];

/// The selector of `--key` / `--state` (default: failed and dead records).
pub fn selector(key: Option<&str>, state: Option<&str>) -> Result<RetrySelector, load::BadInput> {
    let mut sel = RetrySelector { key: key.map(str::to_owned), ..RetrySelector::default() };
    if let Some(s) = state {
        let st = LedgerState::parse(s).filter(|st| RETRY_STATES.contains(st)).ok_or_else(|| {
            let all: Vec<&str> = RETRY_STATES.iter().map(|s| s.as_str()).collect();
            load::BadInput(format!("--state {s}: expected one of {}", all.join(", ")))
        })?;
        sel.states = vec![st];
    }
    Ok(sel)
}

/// Returns whether every retried record was written (exit 0) or not (exit 1).
pub async fn run(path: &Path, key: Option<&str>, state: Option<&str>, quiet: bool, common: &Common) -> anyhow::Result<bool> {
    let sel = selector(key, state)?;
    let l = load::scheme(path, common)?;
    let engine = load::engine(common, l.connections.clone()).await?;
    if let Some(k) = key {
        let filter = LedgerFilter { scheme: l.id.clone(), key: Some(k.to_owned()), limit: 1, ..LedgerFilter::default() };
        if engine.store.ledger_list(&filter).await?.is_empty() {
            return Err(load::BadInput(format!("the ledger of '{}' has no record '{k}'", l.id)).into());
        }
    }
    let job = Job { id: &l.id, scheme: &l.scheme, definition: &l.text, base_dir: &l.base_dir };
    let live = Live::new(quiet, true);
    let report = engine.retry(&job, &sel, &live).await;
    live.finish();
    let report = report?;
    let title = format!("{} — retry (run {}) of '{}'", l.scheme.name, report.run_id, l.id);
    print_summary(&title, &report, "retried", &format!("ferry ledger {} --state failed", path.display()));
    Ok(report.status == RunStatus::Succeeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        let s = selector(None, None).unwrap();
        assert_eq!((s.key, s.states), (None, vec![LedgerState::Failed, LedgerState::Dead]));
        let s = selector(Some("PD1"), None).unwrap();
        assert_eq!((s.key.as_deref(), s.states), (Some("PD1"), RETRY_STATES.to_vec()));
        let s = selector(None, Some("dead")).unwrap();
        assert_eq!(s.states, vec![LedgerState::Dead]);
        let e = selector(None, Some("written")).unwrap_err().to_string();
        assert!(e.contains("expected one of failed, dead"), "{e}");
    }
}
