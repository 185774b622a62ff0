//! The worker's exit codes. The supervisor reads them to tell "finished" from "stopped" from
//! "cannot ever work" (bad model, bad job) from "crashed" (anything else, including signals).

/// Every file was processed; some may have failed (see the checkpoint and `file_failed`).
pub const FINISHED: i32 = 0;
/// An unexpected internal error; the job can be resumed.
pub const INTERNAL_ERROR: i32 = 1;
/// The command line was wrong.
pub const USAGE: i32 = 2;
/// Stopped on request (SIGTERM, parent death); the checkpoint is resumable.
pub const STOPPED: i32 = 3;
/// The model file is missing, unreadable or not a whisper GGML model.
pub const MODEL_ERROR: i32 = 4;
/// The job folder, spec or checkpoint cannot be used (missing, corrupt, unwritable).
pub const JOB_ERROR: i32 = 5;
/// Another worker holds the job's lock: the job is already running.
pub const ALREADY_RUNNING: i32 = 6;

/// A short description of an exit code, for logs and messages.
pub fn describe(code: i32) -> &'static str {
    match code {
        FINISHED => "finished",
        INTERNAL_ERROR => "internal error",
        USAGE => "usage error",
        STOPPED => "stopped",
        MODEL_ERROR => "model error",
        JOB_ERROR => "job folder error",
        ALREADY_RUNNING => "already running",
        _ => "unknown exit code",
    }
}
