//! Where Castmill keeps its data: the platform data directory (`~/.local/share/castmill` on
//! Linux), or `CASTMILL_DATA_DIR` when set (tests, portable installs).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

#[derive(Debug, Clone)]
pub struct DataDirs {
    root: PathBuf,
}

impl DataDirs {
    pub fn locate() -> Result<Self> {
        if let Some(dir) = std::env::var_os("CASTMILL_DATA_DIR") {
            return Ok(Self {
                root: PathBuf::from(dir),
            });
        }
        let dirs = directories::ProjectDirs::from("", "", "castmill").context("failed to find the home directory")?;
        Ok(Self {
            root: dirs.data_dir().to_owned(),
        })
    }

    /// Data kept under `root` (tests, portable installs).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Held by the desktop app while it runs (one per user).
    pub fn app_lock(&self) -> PathBuf {
        self.root.join("app.lock")
    }

    pub fn models(&self) -> PathBuf {
        self.root.join("models")
    }

    pub fn jobs(&self) -> PathBuf {
        self.root.join("jobs")
    }

    /// The speaker library: the voices people have named.
    pub fn speaker_library(&self) -> PathBuf {
        self.root.join("speakers.json")
    }

    /// Held while the speaker library is changed.
    pub fn speaker_library_lock(&self) -> PathBuf {
        self.root.join("speakers.lock")
    }

    /// Creates a folder (and its parents) readable by the user only.
    pub fn ensure_private(path: &Path) -> std::io::Result<()> {
        shared_ipc::atomic_file::create_private_dir(path)
    }
}
