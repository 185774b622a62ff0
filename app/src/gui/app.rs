//! The `eframe::App`: owns the settings, the queue and the current screen.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use shared_ipc::{Decoding, JobFolder, TranscribeOptions, WorkerEvent};

use super::job_thread::{JobMessage, JobThread};
use super::queue::Queue;
use super::screens;
use super::settings::Settings;
use super::theme;
use crate::data_dirs::DataDirs;
use crate::models::store::ModelStore;
use crate::supervisor::events::{Outcome, SupervisorEvent};
use crate::supervisor::runner::SupervisorConfig;

#[derive(Debug, Clone, PartialEq)]
pub enum FileStatus {
    Waiting,
    Working,
    Done { outputs: Vec<PathBuf> },
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    pub input: PathBuf,
    pub status: FileStatus,
}

/// Everything the running screen shows, updated from events.
pub struct RunningJob {
    pub thread: JobThread,
    pub folder: JobFolder,
    pub files: Vec<FileRow>,
    pub current: Option<usize>,
    pub stage: String,
    pub file_done_s: f64,
    pub file_total_s: Option<f64>,
    pub batch_done_s: f64,
    pub batch_total_s: Option<f64>,
    pub started: Instant,
    /// Batch seconds done when this run started (a resumed job), for the speed.
    pub batch_start_s: Option<f64>,
    pub rss_bytes: Option<u64>,
    pub transcript: VecDeque<String>,
    pub log: VecDeque<String>,
    pub paused: bool,
    pub stopping: bool,
}

pub struct Results {
    pub files: Vec<FileRow>,
    pub summary: String,
    pub output_dir: PathBuf,
}

pub enum Screen {
    Start,
    Running(Box<RunningJob>),
    Results(Results),
}

pub struct CastmillApp {
    pub settings: Settings,
    pub queue: Queue,
    pub screen: Screen,
    /// A message for the user (e.g. why a job could not start).
    pub notice: Option<String>,
    /// How jobs are supervised (watchdog, restarts, which worker binary).
    pub supervisor: SupervisorConfig,
    dirs: Option<DataDirs>,
}

impl CastmillApp {
    pub fn new(cc: &eframe::CreationContext<'_>) -> Self {
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, Settings::STORAGE_KEY))
            .unwrap_or_default();
        Self::with_settings(settings)
    }

    pub fn with_settings(settings: Settings) -> Self {
        match DataDirs::locate() {
            Ok(dirs) => Self::with_dirs(settings, dirs),
            Err(e) => {
                let mut app = Self::with_dirs(settings, DataDirs::at("."));
                app.dirs = None;
                app.notice = Some(format!("{e:#}"));
                app
            }
        }
    }

    pub fn with_dirs(settings: Settings, dirs: DataDirs) -> Self {
        Self {
            settings,
            queue: Queue::default(),
            screen: Screen::Start,
            notice: None,
            supervisor: SupervisorConfig::default(),
            dirs: Some(dirs),
        }
    }

    pub fn add_paths(&mut self, paths: &[PathBuf]) {
        let problems = self.queue.add_paths(paths);
        if !problems.is_empty() {
            self.notice = Some(problems.join("\n"));
        }
    }

    /// Creates the job and starts it on a background thread.
    pub fn start(&mut self, ctx: &egui::Context) {
        if let Err(e) = self.try_start(ctx) {
            self.notice = Some(format!("Could not start: {e:#}"));
        }
    }

    fn try_start(&mut self, ctx: &egui::Context) -> anyhow::Result<()> {
        let dirs = self.dirs.clone().ok_or_else(|| anyhow::anyhow!("no data directory"))?;
        anyhow::ensure!(!self.queue.items.is_empty(), "the queue is empty");
        let out = self.settings.output_dir_or_default();
        std::fs::create_dir_all(&out)?;
        let out = out.canonicalize()?;
        let model = ModelStore::new(dirs.models()).resolve(&self.settings.model);
        anyhow::ensure!(model.is_file(), "model {} is not installed", self.settings.model);
        let options = TranscribeOptions {
            language: self.settings.language.clone(),
            decoding: if self.settings.beam_search {
                Decoding::BeamSearch { beam_size: 5 }
            } else {
                Decoding::Greedy
            },
            threads: self.settings.threads,
            ..TranscribeOptions::default()
        };
        let inputs = self.queue.paths();
        let (folder, _) = crate::supervisor::jobs::create_job(&dirs, inputs.clone(), out, model, options)?;
        let repaint_ctx = ctx.clone();
        let thread = JobThread::start(folder.clone(), self.supervisor.clone(), move || {
            repaint_ctx.request_repaint()
        })?;
        self.screen = Screen::Running(Box::new(RunningJob {
            thread,
            folder,
            files: inputs
                .into_iter()
                .map(|input| FileRow {
                    input,
                    status: FileStatus::Waiting,
                })
                .collect(),
            current: None,
            stage: "starting".into(),
            file_done_s: 0.0,
            file_total_s: None,
            batch_done_s: 0.0,
            batch_total_s: None,
            started: Instant::now(),
            batch_start_s: None,
            rss_bytes: None,
            transcript: VecDeque::new(),
            log: VecDeque::new(),
            paused: false,
            stopping: false,
        }));
        self.notice = None;
        Ok(())
    }

    /// Applies what the job thread sent since the last frame.
    fn drain_job_messages(&mut self) {
        let Screen::Running(job) = &mut self.screen else { return };
        let mut ended = None;
        while let Ok(message) = job.thread.messages.try_recv() {
            match message {
                JobMessage::Event(event) => apply_event(job, event),
                JobMessage::Ended(outcome) => ended = Some(outcome),
            }
        }
        if let Some(outcome) = ended {
            let summary = summarize(&job.files, &outcome);
            let files = std::mem::take(&mut job.files);
            self.screen = Screen::Results(Results {
                files,
                summary,
                output_dir: self.settings.output_dir_or_default(),
            });
        }
    }
}

fn push_bounded(list: &mut VecDeque<String>, line: String) {
    list.push_back(line);
    while list.len() > theme::TRANSCRIPT_TAIL_LINES {
        list.pop_front();
    }
}

fn apply_event(job: &mut RunningJob, event: SupervisorEvent) {
    match event {
        SupervisorEvent::Worker(event) => match event {
            WorkerEvent::Stage { stage, file_index } => {
                job.stage = format!("{stage:?}").replace('_', " ").to_lowercase();
                if let Some(i) = file_index {
                    job.current = Some(i);
                    if let Some(row) = job.files.get_mut(i)
                        && row.status == FileStatus::Waiting
                    {
                        row.status = FileStatus::Working;
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
                job.current = Some(file_index);
                job.file_done_s = file_done_s;
                job.file_total_s = file_total_s;
                job.batch_done_s = batch_done_s;
                job.batch_total_s = batch_total_s;
                job.batch_start_s.get_or_insert(batch_done_s);
            }
            WorkerEvent::Segment { segment, .. } => push_bounded(&mut job.transcript, segment.text.trim().to_owned()),
            WorkerEvent::FileCompleted {
                file_index, outputs, ..
            } => {
                if let Some(row) = job.files.get_mut(file_index) {
                    row.status = FileStatus::Done {
                        outputs: outputs.into_iter().map(PathBuf::from).collect(),
                    };
                }
            }
            WorkerEvent::FileFailed { file_index, reason, .. } => {
                push_bounded(&mut job.log, format!("failed: {reason}"));
                if let Some(row) = job.files.get_mut(file_index) {
                    row.status = FileStatus::Failed { reason };
                }
            }
            WorkerEvent::Memory { rss_bytes } => job.rss_bytes = Some(rss_bytes),
            WorkerEvent::Paused => job.paused = true,
            WorkerEvent::Resumed => job.paused = false,
            WorkerEvent::Notice { message, .. } => push_bounded(&mut job.log, message),
            WorkerEvent::Error { message, .. } => push_bounded(&mut job.log, format!("error: {message}")),
            _ => {}
        },
        SupervisorEvent::Restarting {
            attempt,
            max_attempts,
            reason,
            ..
        } => push_bounded(
            &mut job.log,
            format!("The worker {reason}. Restarting from the last saved point (attempt {attempt} of {max_attempts})."),
        ),
        SupervisorEvent::Quarantined {
            file_index,
            input,
            reason,
        } => {
            push_bounded(&mut job.log, format!("Skipped {input}: {reason}."));
            if let Some(row) = job.files.get_mut(file_index) {
                row.status = FileStatus::Failed {
                    reason: format!("the worker kept crashing on it ({reason})"),
                };
            }
        }
        SupervisorEvent::Watchdog { silent_s } => push_bounded(
            &mut job.log,
            format!("The worker stopped responding for {silent_s:.0} s; restarting it."),
        ),
        SupervisorEvent::WorkerLine { problem } => {
            push_bounded(&mut job.log, format!("unreadable worker output: {problem}"))
        }
    }
}

fn summarize(files: &[FileRow], outcome: &Outcome) -> String {
    let done = files
        .iter()
        .filter(|f| matches!(f.status, FileStatus::Done { .. }))
        .count();
    let failed = files
        .iter()
        .filter(|f| matches!(f.status, FileStatus::Failed { .. }))
        .count();
    let how = match outcome {
        Outcome::Finished { .. } => "Finished".to_owned(),
        Outcome::Stopped => "Stopped (the job can be resumed)".to_owned(),
        Outcome::Unrunnable { reason } => format!("Could not run: {reason}"),
        Outcome::GaveUp { reason } => format!("Gave up: {reason}"),
    };
    format!("{how}: {done} done, {failed} failed, {} in all.", files.len())
}

impl eframe::App for CastmillApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.drain_job_messages();
        let dropped: Vec<PathBuf> = ui.ctx().input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() && matches!(self.screen, Screen::Start) {
            self.add_paths(&dropped);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(notice) = self.notice.clone() {
                ui.horizontal(|ui| {
                    ui.colored_label(theme::FAILED, notice);
                    if ui.small_button("Dismiss").clicked() {
                        self.notice = None;
                    }
                });
                ui.add_space(theme::SPACING);
            }
            match &mut self.screen {
                Screen::Start => {
                    if screens::start::show(ui, &mut self.settings, &mut self.queue) {
                        let ctx = ui.ctx().clone();
                        self.start(&ctx);
                    }
                }
                Screen::Running(job) => screens::running::show(ui, job),
                Screen::Results(results) => {
                    if screens::results::show(ui, results) {
                        self.queue = Queue::default();
                        self.screen = Screen::Start;
                    }
                }
            }
        });
        // While a job runs, repaint once a second for the clock even without events.
        if matches!(self.screen, Screen::Running(_)) {
            ui.ctx().request_repaint_after(std::time::Duration::from_secs(1));
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, Settings::STORAGE_KEY, &self.settings);
    }
}
