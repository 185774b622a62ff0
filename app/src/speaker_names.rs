//! The speakers of finished episodes, as the user names them: finding the episode a person
//! means, and relabelling its speakers — the label changes in the job's speaker record and
//! the job is set to write that episode's outputs, note and the folder's people and map again
//! (the worker's speakers stage keeps a saved record, so nothing is diarized again).

use std::path::{Path, PathBuf};

use shared_ipc::speaker_record::SpeakerRecord;
use shared_ipc::{Checkpoint, FileState, JobFolder, JobLock, JobSpec, LockError, StageState};
use thiserror::Error;

use crate::data_dirs::DataDirs;
use crate::speaker_library::{HeldLibrary, LibraryError, VoiceSample, check_name};

/// One finished input with speakers.
#[derive(Debug, Clone)]
pub struct Episode {
    pub folder: JobFolder,
    pub job_id: String,
    pub index: usize,
    pub input: PathBuf,
    /// Its outputs' name in the output folder.
    pub stem: String,
    pub output_dir: PathBuf,
    pub record: SpeakerRecord,
}

impl Episode {
    /// How a command names it unambiguously: `JOB:N` (N from 1).
    pub fn reference(&self) -> String {
        format!("{}:{}", self.job_id, self.index + 1)
    }

    /// The paths a person may name it by: its input, its outputs and its note.
    fn known_paths(&self, checkpoint_outputs: &[PathBuf]) -> Vec<PathBuf> {
        let mut paths = vec![self.input.clone(), self.output_dir.join(format!("{}.md", self.stem))];
        paths.extend(checkpoint_outputs.iter().cloned());
        paths
    }
}

#[derive(Debug, Error)]
pub enum NamingError {
    #[error(
        "no finished episode with speakers matches {0:?} (give its job id, JOB:N, its audio file, one of its outputs or its name)"
    )]
    NotFound(String),
    #[error("{reference:?} matches {} episodes: {}; name one", matches.len(), matches.join(", "))]
    Ambiguous { reference: String, matches: Vec<String> },
    #[error("{episode} has no speaker {who:?}; its speakers are {}", labels.join(", "))]
    NoSuchSpeaker {
        episode: String,
        who: String,
        labels: Vec<String>,
    },
    #[error("{episode} already has a speaker named {name:?}")]
    NameInUse { episode: String, name: String },
    #[error("job {0} is running; rename its speakers once it has finished or been stopped")]
    Running(String),
    #[error("failed to lock job {job}")]
    Lock { job: String, source: LockError },
    #[error("failed to write {path}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the speakers of {0} are not found yet; name them once its speakers stage has finished")]
    NotDiarized(String),
}

/// Naming failed: in the episode or in the library.
#[derive(Debug, Error)]
pub enum NameError {
    #[error(transparent)]
    Episode(#[from] NamingError),
    #[error(transparent)]
    Library(#[from] LibraryError),
}

/// What naming did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The label the speaker had.
    pub was: String,
    /// Later episodes will know the voice: the speaker said enough for a voiceprint.
    pub recognisable: bool,
}

/// Names speaker `speaker` of `episode`: the episode is relabelled (its job set to write its
/// outputs again; the caller runs it) and the voice joins the library under `name`.
pub fn name_speaker(dirs: &DataDirs, episode: &Episode, speaker: usize, name: &str) -> Result<Named, NameError> {
    let name = check_name(name)?;
    let mut held = HeldLibrary::open(dirs)?;
    relabel(episode, &[(speaker, name.to_owned())], Names::Unique)?;
    let said = &episode.record.speakers[speaker];
    held.library.remove_sample(&episode.job_id, episode.index, speaker);
    held.library.add_sample(
        name,
        VoiceSample {
            job_id: episode.job_id.clone(),
            file_index: episode.index,
            speaker,
            voiceprint: said.voiceprint.clone(),
        },
    );
    held.save()?;
    Ok(Named {
        was: said.label.clone(),
        recognisable: !said.voiceprint.is_empty(),
    })
}

/// Input `index` of the job in `folder`, when it is finished with speakers.
pub fn episode_at(folder: &JobFolder, index: usize) -> Option<Episode> {
    episodes_of(folder)
        .into_iter()
        .map(|(e, _)| e)
        .find(|e| e.index == index)
}

/// Every finished episode with a speaker record, job by job, in input order.
pub fn episodes(dirs: &DataDirs) -> Vec<Episode> {
    let Ok(entries) = std::fs::read_dir(dirs.jobs()) else {
        return Vec::new();
    };
    let mut folders: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    folders.sort();
    folders
        .into_iter()
        .flat_map(|root| episodes_of(&JobFolder::new(root)).into_iter().map(|(e, _)| e))
        .collect()
}

/// A job's finished episodes with speakers, each with the outputs its checkpoint lists.
fn episodes_of(folder: &JobFolder) -> Vec<(Episode, Vec<PathBuf>)> {
    let (Ok(spec), Ok(Some(checkpoint))) = (JobSpec::load(&folder.spec()), Checkpoint::load(&folder.checkpoint()))
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (index, file) in checkpoint.files.iter().enumerate() {
        let FileState::Done { outputs, .. } = &file.state else {
            continue;
        };
        let Some(stem) = outputs.first().and_then(|p| p.file_stem()) else {
            continue;
        };
        let Some(record) = SpeakerRecord::load(&folder.speaker_record(index)) else {
            continue;
        };
        found.push((
            Episode {
                folder: folder.clone(),
                job_id: spec.job_id.clone(),
                index,
                input: spec.inputs[index].clone(),
                stem: stem.to_string_lossy().into_owned(),
                output_dir: spec.output_dir.clone(),
                record,
            },
            outputs.clone(),
        ));
    }
    found
}

/// The episode `reference` means: `JOB` (a job with one such episode), `JOB:N`, the path of
/// its audio, of one of its outputs or its note, or its output name.
pub fn find_episode(dirs: &DataDirs, reference: &str) -> Result<Episode, NamingError> {
    let not_found = || NamingError::NotFound(reference.to_owned());
    let (job, number) = match reference.rsplit_once(':') {
        Some((job, n)) if n.parse::<usize>().is_ok() => (job, n.parse::<usize>().ok()),
        _ => (reference, None),
    };
    let by_job: Vec<Episode> = crate::supervisor::jobs::find(dirs, job)
        .map(|folder| episodes_of(&folder).into_iter().map(|(e, _)| e).collect())
        .unwrap_or_default();
    if !by_job.is_empty() {
        let matches: Vec<Episode> = by_job
            .into_iter()
            .filter(|e| number.is_none_or(|n| e.index + 1 == n))
            .collect();
        return only_one(reference, matches).ok_or_else(not_found)?;
    }
    let wanted = Path::new(reference);
    let wanted = wanted.canonicalize().ok();
    let mut matches = Vec::new();
    let Ok(entries) = std::fs::read_dir(dirs.jobs()) else {
        return Err(not_found());
    };
    for entry in entries.filter_map(|e| e.ok()) {
        for (episode, outputs) in episodes_of(&JobFolder::new(entry.path())) {
            let by_path = wanted.as_ref().is_some_and(|w| {
                episode
                    .known_paths(&outputs)
                    .iter()
                    .any(|p| p.canonicalize().ok().as_ref() == Some(w))
            });
            if by_path || episode.stem == reference {
                matches.push(episode);
            }
        }
    }
    matches.sort_by_key(Episode::reference);
    only_one(reference, matches).ok_or_else(not_found)?
}

fn only_one(reference: &str, mut matches: Vec<Episode>) -> Option<Result<Episode, NamingError>> {
    match matches.len() {
        0 => None,
        1 => matches.pop().map(Ok),
        _ => Some(Err(NamingError::Ambiguous {
            reference: reference.to_owned(),
            matches: matches.iter().map(Episode::reference).collect(),
        })),
    }
}

/// Which of `episode`'s speakers `who` means ("Speaker 2", "2", or a name it has).
pub fn speaker_of(episode: &Episode, who: &str) -> Result<usize, NamingError> {
    episode.record.find(who).ok_or_else(|| NamingError::NoSuchSpeaker {
        episode: episode.reference(),
        who: who.to_owned(),
        labels: episode.record.speakers.iter().map(|s| s.label.clone()).collect(),
    })
}

/// How new labels meet the labels an episode has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Naming or renaming: two speakers of one episode are two people, so a label another
    /// speaker has is refused.
    Unique,
    /// Merging two names: speakers of one episode that now share a label become one.
    Join,
    /// Forgetting a name: the speaker goes back to a "Speaker N" label no other speaker has
    /// (the label given is not used).
    Numbered,
}

/// Gives speakers of `episode` new labels (speaker index, label), and sets its job to write
/// the episode's outputs and the folder's notes and map again on its next run. Refused while
/// the job runs.
pub fn relabel(episode: &Episode, labels: &[(usize, String)], names: Names) -> Result<(), NamingError> {
    let job = episode.job_id.clone();
    let _lock = match JobLock::try_acquire(&episode.folder.lock()) {
        Ok(lock) => lock,
        Err(LockError::Held { .. }) => return Err(NamingError::Running(job)),
        Err(source) => return Err(NamingError::Lock { job, source }),
    };
    // Read again under the lock: what the job left, not what was listed before.
    let path = episode.folder.speaker_record(episode.index);
    let mut record = SpeakerRecord::load(&path).ok_or_else(|| NamingError::NotDiarized(episode.reference()))?;
    for (speaker, label) in labels {
        let label = &match names {
            Names::Numbered => record.free_default_label(*speaker),
            Names::Unique | Names::Join => label.clone(),
        };
        if names == Names::Unique
            && record
                .speakers
                .iter()
                .enumerate()
                .any(|(other, s)| other != *speaker && &s.label == label)
        {
            return Err(NamingError::NameInUse {
                episode: episode.reference(),
                name: label.clone(),
            });
        }
        if let Some(s) = record.speakers.get_mut(*speaker) {
            s.label = label.clone();
        }
    }
    if names == Names::Join {
        record.join_same_labels();
    }
    let write_error = |path: &Path, source: std::io::Error| NamingError::Write {
        path: path.to_owned(),
        source,
    };
    let checkpoint_path = episode.folder.checkpoint();
    let mut checkpoint = match Checkpoint::load(&checkpoint_path) {
        Ok(Some(cp)) if cp.files.len() > episode.index => cp,
        _ => return Err(NamingError::NotDiarized(episode.reference())),
    };
    record.save(&path).map_err(|e| write_error(&path, e))?;
    // The record is the truth from here on; the stage renders the outputs from it.
    checkpoint.files[episode.index].speakers = StageState::Pending;
    if checkpoint.map_of_content.is_done() {
        checkpoint.map_of_content = StageState::Pending;
    }
    checkpoint.last_stop = None;
    checkpoint.updated_at_ms = shared_ipc::now_unix_ms();
    checkpoint
        .save(&checkpoint_path)
        .map_err(|e| write_error(&checkpoint_path, std::io::Error::other(e)))?;
    Ok(())
}
