//! The recovery scan: every job in the jobs folder with its state, and for unfinished ones
//! how far they got and why they ended. Reads only; never panics on a damaged folder.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use shared_ipc::error_chain::describe;
use shared_ipc::journal::JournalLoad;
use shared_ipc::{Checkpoint, FileState, JobFolder, JobLock, JobSpec, StopReason};

use super::boot_time;
use super::run_state::{self, RunEnd};
use crate::progress::clock;

#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    /// A worker holds the job's lock.
    Running,
    Finished,
    Interrupted(WhyEnded),
    /// The job cannot be read; only Delete makes sense.
    Corrupt(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhyEnded {
    /// The worker died without recording a stop (a crash, a kill).
    WorkerCrashed,
    /// The machine restarted (or lost power) after the job last wrote anything.
    MachineRestarted,
    /// The user pressed Stop or Ctrl-C.
    StoppedByUser,
    /// The app was closed and stopped the job on its way out.
    AppClosed,
    /// The app went away without stopping the job (it crashed or was killed); the worker
    /// stopped itself.
    AppCrashed,
    /// Something outside Castmill sent the worker a SIGTERM (a shutdown, `kill`).
    StoppedElsewhere,
    Watchdog,
    GaveUp,
    Unrunnable,
    NeverStarted,
    /// Some results could not be saved (a full disk, an output folder refusing writes), or
    /// inputs could not be read for the moment (their drive dropped out).
    Unsaved,
    /// Castmill's own supervisor failed while running the job.
    SupervisorFailed,
}

impl WhyEnded {
    pub fn describe(self) -> &'static str {
        match self {
            WhyEnded::WorkerCrashed => "the worker crashed",
            WhyEnded::MachineRestarted => "the machine restarted (or lost power) while it ran",
            WhyEnded::StoppedByUser => "you stopped it",
            WhyEnded::AppClosed => "the app was closed",
            WhyEnded::AppCrashed => "the app crashed or was killed",
            WhyEnded::StoppedElsewhere => "something outside Castmill stopped it (a shutdown, or a kill command)",
            WhyEnded::Watchdog => "the worker stopped responding, and the watchdog stopped it",
            WhyEnded::GaveUp => "the worker kept crashing",
            WhyEnded::Unrunnable => "the model or job could not be used",
            WhyEnded::NeverStarted => "never started",
            WhyEnded::Unsaved => {
                "some results could not be saved, or files could not be read for now (a full disk, a read-only folder, a drive that dropped out)"
            }
            WhyEnded::SupervisorFailed => "Castmill's supervisor failed (a bug); nothing done was lost",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobSummary {
    pub id: String,
    pub folder: PathBuf,
    pub state: JobState,
    pub created_at_ms: u64,
    pub files_total: usize,
    pub files_done: usize,
    pub files_failed: usize,
    pub audio_done_ms: u64,
    /// `None` when some durations are unknown.
    pub audio_total_ms: Option<u64>,
    /// Latest write to the checkpoint, journals or log (ms since the epoch).
    pub last_activity_ms: u64,
    pub inputs: Vec<PathBuf>,
    /// Inputs still to transcribe (pending or part way), in order.
    pub remaining: Vec<PathBuf>,
    /// What the supervisor noted about how the last run ended, in its words (the worker's
    /// error, why it gave up).
    pub detail: Option<String>,
    pub output_dir: Option<PathBuf>,
}

impl JobSummary {
    /// Audio done of the total, as clocks: "12:04 / 1:02:00".
    pub fn audio_text(&self) -> String {
        let done = clock(self.audio_done_ms as f64 / 1000.0);
        match self.audio_total_ms {
            Some(total) => format!("{done} / {}", clock(total as f64 / 1000.0)),
            None => format!("{done} / ?"),
        }
    }

    /// The files still to transcribe, by name: "a.mp3, b.mp3 and 3 more" (at most three
    /// named); empty when none is left.
    pub fn remaining_text(&self) -> String {
        const NAMED: usize = 3;
        let names: Vec<String> = self.remaining.iter().take(NAMED).map(|p| file_name(p)).collect();
        match self.remaining.len().saturating_sub(NAMED) {
            0 => names.join(", "),
            more => format!("{} and {more} more", names.join(", ")),
        }
    }

    /// A name for people: the first input's file name, and how many more.
    pub fn title(&self) -> String {
        let Some(first) = self.inputs.first() else {
            return format!("Job {}", self.id);
        };
        let name = file_name(first);
        match self.inputs.len() {
            1 => name,
            n => format!("{name} and {} more", n - 1),
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// All jobs, newest first.
pub fn scan(jobs_dir: &Path) -> Vec<JobSummary> {
    let Ok(entries) = std::fs::read_dir(jobs_dir) else {
        return Vec::new();
    };
    let mut jobs: Vec<JobSummary> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| summarize(&JobFolder::new(e.path())))
        .collect();
    jobs.sort_by(|a, b| b.created_at_ms.cmp(&a.created_at_ms).then_with(|| b.id.cmp(&a.id)));
    jobs
}

pub fn summarize(folder: &JobFolder) -> JobSummary {
    let id = folder.id();
    let mut summary = JobSummary {
        id,
        folder: folder.root().to_owned(),
        state: JobState::Corrupt(String::new()),
        created_at_ms: 0,
        files_total: 0,
        files_done: 0,
        files_failed: 0,
        audio_done_ms: 0,
        audio_total_ms: None,
        last_activity_ms: mtime_ms(folder.root()),
        inputs: Vec::new(),
        remaining: Vec::new(),
        detail: None,
        output_dir: None,
    };
    let spec = match JobSpec::load(&folder.spec()) {
        Ok(spec) => spec,
        Err(e) => {
            summary.state = JobState::Corrupt(describe(&e));
            return summary;
        }
    };
    // Read once: it says how the last run ended, and why, when the worker could not.
    let note = run_state::load(folder.root());
    let noted_end = note.as_ref().map(|n| n.ended);
    summary.detail = note.map(|n| n.detail).filter(|d| !d.is_empty());
    summary.created_at_ms = spec.created_at_ms;
    summary.files_total = spec.inputs.len();
    summary.inputs = spec.inputs.clone();
    summary.output_dir = Some(spec.output_dir.clone());
    if matches!(JobLock::is_held(&folder.lock()), Ok(true)) {
        summary.state = JobState::Running;
    }
    let checkpoint = match Checkpoint::load(&folder.checkpoint()) {
        Ok(cp) => cp,
        Err(e) => {
            if summary.state != JobState::Running {
                summary.state = JobState::Corrupt(describe(&e));
            }
            return summary;
        }
    };
    summary.last_activity_ms = summary
        .last_activity_ms
        .max(mtime_ms(&folder.checkpoint()))
        .max(mtime_ms(&folder.log()));
    let Some(cp) = checkpoint else {
        if summary.state != JobState::Running {
            summary.state = JobState::Interrupted(why_ended(folder, None, noted_end, summary.last_activity_ms));
        }
        return summary;
    };
    let mut total = Some(0u64);
    for (index, file) in cp.files.iter().enumerate() {
        match &file.state {
            FileState::Done { audio_ms, .. } => {
                summary.files_done += 1;
                summary.audio_done_ms += audio_ms;
                total = total.map(|t| t + audio_ms);
            }
            FileState::Failed { .. } => summary.files_failed += 1,
            // Left out by the user: neither done nor part of the audio still to do.
            FileState::Skipped => {}
            FileState::InProgress => {
                summary.remaining.push(file.input.clone());
                let journal = folder.journal(index);
                summary.audio_done_ms += committed_ms(&journal);
                summary.last_activity_ms = summary.last_activity_ms.max(mtime_ms(&journal));
                total = total.zip(file.duration_ms).map(|(t, d)| t + d);
            }
            FileState::Pending => {
                summary.remaining.push(file.input.clone());
                total = total.zip(file.duration_ms).map(|(t, d)| t + d);
            }
        }
    }
    summary.audio_total_ms = total;
    if summary.state != JobState::Running {
        summary.state = match cp.last_stop {
            // Work that could not be saved (a full disk) is retried by a resume, so the job
            // is not finished yet.
            Some(StopReason::Finished) if cp.has_retryable_failures() => JobState::Interrupted(WhyEnded::Unsaved),
            // A stop that came as the last file finished leaves a finished job.
            Some(StopReason::Finished)
                if matches!(noted_end, None | Some(RunEnd::StoppedByUser | RunEnd::AppClosed)) =>
            {
                JobState::Finished
            }
            last => JobState::Interrupted(why_ended(folder, last, noted_end, summary.last_activity_ms)),
        };
    }
    summary
}

fn why_ended(
    folder: &JobFolder,
    last_stop: Option<StopReason>,
    noted_end: Option<RunEnd>,
    last_activity_ms: u64,
) -> WhyEnded {
    // The supervisor's note is newer than the worker's when both exist.
    if let Some(ended) = noted_end {
        return match ended {
            RunEnd::Watchdog => WhyEnded::Watchdog,
            RunEnd::GaveUp => WhyEnded::GaveUp,
            RunEnd::Unrunnable => WhyEnded::Unrunnable,
            RunEnd::SupervisorFailed => WhyEnded::SupervisorFailed,
            RunEnd::StoppedByUser => WhyEnded::StoppedByUser,
            RunEnd::AppClosed => WhyEnded::AppClosed,
        };
    }
    if !folder.checkpoint().exists() && matches!(last_stop, Some(StopReason::Finished) | None) {
        return WhyEnded::NeverStarted;
    }
    // Nobody noted the end, and the machine has booted since the job last wrote: a
    // shutdown's SIGTERM, or a power loss that left no word at all.
    if boot_time::booted_at_ms().is_some_and(|booted| last_activity_ms > 0 && last_activity_ms < booted) {
        return WhyEnded::MachineRestarted;
    }
    match last_stop {
        Some(StopReason::Requested) => WhyEnded::StoppedElsewhere,
        Some(StopReason::ParentDied) => WhyEnded::AppCrashed,
        _ => WhyEnded::WorkerCrashed,
    }
}

/// Committed audio in a journal, read without changing it (a worker may be appending).
fn committed_ms(journal: &Path) -> u64 {
    JournalLoad::read(journal)
        .ok()
        .flatten()
        .map(|load| load.committed_ms())
        .unwrap_or(0)
}

fn mtime_ms(path: &Path) -> u64 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
