//! The settings window: default output folder, the model manager (installed models, install
//! by name with progress, import, remove), and how jobs are watched and restarted.

use egui::Ui;

use crate::gui::file_dialogs::DialogPurpose;
use crate::gui::model_manager::ModelManager;
use crate::gui::screens::start::human_size;
use crate::gui::settings::Settings;
use crate::gui::theme;
use crate::models::catalog;

/// What the window asks of the app.
pub enum SettingsAction {
    OpenDialog(DialogPurpose),
}

pub fn show(ui: &mut Ui, settings: &mut Settings, models: &mut ModelManager) -> Option<SettingsAction> {
    let mut action = None;
    ui.heading("Output");
    ui.horizontal(|ui| {
        ui.label("Default output folder:");
        ui.monospace(settings.output_dir_or_default().display().to_string());
        if ui.button("Change…").clicked() {
            action = Some(SettingsAction::OpenDialog(DialogPurpose::OutputFolder));
        }
    });
    ui.add_space(theme::SECTION_GAP);

    ui.heading("Models");
    if models.installed.is_empty() {
        ui.colored_label(theme::FAILED, "No model is installed. Install or import one below.");
    }
    let mut remove = None;
    let mut keep = false;
    let mut asked = None;
    egui::Grid::new("models").num_columns(4).striped(true).show(ui, |ui| {
        for model in &models.installed {
            let label = if model.name == settings.model {
                format!("{} (in use)", model.name)
            } else {
                model.name.clone()
            };
            ui.label(label);
            ui.colored_label(theme::MUTED, human_size(model.size));
            if model.usable {
                ui.label(&model.description);
            } else {
                ui.colored_label(theme::FAILED, &model.description);
            }
            ui.horizontal(|ui| {
                if model.usable
                    && model.whisper
                    && model.name != settings.model
                    && ui
                        .small_button("Use")
                        .on_hover_text("Use this model for new jobs")
                        .clicked()
                {
                    settings.model = model.name.clone();
                }
                if ui.small_button("Remove").clicked() {
                    asked = Some(model.name.clone());
                }
            });
            ui.end_row();
        }
    });
    if asked.is_some() {
        models.confirm_remove = asked;
    }
    if let Some(name) = models.confirm_remove.clone() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.add(egui::Label::new(format!("Remove {name}? {}", used_by(&name, settings))).wrap());
            ui.horizontal(|ui| {
                if ui.button("Remove model").clicked() {
                    remove = Some(name.clone());
                }
                if ui.button("Keep it").clicked() {
                    keep = true;
                }
            });
        });
    }
    if keep {
        models.confirm_remove = None;
    }
    if let Some(name) = remove {
        models.remove(&name);
    }
    ui.add_space(theme::SPACING);
    let busy = models.task.is_some();
    show_catalogue(ui, models, busy);
    ui.horizontal(|ui| {
        let label = ui.label("Install by name:");
        ui.add(
            egui::TextEdit::singleline(&mut models.install_name)
                .hint_text("base.en")
                .desired_width(120.0),
        )
        .labelled_by(label.id);
        if ui.add_enabled(!busy, egui::Button::new("Install")).clicked() {
            let name = models.install_name.clone();
            models.install(&name, ui.ctx());
        }
    });
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!busy, egui::Button::new("Import file…"))
            .on_hover_text("A whisper.cpp GGML model file")
            .clicked()
        {
            action = Some(SettingsAction::OpenDialog(DialogPurpose::ImportModelFile));
        }
        if ui
            .add_enabled(!busy, egui::Button::new("Import folder…"))
            .on_hover_text(
                "A CTranslate2 (faster-whisper) whisper folder, converted on import, or a sentence-transformers folder",
            )
            .clicked()
        {
            action = Some(SettingsAction::OpenDialog(DialogPurpose::ImportModelFolder));
        }
    });
    if let Some(task) = &models.task {
        let fraction = task
            .total
            .filter(|t| *t > 0)
            .map(|t| task.done as f32 / t as f32)
            .unwrap_or(0.0);
        ui.label(&task.what);
        ui.add(egui::ProgressBar::new(fraction).text(match task.total {
            Some(total) => format!("{} of {}", human_size(task.done), human_size(total)),
            None if task.done > 0 => human_size(task.done),
            None => "working…".to_owned(),
        }));
    }
    match &models.message {
        Some(Ok(text)) => {
            ui.add(egui::Label::new(egui::RichText::new(text).color(theme::OK)).wrap());
        }
        Some(Err(text)) => {
            ui.add(egui::Label::new(egui::RichText::new(text).color(theme::FAILED)).wrap());
        }
        None => {}
    }
    ui.add_space(theme::SECTION_GAP);

    ui.heading("When the worker misbehaves");
    egui::Grid::new("supervision").num_columns(2).show(ui, |ui| {
        let label = ui.label("Restart a silent worker after");
        ui.add(
            egui::DragValue::new(&mut settings.watchdog_timeout_s)
                .range(5.0..=600.0)
                .suffix(" s"),
        )
        .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Restart a worker making no progress after");
        ui.add(
            egui::DragValue::new(&mut settings.stall_timeout_s)
                .range(10.0..=3600.0)
                .suffix(" s"),
        )
        .on_hover_text("At least this long; a slow model on a slow machine gets more, from how long its steps take")
        .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("First wait before a restart");
        ui.add(
            egui::DragValue::new(&mut settings.restart_delay_s)
                .range(0.1..=60.0)
                .speed(0.1)
                .suffix(" s"),
        )
        .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Give up after restarts in a row");
        ui.add(egui::DragValue::new(&mut settings.max_restarts).range(0..=50))
            .labelled_by(label.id);
        ui.end_row();
    });
    ui.colored_label(
        theme::MUTED,
        "A restart goes on from the last saved point; a file that crashes the worker twice at the same place is skipped.",
    );
    ui.add_space(theme::SECTION_GAP);

    ui.heading("When memory runs short");
    egui::Grid::new("memory").num_columns(2).show(ui, |ui| {
        let label = ui.label("Pause when free memory is below");
        ui.add(
            egui::DragValue::new(&mut settings.memory_free_below_percent)
                .range(1.0..=90.0)
                .suffix(" %"),
        )
        .on_hover_text("Of the memory the job may use: the computer's, or its container's limit if smaller")
        .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("… or swap in use is above");
        ui.add(
            egui::DragValue::new(&mut settings.swap_above_percent)
                .range(1.0..=100.0)
                .suffix(" %"),
        )
        .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Go on once memory has been free for");
        ui.add(
            egui::DragValue::new(&mut settings.memory_calm_s)
                .range(1.0..=600.0)
                .suffix(" s"),
        )
        .labelled_by(label.id);
        ui.end_row();
    });
    ui.colored_label(
        theme::MUTED,
        "The job pauses at a safe point, losing nothing, and goes on by itself; Resume goes on at once.",
    );
    action
}

/// What removing `name` takes away, so the user knows before confirming.
fn used_by(name: &str, settings: &Settings) -> String {
    if name == settings.model {
        "New jobs transcribe with it: choose another model first, or new jobs will not start.".to_owned()
    } else if name == settings.embedding_model {
        "Summaries and the Map of Content are made with it: without it new jobs make none.".to_owned()
    } else {
        "No new job uses it; jobs that did keep their outputs.".to_owned()
    }
}

/// The models Castmill can install: name, size, languages, speed and accuracy, and an
/// Install button (or "installed").
fn show_catalogue(ui: &mut Ui, models: &mut ModelManager, busy: bool) {
    let mut install = None;
    egui::CollapsingHeader::new("Available models")
        // Open for a new user with nothing installed; folded once there is a model.
        .default_open(models.installed.iter().all(|m| !m.whisper))
        .show(ui, |ui| {
            egui::Grid::new("catalogue")
                .num_columns(5)
                .striped(true)
                .show(ui, |ui| {
                    for entry in catalog::CATALOG {
                        ui.label(entry.name);
                        ui.colored_label(theme::MUTED, format!("{} MB", entry.approx_mib));
                        ui.label(entry.languages());
                        ui.colored_label(theme::MUTED, entry.note());
                        if models.is_installed(entry.name) {
                            ui.colored_label(theme::OK, "installed");
                        } else if ui
                            .add_enabled(!busy, egui::Button::new(format!("Install {}", entry.name)))
                            .on_hover_text(format!("Download {} (about {} MB)", entry.name, entry.approx_mib))
                            .clicked()
                        {
                            install = Some(entry.name);
                        }
                        ui.end_row();
                    }
                });
        });
    if let Some(name) = install {
        models.install(name, ui.ctx());
    }
}
