//! What a stage is run with, and what a stage is.

use std::path::Path;

use batch_processor::work_progress::WorkProgress;
use shared_ipc::{JobFolder, JobSpec, Stage, TranscribeOptions, WorkerEvent};

use super::commit::CheckpointHandle;
use super::outcome::Halt;
use crate::control::{Control, StopRequested};
use crate::emitter::Emitter;
use crate::model_host::ModelHost;

/// A committed step of the job. It does whatever it has pending, records each piece of
/// work in the checkpoint and commits it, so a rerun redoes only what is not done.
pub trait JobStage {
    /// Whether a job with these options has this stage at all.
    fn wanted(&self, options: &TranscribeOptions) -> bool;

    /// Runs everything the stage has pending. A per-file problem is recorded as that file's
    /// failure; only a stop, or a job that cannot go on, ends the run early.
    fn run(&self, ctx: &mut StageContext<'_>, models: &mut ModelHost<'_>) -> Result<(), Halt>;
}

/// The running job, as every stage sees it.
pub struct StageContext<'a> {
    pub folder: &'a JobFolder,
    pub spec: &'a JobSpec,
    /// Each input's output name (`outputs::output_stems`), by input index.
    pub stems: &'a [String],
    pub emitter: &'a Emitter,
    pub control: &'a Control,
    /// Ticked by the work itself; the heartbeat reports it.
    pub progress: &'a WorkProgress,
    pub checkpoint: CheckpointHandle<'a>,
}

impl StageContext<'_> {
    /// Waits here while the job is paused; returns the stop request if there is one.
    pub fn pause_point(&self) -> Result<(), StopRequested> {
        self.control.wait_while_paused(
            || self.emitter.emit(&WorkerEvent::Paused),
            || self.emitter.emit(&WorkerEvent::Resumed),
        )
    }

    pub fn emit(&self, event: &WorkerEvent) {
        self.emitter.emit(event);
    }

    /// Reports what the worker is doing now.
    pub fn stage(&self, stage: Stage, file_index: Option<usize>) {
        self.emit(&WorkerEvent::Stage { stage, file_index });
    }

    /// Something the user should know that is not an error.
    pub fn notice(&self, file_index: Option<usize>, message: String) {
        self.emit(&WorkerEvent::Notice { file_index, message });
    }

    /// Input `index` as the job spec names it.
    pub fn input(&self, index: usize) -> &Path {
        &self.spec.inputs[index]
    }

    /// Commits the checkpoint where the work itself is already safe (see
    /// [`CheckpointHandle::commit_or_tell`]).
    pub fn commit_or_tell(&mut self) {
        self.checkpoint.commit_or_tell(self.emitter);
    }
}
