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
//! | stopped on a SIGTERM not ours (exit 3, requested)   | stopped                                    |
//! | refused the job (model, job folder, running, usage) | unrunnable, with its reason                |
//! | exited before saying hello                          | unrunnable: it cannot start                |
//! | stopped because it lost its supervisor (exit 3)     | restart, no file blamed                    |
//! | crashed (SIGSEGV/SIGABRT/…, panic, internal error)  | restart with backoff, blame where it was   |
//! | was stopped by the watchdog (silent or stalled)     | restart with backoff, blame where it was   |
//! | was killed from outside (SIGKILL, SIGTERM, OOM)     | restart with backoff, no file blamed       |
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
    pub skip: Option<usize>,
}

/// What earlier workers of this job did.
#[derive(Debug, Default)]
pub struct History {
    poison: PoisonTracker,
    failures_in_a_row: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Finished {
        files_done: usize,
        files_failed: usize,
    },
    Stopped,
    /// The worker cannot run this job; restarting would not help.
    Unrunnable {
        reason: String,
    },
    /// Mark the file skipped (or, when its transcript is done, its summary) and start the next
    /// worker at once.
    Skip {
        file_index: usize,
    },
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
        return Decision::Finished {
            files_done,
            files_failed,
        };
    }
    if requests.stop {
        return Decision::Stopped;
    }
    if let Some(spoken) = attempt.protocol_version.filter(|&v| v != protocol_version) {
        return Decision::Unrunnable {
            reason: format!(
                "the worker speaks protocol {spoken}, this app expects {protocol_version} \
                 (castmill and batch-processor come from different builds; install them together)"
            ),
        };
    }
    if let Some(file_index) = requests.skip {
        // The worker was stopped on purpose: nothing failed.
        history.failures_in_a_row = 0;
        return Decision::Skip { file_index };
    }
    match end {
        WorkerEnd::Exited(exit_code::STOPPED) if attempt.stopping != Some(StopCause::ParentDied) => {
            return Decision::Stopped;
        }
        WorkerEnd::Exited(
            code @ (exit_code::MODEL_ERROR | exit_code::JOB_ERROR | exit_code::ALREADY_RUNNING | exit_code::USAGE),
        ) => {
            return Decision::Unrunnable {
                reason: attempt
                    .error
                    .clone()
                    .unwrap_or_else(|| exit_code::describe(code).to_owned()),
            };
        }
        WorkerEnd::Exited(code) if attempt.protocol_version.is_none() => {
            return Decision::Unrunnable {
                reason: format!(
                    "the worker ended before it started (exited with code {code}: {})",
                    exit_code::describe(code)
                ),
            };
        }
        _ => {}
    }
    Decision::Died(death(history, attempt, end, policy))
}

fn death(history: &mut History, attempt: &Attempt, end: WorkerEnd, policy: &RestartPolicy) -> Death {
    let ended = match end {
        WorkerEnd::Signalled(sig) => Signal::try_from(sig)
            .map(|s| format!("was killed by {s}"))
            .unwrap_or_else(|_| format!("was killed by signal {sig}")),
        WorkerEnd::Exited(exit_code::STOPPED) => "stopped on its own: it lost contact with the app".to_owned(),
        WorkerEnd::Exited(c) => format!("exited with code {c} ({})", exit_code::describe(c)),
    };
    let how = match attempt.watchdog {
        Some(WatchdogKill::Silent { .. }) => format!("stopped responding and {ended}"),
        Some(WatchdogKill::Stalled { for_, .. }) => {
            format!("made no progress for {} s and {ended}", for_.as_secs())
        }
        None => ended,
    };
    // Only deaths that point at the input count: a crash, or a hang the watchdog had to end.
    // A plain SIGKILL or SIGTERM came from outside and says nothing about the file.
    let blames_input = attempt.watchdog.is_some() || is_crash(end);
    let quarantine = attempt
        .site
        .filter(|_| blames_input)
        .filter(|&site| history.poison.record(site))
        .map(|site| {
            history.poison.forget_file(site.file_index);
            let reason = match site.stage {
                DeathStage::Opening => format!("the worker {how} twice while opening this file"),
                DeathStage::Transcription { position_ms } => format!(
                    "the worker {how} twice at {:.1} s of this file",
                    position_ms as f64 / 1000.0
                ),
                DeathStage::Summary => format!("the worker {how} twice while summarising this file"),
            };
            Quarantine { site, reason }
        });
    history.failures_in_a_row = if attempt.progressed {
        1
    } else {
        history.failures_in_a_row + 1
    };
    let next = if history.failures_in_a_row > policy.max_attempts {
        AfterDeath::GiveUp {
            reason: format!(
                "the worker {how}, {} times in a row without progress",
                history.failures_in_a_row
            ),
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
mod tests {
    use super::*;

    const V: u32 = shared_ipc::PROTOCOL_VERSION;
    const ABORT: WorkerEnd = WorkerEnd::Signalled(Signal::SIGABRT as i32);
    const SIGKILL: WorkerEnd = WorkerEnd::Signalled(Signal::SIGKILL as i32);

    fn policy() -> RestartPolicy {
        RestartPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1_000),
            max_attempts: 3,
        }
    }

    /// A worker that said hello and was working at `site`.
    fn working(site: Option<DeathSite>) -> Attempt {
        Attempt {
            protocol_version: Some(V),
            site,
            ..Attempt::default()
        }
    }

    fn at(file_index: usize, position_ms: u64) -> Option<DeathSite> {
        Some(DeathSite {
            file_index,
            stage: DeathStage::Transcription { position_ms },
        })
    }

    fn decide_now(history: &mut History, attempt: &Attempt, end: WorkerEnd, requests: Requests) -> Decision {
        decide(history, attempt, end, &requests, &policy(), V)
    }

    fn died(decision: Decision) -> Death {
        match decision {
            Decision::Died(death) => death,
            other => panic!("expected a death, got {other:?}"),
        }
    }

    #[test]
    fn a_finished_worker_is_finished() {
        let attempt = Attempt {
            finished: Some((2, 1)),
            ..working(None)
        };
        assert_eq!(
            decide_now(
                &mut History::default(),
                &attempt,
                WorkerEnd::Exited(0),
                Requests::default()
            ),
            Decision::Finished {
                files_done: 2,
                files_failed: 1
            }
        );
    }

    #[test]
    fn after_the_users_stop_any_end_is_a_stop() {
        for end in [WorkerEnd::Exited(exit_code::STOPPED), SIGKILL, ABORT] {
            let requests = Requests {
                stop: true,
                skip: Some(1),
            };
            assert_eq!(
                decide_now(&mut History::default(), &working(at(0, 5_000)), end, requests),
                Decision::Stopped,
                "{end:?}"
            );
        }
        // A SIGTERM from someone else (a logout, `kill`): the worker stopped as asked.
        assert_eq!(
            decide_now(
                &mut History::default(),
                &Attempt {
                    stopping: Some(StopCause::Requested),
                    ..working(None)
                },
                WorkerEnd::Exited(exit_code::STOPPED),
                Requests::default()
            ),
            Decision::Stopped
        );
    }

    #[test]
    fn a_worker_of_another_protocol_is_one_clear_error_and_never_restarted() {
        let attempt = Attempt {
            protocol_version: Some(V - 1),
            ..Attempt::default()
        };
        let decision = decide_now(&mut History::default(), &attempt, SIGKILL, Requests::default());
        let Decision::Unrunnable { reason } = decision else {
            panic!("{decision:?}")
        };
        assert!(
            reason.contains(&format!("speaks protocol {}, this app expects {V}", V - 1)),
            "{reason}"
        );
    }

    #[test]
    fn skip_marks_the_file_and_resets_the_failure_count() {
        let mut history = History::default();
        died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
        died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
        let requests = Requests {
            stop: false,
            skip: Some(2),
        };
        assert_eq!(
            decide_now(
                &mut history,
                &working(at(2, 0)),
                WorkerEnd::Exited(exit_code::STOPPED),
                requests
            ),
            Decision::Skip { file_index: 2 }
        );
        let death = died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
        assert_eq!(
            death.next,
            AfterDeath::Restart {
                attempt: 1,
                delay: Duration::from_millis(100)
            }
        );
    }

    #[test]
    fn a_worker_that_refuses_the_job_is_unrunnable_with_its_reason() {
        for code in [
            exit_code::MODEL_ERROR,
            exit_code::JOB_ERROR,
            exit_code::ALREADY_RUNNING,
            exit_code::USAGE,
        ] {
            let attempt = Attempt {
                error: Some("model /m.bin is unusable: model is truncated".into()),
                ..working(None)
            };
            assert_eq!(
                decide_now(
                    &mut History::default(),
                    &attempt,
                    WorkerEnd::Exited(code),
                    Requests::default()
                ),
                Decision::Unrunnable {
                    reason: "model /m.bin is unusable: model is truncated".into()
                }
            );
        }
        let Decision::Unrunnable { reason } = decide_now(
            &mut History::default(),
            &Attempt::default(),
            WorkerEnd::Exited(exit_code::INTERNAL_ERROR),
            Requests::default(),
        ) else {
            panic!("a worker that never said hello cannot run the job")
        };
        assert!(reason.contains("before it started"), "{reason}");
    }

    #[test]
    fn crashes_restart_with_backoff_and_two_at_one_place_quarantine_the_file() {
        let mut history = History::default();
        let first = died(decide_now(
            &mut history,
            &working(at(1, 30_000)),
            ABORT,
            Requests::default(),
        ));
        assert_eq!(first.how, "was killed by SIGABRT");
        assert_eq!(first.quarantine, None);
        assert_eq!(
            first.next,
            AfterDeath::Restart {
                attempt: 1,
                delay: Duration::from_millis(100)
            }
        );
        let second = died(decide_now(
            &mut history,
            &working(at(1, 30_000)),
            ABORT,
            Requests::default(),
        ));
        let quarantine = second.quarantine.expect("poison");
        assert_eq!(quarantine.site, at(1, 30_000).expect("site"));
        assert_eq!(
            quarantine.reason,
            "the worker was killed by SIGABRT twice at 30.0 s of this file"
        );
        assert_eq!(
            second.next,
            AfterDeath::Restart {
                attempt: 2,
                delay: Duration::from_millis(200)
            }
        );
        // Deaths at two different places are not poison.
        let mut history = History::default();
        died(decide_now(&mut history, &working(at(0, 0)), ABORT, Requests::default()));
        let other = died(decide_now(
            &mut history,
            &working(at(0, 30_000)),
            ABORT,
            Requests::default(),
        ));
        assert_eq!(other.quarantine, None);
    }

    #[test]
    fn a_panic_or_internal_error_blames_the_input() {
        for code in [RUST_PANIC_EXIT, exit_code::INTERNAL_ERROR] {
            let mut history = History::default();
            died(decide_now(
                &mut history,
                &working(at(0, 0)),
                WorkerEnd::Exited(code),
                Requests::default(),
            ));
            let death = died(decide_now(
                &mut history,
                &working(at(0, 0)),
                WorkerEnd::Exited(code),
                Requests::default(),
            ));
            assert!(death.quarantine.is_some(), "code {code}");
        }
    }

    #[test]
    fn an_outside_sigkill_never_blames_the_file() {
        let mut history = History::default();
        for _ in 0..3 {
            let death = died(decide_now(
                &mut history,
                &working(at(0, 60_000)),
                SIGKILL,
                Requests::default(),
            ));
            assert_eq!(death.how, "was killed by SIGKILL");
            assert_eq!(death.quarantine, None);
        }
    }

    #[test]
    fn a_death_during_a_summary_quarantines_only_the_summary() {
        let summary = Some(DeathSite {
            file_index: 2,
            stage: DeathStage::Summary,
        });
        let mut history = History::default();
        died(decide_now(&mut history, &working(summary), ABORT, Requests::default()));
        let death = died(decide_now(&mut history, &working(summary), ABORT, Requests::default()));
        let quarantine = death.quarantine.expect("poison");
        assert_eq!(quarantine.site.stage, DeathStage::Summary);
        assert!(quarantine.reason.contains("while summarising"), "{}", quarantine.reason);
    }

    #[test]
    fn a_death_while_opening_or_probing_a_file_quarantines_it() {
        let opening = Some(DeathSite {
            file_index: 3,
            stage: DeathStage::Opening,
        });
        let mut history = History::default();
        assert_eq!(
            died(decide_now(&mut history, &working(opening), ABORT, Requests::default())).quarantine,
            None
        );
        let death = died(decide_now(&mut history, &working(opening), ABORT, Requests::default()));
        assert_eq!(
            death.quarantine.map(|q| q.reason),
            Some("the worker was killed by SIGABRT twice while opening this file".into())
        );
    }

    #[test]
    fn a_death_between_files_blames_no_file() {
        let mut history = History::default();
        for _ in 0..2 {
            assert_eq!(
                died(decide_now(&mut history, &working(None), ABORT, Requests::default())).quarantine,
                None
            );
        }
    }

    #[test]
    fn a_silent_or_stalled_worker_is_restarted_and_poison_when_it_hangs_twice_at_one_place() {
        for kill in [
            WatchdogKill::Silent {
                for_: Duration::from_secs(30),
            },
            WatchdogKill::Stalled {
                for_: Duration::from_secs(12),
                limit: Duration::from_secs(12),
            },
        ] {
            let attempt = Attempt {
                watchdog: Some(kill),
                ..working(at(0, 0))
            };
            let mut history = History::default();
            let first = died(decide_now(&mut history, &attempt, SIGKILL, Requests::default()));
            assert_eq!(first.watchdog, Some(kill));
            assert!(matches!(first.next, AfterDeath::Restart { attempt: 1, .. }));
            let second = died(decide_now(&mut history, &attempt, SIGKILL, Requests::default()));
            let reason = second.quarantine.expect("poison").reason;
            match kill {
                WatchdogKill::Silent { .. } => assert!(reason.contains("stopped responding"), "{reason}"),
                WatchdogKill::Stalled { .. } => {
                    assert!(reason.contains("made no progress for 12 s"), "{reason}")
                }
            }
        }
    }

    #[test]
    fn a_worker_that_lost_its_supervisor_is_restarted_without_blame() {
        let attempt = Attempt {
            stopping: Some(StopCause::ParentDied),
            ..working(at(0, 0))
        };
        let mut history = History::default();
        for _ in 0..2 {
            let death = died(decide_now(
                &mut history,
                &attempt,
                WorkerEnd::Exited(exit_code::STOPPED),
                Requests::default(),
            ));
            assert!(death.how.contains("lost contact with the app"), "{}", death.how);
            assert_eq!(death.quarantine, None);
        }
    }

    #[test]
    fn it_gives_up_after_the_limit_without_progress_and_progress_starts_the_count_again() {
        let mut history = History::default();
        for attempt in 1..=3 {
            let death = died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
            assert!(matches!(death.next, AfterDeath::Restart { attempt: a, .. } if a == attempt));
        }
        let progressed = Attempt {
            progressed: true,
            ..working(None)
        };
        let death = died(decide_now(&mut history, &progressed, SIGKILL, Requests::default()));
        assert!(
            matches!(death.next, AfterDeath::Restart { attempt: 1, .. }),
            "{death:?}"
        );
        for attempt in 2..=3 {
            let death = died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
            assert!(matches!(death.next, AfterDeath::Restart { attempt: a, .. } if a == attempt));
        }
        let last = died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
        assert_eq!(
            last.next,
            AfterDeath::GiveUp {
                reason: "the worker was killed by SIGKILL, 4 times in a row without progress".into()
            }
        );
    }
}
