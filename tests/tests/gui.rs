//! The real `eframe::App` driven by egui_kittest against the real worker and model: add files,
//! Start, watch progress, Pause and Resume, and see the results.

use std::time::{Duration, Instant};

use castmill::data_dirs::DataDirs;
use castmill::gui::app::{CastmillApp, FileStatus, Screen};
use castmill::gui::settings::Settings;
use castmill_e2e::fixtures;
use castmill_e2e::headless::DataDir;
use castmill_e2e::worker::{HANG_GUARD, one_model_at_a_time};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn app_harness(data: &DataDir, out: &std::path::Path) -> Harness<'static, CastmillApp> {
    let settings = Settings {
        output_dir: Some(out.to_owned()),
        threads: 2,
        ..Settings::default()
    };
    let mut app = CastmillApp::with_dirs(settings, DataDirs::at(data.path()));
    app.worker_override = Some(castmill_e2e::worker_bin());
    Harness::builder()
        .with_size([900.0, 640.0])
        .build_eframe(move |_cc| app)
}

/// Runs frames until `done` holds. The job's events arrive on a background thread, so the
/// test drives the frame loop the way the window's event loop would.
fn run_until(harness: &mut Harness<'static, CastmillApp>, what: &str, done: impl Fn(&CastmillApp) -> bool) {
    let deadline = Instant::now() + HANG_GUARD;
    while !done(harness.state()) {
        if Instant::now() >= deadline {
            let detail = match &harness.state().screen {
                Screen::Running(job) => format!("stage {:?}, log {:?}", job.stage, job.log),
                _ => String::new(),
            };
            panic!("the window never showed {what}; {detail}");
        }
        assert!(
            harness.state().notice.is_none(),
            "the window says: {:?}",
            harness.state().notice
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run();
}

#[test]
fn start_a_job_pause_resume_and_see_the_results() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let mut harness = app_harness(&data, &out);
    harness
        .state_mut()
        .add_paths(&[fixtures::long_clip(media.path()), fixtures::clip("bread", "ogg")]);
    harness.run();
    assert!(harness.query_by_label("long episode.wav").is_some());

    harness.get_by_label("Start").click();
    harness.run();
    if let Screen::Results(r) = &harness.state().screen {
        panic!("the job ended at once: {}", r.summary);
    }
    run_until(
        &mut harness,
        "the first segment",
        |app| matches!(&app.screen, Screen::Running(job) if !job.transcript.is_empty()),
    );
    assert!(harness.query_by_label("Transcribing").is_some());

    harness.get_by_label("Pause").click();
    run_until(
        &mut harness,
        "the paused state",
        |app| matches!(&app.screen, Screen::Running(job) if job.paused),
    );
    assert!(harness.query_by_label("Paused").is_some());
    harness.get_by_label("Resume").click();
    run_until(
        &mut harness,
        "the resumed state",
        |app| matches!(&app.screen, Screen::Running(job) if !job.paused),
    );

    run_until(&mut harness, "the results", |app| {
        matches!(app.screen, Screen::Results(_))
    });
    let Screen::Results(results) = &harness.state().screen else {
        unreachable!()
    };
    assert!(
        results
            .files
            .iter()
            .all(|f| matches!(f.status, FileStatus::Done { .. })),
        "{:?}",
        results.files
    );
    assert!(results.summary.contains("2 done, 0 failed"), "{}", results.summary);
    assert!(harness.query_by_label("Results").is_some());
    assert!(out.join("long episode.txt").is_file() && out.join("bread.txt").is_file());
}
