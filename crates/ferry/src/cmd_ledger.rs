//! `ferry ledger`: the per-record ledger of a scheme.

use std::path::Path;

use ferry_store::{LedgerFilter, LedgerState};

use crate::cli::Common;
use crate::load;

pub struct LedgerArgs<'a> {
    pub state: Option<&'a str>,
    pub key: Option<&'a str>,
    pub target: Option<&'a str>,
    pub limit: u32,
    pub json: bool,
}

pub async fn run(path: &Path, a: LedgerArgs<'_>, common: &Common) -> anyhow::Result<()> {
    let state = match a.state {
        None => None,
        Some(s) => Some(LedgerState::parse(s).ok_or_else(|| {
            let all: Vec<&str> = LedgerState::ALL.iter().map(|s| s.as_str()).collect();
            load::BadInput(format!("--state {s}: expected one of {}", all.join(", ")))
        })?),
    };
    let l = load::scheme(path, common)?;
    let engine = load::engine(common, l.connections.clone()).await?;
    let store = &engine.store;
    let counts = store.ledger_counts(&l.id).await?;
    let rows = store
        .ledger_list(&LedgerFilter {
            scheme: l.id.clone(),
            target: a.target.map(str::to_owned),
            state,
            key: a.key.map(str::to_owned),
            limit: a.limit,
            offset: 0,
        })
        .await?;
    if a.json {
        for r in &rows {
            println!("{}", serde_json::to_string(r)?);
        }
        return Ok(());
    }
    let summary: Vec<String> = counts.iter().map(|(t, s, n)| format!("{t}/{s} {n}")).collect();
    println!("ledger of '{}': {}", l.id, if summary.is_empty() { "empty".to_owned() } else { summary.join(" · ") });
    println!("{:<10} {:<24} {:<9} {:>3} {:<24} {:<19} error", "target", "key", "state", "try", "target number", "updated (Beijing)");
    for r in &rows {
        let when = jiff::Timestamp::from_millisecond(r.updated_at)
            .map(|t| t.to_zoned(ferry_core::mapping::functions::beijing()).strftime("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        println!(
            "{:<10} {:<24} {:<9} {:>3} {:<24} {:<19} {}",
            r.target,
            r.key,
            r.state.as_str(),
            r.attempts,
            r.target_number.as_deref().unwrap_or("-"),
            when,
            r.last_error.as_deref().unwrap_or("")
        );
    }
    if rows.len() as u32 == a.limit && a.limit > 0 {
        println!("… first {} rows; --limit 0 shows all", a.limit);
    }
    Ok(())
}
