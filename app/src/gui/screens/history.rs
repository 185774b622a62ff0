//! The history window: every past job, newest first, with what became of its files, and
//! *Open results*, *Run again* (its inputs back in the queue, to run with other settings)
//! and *Retry failed* (only the files that failed or were skipped).

use std::path::PathBuf;

use egui::Ui;

use crate::gui::theme;
use crate::progress::{ago, count};
use crate::supervisor::recovery::{JobState, JobSummary};

pub enum HistoryAction {
    OpenResults(PathBuf),
    RunAgain(PathBuf),
    RetryFailed(PathBuf),
}

pub fn show(ui: &mut Ui, jobs: &[JobSummary]) -> Option<HistoryAction> {
    let mut action = None;
    if jobs.is_empty() {
        ui.label("No jobs yet. Finished and stopped jobs appear here.");
        return None;
    }
    egui::ScrollArea::vertical()
        .max_height(ui.available_height())
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for job in jobs {
                let state = match &job.state {
                    JobState::Finished => "finished".to_owned(),
                    JobState::Interrupted(why) => format!("stopped: {}", why.describe()),
                    JobState::Running => "running now".to_owned(),
                    JobState::Corrupt(_) => "records damaged".to_owned(),
                };
                ui.horizontal_wrapped(|ui| {
                    ui.strong(job.title());
                    ui.colored_label(theme::MUTED, format!("{} · {}", ago(job.created_at_ms), state));
                });
                let left = job.files_total.saturating_sub(job.files_done + job.files_failed);
                ui.label(format!(
                    "{} done · {} failed · {} not done, of {} · audio {}",
                    job.files_done,
                    job.files_failed,
                    left,
                    count(job.files_total, "file"),
                    job.audio_text()
                ));
                if let Some(out) = &job.output_dir {
                    ui.colored_label(theme::MUTED, format!("Outputs in {}", out.display()));
                }
                if !matches!(job.state, JobState::Corrupt(_) | JobState::Running) {
                    ui.horizontal(|ui| {
                        if ui.button("Open results").clicked() {
                            action = Some(HistoryAction::OpenResults(job.folder.clone()));
                        }
                        if ui
                            .button("Run again")
                            .on_hover_text("Queue its files again, to run with another model or options")
                            .clicked()
                        {
                            action = Some(HistoryAction::RunAgain(job.folder.clone()));
                        }
                        if left + job.files_failed > 0
                            && ui
                                .button("Retry failed")
                                .on_hover_text("Queue only the files that failed, were skipped or were not done")
                                .clicked()
                        {
                            action = Some(HistoryAction::RetryFailed(job.folder.clone()));
                        }
                    });
                }
                ui.separator();
            }
        });
    action
}
