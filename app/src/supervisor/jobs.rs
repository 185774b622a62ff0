//! Job folders: creating them, finding them by ID, resetting them for a restart, deleting
//! them. Every job is a private folder `<data>/jobs/<id>/`.

use std::path::{Path, PathBuf};

use shared_ipc::job_spec::JOB_SPEC_VERSION;
use shared_ipc::{Checkpoint, JobFolder, JobLock, JobSpec, TranscribeOptions};
use thiserror::Error;

use crate::data_dirs::DataDirs;

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
    #[error("failed to {what} {path}: {source}")]
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
}

fn io<'p>(what: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> JobError + 'p {
    move |source| JobError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// The models a job uses: the whisper file, and the sentence-embedding folder when the job
/// makes summaries or a Map of Content.
pub struct JobModels {
    pub whisper: PathBuf,
    pub embeddings: Option<PathBuf>,
}

/// Creates a new job folder with its spec.
pub fn create_job(
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
        options,
    };
    spec.save(&folder.spec())?;
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
    for dir in [folder.journals_dir(), folder.knowledge_dir()] {
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
