//! The start screen: the queue (add by drag-and-drop or dialog, reorder, remove), the output
//! folder, options, and Start.

use egui::Ui;

use crate::gui::file_dialogs::DialogPurpose;
use crate::gui::model_manager::ModelManager;
use crate::gui::queue::Queue;
use crate::gui::settings::Settings;
use crate::gui::shortcuts;
use crate::gui::theme;

pub enum StartAction {
    Start,
    OpenDialog(DialogPurpose),
    OpenSettings,
    ShowUnfinishedJobs,
    OpenHistory,
}

pub fn show(ui: &mut Ui, settings: &mut Settings, queue: &mut Queue, models: &ModelManager) -> Option<StartAction> {
    let mut wanted = None;
    ui.horizontal(|ui| {
        ui.heading("Castmill");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("Settings")
                .on_hover_text(shortcuts::text(ui, shortcuts::SETTINGS))
                .clicked()
            {
                wanted = Some(StartAction::OpenSettings);
            }
            if ui
                .button("Unfinished jobs")
                .on_hover_text("Resume, restart or delete jobs that did not finish")
                .clicked()
            {
                wanted = Some(StartAction::ShowUnfinishedJobs);
            }
            if ui
                .button("History")
                .on_hover_text("Past jobs: open their results, run them again, retry what failed")
                .clicked()
            {
                wanted = Some(StartAction::OpenHistory);
            }
        });
    });
    ui.label("Drop audio files or folders here, or add them below. Transcripts are written to the output folder.");
    ui.add_space(theme::SECTION_GAP);

    ui.horizontal(|ui| {
        if ui
            .button("Add files…")
            .on_hover_text(shortcuts::text(ui, shortcuts::ADD_FILES))
            .clicked()
        {
            wanted = Some(StartAction::OpenDialog(DialogPurpose::AddFiles));
        }
        if ui
            .button("Add folder…")
            .on_hover_text(shortcuts::text(ui, shortcuts::ADD_FOLDER))
            .clicked()
        {
            wanted = Some(StartAction::OpenDialog(DialogPurpose::AddFolder));
        }
        if ui
            .add_enabled(!queue.items.is_empty(), egui::Button::new("Clear"))
            .clicked()
        {
            queue.items.clear();
        }
        if !queue.items.is_empty() {
            let bytes: u64 = queue.items.iter().map(|i| i.size).sum();
            let length = queue
                .total_duration_s()
                .map(|s| format!(", {}", crate::progress::clock(s)))
                .unwrap_or_default();
            ui.colored_label(
                theme::MUTED,
                format!(
                    "{}, {}{length}",
                    crate::progress::count(queue.items.len(), "file"),
                    human_size(bytes)
                ),
            );
        }
    });
    ui.add_space(theme::SPACING);

    let mut action: Option<(usize, QueueAction)> = None;
    egui::ScrollArea::vertical()
        .max_height(ui.available_height() * 0.6)
        .show(ui, |ui| {
            if queue.items.is_empty() {
                ui.colored_label(theme::MUTED, "The queue is empty.");
            }
            for (i, item) in queue.items.iter().enumerate() {
                ui.horizontal(|ui| {
                    ui.label(format!("{}.", i + 1));
                    ui.label(item.name()).on_hover_text(item.path.display().to_string());
                    let length = item
                        .duration_s
                        .map(crate::progress::clock)
                        .unwrap_or_else(|| "--:--".into());
                    ui.colored_label(theme::MUTED, length);
                    ui.colored_label(theme::MUTED, human_size(item.size));
                    if let Some(problem) = &item.problem {
                        ui.colored_label(theme::FAILED, "unreadable").on_hover_text(problem);
                    }
                    if ui.small_button("Up").on_hover_text("Move up in the queue").clicked() {
                        action = Some((i, QueueAction::Up));
                    }
                    if ui
                        .small_button("Down")
                        .on_hover_text("Move down in the queue")
                        .clicked()
                    {
                        action = Some((i, QueueAction::Down));
                    }
                    if ui.small_button("Remove").clicked() {
                        action = Some((i, QueueAction::Remove));
                    }
                });
            }
        });
    match action {
        Some((i, QueueAction::Up)) => queue.move_up(i),
        Some((i, QueueAction::Down)) => queue.move_down(i),
        Some((i, QueueAction::Remove)) => queue.remove(i),
        None => {}
    }

    ui.add_space(theme::SECTION_GAP);
    ui.horizontal(|ui| {
        ui.label("Output folder:");
        ui.monospace(settings.output_dir_or_default().display().to_string());
        if ui.button("Change…").clicked() {
            wanted = Some(StartAction::OpenDialog(DialogPurpose::OutputFolder));
        }
    });
    ui.horizontal(|ui| {
        let model_label = ui.label("Model:");
        egui::ComboBox::from_id_salt("model")
            .selected_text(settings.model.clone())
            .show_ui(ui, |ui| {
                for model in models.installed.iter().filter(|m| m.usable && m.whisper) {
                    ui.selectable_value(&mut settings.model, model.name.clone(), &model.name);
                }
            })
            .response
            .labelled_by(model_label.id);
        if !models.is_installed(&settings.model) {
            ui.colored_label(theme::FAILED, "not installed");
            if ui.small_button("Manage models…").clicked() {
                wanted = Some(StartAction::OpenSettings);
            }
        }
        let language_label = ui.label("Language:");
        ui.add(egui::TextEdit::singleline(&mut settings.language).desired_width(40.0))
            .on_hover_text("A language code such as en or de, or auto to detect it")
            .labelled_by(language_label.id);
        let threads_label = ui.label("Threads:");
        ui.add(
            egui::DragValue::new(&mut settings.threads)
                .range(0..=256)
                .custom_formatter(|n, _| if n == 0.0 { "all".to_owned() } else { format!("{n}") }),
        )
        .labelled_by(threads_label.id);
    });
    ui.horizontal(|ui| {
        ui.checkbox(
            &mut settings.beam_search,
            "Beam search (slower, sometimes more accurate)",
        );
        ui.label("Write:");
        ui.checkbox(&mut settings.formats.txt, "Text");
        ui.checkbox(&mut settings.formats.srt, "SRT");
        ui.checkbox(&mut settings.formats.vtt, "WebVTT");
        ui.checkbox(&mut settings.formats.json, "JSON");
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut settings.summaries, "Summaries and key topics")
            .on_hover_text(
                "A Markdown note per episode: summary with timestamps, key topics, related episodes, transcript",
            );
        ui.add_enabled(
            settings.summaries,
            egui::Checkbox::new(&mut settings.map_of_content, "Map of Content"),
        )
        .on_hover_text("Map of Content.md: the batch's topics grouped into themes, linking the episodes");
        if settings.summaries && !models.has_embeddings(&settings.embedding_model) {
            ui.colored_label(theme::FAILED, format!("{} not installed", settings.embedding_model));
            if ui.small_button("Manage models…").clicked() {
                wanted = Some(StartAction::OpenSettings);
            }
        }
    });
    ui.add_space(theme::SECTION_GAP);
    let ready = !queue.items.is_empty();
    let start = ui
        .add_enabled(ready, egui::Button::new("Start"))
        .on_hover_text(shortcuts::text(ui, shortcuts::START));
    if start.clicked() {
        wanted = Some(StartAction::Start);
    }
    wanted
}

enum QueueAction {
    Up,
    Down,
    Remove,
}

pub fn human_size(bytes: u64) -> String {
    match bytes {
        0..1_000_000 => format!("{:.0} KB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}
