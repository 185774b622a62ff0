//! One desktop app per user: the window holds an exclusive lock on `<data>/app.lock` for its
//! whole life, so a second launch is told plainly instead of a second supervisor fighting
//! over the same jobs. The kernel drops the lock however the app ends.

use std::path::PathBuf;

use shared_ipc::{JobLock, LockError};
use thiserror::Error;

use crate::data_dirs::DataDirs;

#[derive(Debug, Error)]
pub enum InstanceError {
    #[error("Castmill is already open{} (lock {path}); use that window, or close it first", .pid.map(|p| format!(" (process {p})")).unwrap_or_default())]
    AlreadyOpen { path: PathBuf, pid: Option<u32> },
    #[error("failed to create the data folder {path}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Lock(LockError),
}

/// Held while the app runs.
#[derive(Debug)]
pub struct InstanceLock {
    _lock: JobLock,
}

impl InstanceLock {
    pub fn acquire(dirs: &DataDirs) -> Result<Self, InstanceError> {
        DataDirs::ensure_private(dirs.root()).map_err(|source| InstanceError::DataDir {
            path: dirs.root().to_owned(),
            source,
        })?;
        let path = dirs.app_lock();
        match JobLock::try_acquire(&path) {
            Ok(lock) => Ok(Self { _lock: lock }),
            Err(LockError::Held { .. }) => {
                // The holder wrote its PID into the file; shown to help, never trusted.
                let pid = std::fs::read_to_string(&path).ok().and_then(|s| s.trim().parse().ok());
                Err(InstanceError::AlreadyOpen { path, pid })
            }
            Err(e) => Err(InstanceError::Lock(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_is_refused_with_the_first_ones_pid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dirs = DataDirs::at(dir.path().join("data"));
        let first = InstanceLock::acquire(&dirs).expect("first");
        match InstanceLock::acquire(&dirs) {
            Err(InstanceError::AlreadyOpen { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("second instance allowed: {other:?}"),
        }
        drop(first);
        InstanceLock::acquire(&dirs).expect("free again once the first has gone");
    }
}
