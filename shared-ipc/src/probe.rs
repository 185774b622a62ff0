//! `batch-processor --probe FILE…`: what the app learns about inputs before a job (their
//! length), one JSON line per file on stdout. Probing runs in the worker binary so that a
//! hostile file can crash only that short-lived process, never the app.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeLine {
    #[serde(with = "crate::stored_path::one")]
    pub path: PathBuf,
    /// Length in seconds, when the container declares it.
    pub duration_s: Option<f64>,
    /// Why the file cannot be read as audio.
    pub error: Option<String>,
}
