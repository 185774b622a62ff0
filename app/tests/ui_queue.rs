//! The start screen in the real `eframe::App`, driven through egui_kittest: the queue takes
//! files and folders, shows them, reorders and trims them, and Start is only offered when
//! there is something to do.

use castmill::data_dirs::DataDirs;
use castmill::gui::app::{CastmillApp, Screen};
use castmill::gui::settings::Settings;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/audio")
}

/// The app on an empty data folder of its own (no models, no earlier jobs), kept while the
/// returned folder lives.
fn harness() -> (Harness<'static, CastmillApp>, tempfile::TempDir) {
    let data = tempfile::tempdir().expect("tempdir");
    let dirs = DataDirs::at(data.path());
    let harness = Harness::builder()
        .with_size([900.0, 640.0])
        .build_eframe(move |_cc| CastmillApp::with_dirs(Settings::default(), dirs));
    (harness, data)
}

#[test]
fn files_and_folders_join_the_queue_and_can_be_reordered_and_removed() {
    let (mut harness, _data) = harness();
    harness.run();
    assert!(harness.query_by_label("The queue is empty.").is_some());

    let folder = tempfile::tempdir().expect("tempdir");
    for name in ["b episode.ogg", "a episode.mp3"] {
        std::fs::copy(fixtures().join("bread.ogg"), folder.path().join(name)).expect("copy");
    }
    std::fs::write(folder.path().join("notes.txt"), "not audio").expect("write");
    harness
        .state_mut()
        .add_paths(&[fixtures().join("garden.flac"), folder.path().to_owned()]);
    harness.run();

    let names: Vec<String> = harness.state().queue.items.iter().map(|i| i.name()).collect();
    assert_eq!(
        names,
        vec!["garden.flac", "a episode.mp3", "b episode.ogg"],
        "folders expand to their audio files, sorted"
    );
    for name in &names {
        assert!(harness.query_by_label(name).is_some(), "{name} is not shown");
    }

    // Reorder with the arrows, then trim.
    harness.get_all_by_label("Down").next().expect("move down").click();
    harness.run();
    let names: Vec<String> = harness.state().queue.items.iter().map(|i| i.name()).collect();
    assert_eq!(names, vec!["a episode.mp3", "garden.flac", "b episode.ogg"]);
    harness.get_all_by_label("Remove").nth(2).expect("remove").click();
    harness.run();
    assert_eq!(harness.state().queue.items.len(), 2);
    assert!(matches!(harness.state().screen, Screen::Start));
}

#[test]
fn adding_a_folder_without_audio_says_so() {
    let (mut harness, _data) = harness();
    let empty = tempfile::tempdir().expect("tempdir");
    harness.state_mut().add_paths(&[empty.path().to_owned()]);
    harness.run();
    let notice = harness.state().notice.clone().expect("a notice");
    assert!(notice.contains("has no audio files"), "{notice}");
    assert!(harness.query_by_label_contains("has no audio files").is_some());
}

/// A file dropped on the window the way the windowing layer hands it over.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn files_and_folders_dropped_on_the_window_join_the_queue() {
    let (mut harness, _data) = harness();
    harness.run();
    let folder = tempfile::tempdir().expect("tempdir");
    std::fs::copy(fixtures().join("bread.ogg"), folder.path().join("dropped episode.ogg")).expect("copy");
    harness.input_mut().dropped_files = vec![
        std::sync::Arc::new(Dropped(fixtures().join("garden.flac"))),
        std::sync::Arc::new(Dropped(folder.path().to_owned())),
    ];
    harness.run();
    let names: Vec<String> = harness.state().queue.items.iter().map(|i| i.name()).collect();
    assert_eq!(names, vec!["garden.flac", "dropped episode.ogg"]);
    assert!(harness.query_by_label("dropped episode.ogg").is_some());
}

/// Where no file-chooser portal answers (CI, a bare Xvfb desktop), Ctrl+O opens Castmill's
/// own chooser instead of doing nothing, says so, and what is picked there joins the queue.
#[test]
fn without_a_system_file_chooser_castmills_own_opens_and_adds_the_files() {
    let data = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        last_input_dir: Some(fixtures()),
        ..Settings::default()
    };
    let dirs = DataDirs::at(data.path());
    let mut harness = Harness::builder()
        .with_size([900.0, 640.0])
        .build_eframe(move |_cc| CastmillApp::with_dirs(settings, dirs));
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while harness.query_by_label("Add selected").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "no file chooser of any kind opened"
        );
        harness.step();
        // The system chooser's answer comes from its own thread.
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let info = harness.state().info.clone().unwrap_or_default();
    assert!(info.contains("Castmill's own is used"), "{info:?}");
    harness.get_by_label("bread.ogg").click();
    harness.run();
    harness.get_by_label("Add selected").click();
    harness.run();
    let names: Vec<String> = harness.state().queue.items.iter().map(|i| i.name()).collect();
    assert_eq!(names, vec!["bread.ogg"]);
    assert!(harness.query_by_label("Add selected").is_none(), "the chooser closed");
}

/// Plain answers are not errors: "No unfinished jobs." is information in the notice bar
/// (nothing above it moves), and one file is "1 file".
#[test]
fn no_unfinished_jobs_is_information_and_one_file_is_one_file() {
    let (mut harness, _data) = harness();
    harness.run();
    let settings_button = harness.get_by_label("Settings").rect();
    harness.get_by_label("Unfinished jobs").click();
    harness.run();
    assert_eq!(harness.state().info.as_deref(), Some("No unfinished jobs."));
    assert!(harness.state().notice.is_none(), "it is not shown as a problem");
    assert!(harness.query_by_label("No unfinished jobs.").is_some());
    assert_eq!(
        harness.get_by_label("Settings").rect(),
        settings_button,
        "the answer moved the buttons"
    );

    harness.state_mut().add_paths(&[fixtures().join("bread.ogg")]);
    harness.run();
    assert!(
        harness.query_by_label_contains("1 file,").is_some(),
        "one file is '1 file'"
    );
}
