//! The layout of a job folder, so the worker and the app name the same files.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFolder {
    root: PathBuf,
}

impl JobFolder {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The job's ID: its folder's name.
    pub fn id(&self) -> String {
        self.root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The immutable job spec.
    pub fn spec(&self) -> PathBuf {
        self.root.join("job.json")
    }

    pub fn checkpoint(&self) -> PathBuf {
        self.root.join("checkpoint")
    }

    pub fn journals_dir(&self) -> PathBuf {
        self.root.join("journals")
    }

    /// Segment journal of the input at `index`.
    pub fn journal(&self, index: usize) -> PathBuf {
        self.journals_dir().join(format!("{index}.journal"))
    }

    /// What each episode's summary stage kept for the Map of Content.
    pub fn knowledge_dir(&self) -> PathBuf {
        self.root.join("knowledge")
    }

    /// The summary stage's record of the input at `index`.
    pub fn episode_record(&self, index: usize) -> PathBuf {
        self.knowledge_dir().join(format!("{index}.json"))
    }

    /// What the speakers stage found, per input.
    pub fn speakers_dir(&self) -> PathBuf {
        self.root.join("speakers")
    }

    /// The speakers stage's record of the input at `index`.
    pub fn speaker_record(&self, index: usize) -> PathBuf {
        self.speakers_dir().join(format!("{index}.json"))
    }

    /// Held (flock) by the running worker for its whole life.
    pub fn lock(&self) -> PathBuf {
        self.root.join("lock")
    }

    /// The worker's stderr, kept by the app.
    pub fn log(&self) -> PathBuf {
        self.root.join("worker.log")
    }
}
