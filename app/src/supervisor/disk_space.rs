//! Room on the disk that holds the job's records (checkpoint, journals, log). When it runs
//! low the job is held — paused, with the reason said — rather than failing the next commit
//! and ending as a job that "could not be run"; it goes on by itself once there is room.

use std::path::{Path, PathBuf};

/// Below this much free space a job is held (a commit needs kilobytes; this leaves room for
/// the log and an hour of journal).
pub const LOW: u64 = 64 * 1024 * 1024;
/// A held job goes on once this much is free again, so it does not flap at the edge.
pub const ENOUGH: u64 = 2 * LOW;

/// What changed after a reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskChange {
    /// Too little room: hold the job, saying why.
    Hold { reason: String },
    /// Room again: let it go on.
    Release,
}

/// Tells from successive readings when to hold the job and when to let it go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskWatch {
    /// The folder whose disk is watched (named in the reason).
    folder: PathBuf,
    held: bool,
}

impl DiskWatch {
    pub fn new(folder: &Path) -> Self {
        Self {
            folder: folder.to_owned(),
            held: false,
        }
    }

    /// The folder whose disk is watched.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Takes in a reading of the free bytes.
    pub fn update(&mut self, free: u64) -> Option<DiskChange> {
        match (self.held, free) {
            (false, free) if free < LOW => {
                self.held = true;
                Some(DiskChange::Hold {
                    reason: format!(
                        "{}; free some space and the job goes on by itself",
                        low_space(&self.folder, free)
                    ),
                })
            }
            (true, free) if free >= ENOUGH => {
                self.held = false;
                Some(DiskChange::Release)
            }
            _ => None,
        }
    }
}

/// "the disk holding … has only 12 MB free": the words for a disk too full to go on.
pub fn low_space(folder: &Path, free: u64) -> String {
    format!(
        "the disk holding {} has only {} MB free (Castmill needs {} MB there)",
        folder.display(),
        free / 1_000_000,
        ENOUGH / 1_000_000
    )
}

/// Free bytes for an unprivileged user on the disk holding `path` (or, when `path` does not
/// exist yet, the nearest folder above it that does); `None` when it cannot be read.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let existing = path.ancestors().find(|p| p.exists())?;
    let stats = nix::sys::statvfs::statvfs(existing).ok()?;
    Some(stats.blocks_available() as u64 * stats.fragment_size() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    #[test]
    fn holds_when_low_and_goes_on_only_with_room_to_spare() {
        let mut watch = DiskWatch::new(Path::new("/data/jobs/1"));
        assert_eq!(watch.update(500 * MB), None);
        let Some(DiskChange::Hold { reason }) = watch.update(20 * MB) else {
            panic!("not held")
        };
        assert!(reason.contains("/data/jobs/1 has only 20 MB free"), "{reason}");
        assert_eq!(watch.update(10 * MB), None, "held once");
        assert_eq!(watch.update(LOW + MB), None, "just above the edge is not enough");
        assert_eq!(watch.update(ENOUGH), Some(DiskChange::Release));
        assert_eq!(watch.update(ENOUGH), None);
    }

    #[test]
    fn free_space_is_read_from_the_nearest_existing_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("not/yet/made");
        assert!(free_bytes(&missing).is_some_and(|free| free > 0));
    }
}
