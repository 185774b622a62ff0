//! The real `eframe::App` under egui_kittest, on a private data directory, with the real
//! worker: building it and driving its frame loop until something shows.

use std::path::Path;
use std::time::{Duration, Instant};

use castmill::data_dirs::DataDirs;
use castmill::gui::app::{CastmillApp, Screen};
use castmill::gui::settings::Settings;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use crate::worker::HANG_GUARD;

/// The app on `data`, writing outputs of new jobs to `out`, using the worker built beside
/// the tests.
pub fn app_harness(data: &Path, out: &Path) -> Harness<'static, CastmillApp> {
    app_harness_with(data, out, crate::worker_bin(), |_| {})
}

/// [`app_harness`] with settings changed by `change`, running `worker` as the worker (a
/// wrapper that starts it in a cgroup, say).
pub fn app_harness_with(
    data: &Path,
    out: &Path,
    worker: std::path::PathBuf,
    change: impl FnOnce(&mut Settings),
) -> Harness<'static, CastmillApp> {
    let mut settings = Settings {
        output_dir: Some(out.to_owned()),
        threads: 2,
        ..Settings::default()
    };
    change(&mut settings);
    let mut app = CastmillApp::with_dirs(settings, DataDirs::at(data));
    app.worker_override = Some(worker);
    Harness::builder()
        .with_size([900.0, 640.0])
        // Dialogs fade in and out over a few frames.
        .with_max_steps(16)
        .build_eframe(move |_cc| app)
}

/// Runs frames until `done` holds. The job's events arrive on a background thread, so this
/// drives the frame loop the way the window's event loop would.
pub fn run_until(harness: &mut Harness<'static, CastmillApp>, what: &str, done: impl Fn(&CastmillApp) -> bool) {
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
        // The window sleeps until an event wakes it; here a short nap stands in for that.
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run();
}

/// Runs frames until the running screen shows a transcript line; returns the first one.
pub fn run_until_first_segment(harness: &mut Harness<'static, CastmillApp>) -> String {
    run_until(
        harness,
        "the first segment",
        |app| matches!(&app.screen, Screen::Running(job) if job.transcript.heard() > 0),
    );
    match &harness.state().screen {
        Screen::Running(job) => job.transcript.first_heard().unwrap_or_default().to_owned(),
        _ => unreachable!("run_until saw the running screen"),
    }
}

/// Runs frames until the job has ended and the results show.
pub fn run_until_results(harness: &mut Harness<'static, CastmillApp>) {
    run_until(harness, "the results", |app| matches!(app.screen, Screen::Results(_)));
}

/// Presses the button labelled `label` (there must be exactly one) through accessibility,
/// as a screen reader would, and lets the window settle. Simulated pointer clicks all happen
/// at one instant, so a second one in the same dialog would read as a double click.
pub fn press(harness: &mut Harness<'static, CastmillApp>, label: &str) {
    harness.get_by_label(label).click_accesskit();
    harness.run();
}

/// Like [`press`], for the first of several buttons with one label.
pub fn press_first(harness: &mut Harness<'static, CastmillApp>, label: &str) {
    harness
        .get_all_by_label(label)
        .next()
        .unwrap_or_else(|| panic!("no button {label:?}"))
        .click_accesskit();
    harness.run();
}

/// Presses `button` on the results screen, which must start the job again, and runs it to
/// its new results, checking all the while that nothing is transcribed again. Returns the
/// titles the running screen showed, in order.
pub fn rerun_without_transcribing(harness: &mut Harness<'static, CastmillApp>, button: &str) -> Vec<&'static str> {
    press(harness, button);
    assert!(
        matches!(harness.state().screen, Screen::Running(_)),
        "{button} did not start: {:?}",
        harness.state().notice
    );
    let titles = std::cell::RefCell::new(Vec::new());
    run_until(harness, "the new results", |app| match &app.screen {
        Screen::Running(job) => {
            assert_eq!(job.transcript.heard(), 0, "{button} transcribed again");
            let mut titles = titles.borrow_mut();
            if titles.last() != Some(&job.title()) {
                titles.push(job.title());
            }
            false
        }
        Screen::Results(_) => true,
        Screen::Start => false,
    });
    titles.into_inner()
}

/// The results once the job ended.
pub fn results<'h>(harness: &'h Harness<'static, CastmillApp>) -> &'h castmill::gui::app::Results {
    match &harness.state().screen {
        Screen::Results(r) => r,
        _ => panic!("not on the results screen"),
    }
}
