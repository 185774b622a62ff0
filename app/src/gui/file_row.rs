//! One input of a job as the window shows it: its status, its summary's, its length and how
//! much of it is done.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub enum FileStatus {
    Waiting,
    Working,
    Done { outputs: Vec<PathBuf> },
    Failed { reason: String },
    Skipped,
}

/// The episode's note (summary, key topics, related episodes).
#[derive(Debug, Clone, PartialEq)]
pub enum SummaryStatus {
    None,
    Done {
        note: PathBuf,
    },
    Failed {
        reason: String,
    },
    /// The user skipped it.
    Skipped,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    pub input: PathBuf,
    pub status: FileStatus,
    pub summary: SummaryStatus,
    /// The file's length, once known (probed in the queue, recorded by the worker, or
    /// reported with its progress).
    pub duration_s: Option<f64>,
    /// Audio of it transcribed and committed so far.
    pub done_s: f64,
    /// Who speaks in it (label, talk time in ms), once its speakers are found.
    pub speakers: Vec<(String, u64)>,
}

impl FileRow {
    /// An input not begun, of the length known so far.
    pub fn waiting(input: PathBuf, duration_s: Option<f64>) -> Self {
        Self {
            input,
            status: FileStatus::Waiting,
            summary: SummaryStatus::None,
            duration_s,
            done_s: 0.0,
            speakers: Vec::new(),
        }
    }

    pub fn name(&self) -> String {
        self.input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.input.display().to_string())
    }
}
