//! The history window's side of the app: past jobs from the jobs folder, and what their
//! buttons do (open results from the records, queue the files again, or only those not done).

use std::path::PathBuf;

use shared_ipc::JobSpec;

use super::{CastmillApp, Results, Screen};
use crate::gui::queue::Queue;
use crate::gui::screens;
use crate::supervisor::recovery;

impl CastmillApp {
    /// Opens the history window on a fresh scan of the jobs folder.
    pub fn open_history(&mut self) {
        if let Ok(dirs) = self.dirs() {
            self.history = Some(recovery::scan(&dirs.jobs()));
        }
    }

    pub(super) fn show_history_window(&mut self, ctx: &egui::Context) {
        let mut open = true;
        let mut action = None;
        if let Some(jobs) = &self.history {
            egui::Window::new("History")
                .open(&mut open)
                .default_width(620.0)
                .collapsible(false)
                .show(ctx, |ui| action = screens::history::show(ui, jobs));
        }
        if !open {
            self.history = None;
        }
        if let Some(action) = action {
            self.history = None;
            if let Err(e) = self.act_on_history(action) {
                self.notice = Some(format!("{e:#}"));
            }
        }
    }

    fn act_on_history(&mut self, action: screens::history::HistoryAction) -> anyhow::Result<()> {
        use screens::history::HistoryAction;
        anyhow::ensure!(
            !matches!(self.screen, Screen::Running(_)),
            "a job is running; wait for it or stop it first"
        );
        let (folder, only_unfinished) = match action {
            HistoryAction::OpenResults(folder) => {
                let results = Results::recorded(&shared_ipc::JobFolder::new(folder))?;
                self.screen = Screen::Results(results);
                return Ok(());
            }
            HistoryAction::RunAgain(folder) => (shared_ipc::JobFolder::new(folder), false),
            HistoryAction::RetryFailed(folder) => (shared_ipc::JobFolder::new(folder), true),
        };
        let spec = JobSpec::load(&folder.spec())?;
        let recorded = shared_ipc::Checkpoint::load(&folder.checkpoint()).ok().flatten();
        let inputs: Vec<PathBuf> = spec
            .inputs
            .iter()
            .enumerate()
            .filter(|(index, _)| {
                !only_unfinished
                    || !recorded.as_ref().is_some_and(|cp| {
                        cp.files
                            .get(*index)
                            .is_some_and(|f| matches!(f.state, shared_ipc::FileState::Done { .. }))
                    })
            })
            .map(|(_, input)| input.clone())
            .collect();
        self.queue = Queue::default();
        self.screen = Screen::Start;
        self.add_paths(&inputs);
        self.info = Some(format!(
            "Queued {} of that job: choose the model and options, then Start.",
            crate::progress::count(inputs.len(), "file")
        ));
        Ok(())
    }
}
