//! Creates a job folder: a private folder under the jobs directory holding the spec.

use std::path::PathBuf;

use anyhow::{Context, Result};
use shared_ipc::job_spec::JOB_SPEC_VERSION;
use shared_ipc::{JobFolder, JobSpec, TranscribeOptions};

use crate::data_dirs::DataDirs;

pub fn create_job(
    dirs: &DataDirs,
    inputs: Vec<PathBuf>,
    output_dir: PathBuf,
    model: PathBuf,
    options: TranscribeOptions,
) -> Result<(JobFolder, JobSpec)> {
    let jobs = dirs.jobs();
    DataDirs::ensure_private(&jobs)?;
    let created_at_ms = shared_ipc::now_unix_ms();
    let job_id = format!("{created_at_ms}-{}", std::process::id());
    let folder = JobFolder::new(jobs.join(&job_id));
    DataDirs::ensure_private(folder.root())?;
    let spec = JobSpec {
        format_version: JOB_SPEC_VERSION,
        job_id,
        created_at_ms,
        inputs,
        output_dir,
        model,
        options,
    };
    spec.save(&folder.spec())
        .with_context(|| format!("failed to create job in {}", folder.root().display()))?;
    Ok((folder, spec))
}
