//! The job lock. The running worker holds an exclusive `flock` on the job's lock file for its
//! whole life; the kernel drops it when the process dies, however it dies. "Is this job
//! running?" is answered by trying the lock, never by looking at a PID.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum LockError {
    #[error("job is already running (lock {path} is held)")]
    Held { path: PathBuf },
    #[error("failed to lock {path}")]
    Io { path: PathBuf, source: io::Error },
}

/// Held while alive; released on drop or process death.
#[derive(Debug)]
pub struct JobLock {
    _lock: Flock<File>,
}

impl JobLock {
    /// Takes the lock without waiting, and records our PID in it (for display only).
    pub fn try_acquire(path: &Path) -> Result<Self, LockError> {
        let io_err = |source| LockError::Io {
            path: path.to_owned(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io_err)?;
        let mut lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => lock,
            Err((_, Errno::EWOULDBLOCK)) => return Err(LockError::Held { path: path.to_owned() }),
            Err((_, errno)) => return Err(io_err(io::Error::from(errno))),
        };
        lock.set_len(0).map_err(io_err)?;
        writeln!(&mut *lock, "{}", std::process::id()).map_err(io_err)?;
        Ok(Self { _lock: lock })
    }

    /// True when some process holds the lock (the job is running).
    pub fn is_held(path: &Path) -> Result<bool, LockError> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(source) => {
                return Err(LockError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        match Flock::lock(file, FlockArg::LockSharedNonblock) {
            Ok(_released_on_drop) => Ok(false),
            Err((_, Errno::EWOULDBLOCK)) => Ok(true),
            Err((_, errno)) => Err(LockError::Io {
                path: path.to_owned(),
                source: errno.into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("lock");
        assert!(!JobLock::is_held(&path).expect("probe"));
        let first = JobLock::try_acquire(&path).expect("first");
        assert!(JobLock::is_held(&path).expect("probe"));
        assert!(matches!(JobLock::try_acquire(&path), Err(LockError::Held { .. })));
        drop(first);
        assert!(!JobLock::is_held(&path).expect("probe"));
        let _again = JobLock::try_acquire(&path).expect("again");
    }
}
