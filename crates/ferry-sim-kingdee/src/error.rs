//! Errors of the simulator's library API (never carrying a secret).

use std::path::PathBuf;

/// What can go wrong when starting or driving the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listening socket could not be bound.
    #[error("cannot bind the Kingdee simulator to {addr}: {source}")]
    Bind {
        /// Requested address.
        addr: std::net::SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// A data file (`--data`) or persisted data (`--persist`) could not be read.
    #[error("cannot load Kingdee simulator data from {path}: {reason}")]
    DataFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The persisted data could not be written.
    #[error("cannot persist Kingdee simulator data to {path}: {reason}")]
    Persist {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A mutator got a value the simulated account rejects (duplicate number, unknown unit, ...).
    #[error("{0}")]
    Invalid(String),
}
