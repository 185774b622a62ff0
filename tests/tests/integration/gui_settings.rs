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

    // Remove the installed one (listed first: names are sorted).
    press_first(&mut harness, "Remove");
    assert!(!harness.state().models.is_installed("podcast-tiny"));
    assert!(!data.path().join("models/podcast-tiny.bin").exists());
    assert!(harness.query_by_label_contains("Removed podcast-tiny").is_some());
}
