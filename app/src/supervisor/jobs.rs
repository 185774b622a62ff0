//! Job folders: creating them, finding them by ID, resetting them for a restart, deleting
//! them. Every job is a private folder `<data>/jobs/<id>/`.

use std::path::{Path, PathBuf};

use shared_ipc::job_spec::JOB_SPEC_VERSION;
use shared_ipc::model_file::{self, ModelFileError};
use shared_ipc::{Checkpoint, JobFolder, JobLock, JobSpec, SpeakerModels, TranscribeOptions};
use thiserror::Error;

use super::disk_space;
use crate::data_dirs::DataDirs;
use crate::models::speaker_model;
use crate::models::store::ModelStore;

#[derive(Debug, Error)]
pub enum JobError {
    #[error("invalid job id {0:?}")]
    BadId(String),
    #[error("no job {0}")]
    NotFound(String),
    #[error("job {0} is running; stop it first")]
    Running(String),
    #[error("{path} is not a job folder inside the jobs folder (a link?); refusing to touch it")]
    NotInside { path: PathBuf },
    #[error("failed to {what} {path}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Spec(#[from] shared_ipc::job_spec::JobSpecError),
    #[error(transparent)]
    Lock(#[from] shared_ipc::LockError),
    #[error(transparent)]
    Checkpoint(#[from] shared_ipc::CheckpointError),
    #[error("this job has no sentence-embedding model for summaries; name one to use")]
    NoKnowledge,
    /// The disk holding the jobs folder is too full for a job's records.
    #[error("{0}")]
    DataDiskFull(String),
    #[error("{}", no_inputs(skipped))]
    NoInputs { skipped: Vec<String> },
    #[error("model {name} is not installed ({} not found)", path.display())]
    ModelNotInstalled { name: String, path: PathBuf },
    #[error("model {name} is unusable ({})", path.display())]
    ModelUnusable {
        name: String,
        path: PathBuf,
        source: ModelFileError,
    },
}

fn no_inputs(skipped: &[String]) -> String {
    if skipped.is_empty() {
        "no input files given".to_owned()
    } else {
        skipped.join("; ")
    }
}

fn io<'p>(what: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> JobError + 'p {
    move |source| JobError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// What a new job is asked to do, before anything is checked. The window and the command
/// line both make their jobs from one of these, with [`create_job`].
pub struct JobRequest {
    /// Files and folders as the user gave them; a folder gives its audio files.
    pub inputs: Vec<PathBuf>,
    /// Created if missing.
    pub output_dir: PathBuf,
    /// An installed model's name, or the path of a GGML whisper file.
    pub model: String,
    /// The sentence-embedding folder, when the job makes summaries or a Map of Content.
    pub embeddings: Option<PathBuf>,
    pub options: TranscribeOptions,
}

/// A job folder with its spec, ready to run.
pub struct NewJob {
    pub folder: JobFolder,
    pub spec: JobSpec,
    /// Arguments that gave no input (a folder without audio), each with why.
    pub skipped: Vec<String>,
}

/// Makes a job from `request`: inputs expanded, the whisper model found and validated, the
/// output folder made, then the job folder and its spec. Everything is checked before the
/// job folder or the output folder exists, so a request that cannot run leaves nothing
/// behind.
pub fn create_job(dirs: &DataDirs, request: JobRequest) -> Result<NewJob, JobError> {
    let expanded = crate::inputs::expand_each(&request.inputs).map_err(io("read", Path::new(".")))?;
    if expanded.files.is_empty() {
        return Err(JobError::NoInputs {
            skipped: expanded.skipped,
        });
    }
    let model = ModelStore::new(dirs.models()).resolve(&request.model);
    let model = std::path::absolute(&model).unwrap_or(model);
    if !model.is_file() {
        return Err(JobError::ModelNotInstalled {
            name: request.model,
            path: model,
        });
    }
    if let Err(source) = model_file::validate_file(&model) {
        return Err(JobError::ModelUnusable {
            name: request.model,
            path: model,
            source,
        });
    }
    let jobs = dirs.jobs();
    if let Some(free) = disk_space::free_bytes(&jobs).filter(|&free| free < disk_space::LOW) {
        return Err(JobError::DataDiskFull(disk_space::low_space(&jobs, free)));
    }
    let out = &request.output_dir;
    std::fs::create_dir_all(out).map_err(io("create the output folder", out))?;
    let output_dir = out.canonicalize().map_err(io("resolve the output folder", out))?;
    // Where the speaker networks should be; a missing one fails only the speakers stage,
    // with its reason in the results, and the transcripts are still written.
    let speaker_models = request.options.speakers.enabled.then(|| {
        let store = ModelStore::new(dirs.models());
        SpeakerModels {
            segmentation: store.location_of(speaker_model::SEGMENTATION_NAME),
            voice_encoder: store.location_of(speaker_model::VOICE_ENCODER_NAME),
        }
    });
    let known_voices = if request.options.speakers.enabled {
        known_voices(dirs)
    } else {
        Vec::new()
    };
    let (folder, spec) = write_job(
        dirs,
        expanded.files,
        output_dir,
        JobModels {
            whisper: model,
            embeddings: request.embeddings,
            speakers: speaker_models,
            known_voices,
        },
        request.options,
    )?;
    Ok(NewJob {
        folder,
        spec,
        skipped: expanded.skipped,
    })
}

/// The voices people have named, for a new job to recognise. A library that cannot be read
/// costs only the names: the job still finds its speakers.
fn known_voices(dirs: &DataDirs) -> Vec<shared_ipc::KnownVoice> {
    match crate::speaker_library::SpeakerLibrary::load(&dirs.speaker_library()) {
        Ok(library) => library.known_voices(),
        Err(e) => {
            tracing::warn!(
                "{}; speakers will not be recognised by name",
                shared_ipc::error_chain::describe(&e)
            );
            Vec::new()
        }
    }
}

/// The models a job's spec names, and the voices it is to recognise.
struct JobModels {
    whisper: PathBuf,
    embeddings: Option<PathBuf>,
    speakers: Option<SpeakerModels>,
    known_voices: Vec<shared_ipc::KnownVoice>,
}

/// Creates the job folder and writes its spec.
fn write_job(
    dirs: &DataDirs,
    inputs: Vec<PathBuf>,
    output_dir: PathBuf,
    models: JobModels,
    options: TranscribeOptions,
) -> Result<(JobFolder, JobSpec), JobError> {
    let jobs = dirs.jobs();
    DataDirs::ensure_private(&jobs).map_err(io("create", &jobs))?;
    let created_at_ms = shared_ipc::now_unix_ms();
    let job_id = format!("{created_at_ms}-{}", std::process::id());
    let folder = JobFolder::new(jobs.join(&job_id));
    DataDirs::ensure_private(folder.root()).map_err(io("create", folder.root()))?;
    let spec = JobSpec {
        format_version: JOB_SPEC_VERSION,
        job_id,
        created_at_ms,
        inputs,
        output_dir,
        model: models.whisper,
        embedding_model: models.embeddings,
        speaker_models: models.speakers,
        known_voices: models.known_voices,
        options,
    };
    if let Err(e) = spec.save(&folder.spec()) {
        // A folder without its spec would show as a damaged job at every launch.
        let _ = std::fs::remove_dir_all(folder.root());
        return Err(e.into());
    }
    Ok((folder, spec))
}

/// The folder of job `id`, checked to be a real folder directly inside the jobs folder.
pub fn find(dirs: &DataDirs, id: &str) -> Result<JobFolder, JobError> {
    let plain = !id.is_empty()
        && id.len() <= 128
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !id.starts_with('-');
    if !plain {
        return Err(JobError::BadId(id.to_owned()));
    }
    let path = dirs.jobs().join(id);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_dir() => Ok(JobFolder::new(path)),
        Ok(_) => Err(JobError::NotInside { path }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(JobError::NotFound(id.to_owned())),
        Err(e) => Err(io("read", &path)(e)),
    }
}

/// Discards a job's progress (checkpoint, journals, supervisor note), keeping its spec, so
/// the next run starts it over. Refuses while the job runs.
pub fn reset(folder: &JobFolder) -> Result<(), JobError> {
    let _lock = hold_lock(folder)?;
    for file in [folder.checkpoint(), super::run_state::path(folder.root())] {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("remove", &file)(e)),
        }
    }
    for dir in [folder.journals_dir(), folder.knowledge_dir(), folder.speakers_dir()] {
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("remove", &dir)(e)),
        }
    }
    Ok(())
}

/// Prepares a job to rebuild its summaries and Map of Content from the transcripts it has,
/// without transcribing again: every knowledge stage goes back to pending. With
/// `embedding_model`, the job switches to that model and turns summaries and the map on
/// (a job made without them gets them). Refuses while the job runs.
pub fn prepare_resummarize(folder: &JobFolder, embedding_model: Option<PathBuf>) -> Result<(), JobError> {
    let _lock = hold_lock(folder)?;
    let mut spec = JobSpec::load(&folder.spec())?;
    if let Some(model) = embedding_model {
        spec.embedding_model = Some(model);
        spec.options.summaries = true;
        spec.options.map_of_content = true;
        spec.format_version = JOB_SPEC_VERSION;
        spec.save(&folder.spec())?;
    }
    if !spec.options.wants_knowledge() || spec.embedding_model.is_none() {
        return Err(JobError::NoKnowledge);
    }
    let path = folder.checkpoint();
    let Some(mut checkpoint) = Checkpoint::load(&path)? else {
        // Never ran: the next run makes everything anyway.
        return Ok(());
    };
    checkpoint.reset_knowledge();
    // No longer finished: if this run is interrupted, recovery offers to resume it.
    checkpoint.last_stop = None;
    checkpoint.updated_at_ms = shared_ipc::now_unix_ms();
    checkpoint.save(&path)?;
    Ok(())
}

/// Removes a job's bookkeeping. The user's inputs and outputs live elsewhere and are never
/// touched; links inside the folder are removed, not followed.
pub fn delete(dirs: &DataDirs, folder: &JobFolder) -> Result<(), JobError> {
    let root = folder.root();
    let meta = std::fs::symlink_metadata(root).map_err(io("read", root))?;
    let jobs = dirs.jobs().canonicalize().map_err(io("read", root))?;
    let parent_ok = root
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .is_some_and(|p| p == jobs);
    if !meta.is_dir() || !parent_ok {
        return Err(JobError::NotInside { path: root.to_owned() });
    }
    // Held while removing, so no worker can start on the job meanwhile.
    let _lock = hold_lock(folder)?;
    // remove_dir_all does not follow symbolic links inside the tree.
    std::fs::remove_dir_all(root).map_err(io("remove", root))
}

fn hold_lock(folder: &JobFolder) -> Result<Option<JobLock>, JobError> {
    if !folder.lock().exists() {
        return Ok(None);
    }
    match JobLock::try_acquire(&folder.lock()) {
        Ok(lock) => Ok(Some(lock)),
        Err(shared_ipc::LockError::Held { .. }) => Err(JobError::Running(folder.id())),
        Err(e) => Err(e.into()),
    }
}
