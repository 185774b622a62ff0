//! The start screen: the queue (add by drag-and-drop or dialog, reorder, remove), the output
//! folder, options, and Start.

use egui::Ui;

use crate::gui::queue::Queue;
use crate::gui::settings::Settings;
use crate::gui::theme;

/// Shows the screen; true when the user pressed Start.
pub fn show(ui: &mut Ui, settings: &mut Settings, queue: &mut Queue) -> bool {
    ui.heading("Castmill");
    ui.label("Drop audio files or folders here, or add them below. Transcripts are written to the output folder.");
    ui.add_space(theme::SECTION_GAP);

    ui.horizontal(|ui| {
        if ui.button("Add files…").clicked() {
            let mut dialog = rfd::FileDialog::new().add_filter("Audio", crate::inputs::AUDIO_EXTENSIONS);
            if let Some(dir) = &settings.last_input_dir {
                dialog = dialog.set_directory(dir);
            }
            if let Some(files) = dialog.pick_files() {
                settings.last_input_dir = files.first().and_then(|f| f.parent()).map(|p| p.to_owned());
                let _ = queue.add_paths(&files);
            }
        }
        if ui.button("Add folder…").clicked()
            && let Some(dir) = rfd::FileDialog::new().pick_folder()
        {
            let _ = queue.add_paths(std::slice::from_ref(&dir));
            settings.last_input_dir = Some(dir);
        }
        if ui
            .add_enabled(!queue.items.is_empty(), egui::Button::new("Clear"))
            .clicked()
        {
            queue.items.clear();
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
                    ui.colored_label(theme::MUTED, human_size(item.size));
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
        if ui.button("Change…").clicked()
            && let Some(dir) = rfd::FileDialog::new().pick_folder()
        {
            settings.output_dir = Some(dir);
        }
    });
    ui.horizontal(|ui| {
        let model_label = ui.label("Model:");
        ui.text_edit_singleline(&mut settings.model).labelled_by(model_label.id);
        let language_label = ui.label("Language:");
        ui.add(egui::TextEdit::singleline(&mut settings.language).desired_width(40.0))
            .labelled_by(language_label.id);
        ui.checkbox(
            &mut settings.beam_search,
            "Beam search (slower, sometimes more accurate)",
        );
    });
    ui.add_space(theme::SECTION_GAP);
    let start = ui.add_enabled(!queue.items.is_empty(), egui::Button::new("Start"));
    start.clicked() || (!queue.items.is_empty() && ui.input(|i| i.modifiers.command && i.key_pressed(egui::Key::Enter)))
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
