//! The supervisor's eye on memory: before a worker starts, whether its models fit; while it
//! runs, whether the machine or the job's cgroup is short of memory (then the job is held
//! at its next safe point, as a pause, and goes on by itself once the pressure has passed);
//! and whether the worker itself leaks (then it is restarted at its next commit).

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use castmill_memory::{LeakGuard, Leaking, ModelKind, PressureChange, PressureWatch, Thresholds, fit};
use shared_ipc::{Checkpoint, FileState, JobFolder, JobSpec, ModelState, Stage, WorkerEvent};

use super::control::{HoldCause, JobControl};
use super::events::SupervisorEvent;
use super::job_log;

/// How often memory is read while a worker runs: a reading is a handful of small files.
pub const CHECK_EVERY: Duration = Duration::from_millis(500);

/// Whether the models the job still needs fit in the memory available to it now. The
/// worker loads one model at a time, so each is checked on its own.
pub fn models_fit(folder: &JobFolder, spec: &JobSpec) -> Result<(), String> {
    let Some(reading) = castmill_memory::memory_now(None) else {
        return Ok(());
    };
    let checkpoint = Checkpoint::load(&folder.checkpoint()).ok().flatten();
    let transcripts_left = checkpoint.as_ref().is_none_or(|cp| {
        cp.has_retryable_failures()
            || cp
                .files
                .iter()
                .any(|f| matches!(f.state, FileState::Pending | FileState::InProgress))
    });
    if transcripts_left {
        fit::check(ModelKind::Whisper, &spec.model, &reading).map_err(|e| e.to_string())?;
    }
    if spec.options.wants_knowledge()
        && let Some(embeddings) = &spec.embedding_model
    {
        fit::check(ModelKind::Embeddings, embeddings, &reading).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Holds the job while memory is short, across the job's workers.
pub struct PressureHold {
    watch: PressureWatch,
    checked: Option<Instant>,
}

impl PressureHold {
    pub fn new(thresholds: Thresholds) -> Self {
        Self {
            watch: PressureWatch::new(thresholds),
            checked: None,
        }
    }

    /// Between workers: waits until the job's models fit again (or the user resumes anyway),
    /// saying why meanwhile; `Break` when the user stops the job instead.
    pub fn wait_until_models_fit(
        &mut self,
        folder: &JobFolder,
        spec: &JobSpec,
        control: &JobControl,
        reason: String,
        sink: &mut impl FnMut(SupervisorEvent),
    ) -> ControlFlow<()> {
        job_log::append(folder, &format!("waiting to start the worker again: {reason}"));
        sink(SupervisorEvent::Held {
            cause: HoldCause::ShortOfMemory,
            reason: format!("{reason}; the job goes on by itself when there is room"),
        });
        // The user's Resume goes on anyway, as for a hold while a worker runs.
        control.hold(HoldCause::ShortOfMemory);
        let by_user = loop {
            if control.wait_or_stop(CHECK_EVERY) {
                control.release(HoldCause::ShortOfMemory);
                return ControlFlow::Break(());
            }
            if control.take_memory_override() {
                self.watch.user_override();
                break true;
            }
            if models_fit(folder, spec).is_ok() {
                break false;
            }
        };
        control.release(HoldCause::ShortOfMemory);
        job_log::append(folder, "there is room for the worker again");
        sink(SupervisorEvent::Released {
            cause: HoldCause::ShortOfMemory,
            by_user,
        });
        ControlFlow::Continue(())
    }

    /// Reads memory (at most every [`CHECK_EVERY`]) around the worker `pid` and holds or
    /// releases the job.
    pub fn tick(&mut self, folder: &JobFolder, control: &JobControl, pid: u32, sink: &mut impl FnMut(SupervisorEvent)) {
        if control.take_memory_override() && self.watch.is_holding() {
            self.watch.user_override();
            job_log::append(folder, "the user resumed the job held for memory");
            sink(SupervisorEvent::Released {
                cause: HoldCause::ShortOfMemory,
                by_user: true,
            });
        }
        let now = Instant::now();
        if self.checked.is_some_and(|at| now.duration_since(at) < CHECK_EVERY) {
            return;
        }
        self.checked = Some(now);
        let Some(reading) = castmill_memory::memory_now(Some(pid)) else {
            return;
        };
        // Still short, and the hold lifted meanwhile (it was shared with a wait between
        // workers): hold again, quietly — the user was told.
        if self.watch.is_holding() && !control.holds(HoldCause::ShortOfMemory) {
            control.hold(HoldCause::ShortOfMemory);
        }
        match self.watch.update(&reading, now) {
            Some(PressureChange::Hold { reason }) => {
                tracing::warn!("holding the job: {reason}");
                job_log::append(folder, &format!("holding the job: {reason}"));
                control.hold(HoldCause::ShortOfMemory);
                sink(SupervisorEvent::Held {
                    cause: HoldCause::ShortOfMemory,
                    reason: format!("{reason}; it goes on by itself when memory is free again"),
                });
            }
            Some(PressureChange::Release) => {
                job_log::append(
                    folder,
                    &format!(
                        "memory is free again ({} of {}); the job goes on",
                        castmill_memory::gigabytes(reading.available()),
                        castmill_memory::gigabytes(reading.limit())
                    ),
                );
                control.release(HoldCause::ShortOfMemory);
                sink(SupervisorEvent::Released {
                    cause: HoldCause::ShortOfMemory,
                    by_user: false,
                });
            }
            None => {}
        }
    }
}

/// The leak guard over one worker's own `memory` events, told what the worker is doing by
/// its `stage` and `model` events.
#[derive(Default)]
pub struct LeakWatch {
    guard: LeakGuard,
    started: Option<Instant>,
    stage: Option<Stage>,
    /// A model is loading: growth is expected, and not judged.
    loading: bool,
}

impl LeakWatch {
    /// Takes in a worker event; says when the worker is leaking.
    pub fn observe(&mut self, event: &WorkerEvent) -> Option<Leaking> {
        match event {
            WorkerEvent::Stage { stage, .. } => {
                self.stage = Some(*stage);
                self.judge_current_work();
                None
            }
            WorkerEvent::Model { state, .. } => {
                self.loading = *state == ModelState::Loading;
                self.judge_current_work();
                None
            }
            WorkerEvent::Memory { rss_bytes } => {
                let started = *self.started.get_or_insert_with(Instant::now);
                self.guard.sample(*rss_bytes, started.elapsed().as_secs_f64())
            }
            _ => None,
        }
    }

    fn judge_current_work(&mut self) {
        match self.stage {
            Some(stage) if !self.loading && stage != Stage::LoadingModel => self.guard.work(stage.in_words()),
            _ => self.guard.pause(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_ipc::ModelRole;

    const MIB: u64 = 1024 * 1024;

    fn memory(mib: u64) -> WorkerEvent {
        WorkerEvent::Memory { rss_bytes: mib * MIB }
    }

    fn model(state: ModelState) -> WorkerEvent {
        WorkerEvent::Model {
            role: ModelRole::Embeddings,
            state,
            name: "big".into(),
        }
    }

    #[test]
    fn a_model_loading_for_seconds_is_not_a_leak_but_growth_after_it_is() {
        let mut leaks = LeakWatch::default();
        let stage = |stage| WorkerEvent::Stage {
            stage,
            file_index: Some(0),
        };
        // A large whisper model loads over many seconds, then transcription settles.
        leaks.observe(&stage(Stage::LoadingModel));
        for mib in (100..=3000).step_by(300) {
            assert_eq!(leaks.observe(&memory(mib)), None, "loading at {mib} MiB");
        }
        leaks.observe(&stage(Stage::Transcribing));
        for mib in [3100, 3100, 3100, 3150, 3120] {
            assert_eq!(leaks.observe(&memory(mib)), None);
        }
        // Summaries: the embedding model loads inside the stage.
        leaks.observe(&stage(Stage::Summarizing));
        leaks.observe(&model(ModelState::Loading));
        for mib in [200, 900, 1600, 2300, 3000] {
            assert_eq!(leaks.observe(&memory(mib)), None, "loading at {mib} MiB");
        }
        leaks.observe(&model(ModelState::Ready));
        for mib in [3000, 3000, 3000] {
            assert_eq!(leaks.observe(&memory(mib)), None);
        }
        assert_eq!(leaks.observe(&memory(4600)), None);
        let leak = leaks
            .observe(&memory(4700))
            .expect("growth past the level after the load");
        assert_eq!(leak.work, "summarising");
    }
}
