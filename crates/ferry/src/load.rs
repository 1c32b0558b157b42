//! Loading what a command needs: the scheme (validated against the connections' metadata), the
//! connections, the store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_core::scheme::Scheme;
use ferry_engine::{Connections, Engine, EngineCatalog};
use ferry_store::SqliteStore;

use crate::cli::Common;

/// Bad input: printed as is, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

pub struct Loaded {
    pub scheme: Scheme,
    pub text: String,
    pub id: String,
    pub base_dir: PathBuf,
    pub connections: Connections,
}

pub fn scheme(path: &Path, common: &Common) -> Result<Loaded, BadInput> {
    let text = std::fs::read_to_string(path).map_err(|e| BadInput(format!("{}: cannot read the scheme: {e}", path.display())))?;
    let base_dir = path.parent().map(Path::to_path_buf).filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| PathBuf::from("."));
    let connections = Connections::discover(common.connections.as_deref(), &base_dir).map_err(|e| match e {
        ferry_engine::connections::ConnectionsError::Invalid(inv) => BadInput(inv.0.to_string().trim_end().to_owned()),
        other => BadInput(other.to_string()),
    })?;
    let file = path.display().to_string();
    let scheme = Scheme::load(&file, &text, &EngineCatalog { connections: &connections })
        .map_err(|inv| BadInput(format!("{}\n{} error(s); nothing was run.", inv.0.to_string().trim_end(), inv.0.len())))?;
    let id = match &common.id {
        Some(id) => id.clone(),
        None => path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| scheme.name.clone()),
    };
    Ok(Loaded { scheme, text, id, base_dir, connections })
}

pub async fn engine(common: &Common, connections: Connections) -> anyhow::Result<Engine> {
    let store = SqliteStore::open(&common.data_dir).await?;
    Ok(Engine::new(Arc::new(store), connections))
}
