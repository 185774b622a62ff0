//! What the running screen shows about a job, and how each supervisor event changes it.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use shared_ipc::{Checkpoint, JobFolder, Stage, WorkerEvent};

use super::batch_figures::{BatchAudio, FileCounts};
pub use super::file_row::{FileRow, FileStatus, SummaryStatus};
pub use super::job_results::{JobPurpose, Renaming, Results};
use super::job_results::{apply_recorded, has_unsaved, read_speakers, summarize};
use super::job_thread::JobThread;
use super::theme;
use super::transcript_tail::TranscriptTail;
use crate::progress::ActiveClock;
use crate::supervisor::control::{HoldCause, Skip};
use crate::supervisor::events::SupervisorEvent;

/// Everything the running screen shows, updated from events.
pub struct RunningJob {
    pub thread: JobThread,
    pub folder: JobFolder,
    pub output_dir: PathBuf,
    pub files: Vec<FileRow>,
    pub current: Option<usize>,
    pub purpose: JobPurpose,
    pub stage: String,
    /// The stage the worker last reported.
    pub current_stage: Option<Stage>,
    /// The file whose progress this run has reported (the first window of a file shows
    /// nothing measurable until it is committed).
    pub progress_of: Option<usize>,
    /// Working time of this run (pauses left out), for the speed.
    pub clock: ActiveClock,
    /// Audio this run transcribed (not what earlier runs did), for the speed.
    pub transcribed_s: f64,
    pub rss_bytes: Option<u64>,
    pub transcript: TranscriptTail,
    pub log: VecDeque<String>,
    /// Why the supervisor paused the job itself (a full disk, short memory), until it goes on.
    pub held: Vec<(HoldCause, String)>,
    pub stopping: bool,
    /// The file a skip was asked for, until the supervisor confirms it.
    pub skipping: Option<usize>,
    pub map: Option<PathBuf>,
    pub knowledge_problem: Option<String>,
}

impl RunningJob {
    /// A job whose worker was just started. Files a previous run already ended (a resumed
    /// job) start with their recorded status; `lengths` are what is known of each input's
    /// length before the worker says (the queue probed them), so the totals show at once.
    pub fn new(
        thread: JobThread,
        folder: JobFolder,
        inputs: Vec<(PathBuf, Option<f64>)>,
        output_dir: PathBuf,
        purpose: JobPurpose,
    ) -> Self {
        let files = inputs
            .into_iter()
            .map(|(input, duration_s)| FileRow::waiting(input, duration_s))
            .collect();
        let mut job = Self {
            thread,
            folder,
            output_dir,
            files,
            current: None,
            purpose,
            stage: "starting".into(),
            current_stage: None,
            progress_of: None,
            clock: ActiveClock::start(Instant::now()),
            transcribed_s: 0.0,
            rss_bytes: None,
            transcript: TranscriptTail::default(),
            log: VecDeque::new(),
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
        apply_recorded(&mut self.files, &self.folder);
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
        let checkpoint = Checkpoint::load(&self.folder.checkpoint()).ok().flatten();
        if let Some(checkpoint) = &checkpoint {
            read_speakers(&mut self.files, &self.folder, checkpoint);
        }
        Some(Results {
            folder: self.folder.clone(),
            summary: summarize(&self.files, &outcome, self.purpose, self.map.is_some()),
            files: std::mem::take(&mut self.files),
            output_dir: self.output_dir.clone(),
            map: self.map.take(),
            knowledge_problem: self.knowledge_problem.take(),
            unsaved: has_unsaved(checkpoint.as_ref()),
            renaming: None,
        })
    }

    /// The worker said it is paused (by the user or held by Castmill).
    pub fn paused(&self) -> bool {
        self.clock.is_paused()
    }

    pub fn counts(&self) -> FileCounts {
        FileCounts::of(&self.files)
    }

    pub fn audio(&self) -> BatchAudio {
        BatchAudio::of(&self.files)
    }

    /// Speed of this run's work (× real time, pauses left out), once there is any, and the
    /// time left at that speed for the files still to go.
    pub fn speed_and_time_left(&self, now: Instant) -> Option<(f64, f64)> {
        let working_s = self.clock.active(now).as_secs_f64();
        if self.transcribed_s <= 0.0 || working_s <= 0.0 {
            return None;
        }
        let speed = self.transcribed_s / working_s;
        Some((speed, self.audio().left_s / speed))
    }

    /// The file the per-file bar shows: the one being worked on, or, once it has ended
    /// (done, failed, skipped), the next one waiting, so the bar never shows an ended file
    /// as current.
    pub fn shown_file(&self) -> Option<usize> {
        let current = self.current?;
        let open = |i: &usize| matches!(self.files[*i].status, FileStatus::Waiting | FileStatus::Working);
        if open(&current) {
            return Some(current);
        }
        (current + 1..self.files.len()).find(open).or(Some(current))
    }

    pub fn current_name(&self) -> String {
        self.current
            .and_then(|i| self.files.get(i))
            .map(FileRow::name)
            .unwrap_or_default()
    }

    /// The screen's title.
    pub fn title(&self) -> &'static str {
        if self.paused() {
            "Paused"
        } else if self.stopping {
            "Stopping…"
        } else if self.purpose == JobPurpose::RebuildSummaries {
            "Rebuilding summaries"
        } else if self.purpose == JobPurpose::RenameSpeakers {
            "Renaming a speaker"
        } else {
            match self.current_stage {
                Some(Stage::FindingSpeakers) => "Finding speakers",
                Some(Stage::Summarizing) => "Summarising",
                Some(Stage::MappingContent) => "Building the Map of Content",
                _ => "Transcribing",
            }
        }
    }

    /// What is happening now, in words, including while nothing is measurable yet.
    pub fn doing(&self) -> String {
        let name = self.current_name();
        match self.current_stage {
            None => "starting the worker…".to_owned(),
            Some(Stage::LoadingModel) => "loading the model…".to_owned(),
            Some(Stage::Probing) => "reading the inputs…".to_owned(),
            Some(Stage::Opening) => format!("opening {name}…"),
            Some(Stage::Transcribing) if self.progress_of != self.current => {
                format!("transcribing the first window of {name}…")
            }
            Some(Stage::Transcribing) => format!("transcribing {name}"),
            Some(Stage::WritingOutputs) => format!("writing the transcript of {name}…"),
            Some(Stage::FindingSpeakers) => format!("finding who speaks in {name}…"),
            Some(Stage::Summarizing) => format!("summarising {name}…"),
            Some(Stage::MappingContent) => "building the Map of Content…".to_owned(),
            Some(Stage::Done) => "finishing…".to_owned(),
        }
    }

    pub fn toggle_pause(&mut self) {
        if self.stopping {
            return;
        }
        if self.paused() {
            self.thread.control.resume()
        } else {
            self.thread.control.pause()
        }
    }

    pub fn stop(&mut self) {
        self.stopping = true;
        self.thread.control.stop();
    }

    /// Stops the job because the app is closing, and waits (at most `grace`) until the worker
    /// has committed and exited.
    pub fn stop_for_closing(&mut self, grace: std::time::Duration) {
        self.stopping = true;
        self.thread.control.stop_for_closing();
        self.thread.mailbox.wait_for_end(grace);
    }

    /// What Skip does now: leave out the file being transcribed, or the summary being made;
    /// `None` when there is nothing to skip (the Map of Content, between files).
    pub fn skip_target(&self) -> Option<Skip> {
        let index = self.current?;
        match self.current_stage? {
            Stage::Opening | Stage::Transcribing | Stage::WritingOutputs => Some(Skip::File(index)),
            Stage::Summarizing => Some(Skip::Summary(index)),
            Stage::Probing | Stage::LoadingModel | Stage::FindingSpeakers | Stage::MappingContent | Stage::Done => None,
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
                if let Some(i) = file_index.filter(|i| stage != Stage::Probing && *i < self.files.len()) {
                    self.current = Some(i);
                    if self.files[i].status == FileStatus::Waiting {
                        self.set_status(i, FileStatus::Working);
                    }
                    if matches!(stage, Stage::Opening | Stage::Transcribing) {
                        let name = self.files[i].name();
                        self.transcript.read_back(i, &name, &self.folder.journal(i));
                    }
                }
            }
            WorkerEvent::Progress {
                file_index,
                file_done_s,
                file_total_s,
                ..
            } => {
                self.current = Some(file_index);
                self.progress_of = Some(file_index);
                if let Some(row) = self.files.get_mut(file_index) {
                    self.transcribed_s += (file_done_s - row.done_s).max(0.0);
                    row.done_s = file_done_s;
                    if file_total_s.is_some() {
                        row.duration_s = file_total_s;
                    }
                }
            }
            WorkerEvent::Segment { file_index, segment } => {
                let name = self.files.get(file_index).map(FileRow::name).unwrap_or_default();
                self.transcript.heard_segment(file_index, &name, &segment);
            }
            WorkerEvent::FileCompleted {
                file_index,
                outputs,
                audio_s,
                ..
            } => {
                if let Some(row) = self.files.get_mut(file_index) {
                    row.done_s = audio_s;
                    row.duration_s.get_or_insert(audio_s);
                }
                self.set_status(
                    file_index,
                    FileStatus::Done {
                        outputs: outputs.into_iter().map(PathBuf::from).collect(),
                    },
                )
            }
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
            WorkerEvent::SpeakersFound { file_index, speakers } => {
                let name = self
                    .files
                    .get(file_index)
                    .map(|f| f.name().to_string())
                    .unwrap_or_default();
                push_bounded(&mut self.log, format!("Speakers in {name}: {}", speakers.join(", ")));
            }
            WorkerEvent::SpeakersFailed { reason, .. } => push_bounded(&mut self.log, format!("No speakers: {reason}")),
            WorkerEvent::KnowledgeFailed { file_index, reason } => {
                push_bounded(&mut self.log, format!("No summary: {reason}"));
                match file_index.and_then(|i| self.files.get_mut(i)) {
                    Some(row) => row.summary = SummaryStatus::Failed { reason },
                    None => self.knowledge_problem = Some(reason),
                }
            }
            WorkerEvent::Memory { rss_bytes } => self.rss_bytes = Some(rss_bytes),
            WorkerEvent::Paused => self.clock.pause(Instant::now()),
            WorkerEvent::Resumed => self.clock.resume(Instant::now()),
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
