//! The real `castmill` window under Xvfb: it opens and renders, a second launch hands its
//! files to it and ends, SIGTERM closes it cleanly (settings saved); and killing it mid-job
//! leaves a job that the next launch offers in its recovery dialog, whose Resume finishes
//! with exactly the outputs of an uninterrupted run.

use castmill::gui::app::FileStatus;
use castmill_e2e::app_harness::{app_harness, results, run_until_results};
use castmill_e2e::desktop::{Desktop, VirtualDisplay, image_stats};
use castmill_e2e::fixtures;
use castmill_e2e::headless::DataDir;
use castmill_e2e::worker::{one_model_at_a_time, wait_until_unlocked};
use egui_kittest::kittest::Queryable;
use nix::sys::signal::Signal;

const TITLE: &str = "^Castmill$";

#[test]
fn the_window_renders_refuses_a_second_instance_and_closes_cleanly() {
    let data = DataDir::with_model();
    let display = VirtualDisplay::start();
    let desktop = Desktop::new(data.path());
    let mut window = desktop.launch(&display, &[]);
    let ready = window.wait_for_log("window ready");
    eprintln!("{ready}");

    let shot = desktop.home.path().join("main.png");
    display.screenshot(&shot);
    let (colours, width, height) = image_stats(&shot);
    assert_eq!((width, height), (1024, 768));
    // An empty X screen is one colour; rendered text and widgets bring hundreds.
    assert!(colours > 50, "the screen looks blank: {colours} colours");

    // A second launch opens no second window: it hands its file to the open one, which
    // queues it and comes to the front, and says so in one line.
    let file = fixtures::clip("bread", "ogg");
    let mut second = desktop.launch(&display, &[&file]);
    second.wait_for_log("Castmill is already open; added 1 file to its queue");
    assert_eq!(
        second.wait().code(),
        Some(0),
        "the second launch ends once the file is handed over"
    );
    window.wait_for_log("another launch handed over 1 files");
    let mut third = desktop.launch(&display, &[]);
    third.wait_for_log("Castmill is already open; brought its window to the front");
    assert_eq!(third.wait().code(), Some(0));

    window.signal(Signal::SIGTERM);
    let status = window.wait();
    assert_eq!(status.code(), Some(0), "SIGTERM closes the window cleanly");
    assert!(
        desktop.saved_state().is_file(),
        "the window saved its settings on the way out"
    );
}

#[test]
fn killing_the_window_mid_job_then_resuming_from_the_recovery_dialog_gives_the_uninterrupted_outputs() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let long = fixtures::long_clip(media.path());
    let display = VirtualDisplay::start();
    let desktop = Desktop::new(data.path());

    // Launch with the file queued, start it from the keyboard, kill the app mid-file.
    let mut window = desktop.launch(&display, &[&long]);
    window.wait_for_log("window ready");
    display.key(TITLE, "ctrl+Return");
    window.wait_for_log("\"type\":\"segment\"");
    window.signal(Signal::SIGKILL);
    let _ = window.wait();
    let job = data.jobs().into_iter().next().expect("the window created a job");
    wait_until_unlocked(&job);
    assert!(
        !desktop.outputs().join("long episode.txt").exists(),
        "the file was not finished"
    );

    // The next launch offers the job.
    let mut again = desktop.launch(&display, &[]);
    again.wait_for_log("recovery dialog: 1 unfinished jobs");
    again.signal(Signal::SIGTERM);
    assert_eq!(again.wait().code(), Some(0));

    // Resume it from the dialog (the same app, driven by kittest).
    let mut harness = app_harness(data.path(), &media.path().join("unused"));
    harness.run();
    assert!(
        harness
            .query_by_label_contains("How it ended: the app crashed or was killed")
            .is_some()
    );
    harness.get_by_label("Resume").click_accesskit();
    run_until_results(&mut harness);
    let results = results(&harness);
    assert!(
        matches!(results.files[0].status, FileStatus::Done { .. }),
        "{:?}",
        results.files
    );

    // The same file, never interrupted.
    let reference = DataDir::with_model();
    let reference_out = media.path().join("reference");
    let run = reference
        .command()
        .args(["--headless", "--out"])
        .arg(&reference_out)
        .arg(&long)
        .output()
        .expect("run castmill");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for ext in ["txt", "srt", "vtt", "json"] {
        let name = format!("long episode.{ext}");
        let resumed = std::fs::read(desktop.outputs().join(&name)).expect("resumed output");
        let whole = std::fs::read(reference_out.join(&name)).expect("reference output");
        assert!(resumed == whole, "{name} differs from an uninterrupted run");
    }
}

/// A minimized window (a real window manager iconifies it) takes in its job's events all the
/// same: the job runs to its end while nobody looks, the window knows it has ended, and a
/// SIGTERM still closes it.
#[test]
fn a_minimized_window_sees_its_job_to_the_end_and_closes_on_sigterm() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let long = fixtures::long_clip(media.path());
    let display = VirtualDisplay::start();
    let _window_manager = display.window_manager();
    let desktop = Desktop::new(data.path());

    let mut window = desktop.launch(&display, &[&long]);
    window.wait_for_log("window ready");
    display.key(TITLE, "ctrl+Return");
    window.wait_for_log("\"type\":\"segment\"");
    display.minimize(TITLE);
    window.wait_for_log("window hidden");
    let ended = window.wait_for_log("results: ");
    assert!(ended.contains("Finished: 1 done, 0 failed"), "{ended}");
    assert!(
        !window.seen.iter().any(|l| l.contains("window shown")),
        "the window was shown again before the job ended"
    );
    let text = std::fs::read_to_string(desktop.outputs().join("long episode.txt")).expect("transcript");
    assert!(castmill_e2e::wer::word_error_rate(&fixtures::long_clip_reference(), &text) < 0.15);

    window.signal(Signal::SIGTERM);
    assert_eq!(window.wait().code(), Some(0), "SIGTERM closes a minimized window");
}
