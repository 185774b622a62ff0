//! Runs one job under supervision until it finishes, is stopped, or cannot go on.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use shared_ipc::{
    Checkpoint, FileCheckpoint, FileState, Incoming, JobFolder, JobLock, Stage, StageState, WorkerEvent, exit_code,
};

use super::backoff::RestartPolicy;
use super::control::JobControl;
use super::events::{Outcome, SupervisorEvent};
use super::poison::{DeathSite, DeathStage, PoisonTracker};
use super::run_state::{self, RunEnd};
use super::watchdog::Watchdog;
use super::worker_process::{WorkerMessage, WorkerProcess};

#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    /// Silence (while not paused) after which the worker is asked to stop.
    pub watchdog_timeout: Duration,
    /// Time between SIGTERM and SIGKILL when the watchdog stops a worker.
    pub kill_grace: Duration,
    pub restart: RestartPolicy,
    /// The worker binary; `None` finds it as `worker_process::worker_path` says.
    pub worker: Option<PathBuf>,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        Self {
            watchdog_timeout: Duration::from_secs(30),
            kill_grace: Duration::from_secs(5),
            restart: RestartPolicy::default(),
            worker: None,
        }
    }
}

/// How often the supervisor looks at the watchdog when the worker is quiet.
const TICK: Duration = Duration::from_millis(200);

/// What one worker process did before it ended.
#[derive(Default)]
struct Attempt {
    /// File being worked on and its committed position, from `stage` and `progress`.
    file_index: Option<usize>,
    position_ms: u64,
    /// File whose summary is being made, during the summary stage.
    summary_file: Option<usize>,
    /// New segments or summaries committed during this attempt.
    progressed: bool,
    finished: Option<(usize, usize)>,
    killed_by_watchdog: bool,
    error: Option<String>,
}

/// Runs the job in `folder`, reporting every event to `sink`.
pub fn run(
    folder: &JobFolder,
    config: &SupervisorConfig,
    control: &JobControl,
    mut sink: impl FnMut(SupervisorEvent),
) -> Outcome {
    run_state::clear(folder.root());
    let mut poison = PoisonTracker::default();
    let mut failures_in_a_row = 0u32;
    loop {
        if control.stop_requested() {
            return Outcome::Stopped;
        }
        let mut worker = match WorkerProcess::spawn(folder, config.worker.as_deref()) {
            Ok(w) => w,
            Err(e) => return Outcome::Unrunnable { reason: e.to_string() },
        };
        control.attach(worker.pid());
        let attempt = watch(&mut worker, config, control, &mut sink);
        let status = worker.wait();
        control.detach();
        let status = match status {
            Ok(s) => s,
            Err(e) => {
                return Outcome::GaveUp {
                    reason: format!("failed to wait for the worker: {e}"),
                };
            }
        };

        let code = status.code();
        if let Some((files_done, files_failed)) = attempt.finished
            && code == Some(exit_code::FINISHED)
        {
            return Outcome::Finished {
                files_done,
                files_failed,
            };
        }
        if control.stop_requested() {
            return Outcome::Stopped;
        }
        if let Some(file_index) = control.take_skip() {
            match mark_skipped(folder, file_index) {
                Ok(Some(input)) => {
                    log_decision(
                        folder,
                        &format!("skipped file {} ({input}) at the user's request", file_index + 1),
                    );
                    sink(SupervisorEvent::Skipped { file_index, input });
                }
                Ok(None) => {}
                Err(e) => {
                    return Outcome::GaveUp {
                        reason: format!("failed to skip file {}: {e}", file_index + 1),
                    };
                }
            }
            // The worker was stopped on purpose: start the next one straight away.
            failures_in_a_row = 0;
            continue;
        }
        match code {
            Some(exit_code::STOPPED) => return Outcome::Stopped,
            Some(exit_code::MODEL_ERROR | exit_code::JOB_ERROR | exit_code::ALREADY_RUNNING | exit_code::USAGE) => {
                let reason = attempt
                    .error
                    .unwrap_or_else(|| exit_code::describe(code.unwrap_or_default()).to_owned());
                run_state::save(folder.root(), RunEnd::Unrunnable, &reason);
                return Outcome::Unrunnable { reason };
            }
            _ => {}
        }

        // The worker died. Decide whether the file it was on is to blame, then restart.
        let how = match (code, status.signal()) {
            (_, Some(sig)) => Signal::try_from(sig)
                .map(|s| format!("killed by {s}"))
                .unwrap_or_else(|_| format!("killed by signal {sig}")),
            (Some(c), None) => format!("exited with code {c} ({})", exit_code::describe(c)),
            (None, None) => "ended".to_owned(),
        };
        let how = if attempt.killed_by_watchdog {
            format!("stopped responding and was {how}")
        } else {
            how
        };
        let tail = worker.stderr_tail();
        tracing::warn!("worker {how}; last log lines:\n{tail}");
        let blames_input = attempt.killed_by_watchdog || is_crash(code, status.signal());
        let site = match (attempt.summary_file, attempt.file_index) {
            (Some(file_index), _) => Some(DeathSite {
                file_index,
                stage: DeathStage::Summary,
            }),
            (None, Some(file_index)) => Some(DeathSite {
                file_index,
                stage: DeathStage::Transcription {
                    position_ms: attempt.position_ms,
                },
            }),
            (None, None) => None,
        };
        if let (true, Some(site)) = (blames_input, site) {
            let file_index = site.file_index;
            if poison.record(site) {
                let reason = match site.stage {
                    DeathStage::Transcription { position_ms } => format!(
                        "the worker {how} twice at {:.1} s of this file",
                        position_ms as f64 / 1000.0
                    ),
                    DeathStage::Summary => format!("the worker {how} twice while summarising this file"),
                };
                match quarantine(folder, site, &reason) {
                    Ok(input) => sink(SupervisorEvent::Quarantined {
                        file_index,
                        input,
                        reason,
                        summary_only: site.stage == DeathStage::Summary,
                    }),
                    Err(e) => {
                        return Outcome::GaveUp {
                            reason: format!("failed to quarantine file {file_index}: {e}"),
                        };
                    }
                }
                poison.forget_file(file_index);
            }
        }
        if attempt.killed_by_watchdog {
            run_state::save(folder.root(), RunEnd::Watchdog, &how);
        }
        failures_in_a_row = if attempt.progressed { 1 } else { failures_in_a_row + 1 };
        if failures_in_a_row > config.restart.max_attempts {
            let reason = format!(
                "the worker {how}, {} times in a row without progress",
                failures_in_a_row
            );
            run_state::save(folder.root(), RunEnd::GaveUp, &reason);
            return Outcome::GaveUp { reason };
        }
        let delay = config.restart.delay(failures_in_a_row);
        log_decision(
            folder,
            &format!(
                "the worker {how}; restarting in {} ms (attempt {failures_in_a_row})",
                delay.as_millis()
            ),
        );
        sink(SupervisorEvent::Restarting {
            attempt: failures_in_a_row,
            max_attempts: config.restart.max_attempts,
            delay_ms: delay.as_millis() as u64,
            reason: how,
        });
        if control.wait_or_stop(delay) {
            return Outcome::Stopped;
        }
    }
}

/// Reads the worker's events until its stdout closes, enforcing the watchdog.
fn watch(
    worker: &mut WorkerProcess,
    config: &SupervisorConfig,
    control: &JobControl,
    sink: &mut impl FnMut(SupervisorEvent),
) -> Attempt {
    let mut attempt = Attempt::default();
    let mut watchdog = Watchdog::new(config.watchdog_timeout, Instant::now());
    let mut term_sent_at: Option<Instant> = None;
    loop {
        match worker.events.recv_timeout(TICK) {
            Ok(WorkerMessage::Line(Incoming::Event(event))) => {
                let now = Instant::now();
                watchdog.activity(now);
                observe(&event, &mut attempt, &mut watchdog, now);
                sink(SupervisorEvent::Worker(event));
            }
            Ok(WorkerMessage::Line(other)) => {
                watchdog.activity(Instant::now());
                sink(SupervisorEvent::WorkerLine {
                    problem: format!("{other:?}"),
                });
            }
            Ok(WorkerMessage::Closed) | Err(RecvTimeoutError::Disconnected) => return attempt,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        match term_sent_at {
            None if watchdog.expired(now) && !control.is_paused() => {
                sink(SupervisorEvent::Watchdog {
                    silent_s: watchdog.silence(now).as_secs_f64(),
                });
                attempt.killed_by_watchdog = true;
                control.signal_worker(Signal::SIGTERM);
                term_sent_at = Some(now);
            }
            Some(at) if now.duration_since(at) >= config.kill_grace => {
                control.signal_worker(Signal::SIGKILL);
            }
            _ => {}
        }
    }
}

fn observe(event: &WorkerEvent, attempt: &mut Attempt, watchdog: &mut Watchdog, now: Instant) {
    match event {
        WorkerEvent::Stage {
            stage: Stage::Transcribing,
            file_index: Some(i),
        } if attempt.file_index != Some(*i) => {
            attempt.file_index = Some(*i);
            attempt.position_ms = 0;
        }
        WorkerEvent::Progress {
            file_index,
            file_done_s,
            ..
        } => {
            attempt.file_index = Some(*file_index);
            attempt.position_ms = (file_done_s * 1000.0).round() as u64;
        }
        WorkerEvent::Stage {
            stage: Stage::Summarizing,
            file_index,
        } => {
            // A death from here on says nothing about the audio.
            attempt.file_index = None;
            attempt.summary_file = *file_index;
        }
        WorkerEvent::Stage {
            stage: Stage::MappingContent,
            ..
        } => {
            attempt.file_index = None;
            attempt.summary_file = None;
        }
        WorkerEvent::Segment { .. }
        | WorkerEvent::FileCompleted { .. }
        | WorkerEvent::SummaryWritten { .. }
        | WorkerEvent::MapWritten { .. } => attempt.progressed = true,
        WorkerEvent::FileFailed { .. } => attempt.file_index = None,
        WorkerEvent::Paused => watchdog.pause(now),
        WorkerEvent::Resumed => watchdog.resume(now),
        WorkerEvent::Finished {
            files_done,
            files_failed,
        } => attempt.finished = Some((*files_done, *files_failed)),
        WorkerEvent::Error { message, .. } => attempt.error = Some(message.clone()),
        _ => {}
    }
}

/// Deaths that say something about the input: fatal signals raised by the process itself,
/// panics and internal errors. A plain SIGKILL or SIGTERM came from outside.
fn is_crash(code: Option<i32>, signal: Option<i32>) -> bool {
    match signal {
        Some(s) => [
            Signal::SIGSEGV,
            Signal::SIGABRT,
            Signal::SIGBUS,
            Signal::SIGILL,
            Signal::SIGFPE,
        ]
        .iter()
        .any(|c| *c as i32 == s),
        None => matches!(code, Some(exit_code::INTERNAL_ERROR) | Some(101)),
    }
}

/// Marks what died at `site` failed in the checkpoint: the file, or only its summary (its
/// transcript stays done). Returns the file's input.
fn quarantine(folder: &JobFolder, site: DeathSite, reason: &str) -> Result<String, String> {
    let reason = format!("quarantined: {reason}");
    change_file(folder, site.file_index, |file| {
        match site.stage {
            DeathStage::Transcription { .. } => file.state = FileState::failed(reason),
            DeathStage::Summary => file.summary = StageState::failed(reason),
        }
        true
    })
    .map(|input| input.unwrap_or_default())
}

/// Marks a file skipped unless it already ended (finished just before the skip arrived);
/// returns its input when it was marked.
fn mark_skipped(folder: &JobFolder, file_index: usize) -> Result<Option<String>, String> {
    change_file(folder, file_index, |file| {
        let pending = matches!(file.state, FileState::Pending | FileState::InProgress);
        if pending {
            file.state = FileState::Skipped;
        }
        pending
    })
}

/// Changes one file's entry in the checkpoint, holding the job lock meanwhile. `change`
/// returns whether it changed anything. Returns the file's input when it did.
fn change_file(
    folder: &JobFolder,
    file_index: usize,
    change: impl FnOnce(&mut FileCheckpoint) -> bool,
) -> Result<Option<String>, String> {
    let _lock = JobLock::try_acquire(&folder.lock()).map_err(|e| e.to_string())?;
    let mut checkpoint = Checkpoint::load(&folder.checkpoint())
        .map_err(|e| e.to_string())?
        .ok_or("no checkpoint")?;
    let file = checkpoint.files.get_mut(file_index).ok_or("no such file")?;
    if !change(file) {
        return Ok(None);
    }
    let input = file.input.display().to_string();
    checkpoint.updated_at_ms = shared_ipc::now_unix_ms();
    checkpoint.save(&folder.checkpoint()).map_err(|e| e.to_string())?;
    Ok(Some(input))
}

/// Appends one of the supervisor's decisions to the job log, next to the worker's own lines.
/// Called only between worker runs, so the two never write at once.
fn log_decision(folder: &JobFolder, line: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(folder.log());
    if let Ok(mut log) = opened {
        let _ = writeln!(log, "[supervisor {}] {line}", shared_ipc::now_unix_ms());
    }
}
