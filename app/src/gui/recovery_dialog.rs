//! The recovery dialog shown at start-up when earlier jobs did not finish: each with how far
//! it got and why it stopped, and Resume / Restart / Delete, or a way to decide later.
//! Delete asks first and says that outputs are kept.

use egui::{Context, Id, Ui};

use crate::gui::theme;
use crate::progress::ago;
use crate::supervisor::recovery::{JobState, JobSummary};

/// What the user chose for one job, or for all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryChoice {
    Resume(String),
    Restart(String),
    Delete(String),
    /// Close the dialog; the jobs stay as they are (also `castmill jobs`).
    Later,
}

pub struct RecoveryDialog {
    pub jobs: Vec<JobSummary>,
    /// The job whose deletion awaits confirmation.
    confirm_delete: Option<String>,
}

impl RecoveryDialog {
    /// The dialog for the jobs that need a decision, if any: interrupted and corrupt ones.
    pub fn for_jobs(all: Vec<JobSummary>) -> Option<Self> {
        let jobs: Vec<JobSummary> = all
            .into_iter()
            .filter(|j| matches!(j.state, JobState::Interrupted(_) | JobState::Corrupt(_)))
            .collect();
        (!jobs.is_empty()).then_some(Self {
            jobs,
            confirm_delete: None,
        })
    }

    /// Drops a job the user dealt with; true when none are left.
    pub fn forget(&mut self, id: &str) -> bool {
        self.jobs.retain(|j| j.id != id);
        self.jobs.is_empty()
    }

    pub fn show(&mut self, ctx: &Context) -> Option<RecoveryChoice> {
        let mut choice = None;
        egui::Modal::new(Id::unique("castmill-recovery-dialog")).show(ctx, |ui| {
            ui.set_max_width(620.0);
            choice = match self.confirm_delete.clone() {
                Some(id) => self.confirm(ui, &id),
                None => self.list(ui),
            };
        });
        choice
    }

    fn list(&mut self, ui: &mut Ui) -> Option<RecoveryChoice> {
        let mut choice = None;
        ui.heading("Unfinished jobs");
        ui.label("These jobs stopped before they were done. Everything they finished is saved.");
        ui.add_space(theme::SPACING);
        egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
            for job in &self.jobs {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.strong(job.title());
                    match &job.state {
                        JobState::Corrupt(reason) => {
                            ui.colored_label(theme::FAILED, format!("This job's records are damaged: {reason}"));
                            ui.colored_label(theme::MUTED, format!("Job {}", job.id));
                        }
                        JobState::Interrupted(why) => {
                            ui.label(format!(
                                "{} of {} files done · audio {} · started {} · last active {}",
                                job.files_done,
                                job.files_total,
                                job.audio_text(),
                                ago(job.created_at_ms),
                                ago(job.last_activity_ms)
                            ));
                            // A one-file job's title already names what is left.
                            let left = job.remaining_text();
                            if !left.is_empty() && job.files_total > 1 {
                                ui.label(format!("Left to do: {left}"));
                            }
                            ui.colored_label(theme::MUTED, format!("How it ended: {}.", why.describe()));
                            if let Some(detail) = &job.detail {
                                ui.colored_label(theme::MUTED, detail);
                            }
                        }
                        JobState::Running | JobState::Finished => {}
                    }
                    ui.horizontal(|ui| {
                        if matches!(job.state, JobState::Interrupted(_)) {
                            if ui
                                .button("Resume")
                                .on_hover_text("Go on from where it stopped")
                                .clicked()
                            {
                                choice = Some(RecoveryChoice::Resume(job.id.clone()));
                            }
                            if ui
                                .button("Restart")
                                .on_hover_text("Start this job over from the beginning")
                                .clicked()
                            {
                                choice = Some(RecoveryChoice::Restart(job.id.clone()));
                            }
                        }
                        if ui.button("Delete").clicked() {
                            self.confirm_delete = Some(job.id.clone());
                        }
                    });
                });
            }
        });
        ui.add_space(theme::SPACING);
        if ui
            .button("Decide later")
            .on_hover_text("Keep these jobs; you can resume them later from here or with `castmill jobs`")
            .clicked()
        {
            choice = Some(RecoveryChoice::Later);
        }
        choice
    }

    fn confirm(&mut self, ui: &mut Ui, id: &str) -> Option<RecoveryChoice> {
        let Some(job) = self.jobs.iter().find(|j| j.id == id) else {
            self.confirm_delete = None;
            return None;
        };
        ui.heading("Delete this job?");
        ui.label(format!(
            "The job \"{}\" and its saved progress will be removed; it cannot be resumed afterwards.",
            job.title()
        ));
        let outputs = job
            .output_dir
            .as_ref()
            .map(|d| format!("Transcripts already written to {} are kept.", d.display()))
            .unwrap_or_else(|| "Transcripts already written are kept.".to_owned());
        ui.label(outputs);
        ui.add_space(theme::SPACING);
        let mut choice = None;
        ui.horizontal(|ui| {
            if ui.button("Delete job").clicked() {
                choice = Some(RecoveryChoice::Delete(id.to_owned()));
                self.confirm_delete = None;
            }
            if ui.button("Cancel").clicked() {
                self.confirm_delete = None;
            }
        });
        choice
    }
}
