//! What the supervisor reports: the worker's own events, plus its decisions. Serialized in
//! the protocol's style (`{"type": …}`) for `--json`.

use serde::Serialize;
use shared_ipc::WorkerEvent;

use super::control::HoldCause;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SupervisorEvent {
    /// A line from the worker, passed through.
    #[serde(skip)]
    Worker(WorkerEvent),
    /// The worker sent a line that is not a protocol event.
    WorkerLine { problem: String },
    /// The worker was silent too long (while not paused) and is being stopped.
    Watchdog { silent_s: f64 },
    /// The worker kept sending heartbeats but its work made no progress for `stalled_s`
    /// (past the limit of `limit_s`, while not paused); it is being stopped.
    Stalled { stalled_s: f64, limit_s: f64 },
    /// A stop was asked for, but the worker had not exited `grace_s` later: it is killed. At
    /// most the window in flight is lost.
    StopEscalated { grace_s: f64 },
    /// The worker ended abnormally and will be restarted from its checkpoint.
    Restarting {
        attempt: u32,
        max_attempts: u32,
        delay_ms: u64,
        reason: String,
    },
    /// The user skipped a file; the job goes on without it. `summary_only`: its transcript
    /// was already done, so only its summary is left out.
    Skipped {
        file_index: usize,
        input: String,
        summary_only: bool,
    },
    /// The supervisor paused the job for `reason` (the disk holding its records is full, or
    /// memory is short); it goes on by itself with `released`.
    Held { cause: HoldCause, reason: String },
    /// The reason for the hold is gone (or, `by_user`, the user resumed the job anyway); the
    /// job goes on unless the user paused it or another hold remains.
    Released { cause: HoldCause, by_user: bool },
    /// The worker's memory grew past what its work needs (a leak): it is stopped at its next
    /// commit and started again, losing nothing.
    LeakRestart {
        rss_bytes: u64,
        envelope_bytes: u64,
        growth_per_minute: u64,
        work: String,
    },
    /// A skip that found nothing left to skip (the file had finished meanwhile).
    SkipDeclined { file_index: usize, reason: String },
    /// A file killed the worker twice at the same place; it is marked failed (or only its
    /// summary, when that is where the worker died).
    Quarantined {
        file_index: usize,
        input: String,
        reason: String,
        summary_only: bool,
    },
}

impl SupervisorEvent {
    pub fn to_line(&self) -> String {
        match self {
            SupervisorEvent::Worker(event) => event.to_line(),
            other => {
                let mut line = serde_json::to_string(other).unwrap_or_else(|_| String::from("{}"));
                line.push('\n');
                line
            }
        }
    }
}

/// How a supervised run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Finished {
        files_done: usize,
        files_failed: usize,
    },
    /// Stopped on request; resumable.
    Stopped,
    /// The worker cannot run this job (bad model, bad job folder, already running).
    Unrunnable {
        reason: String,
    },
    /// The worker kept dying without progress.
    GaveUp {
        reason: String,
    },
}
