//! `ferry validate`.

use std::path::Path;

use crate::cli::Common;
use crate::load;

pub fn run(path: &Path, common: &Common) -> Result<(), load::BadInput> {
    let l = load::scheme(path, common)?;
    let s = &l.scheme;
    println!("{}: ok — {}", path.display(), s.name);
    println!("  source  {} · {} {}", s.source.connection, s.source.system, s.source.api);
    for t in &s.targets {
        let form = t.form.as_deref().map(|f| format!(" {f}")).unwrap_or_default();
        println!("  target  {} → {} · {} {}{} (batch {})", t.name, t.connection, t.system, t.api, form, t.batch);
    }
    println!("  ledger id  {}", l.id);
    Ok(())
}
