//! Results: each file's status (done with its outputs, failed with the reason in plain words,
//! or skipped), Open file and Open folder actions, and a summary line.

use std::path::PathBuf;

use egui::Ui;

use crate::gui::running_job::{FileStatus, Results, SummaryStatus};
use crate::gui::{shortcuts, theme};

pub enum ResultsAction {
    NewBatch,
    /// Rebuild the job's summaries, notes and Map of Content from its transcripts.
    Resummarize,
    /// Resume the job to write what could not be saved.
    SaveAgain,
    /// Open a file or folder in the desktop's default application.
    Open(PathBuf),
}

pub fn show(ui: &mut Ui, results: &Results) -> Option<ResultsAction> {
    let mut action = None;
    ui.heading("Results");
    ui.label(&results.summary);
    ui.horizontal(|ui| {
        ui.label(format!("Outputs are in {}", results.output_dir.display()));
        if ui.small_button("Open output folder").clicked() {
            action = Some(ResultsAction::Open(results.output_dir.clone()));
        }
        if let Some(map) = &results.map
            && ui.small_button("Open Map of Content").clicked()
        {
            action = Some(ResultsAction::Open(map.clone()));
        }
    });
    if let Some(problem) = &results.knowledge_problem {
        ui.colored_label(theme::FAILED, problem);
    }
    if results.unsaved {
        ui.horizontal(|ui| {
            ui.colored_label(
                theme::FAILED,
                "Some results could not be saved. Their transcripts are kept: make room (or make the folder writable), then",
            );
            if ui.button("Save again").clicked() {
                action = Some(ResultsAction::SaveAgain);
            }
        });
    }
    ui.add_space(theme::SPACING);
    egui::ScrollArea::vertical()
        .max_height(ui.available_height() * 0.8)
        .show(ui, |ui| {
            egui::Grid::new("results").num_columns(5).striped(true).show(ui, |ui| {
                for row in &results.files {
                    let (word, colour, detail) = match &row.status {
                        FileStatus::Done { outputs } => (
                            "Done",
                            theme::OK,
                            outputs.first().map(|p| p.display().to_string()).unwrap_or_default(),
                        ),
                        FileStatus::Failed { reason } => ("Failed", theme::FAILED, reason.clone()),
                        FileStatus::Skipped => ("Skipped", theme::MUTED, "skipped by you".to_owned()),
                        FileStatus::Waiting | FileStatus::Working => {
                            ("Not done", theme::MUTED, "resume the job to finish it".to_owned())
                        }
                    };
                    ui.colored_label(colour, word);
                    ui.label(row.name()).on_hover_text(row.input.display().to_string());
                    ui.colored_label(theme::MUTED, detail);
                    match &row.summary {
                        SummaryStatus::Done { note } => {
                            if ui
                                .small_button("Open note")
                                .on_hover_text(note.display().to_string())
                                .clicked()
                            {
                                action = Some(ResultsAction::Open(note.clone()));
                            }
                        }
                        SummaryStatus::Failed { reason } => {
                            ui.colored_label(theme::FAILED, "No summary").on_hover_text(reason);
                        }
                        SummaryStatus::Skipped => {
                            ui.colored_label(theme::MUTED, "Summary skipped")
                                .on_hover_text("Skipped by you; Rebuild summaries makes it");
                        }
                        SummaryStatus::None => {
                            ui.label("");
                        }
                    }
                    ui.horizontal(|ui| {
                        if let FileStatus::Done { outputs } = &row.status
                            && let Some(first) = outputs.first()
                        {
                            if ui.small_button("Open file").clicked() {
                                action = Some(ResultsAction::Open(first.clone()));
                            }
                            if let Some(folder) = first.parent()
                                && ui.small_button("Open folder").clicked()
                            {
                                action = Some(ResultsAction::Open(folder.to_owned()));
                            }
                        }
                    });
                    ui.end_row();
                }
            });
        });
    ui.add_space(theme::SECTION_GAP);
    ui.horizontal(|ui| {
        if ui
            .button("New batch")
            .on_hover_text(shortcuts::text(ui, shortcuts::NEW_BATCH))
            .clicked()
        {
            action = Some(ResultsAction::NewBatch);
        }
        let any_done = results
            .files
            .iter()
            .any(|f| matches!(f.status, FileStatus::Done { .. }));
        if ui
            .add_enabled(any_done, egui::Button::new("Rebuild summaries"))
            .on_hover_text(
                "Make the notes and the Map of Content again from these transcripts, without transcribing again",
            )
            .clicked()
        {
            action = Some(ResultsAction::Resummarize);
        }
    });
    action
}
