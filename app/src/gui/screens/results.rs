//! Results: each file's status (done with its outputs, or failed with the reason in plain
//! words) and a summary line.

use egui::Ui;

use crate::gui::app::{FileStatus, Results};
use crate::gui::theme;

/// Shows the results; true when the user wants a new batch.
pub fn show(ui: &mut Ui, results: &Results) -> bool {
    ui.heading("Results");
    ui.label(&results.summary);
    ui.label(format!("Outputs are in {}", results.output_dir.display()));
    ui.add_space(theme::SPACING);
    egui::ScrollArea::vertical()
        .max_height(ui.available_height() * 0.8)
        .show(ui, |ui| {
            for row in &results.files {
                let name = row
                    .input
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                ui.horizontal(|ui| match &row.status {
                    FileStatus::Done { outputs } => {
                        ui.colored_label(theme::OK, "Done");
                        ui.label(&name);
                        if let Some(txt) = outputs.first() {
                            ui.colored_label(theme::MUTED, txt.display().to_string());
                        }
                    }
                    FileStatus::Failed { reason } => {
                        ui.colored_label(theme::FAILED, "Failed");
                        ui.label(&name);
                        ui.colored_label(theme::MUTED, reason);
                    }
                    FileStatus::Waiting | FileStatus::Working => {
                        ui.colored_label(theme::MUTED, "Not done");
                        ui.label(&name);
                    }
                });
            }
        });
    ui.add_space(theme::SECTION_GAP);
    ui.button("New batch").clicked()
}
