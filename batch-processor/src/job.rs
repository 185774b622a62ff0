//! Runs a job folder: lock, spec, checkpoint, then the stages in order — every file's
//! transcription, every transcript's summary, the batch's Map of Content. Each stage is
//! committed on its own, so a rerun redoes only what is not done. Per-file failures are
//! reported and the batch goes on; a stop request commits and exits.

use shared_ipc::protocol::{ErrorKind, StopCause};
use shared_ipc::{
    Checkpoint, FileState, JobFolder, JobLock, JobSpec, LockError, Stage, StopReason, WorkerEvent, exit_code,
};

use crate::control::{Control, StopRequested};
use crate::emitter::Emitter;
use crate::file_job::{FileContext, FileOutcome};
use crate::map_stage;
use crate::model_host::{LoadFailed, ModelHost};
use crate::outputs;
use crate::summary_stage::{self, KnowledgeContext};
use castmill_audio::AudioSource;

pub fn run(folder: &JobFolder, emitter: &Emitter, control: &Control) -> i32 {
    let job_error = |message: String| {
        emitter.emit(&WorkerEvent::Error {
            kind: ErrorKind::Job,
            message,
        });
        exit_code::JOB_ERROR
    };
    let _lock = match JobLock::try_acquire(&folder.lock()) {
        Ok(lock) => lock,
        Err(LockError::Held { path }) => {
            emitter.emit(&WorkerEvent::Error {
                kind: ErrorKind::Job,
                message: format!("job is already running (lock {} is held)", path.display()),
            });
            return exit_code::ALREADY_RUNNING;
        }
        Err(e) => return job_error(e.to_string()),
    };
    let spec = match JobSpec::load(&folder.spec()) {
        Ok(spec) => spec,
        Err(e) => return job_error(e.to_string()),
    };
    if let Err(e) = shared_ipc::atomic_file::create_private_dir(&folder.journals_dir()) {
        return job_error(format!("failed to create {}: {e}", folder.journals_dir().display()));
    }
    let mut checkpoint = load_checkpoint(folder, &spec, emitter);
    for index in checkpoint.requeue_retryable() {
        emitter.emit(&WorkerEvent::Notice {
            file_index: Some(index),
            message: format!(
                "{}: its results could not be saved last time; trying again",
                checkpoint.files[index].input.display()
            ),
        });
    }

    let mut host = ModelHost::new(&spec, emitter, control);

    emitter.emit(&WorkerEvent::Stage {
        stage: Stage::Probing,
        file_index: None,
    });
    probe_durations(&mut checkpoint);
    let stems = outputs::output_stems(&spec.inputs);
    let batch_total_s = batch_total(&checkpoint);
    let mut batch_done_s = 0.0;

    for (index, stem) in stems.iter().enumerate() {
        match &checkpoint.files[index].state {
            FileState::Done { audio_ms, .. } => {
                batch_done_s += *audio_ms as f64 / 1000.0;
                continue;
            }
            FileState::Failed { .. } | FileState::Skipped => continue,
            FileState::Pending | FileState::InProgress => {}
        }
        let ctx = FileContext {
            index,
            folder,
            spec: &spec,
            stem,
            emitter,
            control,
            batch_done_before_s: batch_done_s,
            batch_total_s,
        };
        // Loaded for the first file that needs it: a job whose transcripts are all done
        // never loads whisper.
        let transcriber = match host.transcriber() {
            Ok(t) => t,
            Err(LoadFailed(message)) => {
                emitter.emit(&WorkerEvent::Error {
                    kind: ErrorKind::Model,
                    message,
                });
                return exit_code::MODEL_ERROR;
            }
        };
        match crate::file_job::process(&ctx, &mut checkpoint, transcriber) {
            Ok(FileOutcome::Done { audio_ms }) => batch_done_s += audio_ms as f64 / 1000.0,
            Ok(FileOutcome::Failed) => {}
            Err(StopRequested(cause)) => return stop(folder, &mut checkpoint, emitter, cause),
        }
        if let Err(e) = save_checkpoint(folder, &mut checkpoint) {
            return job_error(e);
        }
    }

    if spec.options.wants_knowledge() {
        let knowledge = KnowledgeContext {
            folder,
            spec: &spec,
            stems: &stems,
            emitter,
            control,
        };
        let stages = summary_stage::run(&knowledge, &mut checkpoint, &mut host).and_then(|()| {
            host.unload();
            map_stage::run(&knowledge, &mut checkpoint)
        });
        if let Err(StopRequested(cause)) = stages {
            return stop(folder, &mut checkpoint, emitter, cause);
        }
    }
    host.unload();

    checkpoint.last_stop = Some(StopReason::Finished);
    if let Err(e) = save_checkpoint(folder, &mut checkpoint) {
        return job_error(e);
    }
    emitter.emit(&WorkerEvent::Stage {
        stage: Stage::Done,
        file_index: None,
    });
    emitter.emit(&WorkerEvent::Finished {
        files_done: checkpoint.files_done(),
        files_failed: checkpoint.files_failed(),
    });
    exit_code::FINISHED
}

fn stop(folder: &JobFolder, checkpoint: &mut Checkpoint, emitter: &Emitter, cause: StopCause) -> i32 {
    checkpoint.last_stop = Some(match cause {
        StopCause::Requested => StopReason::Requested,
        StopCause::ParentDied => StopReason::ParentDied,
    });
    // Progress inside the file is already in its journal; this records the file states.
    save_checkpoint_or_tell(folder, checkpoint, emitter);
    emitter.emit(&WorkerEvent::Stopping { cause });
    exit_code::STOPPED
}

/// Appended to a failure's reason for the user: when only saving the work failed
/// (`retry_on_resume`), that the next run tries again; one wording wherever that happens.
pub fn retried_on_resume(retry_on_resume: bool) -> &'static str {
    if retry_on_resume {
        "; resuming the job tries it again"
    } else {
        ""
    }
}

/// Saves the checkpoint where the work itself is already safe (a note written, a stop): a
/// failure costs only redoing that step after a crash, so it is told, not fatal.
pub fn save_checkpoint_or_tell(folder: &JobFolder, checkpoint: &mut Checkpoint, emitter: &Emitter) {
    if let Err(e) = save_checkpoint(folder, checkpoint) {
        tracing::error!("{e}");
        emitter.emit(&WorkerEvent::Notice {
            file_index: None,
            message: format!("could not save progress ({e}); if the job is interrupted now, the last step is redone"),
        });
    }
}

pub fn save_checkpoint(folder: &JobFolder, checkpoint: &mut Checkpoint) -> Result<(), String> {
    checkpoint.updated_at_ms = shared_ipc::now_unix_ms();
    checkpoint.save(&folder.checkpoint()).map_err(|e| e.to_string())
}

/// The checkpoint, or a fresh one when there is none or it does not fit the spec. A damaged
/// checkpoint loses nothing: finished files are rebuilt from their journals.
fn load_checkpoint(folder: &JobFolder, spec: &JobSpec, emitter: &Emitter) -> Checkpoint {
    match Checkpoint::load(&folder.checkpoint()) {
        Ok(Some(cp))
            if cp.files.len() == spec.inputs.len() && cp.files.iter().zip(&spec.inputs).all(|(f, i)| &f.input == i) =>
        {
            cp
        }
        Ok(Some(_)) => {
            emitter.emit(&WorkerEvent::Notice {
                file_index: None,
                message: "checkpoint does not match the job spec; rebuilding it from the journals".into(),
            });
            Checkpoint::new(&spec.job_id, &spec.inputs)
        }
        Ok(None) => Checkpoint::new(&spec.job_id, &spec.inputs),
        Err(e) => {
            emitter.emit(&WorkerEvent::Notice {
                file_index: None,
                message: format!("{e}; rebuilding it from the journals"),
            });
            Checkpoint::new(&spec.job_id, &spec.inputs)
        }
    }
}

fn probe_durations(checkpoint: &mut Checkpoint) {
    for file in checkpoint.files.iter_mut() {
        if file.duration_ms.is_none() && matches!(file.state, FileState::Pending | FileState::InProgress) {
            file.duration_ms = AudioSource::open(&file.input)
                .ok()
                .and_then(|s| s.duration_s())
                .map(|s| (s * 1000.0).round() as u64);
        }
    }
}

fn batch_total(checkpoint: &Checkpoint) -> Option<f64> {
    let mut total = 0.0;
    for file in &checkpoint.files {
        match (&file.state, file.duration_ms) {
            (FileState::Done { audio_ms, .. }, _) => total += *audio_ms as f64 / 1000.0,
            (FileState::Failed { .. } | FileState::Skipped, _) => {}
            (_, Some(ms)) => total += ms as f64 / 1000.0,
            (_, None) => return None,
        }
    }
    Some(total)
}
