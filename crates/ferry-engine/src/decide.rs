//! The ledger check: given what the ledger holds for a record and target, what to do with it now.

use ferry_core::scheme::OnChange;
use ferry_store::{LedgerEntry, LedgerState};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Map and write it.
    Write,
    /// Map it and send it as a new version of the document written before (`on_change: update`).
    Update,
    /// It changed after it was written and the policy says that is a failure (`on_change: fail`).
    FailChanged,
    /// A filter dropped it: record `filtered`.
    Filter,
    /// Nothing to do (already written with this content, or waiting for a person).
    Skip(SkipReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Written before with the same content.
    Unchanged,
    /// Written before; the source changed since; `on_change: skip` keeps the written document.
    ChangedAfterWrite,
    /// Filtered before with the same content.
    StillFiltered,
    /// A write is unresolved (in doubt) and needs reconciliation first.
    InDoubt,
    /// Failed too often; re-pushed only by hand.
    Dead,
}

/// `passes`: whether the source's and the target's filters keep the record.
pub fn decide(existing: Option<&LedgerEntry>, hash: &str, passes: bool, on_change: OnChange) -> Decision {
    let Some(e) = existing else {
        return if passes { Decision::Write } else { Decision::Filter };
    };
    let same = e.hash == hash;
    match e.state {
        LedgerState::Written if same => Decision::Skip(SkipReason::Unchanged),
        LedgerState::Written => match on_change {
            OnChange::Skip => Decision::Skip(SkipReason::ChangedAfterWrite),
            OnChange::Update if passes => Decision::Update,
            // A written document the filters now drop is left as it is.
            OnChange::Update => Decision::Skip(SkipReason::ChangedAfterWrite),
            OnChange::Fail => Decision::FailChanged,
        },
        LedgerState::InDoubt | LedgerState::InFlight => Decision::Skip(SkipReason::InDoubt),
        LedgerState::Dead if same => Decision::Skip(SkipReason::Dead),
        LedgerState::Filtered if same => Decision::Skip(SkipReason::StillFiltered),
        // New content, a filtered record that changed, a failure to try again, a dead record whose
        // source was fixed:
        LedgerState::New | LedgerState::Filtered | LedgerState::Failed | LedgerState::Dead => {
            if passes { Decision::Write } else { Decision::Filter }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(state: LedgerState, hash: &str) -> LedgerEntry {
        LedgerEntry {
            scheme: "s".into(),
            target: "t".into(),
            key: "k".into(),
            hash: hash.into(),
            state,
            idem_key: None,
            target_id: None,
            target_number: None,
            attempts: 1,
            last_error: None,
            run_id: None,
            created_at: 0,
            updated_at: 0,
            payload: None,
        }
    }

    /// Every state × same/changed hash × passes/filtered.
    #[test]
    fn ledger_state_transitions() {
        use Decision::*;
        use LedgerState as S;
        use SkipReason as R;
        let cases = [
            (None, true, true, Write),
            (None, true, false, Filter),
            (Some(S::Written), true, true, Skip(R::Unchanged)),
            (Some(S::Written), true, false, Skip(R::Unchanged)),
            (Some(S::Written), false, true, Skip(R::ChangedAfterWrite)),
            (Some(S::Filtered), true, false, Skip(R::StillFiltered)),
            (Some(S::Filtered), true, true, Skip(R::StillFiltered)),
            (Some(S::Filtered), false, true, Write),
            (Some(S::Filtered), false, false, Filter),
            (Some(S::Failed), true, true, Write),
            (Some(S::Failed), false, true, Write),
            (Some(S::Failed), true, false, Filter),
            (Some(S::InDoubt), true, true, Skip(R::InDoubt)),
            (Some(S::InFlight), false, true, Skip(R::InDoubt)),
            (Some(S::Dead), true, true, Skip(R::Dead)),
            (Some(S::Dead), false, true, Write),
            (Some(S::New), true, true, Write),
        ];
        for (state, same, passes, want) in cases {
            let e = state.map(|s| entry(s, "h1"));
            let hash = if same { "h1" } else { "h2" };
            assert_eq!(decide(e.as_ref(), hash, passes, OnChange::Skip), want, "{state:?} same={same} passes={passes}");
        }
        let w = entry(S::Written, "h1");
        assert_eq!(decide(Some(&w), "h2", true, OnChange::Update), Update);
        assert_eq!(decide(Some(&w), "h2", false, OnChange::Update), Skip(R::ChangedAfterWrite));
        assert_eq!(decide(Some(&w), "h1", true, OnChange::Update), Skip(R::Unchanged));
        assert_eq!(decide(Some(&w), "h2", true, OnChange::Fail), FailChanged);
        assert_eq!(decide(Some(&w), "h1", true, OnChange::Fail), Skip(R::Unchanged));
    }
}
