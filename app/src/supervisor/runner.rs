//! Runs one job under supervision until it finishes, is stopped, or cannot go on. This is
//! the doing half: spawn, watch, signal, wait — and after each worker, carry out what
//! `decision::decide` says.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use shared_ipc::error_chain::describe;
use shared_ipc::{Incoming, JobFolder, PROTOCOL_VERSION, WorkerEvent};

use super::attempt::Attempt;
use super::backoff::RestartPolicy;
use super::checkpoint_edits::{self, Skipped};
use super::control::{HoldCause, JobControl, Skip};
use super::decision::{self, AfterDeath, Death, Decision, History, Requests, WorkerEnd};
use super::disk_space::{self, DiskChange, DiskWatch};
use super::events::{Outcome, SupervisorEvent};
use super::job_log;
use super::memory_signs::{self, OomKills};
use super::memory_watch::{self, LeakWatch, PressureHold};
use super::run_state::{self, RunEnd};
use super::watchdog::{Watchdog, WatchdogKill, WatchdogLimits};
use super::worker_process::{WorkerMessage, WorkerProcess};

#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    /// Silence (while not paused) after which the worker is asked to stop.
    pub watchdog_timeout: Duration,
    /// The least time the work may go without progress (while not paused) before the worker
    /// is asked to stop; the limit grows with the slowest step seen.
    pub stall_timeout: Duration,
    /// How long loading a model may take.
    pub model_load_timeout: Duration,
    /// Time between SIGTERM and SIGKILL, when the watchdog or the user stops a worker.
    pub kill_grace: Duration,
    pub restart: RestartPolicy,
    /// The worker binary; `None` finds it as `worker_process::worker_path` says.
    pub worker: Option<PathBuf>,
    /// Extra environment for the worker (`CASTMILL_LOG`, a test build's faults).
    pub worker_env: Vec<(OsString, OsString)>,
    /// When memory is short enough to hold the job, and how long it must stay clear.
    pub memory: castmill_memory::Thresholds,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        Self {
            watchdog_timeout: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(120),
            model_load_timeout: Duration::from_secs(300),
            kill_grace: Duration::from_secs(5),
            restart: RestartPolicy::default(),
            worker: None,
            worker_env: Vec::new(),
            memory: castmill_memory::Thresholds::default(),
        }
    }
}

impl SupervisorConfig {
    fn watchdog_limits(&self) -> WatchdogLimits {
        WatchdogLimits {
            silence: self.watchdog_timeout,
            stall_floor: self.stall_timeout,
            model_load: self.model_load_timeout,
        }
    }
}

/// How often the supervisor looks at the watchdog when the worker is quiet.
const TICK: Duration = Duration::from_millis(200);
/// How often it looks at the room left on the job's disk.
const DISK_CHECK: Duration = Duration::from_secs(2);

/// Runs the job in `folder`, reporting every event to `sink`.
pub fn run(
    folder: &JobFolder,
    config: &SupervisorConfig,
    control: &JobControl,
    mut sink: impl FnMut(SupervisorEvent),
) -> Outcome {
    run_state::clear(folder.root());
    let mut history = History::default();
    // What earlier workers showed about how slow a step of the work can be here.
    let mut slowest_step = Duration::ZERO;
    let mut disk = DiskWatch::new(folder.root());
    let mut pressure = PressureHold::new(config.memory);
    let mut workers_started = 0u32;
    loop {
        if control.stop_requested() {
            return ended(folder, control, Outcome::Stopped);
        }
        if let Ok(spec) = shared_ipc::JobSpec::load(&folder.spec())
            && let Err(reason) = memory_watch::models_fit(folder, &spec)
        {
            // The user who just pressed Start hears it at once; a job already under way (a
            // worker restarted while memory is short) waits for room instead of ending.
            if workers_started == 0 {
                job_log::append(folder, &format!("refused to start: {reason}"));
                return ended(folder, control, Outcome::Unrunnable { reason });
            }
            if pressure
                .wait_until_models_fit(folder, &spec, control, reason, &mut sink)
                .is_break()
            {
                return ended(folder, control, Outcome::Stopped);
            }
        }
        let mut worker = match WorkerProcess::spawn(folder, config.worker.as_deref(), &config.worker_env) {
            Ok(w) => w,
            Err(e) => return ended(folder, control, Outcome::Unrunnable { reason: describe(&e) }),
        };
        workers_started += 1;
        control.attach(worker.pid());
        let oom_kills = OomKills::of_process(worker.pid().as_raw() as u32);
        let mut attempt = Attempt::default();
        slowest_step = watch(
            &mut worker,
            config,
            control,
            &mut sink,
            &mut attempt,
            slowest_step,
            Watches {
                folder,
                disk: &mut disk,
                pressure: &mut pressure,
            },
        );
        let status = worker.wait();
        control.detach();
        let end = match status {
            Ok(status) => WorkerEnd::from(status),
            Err(e) => {
                let reason = format!("failed to wait for the worker: {e}");
                return ended(folder, control, Outcome::GaveUp { reason });
            }
        };
        // The kernel's OOM killer sends a plain SIGKILL; its counters tell it apart.
        attempt.out_of_memory =
            end == WorkerEnd::Signalled(Signal::SIGKILL as i32) && oom_kills.again().grew_since(&oom_kills);
        let requests = Requests {
            stop: control.stop_requested(),
            skip: control.take_skip(),
        };
        match decision::decide(
            &mut history,
            &attempt,
            end,
            &requests,
            &config.restart,
            PROTOCOL_VERSION,
        ) {
            Decision::End(outcome) => return ended(folder, control, outcome),
            Decision::Fresh => job_log::append(folder, "started a fresh worker after the leaking one committed"),
            Decision::Skip(what) => {
                if let Err(reason) = apply_skip(folder, what, &mut sink) {
                    return ended(folder, control, Outcome::GaveUp { reason });
                }
            }
            Decision::Died(death) => {
                tracing::warn!("worker {}; last log lines:\n{}", death.how, worker.stderr_tail());
                if let Some(outcome) = after_death(folder, control, death, &config.restart, &mut sink) {
                    return ended(folder, control, outcome);
                }
            }
        }
    }
}

/// Leaves the supervisor's note for the recovery scan — why the run could not go on, or who
/// stopped it, or none when the worker itself said how it ended — and returns `outcome`.
fn ended(folder: &JobFolder, control: &JobControl, outcome: Outcome) -> Outcome {
    match &outcome {
        // A watchdog restart on the way is no reason to offer a finished job for recovery.
        Outcome::Finished { .. } => run_state::clear(folder.root()),
        // The worker records only that a SIGTERM stopped it; whose it was is known here.
        Outcome::Stopped if control.stop_is_closing() => run_state::save(folder.root(), RunEnd::AppClosed, ""),
        Outcome::Stopped if control.stop_requested() => run_state::save(folder.root(), RunEnd::StoppedByUser, ""),
        Outcome::Stopped => run_state::clear(folder.root()),
        Outcome::Unrunnable { reason } => run_state::save(folder.root(), RunEnd::Unrunnable, reason),
        Outcome::GaveUp { reason } => run_state::save(folder.root(), RunEnd::GaveUp, reason),
    }
    outcome
}

/// What the supervisor watches around the job, besides the worker's own signs of life.
struct Watches<'a> {
    folder: &'a JobFolder,
    disk: &'a mut DiskWatch,
    pressure: &'a mut PressureHold,
}

/// Reads the worker's events until its stdout closes, enforcing the watchdog, the stop's
/// grace period, the memory holds and the leak guard. Returns the slowest step the watchdog
/// saw.
fn watch(
    worker: &mut WorkerProcess,
    config: &SupervisorConfig,
    control: &JobControl,
    sink: &mut impl FnMut(SupervisorEvent),
    attempt: &mut Attempt,
    slowest_step: Duration,
    watches: Watches<'_>,
) -> Duration {
    let Watches { folder, disk, pressure } = watches;
    let mut watchdog = Watchdog::new(config.watchdog_limits(), slowest_step, Instant::now());
    let mut leaks = LeakWatch::default();
    let mut term_sent_at: Option<Instant> = None;
    let mut stop_escalated = false;
    let mut disk_checked: Option<Instant> = None;
    let pid = worker.pid().as_raw() as u32;
    loop {
        match worker.events.recv_timeout(TICK) {
            Ok(WorkerMessage::Line(Incoming::Event(event))) => {
                watchdog.observe(&event, Instant::now());
                attempt.observe(&event);
                if let Some(leak) = leaks.observe(&event)
                    && !attempt.leaked
                    && !control.stop_requested()
                {
                    restart_leaking(folder, control, &leak, sink);
                    attempt.leaked = true;
                    // A worker that does not stop within the grace period is killed: at most
                    // the window in flight is lost, and the leak stops growing.
                    term_sent_at.get_or_insert_with(Instant::now);
                }
                if let WorkerEvent::Hello { protocol_version, .. } = &event
                    && *protocol_version != PROTOCOL_VERSION
                {
                    // A worker from another build must not touch the job at all.
                    control.signal_worker(Signal::SIGKILL);
                }
                sink(SupervisorEvent::Worker(event));
            }
            Ok(WorkerMessage::Line(other)) => {
                watchdog.line(Instant::now());
                sink(SupervisorEvent::WorkerLine {
                    problem: format!("{other:?}"),
                });
            }
            Ok(WorkerMessage::Closed) | Err(RecvTimeoutError::Disconnected) => return watchdog.slowest_step(),
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        if disk_checked.is_none_or(|at| now.duration_since(at) >= DISK_CHECK) {
            disk_checked = Some(now);
            watch_disk(disk, control, sink);
        }
        pressure.tick(folder, control, pid, sink);
        if let Some(asked) = control.stop_asked_at()
            && !stop_escalated
            && now.duration_since(asked) >= config.kill_grace
        {
            stop_escalated = true;
            sink(SupervisorEvent::StopEscalated {
                grace_s: config.kill_grace.as_secs_f64(),
            });
            control.signal_worker(Signal::SIGKILL);
        }
        match term_sent_at {
            None if !control.is_paused() => {
                if let Some(kill) = watchdog.check(now) {
                    sink(match kill {
                        WatchdogKill::Silent { for_ } => SupervisorEvent::Watchdog {
                            silent_s: for_.as_secs_f64(),
                        },
                        WatchdogKill::Stalled { for_, limit } => SupervisorEvent::Stalled {
                            stalled_s: for_.as_secs_f64(),
                            limit_s: limit.as_secs_f64(),
                        },
                    });
                    attempt.watchdog = Some(kill);
                    attempt.memory_pressure = memory_signs::under_memory_pressure();
                    control.signal_worker(Signal::SIGTERM);
                    term_sent_at = Some(now);
                }
            }
            Some(at) if now.duration_since(at) >= config.kill_grace => {
                control.signal_worker(Signal::SIGKILL);
            }
            _ => {}
        }
    }
}

/// Holds the job while the disk holding its records is too full to commit, and lets it go
/// on once there is room.
fn watch_disk(disk: &mut DiskWatch, control: &JobControl, sink: &mut impl FnMut(SupervisorEvent)) {
    let Some(free) = disk_space::free_bytes(disk.folder()) else {
        return;
    };
    match disk.update(free) {
        Some(DiskChange::Hold { reason }) => {
            tracing::warn!("holding the job: {reason}");
            control.hold(HoldCause::DiskFull);
            sink(SupervisorEvent::Held {
                cause: HoldCause::DiskFull,
                reason,
            });
        }
        Some(DiskChange::Release) => {
            control.release(HoldCause::DiskFull);
            sink(SupervisorEvent::Released {
                cause: HoldCause::DiskFull,
                by_user: false,
            });
        }
        None => {}
    }
}

/// Asks a worker whose memory keeps growing to stop at its next commit (a graceful stop,
/// as for a skip), so a fresh one goes on from there.
fn restart_leaking(
    folder: &JobFolder,
    control: &JobControl,
    leak: &castmill_memory::Leaking,
    sink: &mut impl FnMut(SupervisorEvent),
) {
    let mb = |bytes: u64| bytes / 1_000_000;
    let line = format!(
        "the worker's memory grew to {} MB while {}, past the {} MB that work needs (+{} MB a minute); \
         restarting it at its next commit",
        mb(leak.rss),
        leak.work,
        mb(leak.envelope),
        mb(leak.growth_per_minute)
    );
    tracing::warn!("{line}");
    job_log::append(folder, &line);
    sink(SupervisorEvent::LeakRestart {
        rss_bytes: leak.rss,
        envelope_bytes: leak.envelope,
        growth_per_minute: leak.growth_per_minute,
        work: leak.work.clone(),
    });
    control.signal_worker(Signal::SIGTERM);
}

/// Leaves out what the user skipped, and says so (or that it had ended meanwhile).
fn apply_skip(folder: &JobFolder, what: Skip, sink: &mut impl FnMut(SupervisorEvent)) -> Result<(), String> {
    let file_index = what.file_index();
    let skipped = checkpoint_edits::skip(folder, what)
        .map_err(|e| format!("failed to skip file {}: {}", file_index + 1, describe(&e)))?;
    let Skipped::Done { input } = skipped else {
        sink(SupervisorEvent::SkipDeclined {
            file_index,
            reason: "it had already finished".into(),
        });
        return Ok(());
    };
    let summary_only = matches!(what, Skip::Summary(_));
    let what = if summary_only { "the summary of file" } else { "file" };
    job_log::append(
        folder,
        &format!("skipped {what} {} ({input}) at the user's request", file_index + 1),
    );
    sink(SupervisorEvent::Skipped {
        file_index,
        input,
        summary_only,
    });
    Ok(())
}

/// Carries out a worker's death: quarantine, the supervisor's note, then a restart after the
/// backoff (`None`) or the run's end.
fn after_death(
    folder: &JobFolder,
    control: &JobControl,
    death: Death,
    policy: &RestartPolicy,
    sink: &mut impl FnMut(SupervisorEvent),
) -> Option<Outcome> {
    if let Some(quarantine) = &death.quarantine {
        let file_index = quarantine.site.file_index;
        match checkpoint_edits::quarantine(folder, quarantine.site, &quarantine.reason) {
            Ok(input) => sink(SupervisorEvent::Quarantined {
                file_index,
                input,
                reason: quarantine.reason.clone(),
                summary_only: quarantine.site.stage == super::poison::DeathStage::Summary,
            }),
            Err(e) => {
                return Some(Outcome::GaveUp {
                    reason: format!("failed to quarantine file {}: {}", file_index + 1, describe(&e)),
                });
            }
        }
    }
    if death.watchdog.is_some() {
        run_state::save(folder.root(), RunEnd::Watchdog, &death.how);
    }
    match death.next {
        AfterDeath::GiveUp { reason } => {
            job_log::append(folder, &format!("gave up: {reason}"));
            Some(Outcome::GaveUp { reason })
        }
        AfterDeath::Restart { attempt, delay } => {
            job_log::append(
                folder,
                &format!(
                    "the worker {}; restarting in {} ms (attempt {attempt})",
                    death.how,
                    delay.as_millis()
                ),
            );
            sink(SupervisorEvent::Restarting {
                attempt,
                max_attempts: policy.max_attempts,
                delay_ms: delay.as_millis() as u64,
                reason: death.how,
            });
            control.wait_or_stop(delay).then_some(Outcome::Stopped)
        }
    }
}
