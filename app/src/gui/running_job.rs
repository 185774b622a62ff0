//! What the running screen shows about a job, and how each supervisor event changes it.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use shared_ipc::{Checkpoint, FileState, JobFolder, Stage, StageState, WorkerEvent};

use super::job_thread::JobThread;
use super::theme;
use crate::supervisor::control::{HoldCause, Skip};
use crate::supervisor::events::{Outcome, SupervisorEvent};
use crate::supervisor::recovery;

#[derive(Debug, Clone, PartialEq)]
pub enum FileStatus {
    Waiting,
    Working,
    Done { outputs: Vec<PathBuf> },
    Failed { reason: String },
    Skipped,
}

/// The episode's note (summary, key topics, related episodes).
#[derive(Debug, Clone, PartialEq)]
pub enum SummaryStatus {
    None,
    Done {
        note: PathBuf,
    },
    Failed {
        reason: String,
    },
    /// The user skipped it.
    Skipped,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    pub input: PathBuf,
    pub status: FileStatus,
    pub summary: SummaryStatus,
}

impl FileRow {
    pub fn name(&self) -> String {
        self.input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.input.display().to_string())
    }
}

/// Everything the running screen shows, updated from events.
pub struct RunningJob {
    pub thread: JobThread,
    pub folder: JobFolder,
    pub output_dir: PathBuf,
    pub files: Vec<FileRow>,
    pub current: Option<usize>,
    pub stage: String,
    /// The stage the worker last reported.
    pub current_stage: Option<Stage>,
    pub file_done_s: f64,
    pub file_total_s: Option<f64>,
    pub batch_done_s: f64,
    pub batch_total_s: Option<f64>,
    pub started: Instant,
    /// Batch seconds done when this run started (a resumed job), for the speed.
    pub batch_start_s: f64,
    pub rss_bytes: Option<u64>,
    pub transcript: VecDeque<String>,
    pub log: VecDeque<String>,
    pub paused: bool,
    /// Why the supervisor paused the job itself (a full disk, short memory), until it goes on.
    pub held: Vec<(HoldCause, String)>,
    pub stopping: bool,
    /// The file a skip was asked for, until the supervisor confirms it.
    pub skipping: Option<usize>,
    pub map: Option<PathBuf>,
    pub knowledge_problem: Option<String>,
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
}

impl RunningJob {
    /// A job whose worker was just started. Files a previous run already ended (a resumed
    /// job) start with their recorded status.
    pub fn new(thread: JobThread, folder: JobFolder, inputs: Vec<PathBuf>, output_dir: PathBuf) -> Self {
        let files = inputs
            .into_iter()
            .map(|input| FileRow {
                input,
                status: FileStatus::Waiting,
                summary: SummaryStatus::None,
            })
            .collect();
        // Audio already done by earlier runs (a resumed job) does not count toward the speed.
        let batch_start_s = recovery::summarize(&folder).audio_done_ms as f64 / 1000.0;
        let mut job = Self {
            thread,
            folder,
            output_dir,
            files,
            current: None,
            stage: "starting".into(),
            current_stage: None,
            file_done_s: 0.0,
            file_total_s: None,
            batch_done_s: 0.0,
            batch_total_s: None,
            started: Instant::now(),
            batch_start_s,
            rss_bytes: None,
            transcript: VecDeque::new(),
            log: VecDeque::new(),
            paused: false,
            held: Vec::new(),
            stopping: false,
            skipping: None,
            map: None,
            knowledge_problem: None,
        };
        job.read_recorded_status();
        job
    }

    /// Takes each file's status from the checkpoint: what earlier runs ended, or what this
    /// run did when the events that said it were lost.
    fn read_recorded_status(&mut self) {
        let Some(recorded) = Checkpoint::load(&self.folder.checkpoint()).ok().flatten() else {
            return;
        };
        for (row, file) in self.files.iter_mut().zip(&recorded.files) {
            match &file.state {
                FileState::Done { outputs, .. } => {
                    row.status = FileStatus::Done {
                        outputs: outputs.clone(),
                    }
                }
                FileState::Failed { reason, .. } => row.status = FileStatus::Failed { reason: reason.clone() },
                FileState::Skipped => row.status = FileStatus::Skipped,
                FileState::Pending | FileState::InProgress => {}
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
    }

    /// Applies what the job thread sent since the last frame; the results once it ended.
    pub fn drain(&mut self) -> Option<Results> {
        let delivery = self.thread.mailbox.take();
        for event in delivery.events {
            self.apply(event);
        }
        if delivery.lost_state {
            self.read_recorded_status();
        }
        let outcome = delivery.ended?;
        Some(Results {
            folder: self.folder.clone(),
            summary: summarize(&self.files, &outcome),
            files: std::mem::take(&mut self.files),
            output_dir: self.output_dir.clone(),
            map: self.map.take(),
            knowledge_problem: self.knowledge_problem.take(),
            unsaved: Checkpoint::load(&self.folder.checkpoint())
                .ok()
                .flatten()
                .is_some_and(|cp| cp.has_retryable_failures()),
        })
    }

    pub fn files_done(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(f.status, FileStatus::Done { .. }))
            .count()
    }

    pub fn current_name(&self) -> String {
        self.current
            .and_then(|i| self.files.get(i))
            .map(FileRow::name)
            .unwrap_or_default()
    }

    pub fn toggle_pause(&mut self) {
        if self.stopping {
            return;
        }
        if self.paused {
            self.thread.control.resume()
        } else {
            self.thread.control.pause()
        }
    }

    pub fn stop(&mut self) {
        self.stopping = true;
        self.thread.control.stop();
    }

    /// Stops the job and waits (at most `grace`) until the worker has committed and exited.
    pub fn stop_and_wait(&mut self, grace: std::time::Duration) {
        self.stop();
        self.thread.mailbox.wait_for_end(grace);
    }

    /// What Skip does now: leave out the file being transcribed, or the summary being made;
    /// `None` when there is nothing to skip (the Map of Content, between files).
    pub fn skip_target(&self) -> Option<Skip> {
        let index = self.current?;
        match self.current_stage? {
            Stage::Opening | Stage::Transcribing | Stage::WritingOutputs => Some(Skip::File(index)),
            Stage::Summarizing => Some(Skip::Summary(index)),
            Stage::Probing | Stage::LoadingModel | Stage::MappingContent | Stage::Done => None,
        }
    }

    /// Skips what [`RunningJob::skip_target`] names.
    pub fn skip_current(&mut self) {
        if self.stopping || self.skipping.is_some() {
            return;
        }
        let Some(target) = self.skip_target() else { return };
        let index = target.file_index();
        let name = self.files.get(index).map(FileRow::name).unwrap_or_default();
        let what = match target {
            Skip::File(_) => name,
            Skip::Summary(_) => format!("the summary of {name}"),
        };
        self.skipping = Some(index);
        push_bounded(&mut self.log, format!("Skipping {what}…"));
        self.thread.control.skip(target);
    }

    fn apply(&mut self, event: SupervisorEvent) {
        match event {
            SupervisorEvent::Worker(event) => self.apply_worker(event),
            SupervisorEvent::Restarting {
                attempt,
                max_attempts,
                reason,
                ..
            } => push_bounded(
                &mut self.log,
                format!(
                    "The worker {reason}. Restarting from the last saved point (attempt {attempt} of {max_attempts})."
                ),
            ),
            SupervisorEvent::Quarantined {
                file_index,
                input,
                reason,
                summary_only: true,
            } => {
                push_bounded(&mut self.log, format!("No summary for {input}: {reason}."));
                if let Some(row) = self.files.get_mut(file_index) {
                    row.summary = SummaryStatus::Failed { reason };
                }
            }
            SupervisorEvent::Quarantined {
                file_index,
                input,
                reason,
                summary_only: false,
            } => {
                push_bounded(&mut self.log, format!("Gave up on {input}: {reason}."));
                self.set_status(
                    file_index,
                    FileStatus::Failed {
                        reason: format!("the worker kept crashing on it ({reason})"),
                    },
                );
            }
            SupervisorEvent::Skipped {
                file_index,
                input,
                summary_only: false,
            } => {
                push_bounded(&mut self.log, format!("Skipped {input}."));
                self.skipping = None;
                self.set_status(file_index, FileStatus::Skipped);
            }
            SupervisorEvent::Skipped {
                file_index,
                input,
                summary_only: true,
            } => {
                push_bounded(&mut self.log, format!("Skipped the summary of {input}."));
                self.skipping = None;
                if let Some(row) = self.files.get_mut(file_index) {
                    row.summary = SummaryStatus::Skipped;
                }
            }
            SupervisorEvent::Held { cause, reason } => {
                push_bounded(&mut self.log, format!("Paused: {reason}."));
                self.held.retain(|(c, _)| *c != cause);
                self.held.push((cause, reason));
            }
            SupervisorEvent::Released { cause, by_user } => {
                let line = match (cause, by_user) {
                    (HoldCause::DiskFull, _) => "There is room on the disk again; going on.",
                    (HoldCause::ShortOfMemory, false) => "Memory is free again; going on.",
                    (HoldCause::ShortOfMemory, true) => "Going on as you asked, although memory is short.",
                };
                push_bounded(&mut self.log, line.to_owned());
                self.held.retain(|(c, _)| *c != cause);
            }
            SupervisorEvent::LeakRestart { rss_bytes, work, .. } => push_bounded(
                &mut self.log,
                format!(
                    "The worker's memory kept growing while {work} ({:.0} MB); restarting it at its next commit. Nothing is lost.",
                    rss_bytes as f64 / 1e6
                ),
            ),
            SupervisorEvent::SkipDeclined { file_index, reason } => {
                let name = self.files.get(file_index).map(FileRow::name).unwrap_or_default();
                push_bounded(&mut self.log, format!("Nothing to skip in {name}: {reason}."));
                self.skipping = None;
            }
            SupervisorEvent::Watchdog { silent_s } => push_bounded(
                &mut self.log,
                format!("The worker stopped responding for {silent_s:.0} s; restarting it."),
            ),
            SupervisorEvent::Stalled { stalled_s, .. } => push_bounded(
                &mut self.log,
                format!("The worker made no progress for {stalled_s:.0} s; restarting it."),
            ),
            SupervisorEvent::StopEscalated { grace_s } => push_bounded(
                &mut self.log,
                format!(
                    "The worker did not stop within {grace_s:.0} s; stopping it at once (at most the last 30 s of audio are transcribed again)."
                ),
            ),
            SupervisorEvent::WorkerLine { problem } => {
                push_bounded(&mut self.log, format!("unreadable worker output: {problem}"))
            }
        }
    }

    fn apply_worker(&mut self, event: WorkerEvent) {
        match event {
            WorkerEvent::Stage { stage, file_index } => {
                self.stage = stage.in_words().to_owned();
                self.current_stage = Some(stage);
                // Probing reads every input's length before the work starts: it names a file
                // the worker is not yet working on.
                if let Some(i) = file_index.filter(|_| stage != Stage::Probing) {
                    self.current = Some(i);
                    if self.files.get(i).is_some_and(|row| row.status == FileStatus::Waiting) {
                        self.set_status(i, FileStatus::Working);
                    }
                }
            }
            WorkerEvent::Progress {
                file_index,
                file_done_s,
                file_total_s,
                batch_done_s,
                batch_total_s,
            } => {
                self.current = Some(file_index);
                self.file_done_s = file_done_s;
                self.file_total_s = file_total_s;
                self.batch_done_s = batch_done_s;
                self.batch_total_s = batch_total_s;
            }
            WorkerEvent::Segment { segment, .. } => push_bounded(&mut self.transcript, segment.text.trim().to_owned()),
            WorkerEvent::FileCompleted {
                file_index, outputs, ..
            } => self.set_status(
                file_index,
                FileStatus::Done {
                    outputs: outputs.into_iter().map(PathBuf::from).collect(),
                },
            ),
            WorkerEvent::FileFailed { file_index, reason, .. } => {
                push_bounded(&mut self.log, format!("failed: {reason}"));
                self.set_status(file_index, FileStatus::Failed { reason });
            }
            WorkerEvent::SummaryWritten { file_index, note, .. } => {
                if let Some(row) = self.files.get_mut(file_index) {
                    row.summary = SummaryStatus::Done {
                        note: PathBuf::from(note),
                    };
                }
            }
            WorkerEvent::MapWritten { path } => self.map = Some(PathBuf::from(path)),
            WorkerEvent::KnowledgeFailed { file_index, reason } => {
                push_bounded(&mut self.log, format!("No summary: {reason}"));
                match file_index.and_then(|i| self.files.get_mut(i)) {
                    Some(row) => row.summary = SummaryStatus::Failed { reason },
                    None => self.knowledge_problem = Some(reason),
                }
            }
            WorkerEvent::Memory { rss_bytes } => self.rss_bytes = Some(rss_bytes),
            WorkerEvent::Paused => self.paused = true,
            WorkerEvent::Resumed => self.paused = false,
            WorkerEvent::Notice { message, .. } => push_bounded(&mut self.log, message),
            WorkerEvent::Error { message, .. } => push_bounded(&mut self.log, format!("error: {message}")),
            _ => {}
        }
    }

    fn set_status(&mut self, index: usize, status: FileStatus) {
        if let Some(row) = self.files.get_mut(index) {
            row.status = status;
        }
    }
}

fn push_bounded(list: &mut VecDeque<String>, line: String) {
    list.push_back(line);
    while list.len() > theme::TRANSCRIPT_TAIL_LINES {
        list.pop_front();
    }
}

fn summarize(files: &[FileRow], outcome: &Outcome) -> String {
    let count = |wanted: fn(&FileStatus) -> bool| files.iter().filter(|f| wanted(&f.status)).count();
    let done = count(|s| matches!(s, FileStatus::Done { .. }));
    let failed = count(|s| matches!(s, FileStatus::Failed { .. }));
    let skipped = count(|s| *s == FileStatus::Skipped);
    let how = match outcome {
        Outcome::Finished { .. } => "Finished".to_owned(),
        Outcome::Stopped => "Stopped (the job can be resumed)".to_owned(),
        Outcome::Unrunnable { reason } => format!("Could not run: {reason}"),
        Outcome::GaveUp { reason } => format!("Gave up: {reason}"),
    };
    let skipped = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    format!("{how}: {done} done, {failed} failed{skipped}, {} in all.", files.len())
}
