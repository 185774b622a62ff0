//! The supervisor's own note in a job folder (`supervisor.json`): why the last supervised run
//! ended when the worker could not say so itself (watchdog, crashes beyond retries).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use shared_ipc::FileKind;
use shared_ipc::atomic_file;

/// Format version of `supervisor.json`. 2 added `supervisor_failed`, 3 `stopped_by_user` and
/// `app_closed`; older notes load unchanged.
pub const RUN_STATE_VERSION: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub format_version: u32,
    pub ended: RunEnd,
    pub detail: String,
    pub at_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunEnd {
    /// The last worker was killed by the watchdog.
    Watchdog,
    /// The worker crashed more times in a row than the restart limit allows.
    GaveUp,
    /// The worker refused the job (model or job folder unusable).
    Unrunnable,
    /// The supervisor itself failed (a bug): the job was left as it was, to be resumed.
    SupervisorFailed,
    /// The user pressed Stop (or Ctrl-C): the worker's own record says only "SIGTERM".
    StoppedByUser,
    /// The app was closed with the job running and stopped it on the way out.
    AppClosed,
}

pub fn path(job_root: &Path) -> PathBuf {
    job_root.join("supervisor.json")
}

pub fn save(job_root: &Path, ended: RunEnd, detail: &str) {
    let state = RunState {
        format_version: RUN_STATE_VERSION,
        ended,
        detail: detail.to_owned(),
        at_ms: shared_ipc::now_unix_ms(),
    };
    if let Ok(bytes) = serde_json::to_vec(&state)
        && let Err(e) = atomic_file::write_atomic(&path(job_root), &bytes, FileKind::RunState)
    {
        tracing::warn!("failed to record the run state in {}: {e}", job_root.display());
    }
}

pub fn load(job_root: &Path) -> Option<RunState> {
    let bytes = atomic_file::read_limited(&path(job_root), 64 * 1024).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub fn clear(job_root: &Path) {
    let _ = std::fs::remove_file(path(job_root));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Notes written by version-1 and version-2 builds, byte for byte.
    #[test]
    fn older_notes_still_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v1 = br#"{"format_version":1,"ended":"watchdog","detail":"the worker stopped responding","at_ms":5}"#;
        std::fs::write(path(dir.path()), v1).expect("write");
        let state = load(dir.path()).expect("a version-1 note loads");
        assert_eq!(state.ended, RunEnd::Watchdog);
        assert_eq!(state.detail, "the worker stopped responding");
        let v2 = br#"{"format_version":2,"ended":"supervisor_failed","detail":"a bug","at_ms":5}"#;
        std::fs::write(path(dir.path()), v2).expect("write");
        assert_eq!(
            load(dir.path()).map(|s| s.ended),
            Some(RunEnd::SupervisorFailed),
            "version 2 loads"
        );
        save(dir.path(), RunEnd::SupervisorFailed, "it broke");
        assert_eq!(load(dir.path()).map(|s| s.ended), Some(RunEnd::SupervisorFailed));
        save(dir.path(), RunEnd::AppClosed, "");
        assert_eq!(load(dir.path()).map(|s| s.ended), Some(RunEnd::AppClosed));
        clear(dir.path());
        assert_eq!(load(dir.path()), None);
    }
}
