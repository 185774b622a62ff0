//! Jobs folders full of made-up jobs, for the recovery scan's test and benchmark.

use std::path::{Path, PathBuf};

use castmill::supervisor::run_state::RunEnd;
use shared_ipc::job_spec::JOB_SPEC_VERSION;
use shared_ipc::{Checkpoint, FileState, JobFolder, JobSpec, StopReason, TranscribeOptions};

/// Writes `n` jobs `job-000…` under `jobs`: even ones finished, odd ones stopped by the user
/// with one of two files done. Returns their folders.
pub fn write_jobs(jobs: &Path, n: usize) -> Vec<JobFolder> {
    (0..n)
        .map(|i| {
            let folder = JobFolder::new(jobs.join(format!("job-{i:04}")));
            std::fs::create_dir_all(folder.root()).expect("mkdir");
            let inputs = vec![
                PathBuf::from(format!("/media/ep{i}.mp3")),
                PathBuf::from(format!("/media/ep{i}b.mp3")),
            ];
            let spec = JobSpec {
                format_version: JOB_SPEC_VERSION,
                job_id: format!("job-{i:04}"),
                created_at_ms: 1_700_000_000_000 + i as u64,
                inputs: inputs.clone(),
                output_dir: PathBuf::from("/out"),
                model: PathBuf::from("/models/tiny.en.bin"),
                embedding_model: None,
                speaker_models: None,
                known_voices: Vec::new(),
                options: TranscribeOptions::default(),
            };
            spec.save(&folder.spec()).expect("spec");
            let mut cp = Checkpoint::new(&spec.job_id, &inputs);
            cp.files[0].state = FileState::Done {
                outputs: vec![],
                audio_ms: 60_000,
            };
            cp.files[1].duration_ms = Some(30_000);
            if i % 2 == 0 {
                cp.files[1].state = FileState::Done {
                    outputs: vec![],
                    audio_ms: 30_000,
                };
                cp.last_stop = Some(StopReason::Finished);
            } else {
                cp.last_stop = Some(StopReason::Requested);
                castmill::supervisor::run_state::save(folder.root(), RunEnd::StoppedByUser, "");
            }
            cp.save(&folder.checkpoint()).expect("checkpoint");
            folder
        })
        .collect()
}
