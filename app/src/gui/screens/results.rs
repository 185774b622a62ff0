//! Results: each file's status (done with its outputs, failed with the reason in plain words,
//! or skipped), Open file and Open folder actions, and a summary line.

use std::path::PathBuf;

use egui::Ui;

use crate::gui::failure_text::FailureText;
use crate::gui::running_job::{FileRow, FileStatus, Renaming, Results, SummaryStatus};
use crate::gui::{shortcuts, theme};

pub enum ResultsAction {
    NewBatch,
    /// Rebuild the job's summaries, notes and Map of Content from its transcripts.
    Resummarize,
    /// Resume the job to write what could not be saved.
    SaveAgain,
    /// Resume a stopped job to finish the files it did not get to.
    Resume,
    /// Open a file or folder in the desktop's default application.
    Open(PathBuf),
    /// Give speaker `speaker` of file `file` a name (and the library the voice).
    NameSpeaker {
        file: usize,
        speaker: usize,
        name: String,
    },
}

pub fn show(ui: &mut Ui, results: &mut Results) -> Option<ResultsAction> {
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
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for (index, row) in results.files.iter().enumerate() {
                if let Some(chosen) = show_row(ui, index, row) {
                    action = Some(chosen);
                }
                if !row.speakers.is_empty()
                    && let Some(chosen) = show_speakers(ui, index, row, &mut results.renaming)
                {
                    action = Some(chosen);
                }
                ui.separator();
            }
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
        let unfinished = results
            .files
            .iter()
            .any(|f| matches!(f.status, FileStatus::Waiting | FileStatus::Working));
        if unfinished
            && ui
                .button("Resume")
                .on_hover_text("Go on with the files this job did not finish, from where it stopped")
                .clicked()
        {
            action = Some(ResultsAction::Resume);
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

/// One file: its state, name and actions on the first line (so no long text can push them
/// out of view), then a failure's reason, wrapped, or where the transcript is.
fn show_row(ui: &mut Ui, index: usize, row: &FileRow) -> Option<ResultsAction> {
    let mut action = None;
    let (word, colour) = match &row.status {
        FileStatus::Done { .. } => ("Done", theme::OK),
        FileStatus::Failed { .. } => ("Failed", theme::FAILED),
        FileStatus::Skipped => ("Skipped", theme::MUTED),
        FileStatus::Waiting | FileStatus::Working => ("Not done", theme::MUTED),
    };
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(colour, word);
        ui.strong(row.name()).on_hover_text(row.input.display().to_string());
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
            SummaryStatus::Failed { .. } => {
                ui.colored_label(theme::FAILED, "No summary");
            }
            SummaryStatus::Skipped => {
                ui.colored_label(theme::MUTED, "Summary skipped")
                    .on_hover_text("Skipped by you; Rebuild summaries makes it");
            }
            SummaryStatus::None => {}
        }
    });
    match &row.status {
        FileStatus::Done { outputs } => {
            if let Some(first) = outputs.first() {
                ui.add(egui::Label::new(egui::RichText::new(first.display().to_string()).color(theme::MUTED)).wrap());
            }
        }
        FileStatus::Failed { reason } => FailureText::of(reason, &row.input).show(ui, ("failed", index)),
        FileStatus::Skipped => {
            ui.colored_label(theme::MUTED, "skipped by you");
        }
        FileStatus::Waiting | FileStatus::Working => {
            ui.colored_label(theme::MUTED, "not finished: Resume goes on from where it stopped");
        }
    }
    if let SummaryStatus::Failed { reason } = &row.summary {
        FailureText::of(reason, &row.input).show(ui, ("summary", index));
    }
    action
}

/// A file's speakers with their share of the talk, each with Rename; the one being renamed
/// shows a name field with Save name and Cancel.
fn show_speakers(ui: &mut Ui, file: usize, row: &FileRow, renaming: &mut Option<Renaming>) -> Option<ResultsAction> {
    let mut action = None;
    let total: u64 = row.speakers.iter().map(|(_, ms)| ms).sum::<u64>().max(1);
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(theme::MUTED, "Speakers:");
        for (speaker, (label, talk_ms)) in row.speakers.iter().enumerate() {
            let editing = renaming.as_mut().filter(|r| r.file == file && r.speaker == speaker);
            match editing {
                Some(edit) => {
                    let field = ui.add(
                        egui::TextEdit::singleline(&mut edit.name)
                            .hint_text(format!("Name for {label}"))
                            .desired_width(140.0),
                    );
                    if std::mem::take(&mut edit.wants_focus) {
                        field.request_focus();
                    }
                    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if ui.small_button("Save name").clicked() || entered {
                        action = Some(ResultsAction::NameSpeaker {
                            file,
                            speaker,
                            name: edit.name.clone(),
                        });
                    }
                    if ui.small_button("Cancel").clicked() {
                        *renaming = None;
                        return;
                    }
                }
                None => {
                    let share = (*talk_ms as f64 * 100.0 / total as f64).round();
                    ui.label(format!("{label} ({share}%)"));
                    if ui
                        .small_button("Rename")
                        .on_hover_text(format!(
                            "Name {label}: this episode's outputs say the name, and later episodes know the voice"
                        ))
                        .clicked()
                    {
                        *renaming = Some(Renaming {
                            file,
                            speaker,
                            name: String::new(),
                            wants_focus: true,
                        });
                    }
                }
            }
        }
    });
    action
}
