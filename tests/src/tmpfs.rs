//! Small file systems for tests of read-only and full output folders (mounting needs root).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for one test, unmounted when dropped, even by a failing assertion.
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Whether this process cannot mount file systems (not root); says so on stderr, for
    /// the tests that need one and skip.
    pub fn unavailable() -> bool {
        let unavailable = !nix::unistd::geteuid().is_root();
        if unavailable {
            eprintln!("skipped: mounting test file systems needs root");
        }
        unavailable
    }

    pub fn mount(at: &Path, options: &str) -> Self {
        std::fs::create_dir_all(at).expect("mkdir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "castmill-test"])
            .arg(at)
            .status();
        assert!(
            matches!(mounted, Ok(s) if s.success()),
            "cannot mount a tmpfs at {}",
            at.display()
        );
        Self(at.to_owned())
    }

    /// Remounts with new options (e.g. `rw` to make a read-only one writable).
    pub fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .expect("run mount");
        assert!(status.success(), "remount {options} failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}
