//! The running screen tells the truth: the batch's totals from the first frame and words for
//! what is happening while nothing is measurable, pauses that do not count as working time,
//! the file bar following the file being worked on, done / failed / to go counted apart with
//! each file's state listed, and a transcript with times and file breaks that a Resume fills
//! from the job's journal. Real window logic (egui_kittest), real worker, real model.

use std::cell::Cell;
use std::time::{Duration, Instant};

use castmill::gui::app::{CastmillApp, FileStatus, Screen};
use castmill::gui::transcript_tail::TranscriptLine;
use castmill::progress::clock;
use castmill_e2e::app_harness::{app_harness, press, results, run_until, run_until_first_segment, run_until_results};
use castmill_e2e::fixtures;
use castmill_e2e::headless::DataDir;
use castmill_e2e::worker::one_model_at_a_time;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use shared_ipc::journal::JournalLoad;

fn running(app: &CastmillApp) -> Option<&castmill::gui::app::RunningJob> {
    match &app.screen {
        Screen::Running(job) => Some(job),
        _ => None,
    }
}

/// The window's size, and every named control inside it (not pushed out of view).
fn assert_in_view(harness: &Harness<'static, CastmillApp>, size: egui::Vec2, labels: &[&str]) {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
    for label in labels {
        let rect = harness.get_by_label(label).rect();
        assert!(
            window.contains_rect(rect),
            "{label} is out of view at {size:?}: {rect:?}"
        );
    }
}

#[test]
fn the_running_screen_tells_the_truth_from_the_first_frame_to_the_results() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let not_audio = media.path().join("notes.mp3");
    std::fs::write(&not_audio, "these are notes, not audio").expect("write");
    let mut harness = app_harness(data.path(), &media.path().join("out"));
    let size = egui::vec2(800.0, 600.0);
    harness.set_size(size);
    harness.state_mut().add_paths(&[
        not_audio,
        fixtures::clip("bread", "ogg"),
        fixtures::clip("garden", "mp3"),
    ]);
    run_until(&mut harness, "every queued file probed", |app| {
        app.queue
            .items
            .iter()
            .all(|i| i.duration_s.is_some() || i.problem.is_some())
    });
    let total: f64 = harness.state().queue.items.iter().filter_map(|i| i.duration_s).sum();
    assert!(total > 50.0, "two ~31 s clips: {total}");

    harness.get_by_label("Start").click();
    harness.run();
    let first_frame = running(harness.state()).expect("the job runs");
    let doing = first_frame.doing();
    assert!(doing.ends_with('…'), "{doing}");
    assert!(
        harness
            .query_by_label(&format!("0:00:00 of {}", clock(total)))
            .is_some(),
        "the batch's length shows from the first frame"
    );
    assert!(harness.query_by_label(&doing).is_some(), "{doing} is not shown");
    assert!(harness.query_by_label_contains("?").is_none(), "nothing reads '?'");

    // Whatever the frame, the file bar shows a file still to go while there is one.
    let checked = |app: &CastmillApp| {
        if let Some(job) = running(app)
            && let Some(shown) = job.shown_file()
        {
            let open = |s: &FileStatus| matches!(s, FileStatus::Waiting | FileStatus::Working);
            assert!(
                open(&job.files[shown].status) || !job.files.iter().any(|f| open(&f.status)),
                "the file bar shows {} ({:?}) while others are still to go",
                job.files[shown].name(),
                job.files[shown].status
            );
        }
    };

    run_until(&mut harness, "the unreadable file counted as failed", |app| {
        checked(app);
        running(app).is_some_and(|job| job.counts().failed == 1)
    });
    assert!(
        harness
            .query_by_label_contains("0 done · 1 failed · 2 to go, of 3 files")
            .is_some(),
        "counts during the run"
    );
    assert!(
        harness.query_by_label("Failed").is_some(),
        "the failed file is listed as failed"
    );

    run_until_first_segment(&mut harness);
    let (lines, first) = {
        let job = running(harness.state()).expect("running");
        let lines: Vec<TranscriptLine> = job.transcript.lines().cloned().collect();
        (lines, job.transcript.first_heard().unwrap_or_default().to_owned())
    };
    assert_eq!(
        lines.first(),
        Some(&TranscriptLine::File {
            index: 1,
            name: "bread.ogg".into()
        }),
        "the transcript begins with the file's name"
    );
    let Some(TranscriptLine::Segment { start_ms, .. }) = lines.get(1) else {
        panic!("no segment under the file's name: {lines:?}");
    };
    assert!(
        harness
            .query_by_label(&format!("{}  {first}", clock(*start_ms as f64 / 1000.0)))
            .is_some(),
        "the first segment is shown with its time: {first}"
    );
    assert_in_view(&harness, size, &["Pause", "Skip this file", "Stop"]);

    // Paused time is not working time: neither the elapsed time nor the speed moves.
    harness.get_by_label("Pause").click();
    run_until(&mut harness, "the paused state", |app| {
        running(app).is_some_and(|job| job.paused())
    });
    assert!(harness.query_by_label_contains("(paused)").is_some());
    let figures = |harness: &Harness<'static, CastmillApp>| {
        let job = running(harness.state()).expect("running");
        let now = Instant::now();
        (job.clock.active(now), job.speed_and_time_left(now))
    };
    let before = figures(&harness);
    for _ in 0..15 {
        harness.step();
        std::thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(figures(&harness), before, "half a second paused changed the figures");
    harness.get_by_label("Resume").click();
    run_until(&mut harness, "the resumed state", |app| {
        running(app).is_some_and(|job| !job.paused())
    });

    let saw_second_file = Cell::new(false);
    run_until(&mut harness, "the results", |app| {
        checked(app);
        if let Some(job) = running(app) {
            saw_second_file.set(
                saw_second_file.get()
                    || job
                        .transcript
                        .lines()
                        .any(|l| matches!(l, TranscriptLine::File { index: 2, .. })),
            );
        }
        matches!(app.screen, Screen::Results(_))
    });
    assert!(saw_second_file.get(), "the second file's text began under its name");
    let summary = &results(&harness).summary;
    assert!(summary.contains("2 done, 1 failed"), "{summary}");

    // The results: the failure in plain words inline, the decoder's words behind Details,
    // every file's buttons in view at 800×600.
    assert!(
        harness
            .query_by_label_contains("not an audio file Castmill can read")
            .is_some()
    );
    assert!(harness.query_by_label("Details").is_some());
    assert_in_view(&harness, size, &["New batch", "Rebuild summaries"]);
    let open_buttons: Vec<egui::Rect> = harness.get_all_by_label("Open file").map(|b| b.rect()).collect();
    assert_eq!(open_buttons.len(), 2);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
    assert!(
        open_buttons.iter().all(|r| window.contains_rect(*r)),
        "{open_buttons:?}"
    );

    // No program to open files with: said plainly, with the path to copy, and the buttons
    // stay where they were (the notice bar is below the results).
    harness.state_mut().opener = "castmill-no-such-opener".into();
    harness.get_all_by_label("Open file").next().expect("Open file").click();
    harness.run();
    let notice = harness.state().notice.clone().expect("a notice");
    assert!(
        notice.starts_with("Could not open it: no program to open files is installed"),
        "{notice}"
    );
    assert!(harness.query_by_label("Copy path").is_some());
    let after: Vec<egui::Rect> = harness.get_all_by_label("Open file").map(|b| b.rect()).collect();
    assert_eq!(after, open_buttons, "the notice moved the buttons");
}

#[test]
fn a_resumed_job_shows_where_it_left_off_and_its_saved_transcript() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    // Killed once the first window is committed: the journal holds text to show.
    let job = data.interrupted_job(
        &[fixtures::long_clip(media.path())],
        &media.path().join("out"),
        "\"type\":\"progress\"",
    );
    let saved = JournalLoad::read(&job.journal(0)).expect("journal").expect("a journal");
    assert!(!saved.segments.is_empty(), "the interrupted run committed text");

    let mut harness = app_harness(data.path(), &media.path().join("unused"));
    let size = egui::vec2(1280.0, 800.0);
    harness.set_size(size);
    harness.run();
    press(&mut harness, "Resume");
    let resumed = running(harness.state()).expect("the job runs");
    let row = &resumed.files[0];
    assert_eq!(
        row.done_s,
        saved.committed_ms() as f64 / 1000.0,
        "the file bar starts where it stopped"
    );
    let length = row.duration_s.expect("the length recorded by the first run");
    assert!(
        harness
            .query_by_label(&format!("{} of {}", clock(row.done_s), clock(length)))
            .is_some(),
        "the file's position and length show from the first frame"
    );

    run_until(&mut harness, "the saved transcript", |app| {
        running(app).is_some_and(|job| !job.transcript.is_empty())
    });
    let shown: Vec<TranscriptLine> = running(harness.state())
        .expect("running")
        .transcript
        .lines()
        .cloned()
        .collect();
    assert_eq!(
        shown.get(1),
        Some(&TranscriptLine::Segment {
            start_ms: saved.segments[0].start_ms,
            text: saved.segments[0].text.trim().to_owned()
        }),
        "the pane starts with what the first run committed"
    );
    assert!(harness.query_by_label_contains(saved.segments[0].text.trim()).is_some());
    assert_in_view(&harness, size, &["Pause", "Stop"]);

    // Stopped again, the results offer Resume, which finishes the file.
    press(&mut harness, "Stop");
    run_until_results(&mut harness);
    assert!(
        matches!(
            results(&harness).files[0].status,
            FileStatus::Waiting | FileStatus::Working
        ),
        "{:?}",
        results(&harness).files
    );
    press(&mut harness, "Resume");
    assert!(running(harness.state()).is_some(), "Resume did not start the job");
    run_until_results(&mut harness);
    assert!(
        matches!(results(&harness).files[0].status, FileStatus::Done { .. }),
        "{:?}",
        results(&harness).files
    );
    assert!(harness.query_by_label("Resume").is_none(), "nothing is left to resume");
}
