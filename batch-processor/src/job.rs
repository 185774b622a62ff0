//! Runs a job folder: lock, spec, checkpoint, then the stages in order — every file's
//! transcription, its speakers, every transcript's summary, the batch's Map of Content. Each stage is
//! committed on its own, so a rerun redoes only what is not done. Per-file failures are
//! reported and the batch goes on; a stop request commits and exits.

use batch_processor::work_progress::WorkProgress;
use shared_ipc::error_chain::describe;
use shared_ipc::protocol::{ErrorKind, StopCause};
use shared_ipc::{Checkpoint, JobFolder, JobLock, JobSpec, LockError, Stage, StopReason, WorkerEvent, exit_code};

use crate::control::{Control, StopRequested};
use crate::emitter::Emitter;
use crate::model_host::ModelHost;
use crate::output_names;
use crate::stage::commit::CheckpointHandle;
use crate::stage::context::{JobStage, StageContext};
use crate::stage::outcome::Halt;
use crate::stages::map::MapOfContent;
use crate::stages::speakers::Speakers;
use crate::stages::summaries::Summaries;
use crate::stages::transcription::Transcription;

/// The stages, in the order they run. A new stage goes into this list and nowhere else.
const STAGES: [&dyn JobStage; 4] = [&Transcription, &Speakers, &Summaries, &MapOfContent];

pub fn run(folder: &JobFolder, emitter: &Emitter, control: &Control, progress: &WorkProgress) -> i32 {
    let job_error = |message: String| {
        emitter.emit(&WorkerEvent::Error {
            kind: ErrorKind::Job,
            message,
        });
        exit_code::JOB_ERROR
    };
    let _lock = match JobLock::try_acquire(&folder.lock()) {
        Ok(lock) => lock,
        Err(e @ LockError::Held { .. }) => {
            emitter.emit(&WorkerEvent::Error {
                kind: ErrorKind::Job,
                message: e.to_string(),
            });
            return exit_code::ALREADY_RUNNING;
        }
        Err(e) => return job_error(describe(&e)),
    };
    let spec = match JobSpec::load(&folder.spec()) {
        Ok(spec) => spec,
        Err(e) => return job_error(describe(&e)),
    };
    if let Err(e) = shared_ipc::atomic_file::create_private_dir(&folder.journals_dir()) {
        return job_error(format!("failed to create {}: {e}", folder.journals_dir().display()));
    }
    let checkpoint = load_checkpoint(folder, &spec, emitter);
    let stems = output_names::claim_stems(
        &spec.output_dir,
        &spec.job_id,
        &spec.inputs,
        &written_stems(&checkpoint),
    );
    let mut ctx = StageContext {
        folder,
        spec: &spec,
        stems: &stems,
        emitter,
        control,
        progress,
        checkpoint: CheckpointHandle::new(folder, checkpoint),
    };
    for index in ctx.checkpoint.requeue_retryable() {
        ctx.notice(
            Some(index),
            format!(
                "{}: its results could not be saved last time; trying again",
                ctx.input(index).display()
            ),
        );
    }

    let mut models = ModelHost::new(&spec, emitter, control, progress);
    for stage in STAGES {
        if !stage.wanted(&spec.options) {
            continue;
        }
        match stage.run(&mut ctx, &mut models) {
            Ok(()) => {}
            Err(Halt::Stop(StopRequested(cause))) => return stop(&mut ctx, cause),
            Err(Halt::Fatal { kind, code, message }) => {
                emitter.emit(&WorkerEvent::Error { kind, message });
                return code;
            }
        }
    }
    models.unload();

    ctx.checkpoint.last_stop = Some(StopReason::Finished);
    if let Err(e) = ctx.checkpoint.commit() {
        return job_error(describe(&e));
    }
    ctx.stage(Stage::Done, None);
    emitter.emit(&WorkerEvent::Finished {
        files_done: ctx.checkpoint.files_done(),
        files_failed: ctx.checkpoint.files_failed(),
    });
    exit_code::FINISHED
}

/// The names earlier runs wrote each finished input's outputs under: they stay.
fn written_stems(checkpoint: &Checkpoint) -> Vec<Option<String>> {
    checkpoint
        .files
        .iter()
        .map(|file| match &file.state {
            shared_ipc::FileState::Done { outputs, .. } => outputs
                .first()
                .and_then(|path| path.file_stem())
                .map(|stem| stem.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

fn stop(ctx: &mut StageContext<'_>, cause: StopCause) -> i32 {
    ctx.checkpoint.last_stop = Some(match cause {
        StopCause::Requested => StopReason::Requested,
        StopCause::ParentDied => StopReason::ParentDied,
    });
    // Progress inside the file is already in its journal; this records the file states.
    ctx.commit_or_tell();
    ctx.emit(&WorkerEvent::Stopping { cause });
    exit_code::STOPPED
}

/// The checkpoint, or a fresh one when there is none or it does not fit the spec. A damaged
/// checkpoint loses nothing: finished files are rebuilt from their journals.
fn load_checkpoint(folder: &JobFolder, spec: &JobSpec, emitter: &Emitter) -> Checkpoint {
    let notice = |message: String| {
        emitter.emit(&WorkerEvent::Notice {
            file_index: None,
            message,
        })
    };
    match Checkpoint::load(&folder.checkpoint()) {
        Ok(Some(cp))
            if cp.files.len() == spec.inputs.len() && cp.files.iter().zip(&spec.inputs).all(|(f, i)| &f.input == i) =>
        {
            cp
        }
        Ok(Some(_)) => {
            notice("checkpoint does not match the job spec; rebuilding it from the journals".into());
            Checkpoint::new(&spec.job_id, &spec.inputs)
        }
        Ok(None) => Checkpoint::new(&spec.job_id, &spec.inputs),
        Err(e) => {
            notice(format!("{}; rebuilding it from the journals", describe(&e)));
            Checkpoint::new(&spec.job_id, &spec.inputs)
        }
    }
}
