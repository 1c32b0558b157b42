//! File-backed persistence (`--persist FILE`): the data set as JSON, written shortly after changes
//! (debounced) and at shutdown, through a temporary file and a rename so a crash never leaves half
//! a file. A restarted simulator loads it and keeps its bills.

use std::path::{Path, PathBuf};

use crate::error::SimError;
use crate::model::SimData;

/// Debounce between a change and the write.
pub(crate) const DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(200);

/// Loads persisted data when the file exists.
pub(crate) fn load(path: &Path) -> Result<Option<SimData>, SimError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice::<SimData>(&bytes)
            .map(|mut data| {
                data.reindex();
                Some(data)
            })
            .map_err(|e| SimError::DataFile {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SimError::DataFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

/// Writes serialized data atomically (temp file + rename).
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), SimError> {
    let err = |e: std::io::Error| SimError::Persist {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let tmp: PathBuf = {
        let mut name = path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".tmp");
        path.with_file_name(name)
    };
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kd.json");
        assert_eq!(load(&path).unwrap(), None);
        let data = crate::seed::generate(5, 3);
        write(&path, &serde_json::to_vec(&data).unwrap()).unwrap();
        assert_eq!(load(&path).unwrap(), Some(data));
        std::fs::write(&path, b"{broken").unwrap();
        assert!(load(&path).is_err());
    }
}
