//! Errors of the simulator's library API.

use std::path::PathBuf;

/// An error from starting or driving the simulator (not a gateway error envelope: those are
/// answered to clients as JSON).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listening socket could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration is invalid; the message names the field.
    #[error("invalid simulator config: {0}")]
    InvalidConfig(String),
    /// The data file could not be read or parsed.
    #[error("cannot load data file {path}: {message}")]
    DataFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A record given to the simulator is invalid.
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    /// No stocktake has this `stocktakeId`.
    #[error("no stocktake with stocktakeId {0}")]
    StocktakeNotFound(String),
}
