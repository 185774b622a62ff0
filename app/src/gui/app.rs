//! The `eframe::App`: owns the settings, the queue, the current screen and the dialogs, and
//! routes what the user does to the supervisor.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use shared_ipc::JobSpec;
use shared_ipc::error_chain::describe;
use shared_ipc::probe::ProbeLine;

use super::duration_probe;
use super::file_dialogs::{DialogPurpose, FileDialogs};
use super::frame_stats::FrameStats;
use super::job_thread::JobThread;
use super::model_manager::ModelManager;
use super::queue::Queue;
use super::recovery_dialog::{RecoveryChoice, RecoveryDialog};
use super::screens;
use super::screens::start::StartAction;
use super::settings::Settings;
use super::shortcuts;
use crate::data_dirs::DataDirs;
use crate::models::store::ModelStore;
use crate::supervisor::{jobs, recovery};

pub use super::running_job::{FileRow, FileStatus, JobPurpose, Results, RunningJob, SummaryStatus};

mod handoff;
mod history;
mod notices;
mod reruns;

pub enum Screen {
    Start,
    Running(Box<RunningJob>),
    Results(Results),
}

/// How the window was launched: when (for the launch-to-window time), files given on the
/// command line, and the flag a SIGTERM sets.
pub struct Launch {
    pub at: Instant,
    pub inputs: Vec<PathBuf>,
    pub shutdown: Arc<AtomicBool>,
    /// Files later launches hand over (`instance_handoff`).
    pub handoff: Option<Receiver<Vec<PathBuf>>>,
}

pub struct CastmillApp {
    pub settings: Settings,
    pub queue: Queue,
    pub screen: Screen,
    /// A problem the user should know of (e.g. why a job could not start), shown in the
    /// notice bar at the bottom, where it moves no control.
    pub notice: Option<String>,
    /// A plain answer that is no problem ("No unfinished jobs."), in the same bar.
    pub info: Option<String>,
    /// A path the notice is about, offered with Copy path (a file that could not be opened).
    pub notice_path: Option<PathBuf>,
    /// The program that opens files and folders (the desktop's default).
    pub opener: String,
    /// The worker binary to use instead of the one next to the app (tests).
    pub worker_override: Option<PathBuf>,
    /// Extra environment for the worker (diagnostics, a test build's faults).
    pub worker_env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
    /// Interrupted jobs waiting for a decision.
    pub recovery: Option<RecoveryDialog>,
    pub settings_open: bool,
    /// The history window's jobs, while it is open.
    pub history: Option<Vec<recovery::JobSummary>>,
    pub models: ModelManager,
    dialogs: FileDialogs,
    to_probe: Vec<PathBuf>,
    probes: Vec<Receiver<ProbeLine>>,
    dirs: Option<DataDirs>,
    shutdown: Option<Arc<AtomicBool>>,
    launched: Option<Instant>,
    handoff: Option<Receiver<Vec<PathBuf>>>,
    /// Files handed over while a job ran: they wait for the next batch's queue.
    handed_over: Vec<PathBuf>,
    /// Whether the window is shown (not minimized or hidden), as last seen.
    shown: bool,
    frames_drawn: u64,
    frames: FrameStats,
}

/// How long closing the window waits for a running worker to commit and exit.
const CLOSE_GRACE: Duration = Duration::from_secs(10);

impl CastmillApp {
    pub fn new(cc: &eframe::CreationContext<'_>, launch: Launch) -> Self {
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, Settings::STORAGE_KEY))
            .unwrap_or_default();
        let mut app = Self::with_settings(settings);
        app.launched = Some(launch.at);
        app.shutdown = Some(launch.shutdown);
        app.handoff = launch.handoff;
        if !launch.inputs.is_empty() {
            app.add_paths(&launch.inputs);
        }
        app
    }

    pub fn with_settings(settings: Settings) -> Self {
        match DataDirs::locate() {
            Ok(dirs) => Self::with_dirs(settings, dirs),
            Err(e) => {
                let mut app = Self::build(settings, None);
                app.notice = Some(format!("{e:#}"));
                app
            }
        }
    }

    /// The app on the data directory `dirs`; looks for interrupted jobs straight away.
    pub fn with_dirs(settings: Settings, dirs: DataDirs) -> Self {
        Self::build(settings, Some(dirs))
    }

    /// Without a data directory there are no jobs to recover and no models to list.
    fn build(settings: Settings, dirs: Option<DataDirs>) -> Self {
        let recovery = dirs
            .as_ref()
            .and_then(|d| RecoveryDialog::for_jobs(recovery::scan(&d.jobs())));
        if let Some(dialog) = &recovery {
            tracing::info!(target: "castmill::gui", "recovery dialog: {} unfinished jobs", dialog.jobs.len());
        }
        Self {
            settings,
            queue: Queue::default(),
            screen: Screen::Start,
            notice: None,
            info: None,
            notice_path: None,
            opener: super::open_path::default_opener(),
            worker_override: None,
            worker_env: Vec::new(),
            recovery,
            settings_open: false,
            history: None,
            models: ModelManager::new(dirs.as_ref().map(DataDirs::models).unwrap_or_default()),
            dialogs: FileDialogs::default(),
            to_probe: Vec::new(),
            probes: Vec::new(),
            dirs,
            shutdown: None,
            launched: None,
            handoff: None,
            handed_over: Vec::new(),
            shown: true,
            frames_drawn: 0,
            frames: FrameStats::default(),
        }
    }

    pub fn add_paths(&mut self, paths: &[PathBuf]) {
        let (added, problems) = self.queue.add_paths(paths);
        self.to_probe.extend(added);
        if !problems.is_empty() {
            self.notice = Some(problems.join("\n"));
        }
    }

    /// Creates a job from the queue and starts it.
    pub fn start(&mut self, ctx: &egui::Context) {
        if let Err(e) = self.try_start(ctx) {
            self.notice = Some(format!("Could not start: {e:#}"));
        }
    }

    fn try_start(&mut self, ctx: &egui::Context) -> anyhow::Result<()> {
        let dirs = self.dirs()?;
        anyhow::ensure!(!self.queue.items.is_empty(), "the queue is empty");
        let options = self.settings.transcribe_options();
        let embeddings = if options.wants_knowledge() {
            let store = ModelStore::new(dirs.models());
            let folder = store
                .embedding_model(&self.settings.embedding_model)
                .map_err(|e| anyhow::anyhow!("{e:#}. Install it (Settings > Models) or turn summaries off."))?;
            Some(folder)
        } else {
            None
        };
        let request = jobs::JobRequest {
            inputs: self.queue.paths(),
            output_dir: self.settings.output_dir_or_default(),
            model: self.settings.model.clone(),
            embeddings,
            options,
        };
        let job = match jobs::create_job(&dirs, request) {
            Ok(job) => job,
            Err(e @ (jobs::JobError::ModelNotInstalled { .. } | jobs::JobError::ModelUnusable { .. })) => {
                anyhow::bail!("{}. Install or choose another in Settings > Models.", describe(&e))
            }
            Err(e) => return Err(e.into()),
        };
        self.run_job(job.folder, job.spec, JobPurpose::Transcribe, ctx)
    }

    fn run_job(
        &mut self,
        folder: shared_ipc::JobFolder,
        spec: JobSpec,
        purpose: JobPurpose,
        ctx: &egui::Context,
    ) -> anyhow::Result<()> {
        let repaint = ctx.clone();
        let mut config = self.settings.supervisor_config(self.worker_override.clone());
        config.worker_env = self.worker_env.clone();
        let thread = JobThread::start(folder.clone(), config, move || repaint.request_repaint())?;
        // The lengths the queue probed show the batch's totals before the worker reports any;
        // a file the probe could not read will fail and adds nothing.
        let inputs = spec
            .inputs
            .into_iter()
            .map(|input| {
                let probed = self.queue.items.iter().find(|i| i.path == input);
                let length = probed.and_then(|i| i.duration_s.or(i.problem.as_ref().map(|_| 0.0)));
                (input, length)
            })
            .collect();
        self.screen = Screen::Running(Box::new(RunningJob::new(
            thread,
            folder,
            inputs,
            spec.output_dir,
            purpose,
        )));
        self.notice = None;
        Ok(())
    }

    fn dirs(&self) -> anyhow::Result<DataDirs> {
        self.dirs.clone().ok_or_else(|| anyhow::anyhow!("no data directory"))
    }

    /// Carries out a choice made in the recovery dialog.
    pub fn recover(&mut self, choice: RecoveryChoice, ctx: &egui::Context) {
        let (id, result) = match choice {
            RecoveryChoice::Later => {
                self.recovery = None;
                return;
            }
            RecoveryChoice::Resume(id) => {
                let result = self.resume(&id, false, ctx);
                (id, result)
            }
            RecoveryChoice::Restart(id) => {
                let result = self.resume(&id, true, ctx);
                (id, result)
            }
            RecoveryChoice::Delete(id) => {
                let result = self
                    .dirs()
                    .and_then(|dirs| Ok(jobs::delete(&dirs, &jobs::find(&dirs, &id)?)?));
                (id, result)
            }
        };
        match result {
            Ok(()) => {
                let none_left = self.recovery.as_mut().is_some_and(|d| d.forget(&id));
                // Once a job runs, the rest wait for the next launch (or the button on the start screen).
                if none_left || matches!(self.screen, Screen::Running(_)) {
                    self.recovery = None;
                }
            }
            Err(e) => self.notice = Some(format!("Job {id}: {e:#}")),
        }
    }

    fn resume(&mut self, id: &str, from_scratch: bool, ctx: &egui::Context) -> anyhow::Result<()> {
        anyhow::ensure!(
            !matches!(self.screen, Screen::Running(_)),
            "another job is running; stop it first"
        );
        let dirs = self.dirs()?;
        let folder = jobs::find(&dirs, id)?;
        if from_scratch {
            jobs::reset(&folder)?;
        }
        let spec = JobSpec::load(&folder.spec())?;
        self.run_job(folder, spec, JobPurpose::Transcribe, ctx)
    }

    /// Rescans the jobs folder and shows the recovery dialog if anything is unfinished.
    pub fn show_unfinished_jobs(&mut self) {
        if let Ok(dirs) = self.dirs() {
            self.recovery = RecoveryDialog::for_jobs(recovery::scan(&dirs.jobs()));
            if self.recovery.is_none() {
                self.info = Some("No unfinished jobs.".into());
            }
        }
    }

    fn open_dialog(&mut self, purpose: DialogPurpose, ctx: &egui::Context) {
        let start_in = match purpose {
            DialogPurpose::AddFiles | DialogPurpose::AddFolder => self.settings.last_input_dir.clone(),
            DialogPurpose::OutputFolder => Some(self.settings.output_dir_or_default()),
            DialogPurpose::ImportModelFile | DialogPurpose::ImportModelFolder => None,
        };
        self.dialogs.open(purpose, start_in, ctx);
    }

    fn dialog_answered(&mut self, purpose: DialogPurpose, paths: Vec<PathBuf>, ctx: &egui::Context) {
        let Some(first) = paths.first().cloned() else { return };
        match purpose {
            DialogPurpose::AddFiles => {
                self.settings.last_input_dir = first.parent().map(|p| p.to_owned());
                self.add_paths(&paths);
            }
            DialogPurpose::AddFolder => {
                self.settings.last_input_dir = Some(first);
                self.add_paths(&paths);
            }
            DialogPurpose::OutputFolder => self.settings.output_dir = Some(first),
            DialogPurpose::ImportModelFile | DialogPurpose::ImportModelFolder => self.models.import(&first, ctx),
        }
    }

    /// Takes in what background work reported since the last frame.
    fn poll_background(&mut self, ctx: &egui::Context) {
        match self.dialogs.poll() {
            Some(Ok((purpose, paths))) => self.dialog_answered(purpose, paths, ctx),
            Some(Err(fell_back)) => self.info = Some(fell_back),
            None => {}
        }
        self.models.poll();
        if !self.to_probe.is_empty() {
            let paths = std::mem::take(&mut self.to_probe);
            self.probes
                .extend(duration_probe::start(paths, self.worker_override.clone(), ctx));
        }
        let queue = &mut self.queue;
        self.probes.retain(|rx| {
            loop {
                match rx.try_recv() {
                    Ok(probe) => queue.probed(probe),
                    Err(std::sync::mpsc::TryRecvError::Empty) => break true,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => break false,
                }
            }
        });
        if let Screen::Running(job) = &mut self.screen
            && let Some(results) = job.drain()
        {
            tracing::info!(target: "castmill::gui", "results: {}", results.summary);
            self.screen = Screen::Results(results);
        }
    }

    fn handle_shortcuts(&mut self, ui: &egui::Ui) {
        if shortcuts::pressed(ui, shortcuts::QUIT) {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if shortcuts::pressed(ui, shortcuts::SETTINGS) {
            self.settings_open = !self.settings_open;
        }
        let ctx = ui.ctx().clone();
        match &mut self.screen {
            Screen::Start => {
                if shortcuts::pressed(ui, shortcuts::ADD_FOLDER) {
                    self.open_dialog(DialogPurpose::AddFolder, &ctx);
                } else if shortcuts::pressed(ui, shortcuts::ADD_FILES) {
                    self.open_dialog(DialogPurpose::AddFiles, &ctx);
                }
                if shortcuts::pressed(ui, shortcuts::START) && !self.queue.items.is_empty() && self.recovery.is_none() {
                    self.start(&ctx);
                }
            }
            Screen::Running(job) => {
                if shortcuts::pressed(ui, shortcuts::PAUSE_RESUME) {
                    job.toggle_pause();
                }
                if shortcuts::pressed(ui, shortcuts::SKIP) {
                    job.skip_current();
                }
                if shortcuts::pressed(ui, shortcuts::STOP) {
                    job.stop();
                }
            }
            Screen::Results(_) => {
                if shortcuts::pressed(ui, shortcuts::NEW_BATCH) {
                    self.new_batch();
                }
            }
        }
    }

    fn new_batch(&mut self) {
        self.queue = Queue::default();
        self.screen = Screen::Start;
        let waiting = std::mem::take(&mut self.handed_over);
        if !waiting.is_empty() {
            self.add_paths(&waiting);
        }
    }

    fn show_screen(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        match &mut self.screen {
            Screen::Start => match screens::start::show(ui, &mut self.settings, &mut self.queue, &self.models) {
                Some(StartAction::Start) => self.start(&ctx),
                Some(StartAction::OpenDialog(purpose)) => self.open_dialog(purpose, &ctx),
                Some(StartAction::OpenSettings) => self.settings_open = true,
                Some(StartAction::ShowUnfinishedJobs) => self.show_unfinished_jobs(),
                Some(StartAction::OpenHistory) => self.open_history(),
                None => {}
            },
            Screen::Running(job) => screens::running::show(ui, job),
            Screen::Results(results) => {
                if let Some(action) = screens::results::show(ui, results) {
                    match action {
                        screens::results::ResultsAction::NewBatch => self.new_batch(),
                        screens::results::ResultsAction::Resummarize => {
                            let folder = results.folder.clone();
                            if let Err(e) = self.resummarize(folder, ui.ctx()) {
                                self.notice = Some(format!("Could not rebuild the summaries: {e:#}"));
                            }
                        }
                        screens::results::ResultsAction::SaveAgain | screens::results::ResultsAction::Resume => {
                            let id = results.folder.id();
                            if let Err(e) = self.resume(&id, false, ui.ctx()) {
                                self.notice = Some(format!("Could not resume the job: {e:#}"));
                            }
                        }
                        screens::results::ResultsAction::NameSpeaker { file, speaker, name } => {
                            let folder = results.folder.clone();
                            match self.name_speaker(folder, file, speaker, &name, ui.ctx()) {
                                Ok(()) => {}
                                Err(e) => self.notice = Some(format!("Could not rename the speaker: {e:#}")),
                            }
                        }
                        screens::results::ResultsAction::Open(path) => {
                            if !super::open_path::within(&path, &results.output_dir) {
                                self.notice =
                                    Some(format!("{} is outside the output folder; not opened", path.display()));
                            } else if let Err(e) = super::open_path::open(&path, &self.opener) {
                                self.notice = Some(format!("Could not open it: {e}."));
                                self.notice_path = Some(e.path().to_owned());
                            }
                        }
                    }
                }
            }
        }
    }

    fn show_settings_window(&mut self, ctx: &egui::Context) {
        let mut open = self.settings_open;
        let mut action = None;
        egui::Window::new("Settings")
            .open(&mut open)
            .default_width(560.0)
            .collapsible(false)
            .show(ctx, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    action = screens::settings::show(ui, &mut self.settings, &mut self.models);
                });
            });
        self.settings_open = open;
        if let Some(screens::settings::SettingsAction::OpenDialog(purpose)) = action {
            self.open_dialog(purpose, ctx);
        }
    }

    /// A SIGTERM (logout, `kill`) closes the window the same way the close button does.
    fn check_shutdown(&mut self, ctx: &egui::Context) {
        if self.shutdown.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// Logs when the window became usable: at the start of the second frame, once the
    /// first one has been painted and shown.
    fn note_frame(&mut self, ctx: &egui::Context, frame: &eframe::Frame) {
        self.frames_drawn += 1;
        if self.frames_drawn == 1 {
            ctx.request_repaint();
        } else if let Some(at) = self.launched.take() {
            tracing::info!(target: "castmill::gui", "window ready {} ms after launch", at.elapsed().as_millis());
        }
        self.frames.record(frame.info().cpu_usage);
    }
}

/// Dims the window while files are dragged over it, saying what dropping them does.
fn show_drop_hint(ctx: &egui::Context) {
    let screen = ctx.content_rect();
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("castmill-drop-hint"),
    ));
    painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(160));
    painter.text(
        screen.center(),
        egui::Align2::CENTER_CENTER,
        "Drop to add to the queue",
        egui::FontId::proportional(24.0),
        egui::Color32::WHITE,
    );
}

impl eframe::App for CastmillApp {
    /// eframe calls this before every frame, and alone while the window is minimized or
    /// hidden: everything that must go on whether or not anyone looks — the job's events,
    /// a SIGTERM — is taken in here, never only when a frame is drawn.
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let shown = ctx.input(|i| i.viewport().visible()).unwrap_or(true);
        if shown != self.shown {
            self.shown = shown;
            tracing::info!(target: "castmill::gui", "window {}", if shown { "shown" } else { "hidden" });
        }
        self.check_shutdown(ctx);
        self.poll_background(ctx);
        let handed: Vec<Vec<PathBuf>> = self
            .handoff
            .as_ref()
            .map(|r| r.try_iter().collect())
            .unwrap_or_default();
        for paths in handed {
            self.take_handed_over(paths, ctx);
        }
        // While a job runs, tick once a second for the clock even without events.
        if matches!(self.screen, Screen::Running(_)) {
            ctx.request_repaint_after(Duration::from_secs(1));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.note_frame(&ctx, frame);
        self.handle_shortcuts(ui);
        let dropped: Vec<PathBuf> = ctx.input(|i| {
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
        if self.notice.is_some() || self.info.is_some() {
            egui::Panel::bottom("notices").show(ui, |ui| self.show_notices(ui));
        }
        egui::CentralPanel::default().show(ui, |ui| self.show_screen(ui));
        if matches!(self.screen, Screen::Start) && ctx.input(|i| !i.raw.hovered_files.is_empty()) {
            show_drop_hint(&ctx);
        }
        if self.settings_open {
            self.show_settings_window(&ctx);
        }
        if self.history.is_some() {
            self.show_history_window(&ctx);
        }
        if let Some((purpose, paths)) = self.dialogs.show(&ctx) {
            self.dialog_answered(purpose, paths, &ctx);
        }
        if let Some(dialog) = &mut self.recovery
            && let Some(choice) = dialog.show(&ctx)
        {
            self.recover(choice, &ctx);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, Settings::STORAGE_KEY, &self.settings);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // The worker would stop itself when we exit; stopping it first lets it commit calmly.
        if let Screen::Running(job) = &mut self.screen {
            job.stop_for_closing(CLOSE_GRACE);
        }
    }
}
