//! The supervisor's own changes to a job's checkpoint, made between two workers while
//! holding the job lock: quarantining what killed the worker, skipping what the user skipped.

use shared_ipc::job_spec::JobSpecError;
use shared_ipc::{
    Checkpoint, CheckpointError, FileCheckpoint, FileState, JobFolder, JobLock, JobSpec, LockError, StageState,
};

use super::control::Skip;
use super::poison::{DeathSite, DeathStage};

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Spec(#[from] JobSpecError),
    /// By its number as people count (1-based).
    #[error("the job has no file {0}")]
    NoSuchFile(usize),
}

/// What a skip did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// It is left out; the file's input.
    Done { input: String },
    /// It had ended meanwhile (the file finished, or the summary was made).
    AlreadyEnded,
}

/// Marks what died at `site` failed: the file, or only its summary (its transcript stays
/// done). Returns the file's input.
pub fn quarantine(folder: &JobFolder, site: DeathSite, reason: &str) -> Result<String, EditError> {
    let reason = format!("quarantined: {reason}");
    edit(folder, |checkpoint| {
        let file = file(checkpoint, site.file_index)?;
        match site.stage {
            DeathStage::Opening | DeathStage::Transcription { .. } => file.state = FileState::failed(reason),
            DeathStage::Speakers => file.speakers = StageState::failed(reason),
            DeathStage::Summary => file.summary = StageState::failed(reason),
        }
        Ok(file.input.display().to_string())
    })
}

/// Leaves out what `what` names, unless it ended meanwhile: a file not yet transcribed, or
/// a summary not yet made (and then the map is made again without it).
pub fn skip(folder: &JobFolder, what: Skip) -> Result<Skipped, EditError> {
    edit(folder, |checkpoint| {
        let file = file(checkpoint, what.file_index())?;
        let input = file.input.display().to_string();
        match what {
            Skip::File(_) if matches!(file.state, FileState::Pending | FileState::InProgress) => {
                file.state = FileState::Skipped;
            }
            Skip::Summary(_) if file.summary == StageState::Pending => {
                file.summary = StageState::Skipped;
                checkpoint.map_of_content = StageState::Pending;
            }
            Skip::File(_) | Skip::Summary(_) => return Ok(Skipped::AlreadyEnded),
        }
        Ok(Skipped::Done { input })
    })
}

fn file(checkpoint: &mut Checkpoint, index: usize) -> Result<&mut FileCheckpoint, EditError> {
    checkpoint.files.get_mut(index).ok_or(EditError::NoSuchFile(index + 1))
}

/// Loads the checkpoint under the job lock, applies `change` and saves it when it changed
/// anything. A job whose worker died before its first commit (while probing its inputs, say)
/// gets its first checkpoint here, from its spec.
fn edit<T>(folder: &JobFolder, change: impl FnOnce(&mut Checkpoint) -> Result<T, EditError>) -> Result<T, EditError> {
    let _lock = JobLock::try_acquire(&folder.lock())?;
    let path = folder.checkpoint();
    let mut checkpoint = match Checkpoint::load(&path)? {
        Some(checkpoint) => checkpoint,
        None => {
            let spec = JobSpec::load(&folder.spec())?;
            Checkpoint::new(&spec.job_id, &spec.inputs)
        }
    };
    let before = path.exists().then(|| checkpoint.clone());
    let result = change(&mut checkpoint)?;
    if before.as_ref() != Some(&checkpoint) {
        checkpoint.updated_at_ms = shared_ipc::now_unix_ms();
        checkpoint.save(&path)?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn job(states: Vec<(FileState, StageState)>) -> (tempfile::TempDir, JobFolder) {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = JobFolder::new(dir.path());
        let inputs: Vec<PathBuf> = (0..states.len())
            .map(|i| PathBuf::from(format!("/in/{i}.mp3")))
            .collect();
        let mut checkpoint = Checkpoint::new("job", &inputs);
        for (file, (state, summary)) in checkpoint.files.iter_mut().zip(states) {
            file.state = state;
            file.summary = summary;
        }
        checkpoint.map_of_content = StageState::Done { outputs: Vec::new() };
        checkpoint.save(&folder.checkpoint()).expect("save");
        (dir, folder)
    }

    fn done() -> FileState {
        FileState::Done {
            outputs: Vec::new(),
            audio_ms: 1_000,
        }
    }

    fn load(folder: &JobFolder) -> Checkpoint {
        Checkpoint::load(&folder.checkpoint()).expect("load").expect("exists")
    }

    #[test]
    fn skip_leaves_out_the_file_or_its_summary_unless_it_ended_meanwhile() {
        let (_dir, folder) = job(vec![
            (FileState::InProgress, StageState::Pending),
            (done(), StageState::Pending),
            (done(), StageState::Done { outputs: Vec::new() }),
        ]);
        assert_eq!(
            skip(&folder, Skip::File(0)).expect("skip"),
            Skipped::Done {
                input: "/in/0.mp3".into()
            }
        );
        // A file that finished before the skip arrived keeps its transcript and its summary.
        assert_eq!(skip(&folder, Skip::File(1)).expect("skip"), Skipped::AlreadyEnded);
        assert_eq!(
            skip(&folder, Skip::Summary(1)).expect("skip"),
            Skipped::Done {
                input: "/in/1.mp3".into()
            }
        );
        assert_eq!(skip(&folder, Skip::Summary(2)).expect("skip"), Skipped::AlreadyEnded);
        let cp = load(&folder);
        assert_eq!(cp.files[0].state, FileState::Skipped);
        assert_eq!(cp.files[1].summary, StageState::Skipped);
        assert!(
            matches!(cp.files[1].state, FileState::Done { .. }),
            "its transcript is kept"
        );
        assert_eq!(
            cp.map_of_content,
            StageState::Pending,
            "the map is made again without it"
        );
        assert_eq!(
            skip(&folder, Skip::File(9)).map_err(|e| e.to_string()).err(),
            Some("the job has no file 10".into())
        );
    }

    #[test]
    fn quarantine_fails_the_file_or_only_its_summary() {
        let (_dir, folder) = job(vec![
            (FileState::InProgress, StageState::Pending),
            (done(), StageState::Pending),
        ]);
        let opening = DeathSite {
            file_index: 0,
            stage: DeathStage::Opening,
        };
        assert_eq!(
            quarantine(&folder, opening, "it crashed").expect("quarantine"),
            "/in/0.mp3"
        );
        let summary = DeathSite {
            file_index: 1,
            stage: DeathStage::Summary,
        };
        quarantine(&folder, summary, "it crashed").expect("quarantine");
        let cp = load(&folder);
        assert_eq!(cp.files[0].state, FileState::failed("quarantined: it crashed"));
        assert!(matches!(cp.files[1].state, FileState::Done { .. }));
        assert_eq!(cp.files[1].summary, StageState::failed("quarantined: it crashed"));
    }

    #[test]
    fn a_job_that_never_committed_gets_its_first_checkpoint_from_its_spec() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = JobFolder::new(dir.path());
        let spec = JobSpec {
            format_version: shared_ipc::job_spec::JOB_SPEC_VERSION,
            job_id: "job".into(),
            created_at_ms: 0,
            inputs: vec![PathBuf::from("/in/a.mp3"), PathBuf::from("/in/b.mp3")],
            output_dir: PathBuf::from("/out"),
            model: PathBuf::from("/m.bin"),
            embedding_model: None,
            speaker_models: None,
            known_voices: Vec::new(),
            options: shared_ipc::TranscribeOptions::default(),
        };
        spec.save(&folder.spec()).expect("spec");
        let probing_b = DeathSite {
            file_index: 1,
            stage: DeathStage::Opening,
        };
        assert_eq!(
            quarantine(&folder, probing_b, "it crashed").expect("quarantine"),
            "/in/b.mp3"
        );
        let cp = load(&folder);
        assert_eq!(cp.files[0].state, FileState::Pending);
        assert_eq!(cp.files[1].state, FileState::failed("quarantined: it crashed"));
    }
}
