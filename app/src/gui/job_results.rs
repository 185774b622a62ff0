//! A job's results as the results screen shows them: from the run that just ended, or read
//! back from a past job's records (the history), with the line that sums them up.

use std::path::PathBuf;

use shared_ipc::journal::JournalLoad;
use shared_ipc::speaker_record::SpeakerRecord;
use shared_ipc::{Checkpoint, FileState, JobFolder, StageState};

use super::batch_figures::FileCounts;
use super::file_row::{FileRow, FileStatus, SummaryStatus};
use crate::supervisor::events::Outcome;
use crate::supervisor::recovery;

/// What a run of a job is for: the screen's title and the results' wording follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobPurpose {
    /// Transcribe (and summarise) the inputs: a new job, or one resumed or restarted.
    Transcribe,
    /// Make a finished job's summaries and Map of Content again from its transcripts.
    RebuildSummaries,
    /// Write an episode's outputs, notes and the Map of Content again with a speaker's new
    /// name.
    RenameSpeakers,
}

/// A speaker being renamed on the results screen: which file's, which speaker, the name
/// typed so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Renaming {
    pub file: usize,
    pub speaker: usize,
    pub name: String,
    /// The name field is yet to take the keyboard (it does when it first shows).
    pub wants_focus: bool,
}

/// A finished (or stopped) batch, as the results screen shows it.
pub struct Results {
    pub folder: JobFolder,
    pub files: Vec<FileRow>,
    pub summary: String,
    pub output_dir: PathBuf,
    /// `Map of Content.md`, when it was written.
    pub map: Option<PathBuf>,
    /// Why summaries or the map were not made, when the whole stage failed.
    pub knowledge_problem: Option<String>,
    /// Some results could not be saved (a full disk, a folder refusing writes); resuming
    /// the job writes them from what it kept.
    pub unsaved: bool,
    /// The speaker whose name is being typed, if any.
    pub renaming: Option<Renaming>,
}

/// Sets each file's status, length and progress from the job's checkpoint (and the journal
/// of a file part way), and returns the checkpoint. Nothing changes when there is none
/// to read.
pub(super) fn apply_recorded(files: &mut [FileRow], folder: &JobFolder) -> Option<Checkpoint> {
    let recorded = Checkpoint::load(&folder.checkpoint()).ok().flatten()?;
    for (index, (row, file)) in files.iter_mut().zip(&recorded.files).enumerate() {
        if let Some(ms) = file.duration_ms {
            row.duration_s = Some(ms as f64 / 1000.0);
        }
        match &file.state {
            FileState::Done { outputs, audio_ms } => {
                row.status = FileStatus::Done {
                    outputs: outputs.clone(),
                };
                row.done_s = *audio_ms as f64 / 1000.0;
                row.duration_s.get_or_insert(row.done_s);
            }
            FileState::Failed { reason, .. } => row.status = FileStatus::Failed { reason: reason.clone() },
            FileState::Skipped => row.status = FileStatus::Skipped,
            FileState::InProgress => {
                // Begun by an earlier run: its committed part is behind already.
                if let Ok(Some(load)) = JournalLoad::read(&folder.journal(index)) {
                    row.done_s = row.done_s.max(load.committed_ms() as f64 / 1000.0);
                }
            }
            FileState::Pending => {}
        }
        row.summary = match &file.summary {
            StageState::Done { outputs } => outputs
                .first()
                .map(|note| SummaryStatus::Done { note: note.clone() })
                .unwrap_or(SummaryStatus::None),
            StageState::Failed { reason, .. } => SummaryStatus::Failed { reason: reason.clone() },
            StageState::Skipped => SummaryStatus::Skipped,
            StageState::Pending => SummaryStatus::None,
        };
    }
    read_speakers(files, folder, &recorded);
    Some(recorded)
}

/// Each file's speakers, from its speaker record once its speakers stage is done.
pub(super) fn read_speakers(files: &mut [FileRow], folder: &JobFolder, checkpoint: &Checkpoint) {
    for (index, (row, file)) in files.iter_mut().zip(&checkpoint.files).enumerate() {
        row.speakers = file
            .speakers
            .is_done()
            .then(|| SpeakerRecord::load(&folder.speaker_record(index)))
            .flatten()
            .map(|r| r.speakers.into_iter().map(|s| (s.label, s.talk_ms)).collect())
            .unwrap_or_default();
    }
}

impl Results {
    /// A past job's results as its records hold them (the history's *Open results*).
    pub fn recorded(folder: &JobFolder) -> Result<Self, shared_ipc::job_spec::JobSpecError> {
        let spec = shared_ipc::JobSpec::load(&folder.spec())?;
        let mut files: Vec<FileRow> = spec
            .inputs
            .iter()
            .map(|input| FileRow::waiting(input.clone(), None))
            .collect();
        let recorded = apply_recorded(&mut files, folder);
        let job = recovery::summarize(folder);
        let how = match &job.state {
            recovery::JobState::Finished => "Finished".to_owned(),
            recovery::JobState::Interrupted(why) => {
                format!("Stopped: {} (the job can be resumed)", why.describe())
            }
            recovery::JobState::Running => "Running now".to_owned(),
            recovery::JobState::Corrupt(reason) => format!("Damaged records: {reason}"),
        };
        let map = spec.output_dir.join(shared_ipc::job_spec::MAP_OF_CONTENT_FILE);
        Ok(Self {
            folder: folder.clone(),
            summary: tally(&how, &files),
            files,
            map: map.is_file().then_some(map),
            output_dir: spec.output_dir,
            knowledge_problem: None,
            unsaved: has_unsaved(recorded.as_ref()),
            renaming: None,
        })
    }
}

pub(super) fn summarize(files: &[FileRow], outcome: &Outcome, purpose: JobPurpose, map_written: bool) -> String {
    if matches!(outcome, Outcome::Finished { .. }) {
        match purpose {
            JobPurpose::RebuildSummaries => return rebuilt(files, map_written),
            JobPurpose::RenameSpeakers => {
                return "Speaker renamed: the episode's outputs and note are written again with the name.".to_owned();
            }
            JobPurpose::Transcribe => {}
        }
    }
    let how = match outcome {
        Outcome::Finished { .. } => "Finished".to_owned(),
        Outcome::Stopped => "Stopped (the job can be resumed)".to_owned(),
        Outcome::Unrunnable { reason } => format!("Could not run: {reason}"),
        Outcome::GaveUp { reason } => format!("Gave up: {reason}"),
    };
    tally(&how, files)
}

/// "Finished: 2 done, 1 failed, 1 skipped, 4 in all." (skipped only when there are any).
fn tally(how: &str, files: &[FileRow]) -> String {
    let counts = FileCounts::of(files);
    let skipped = if counts.skipped > 0 {
        format!(", {} skipped", counts.skipped)
    } else {
        String::new()
    };
    format!(
        "{how}: {} done, {} failed{skipped}, {} in all.",
        counts.done,
        counts.failed,
        files.len()
    )
}

/// Some results could not be saved: resuming the job writes them from what it kept.
pub(super) fn has_unsaved(checkpoint: Option<&Checkpoint>) -> bool {
    checkpoint.is_some_and(Checkpoint::has_retryable_failures)
}

/// "Summaries rebuilt: 2 notes written, 1 failed; the Map of Content is updated."
fn rebuilt(files: &[FileRow], map_written: bool) -> String {
    let notes = files
        .iter()
        .filter(|f| matches!(f.summary, SummaryStatus::Done { .. }))
        .count();
    let failed = files
        .iter()
        .filter(|f| matches!(f.summary, SummaryStatus::Failed { .. }))
        .count();
    let mut line = format!("Summaries rebuilt: {} written", crate::progress::count(notes, "note"));
    if failed > 0 {
        line.push_str(&format!(", {failed} failed"));
    }
    line.push_str(if map_written {
        "; the Map of Content is updated."
    } else {
        "; no Map of Content was written."
    });
    line
}
