//! What the supervisor does when a worker has ended: a plain function of what the worker did
//! ([`Attempt`]), how it ended ([`WorkerEnd`]), what the user asked for ([`Requests`]) and
//! what came before ([`History`]). The runner carries the decision out; every branch here is
//! tested without a model or a process.
//!
//! | the worker …                                        | decision                                   |
//! |-----------------------------------------------------|--------------------------------------------|
//! | finished (exit 0 after `finished`)                  | finished                                   |
//! | ended in any way after the user's Stop              | stopped                                    |
//! | said hello in another protocol version              | unrunnable: the two binaries do not match |
//! | was stopped for the user's Skip                     | skip the file (or its summary), go on now  |
//! | was stopped by the leak guard (and stopped cleanly) | start a new worker now                     |
//! | stopped on a SIGTERM not ours (exit 3, requested)   | stopped                                    |
//! | refused the job (model, job folder, running, usage) | unrunnable, with its reason                |
//! | exited before saying hello                          | unrunnable: it cannot start                |
//! | stopped because it lost its supervisor (exit 3)     | restart, no file blamed                    |
//! | crashed (SIGSEGV/SIGABRT/…, panic, internal error)  | restart with backoff, blame where it was   |
//! | was stopped by the watchdog (silent or stalled)     | restart with backoff, blame where it was   |
//! | … while the machine was short of memory             | restart with backoff, no file blamed       |
//! | was killed by the kernel for want of memory (OOM)   | restart with backoff, blame where it was   |
//! | was killed from outside (SIGKILL, SIGTERM)          | restart with backoff, no file blamed       |
//! | died twice at one place (file, stage, position)     | quarantine that file (or its summary)      |
//! | died more than N times in a row without progress    | give up                                    |

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

use nix::sys::signal::Signal;
use shared_ipc::exit_code;
use shared_ipc::protocol::StopCause;

use super::attempt::Attempt;
use super::backoff::RestartPolicy;
use super::control::Skip;
use super::events::Outcome;
use super::poison::{DeathSite, DeathStage, PoisonTracker};
use super::watchdog::WatchdogKill;

/// How the worker process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerEnd {
    Exited(i32),
    Signalled(i32),
}

impl From<ExitStatus> for WorkerEnd {
    fn from(status: ExitStatus) -> Self {
        match (status.code(), status.signal()) {
            (Some(code), _) => WorkerEnd::Exited(code),
            (None, Some(signal)) => WorkerEnd::Signalled(signal),
            // Neither: not reachable on Unix; read as the worker's own failure.
            (None, None) => WorkerEnd::Exited(exit_code::INTERNAL_ERROR),
        }
    }
}

/// What the user asked for while the worker ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requests {
    pub stop: bool,
    pub skip: Option<Skip>,
}

/// What earlier workers of this job did.
#[derive(Debug, Default)]
pub struct History {
    poison: PoisonTracker,
    failures_in_a_row: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The run ends: finished, stopped, or unrunnable (restarting would not help).
    End(Outcome),
    /// Mark what the user skipped and start the next worker at once.
    Skip(Skip),
    /// The leak guard stopped a worker at a commit: start a fresh one at once.
    Fresh,
    Died(Death),
}

/// A worker that ended without finishing and without being asked to.
#[derive(Debug, Clone, PartialEq)]
pub struct Death {
    /// What happened, as a phrase after "the worker": "was killed by SIGABRT".
    pub how: String,
    pub watchdog: Option<WatchdogKill>,
    /// A file (or its summary) to mark failed first.
    pub quarantine: Option<Quarantine>,
    pub next: AfterDeath,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AfterDeath {
    Restart { attempt: u32, delay: Duration },
    GiveUp { reason: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Quarantine {
    pub site: DeathSite,
    pub reason: String,
}

pub fn decide(
    history: &mut History,
    attempt: &Attempt,
    end: WorkerEnd,
    requests: &Requests,
    policy: &RestartPolicy,
    protocol_version: u32,
) -> Decision {
    if let (Some((files_done, files_failed)), WorkerEnd::Exited(exit_code::FINISHED)) = (attempt.finished, end) {
        return Decision::End(Outcome::Finished {
            files_done,
            files_failed,
        });
    }
    if requests.stop {
        return Decision::End(Outcome::Stopped);
    }
    if let Some(spoken) = attempt.protocol_version.filter(|&v| v != protocol_version) {
        return Decision::End(Outcome::Unrunnable {
            reason: format!(
                "the worker speaks protocol {spoken}, this app expects {protocol_version} \
                 (castmill and batch-processor come from different builds; install them together)"
            ),
        });
    }
    if let Some(skip) = requests.skip {
        // The worker was stopped on purpose: nothing failed.
        history.failures_in_a_row = 0;
        return Decision::Skip(skip);
    }
    if attempt.leaked && end == WorkerEnd::Exited(exit_code::STOPPED) {
        // Like a skip, on purpose; a worker that leaks before it commits anything still
        // counts toward giving up, so a job cannot loop here.
        if attempt.progressed {
            history.failures_in_a_row = 0;
            return Decision::Fresh;
        }
        return Decision::Died(death(history, attempt, end, policy));
    }
    match end {
        WorkerEnd::Exited(exit_code::STOPPED) if attempt.stopping != Some(StopCause::ParentDied) => {
            return Decision::End(Outcome::Stopped);
        }
        WorkerEnd::Exited(
            code @ (exit_code::MODEL_ERROR | exit_code::JOB_ERROR | exit_code::ALREADY_RUNNING | exit_code::USAGE),
        ) => {
            return Decision::End(Outcome::Unrunnable {
                reason: attempt
                    .error
                    .clone()
                    .unwrap_or_else(|| exit_code::describe(code).to_owned()),
            });
        }
        WorkerEnd::Exited(code) if attempt.protocol_version.is_none() => {
            return Decision::End(Outcome::Unrunnable {
                reason: format!(
                    "the worker ended before it started (exited with code {code}: {})",
                    exit_code::describe(code)
                ),
            });
        }
        _ => {}
    }
    Decision::Died(death(history, attempt, end, policy))
}

fn death(history: &mut History, attempt: &Attempt, end: WorkerEnd, policy: &RestartPolicy) -> Death {
    let ended = match end {
        WorkerEnd::Signalled(_) if attempt.out_of_memory => {
            "was killed by the kernel: there was not enough memory for it".to_owned()
        }
        WorkerEnd::Signalled(sig) if attempt.leaked && sig == Signal::SIGKILL as i32 => {
            "kept growing in memory and did not stop when asked, so it was killed".to_owned()
        }
        WorkerEnd::Signalled(sig) => Signal::try_from(sig)
            .map(|s| format!("was killed by {s}"))
            .unwrap_or_else(|_| format!("was killed by signal {sig}")),
        WorkerEnd::Exited(exit_code::STOPPED) if attempt.leaked => {
            "was stopped: its memory kept growing before it committed anything".to_owned()
        }
        WorkerEnd::Exited(exit_code::STOPPED) => "stopped on its own: it lost contact with the app".to_owned(),
        WorkerEnd::Exited(c) => format!("exited with code {c} ({})", exit_code::describe(c)),
    };
    let short_of_memory = if attempt.memory_pressure {
        " while the machine was short of memory"
    } else {
        ""
    };
    let how = match attempt.watchdog {
        Some(WatchdogKill::Silent { .. }) => format!("stopped responding{short_of_memory} and {ended}"),
        Some(WatchdogKill::Stalled { for_, .. }) => {
            format!("made no progress for {} s{short_of_memory} and {ended}", for_.as_secs())
        }
        None => ended,
    };
    // Only deaths that point at the input count: a crash, running out of memory on it, or a
    // hang the watchdog had to end — unless the whole machine was short of memory, which
    // slows any work. A plain SIGKILL or SIGTERM came from outside and says nothing.
    let hung_on_input = attempt.watchdog.is_some() && !attempt.memory_pressure;
    let blames_input = hung_on_input || attempt.out_of_memory || is_crash(end);
    let quarantine = attempt
        .site
        .filter(|_| blames_input)
        .filter(|&site| history.poison.record(site))
        .map(|site| {
            history.poison.forget_file(site.file_index);
            let place = match site.stage {
                DeathStage::Opening => "while opening this file".to_owned(),
                DeathStage::Transcription { position_ms } => {
                    format!("at {:.1} s of this file", position_ms as f64 / 1000.0)
                }
                DeathStage::Speakers => "while finding who speaks in this file".to_owned(),
                DeathStage::Summary => "while summarising this file".to_owned(),
            };
            let reason = if attempt.out_of_memory {
                format!("it needs more memory than is available: the worker ran out of memory twice {place}")
            } else {
                format!("the worker {how} twice {place}")
            };
            Quarantine { site, reason }
        });
    history.failures_in_a_row = if attempt.progressed {
        1
    } else {
        history.failures_in_a_row + 1
    };
    let next = if history.failures_in_a_row > policy.max_attempts {
        let times = match history.failures_in_a_row {
            1 => "before it made any progress".to_owned(),
            n => format!("{n} times in a row without progress"),
        };
        AfterDeath::GiveUp {
            reason: format!("the worker {how}, {times}"),
        }
    } else {
        AfterDeath::Restart {
            attempt: history.failures_in_a_row,
            delay: policy.delay(history.failures_in_a_row),
        }
    };
    Death {
        how,
        watchdog: attempt.watchdog,
        quarantine,
        next,
    }
}

/// Deaths that say something about the input: fatal signals raised by the process itself,
/// panics and internal errors.
fn is_crash(end: WorkerEnd) -> bool {
    match end {
        WorkerEnd::Signalled(s) => [
            Signal::SIGSEGV,
            Signal::SIGABRT,
            Signal::SIGBUS,
            Signal::SIGILL,
            Signal::SIGFPE,
        ]
        .iter()
        .any(|c| *c as i32 == s),
        WorkerEnd::Exited(code) => code == exit_code::INTERNAL_ERROR || code == RUST_PANIC_EXIT,
    }
}

/// The exit code of a Rust program whose main thread panicked.
const RUST_PANIC_EXIT: i32 = 101;

#[cfg(test)]
mod tests;
