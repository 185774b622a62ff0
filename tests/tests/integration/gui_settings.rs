//! The settings window in the real app (egui_kittest): opened from the keyboard, its model
//! manager installs a model over HTTP with progress (from a server on 127.0.0.1), imports
//! a GGML file, removes a model.

use castmill_e2e::app_harness::{app_harness, press_first, run_until};
use castmill_e2e::headless::DataDir;
use castmill_e2e::model_server::{Serve, start_server};
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;

#[test]
fn the_model_manager_installs_with_progress_imports_and_removes() {
    let data = DataDir::empty();
    let model = std::fs::read(castmill_e2e::model_path()).expect("test model");
    let (url, _) = start_server(model.clone(), vec![Serve::Honest]);
    let mut harness = app_harness(data.path(), &data.path().join("out"));
    harness.state_mut().models.base_url = url;
    harness.run();

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    harness.run();
    assert!(harness.state().settings_open, "Ctrl+, opens the settings");
    assert!(harness.query_by_label_contains("No model is installed").is_some());

    harness
        .get_by_role_and_label(Role::TextInput, "Install by name:")
        .focus();
    harness.run();
    harness
        .get_by_role_and_label(Role::TextInput, "Install by name:")
        .type_text("podcast-tiny");
    harness.run();
    harness.get_by_label("Install").click();
    harness.run();
    run_until(&mut harness, "the end of the install", |app| app.models.task.is_none());
    assert!(
        harness.state().models.is_installed("podcast-tiny"),
        "{:?} (name typed: {:?})",
        harness.state().models.message,
        harness.state().models.install_name
    );
    assert_eq!(
        harness.state().models.last_progress,
        Some((model.len() as u64, Some(model.len() as u64))),
        "the install reported its progress up to the whole file"
    );
    assert!(harness.query_by_label_contains("Installed podcast-tiny").is_some());
    assert!(harness.query_by_label("whisper tiny (English-only, f16)").is_some());
    assert!(data.path().join("models/podcast-tiny.bin").is_file());

    // Import a GGML file (what the Import file… dialog hands over).
    let ctx = harness.ctx.clone();
    harness.state_mut().models.import(&castmill_e2e::model_path(), &ctx);
    run_until(&mut harness, "the imported model", |app| {
        app.models.task.is_none() && app.models.is_installed("tiny.en")
    });
    assert_eq!(harness.get_all_by_label("whisper tiny (English-only, f16)").count(), 2);

    // Remove the installed one (listed first: names are sorted): it asks first, and says
    // what the model is used for.
    press_first(&mut harness, "Remove");
    assert!(
        harness.state().models.is_installed("podcast-tiny"),
        "removed without asking"
    );
    assert!(
        harness
            .query_by_label_contains("Remove podcast-tiny? No new job uses it")
            .is_some()
    );
    press_first(&mut harness, "Remove model");
    assert!(!harness.state().models.is_installed("podcast-tiny"));
    assert!(!data.path().join("models/podcast-tiny.bin").exists());
    assert!(harness.query_by_label_contains("Removed podcast-tiny").is_some());

    // The model in use is named as such before it goes.
    harness.state_mut().settings.model = "tiny.en".into();
    harness.run();
    press_first(&mut harness, "Remove");
    assert!(
        harness
            .query_by_label_contains("Remove tiny.en? New jobs transcribe with it")
            .is_some()
    );
    press_first(&mut harness, "Keep it");
    assert!(harness.state().models.is_installed("tiny.en"));
    assert!(harness.state().models.confirm_remove.is_none());

    // The catalogue offers each model with its size and languages; with no network an
    // install says so in plain words.
    assert!(
        harness.query_by_label("Available models").is_some(),
        "open while nothing was installed"
    );
    assert!(
        harness.query_all_by_label("English only").count() >= 4,
        "every .en model says so"
    );
    assert!(harness.query_by_label("Install base.en").is_some());
    harness.set_size(egui::vec2(800.0, 600.0));
    harness.state_mut().models.base_url = "http://127.0.0.1:9".into();
    harness.get_by_label("Install base.en").click();
    harness.run();
    run_until(&mut harness, "the failed install", |app| app.models.task.is_none());
    let said = harness.get_by_label_contains("Could not install base.en: the model host could not be reached");
    // Wrapped inside the window, not running off an 800-pixel screen.
    assert!(
        said.rect().max.x <= 800.0,
        "the message runs off the window: {:?}",
        said.rect()
    );
}
