//! `ferry preview`: what a run would send, written nowhere.

use std::path::Path;

use ferry_engine::Job;

use crate::cli::Common;
use crate::load;

pub async fn run(path: &Path, limit: usize, target: Option<&str>, common: &Common) -> anyhow::Result<()> {
    let l = load::scheme(path, common)?;
    if let Some(t) = target
        && l.scheme.target(t).is_none() {
            let names: Vec<&str> = l.scheme.targets.iter().map(|t| t.name.as_str()).collect();
            return Err(load::BadInput(format!("--target {t}: the scheme has no such target (it has {})", names.join(", "))).into());
        }
    let engine = load::engine(common, l.connections.clone()).await?;
    let job = Job { id: &l.id, scheme: &l.scheme, definition: &l.text, base_dir: &l.base_dir };
    let (items, warnings) = engine.preview(&job, limit).await?;
    let (mut models, mut other) = (0, 0);
    for it in items.iter().filter(|i| target.is_none_or(|t| i.target == t || i.target == "*")) {
        match &it.outcome {
            Ok(v) => {
                models += 1;
                println!("── {} · {}", it.target, it.key);
                println!("{}", serde_json::to_string_pretty(v)?);
            }
            Err(why) => {
                other += 1;
                println!("── {} · {} — {why}", it.target, it.key);
            }
        }
    }
    for w in warnings {
        eprintln!("warning: {w}");
    }
    eprintln!("preview: {models} model(s), {other} record(s) without a model; nothing was written");
    Ok(())
}
