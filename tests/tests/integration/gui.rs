//! The real `eframe::App` driven by egui_kittest against the real worker and model: add files,
//! Start, watch progress, Pause and Resume, and see the results.

use castmill::gui::app::{FileStatus, Screen, SummaryStatus};
use castmill_e2e::app_harness::{
    app_harness, rerun_without_transcribing, results, run_until, run_until_first_segment, run_until_results,
};
use castmill_e2e::fixtures;
use castmill_e2e::headless::DataDir;
use castmill_e2e::tmpfs::Tmpfs;
use castmill_e2e::worker::one_model_at_a_time;
use egui_kittest::kittest::Queryable;

#[test]
fn start_a_job_pause_resume_and_see_the_results() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let mut harness = app_harness(data.path(), &out);
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
    run_until_first_segment(&mut harness);
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

    run_until_results(&mut harness);
    let results = results(&harness);
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

#[test]
fn skip_this_file_leaves_it_out_and_the_batch_goes_on() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let mut harness = app_harness(data.path(), &out);
    harness
        .state_mut()
        .add_paths(&[fixtures::long_clip(media.path()), fixtures::clip("garden", "mp3")]);
    harness.run();
    harness.get_by_label("Start").click();
    run_until_first_segment(&mut harness);
    harness.get_by_label("Skip this file").click();
    run_until_results(&mut harness);

    let results = results(&harness);
    assert_eq!(results.files[0].status, FileStatus::Skipped, "{:?}", results.files);
    assert!(
        matches!(results.files[1].status, FileStatus::Done { .. }),
        "{:?}",
        results.files
    );
    assert!(
        results.summary.contains("1 done, 0 failed, 1 skipped"),
        "{}",
        results.summary
    );
    assert!(harness.query_by_label("Skipped").is_some());
    assert!(
        !out.join("long episode.txt").exists(),
        "a skipped file has no transcript"
    );
    assert!(out.join("garden.txt").is_file());
}

#[test]
fn the_results_open_each_note_and_the_map_and_rebuild_summaries_without_transcribing() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let mut harness = app_harness(data.path(), &out);
    harness
        .state_mut()
        .add_paths(&[fixtures::clip("bread", "mp3"), fixtures::clip("sourdough", "mp3")]);
    harness.run();
    harness.get_by_label("Start").click();
    harness.run();
    run_until_results(&mut harness);

    let first = results(&harness);
    assert!(
        first
            .files
            .iter()
            .all(|f| matches!(f.summary, SummaryStatus::Done { .. })),
        "{:?}",
        first.files
    );
    assert_eq!(first.map, Some(out.join("Map of Content.md")));
    assert_eq!(harness.query_all_by_label("Open note").count(), 2);
    assert!(harness.query_by_label("Open Map of Content").is_some());

    // A note the user threw away comes back; the transcripts are not touched.
    let note = std::fs::read_to_string(out.join("bread.md")).expect("note");
    std::fs::remove_file(out.join("bread.md")).expect("remove note");
    let transcript_time = std::fs::metadata(out.join("bread.txt"))
        .and_then(|m| m.modified())
        .expect("mtime");
    rerun_without_transcribing(&mut harness, "Rebuild summaries");
    assert_eq!(
        std::fs::read_to_string(out.join("bread.md")).expect("note is back"),
        note
    );
    let after = std::fs::metadata(out.join("bread.txt"))
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(after, transcript_time);
    assert!(
        results(&harness).summary.contains("2 done"),
        "{}",
        results(&harness).summary
    );
}

#[test]
fn results_that_could_not_be_saved_are_saved_again_from_the_results_screen() {
    if Tmpfs::unavailable() {
        return;
    }
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let folder = Tmpfs::mount(&out, "ro,size=1m");
    let mut harness = app_harness(data.path(), &out);
    harness.state_mut().add_paths(&[fixtures::clip("bread", "ogg")]);
    harness.run();
    harness.get_by_label("Start").click();
    harness.run();
    run_until_results(&mut harness);
    let first = results(&harness);
    assert!(first.unsaved, "{:?}", first.files);
    assert!(
        matches!(&first.files[0].status, FileStatus::Failed { reason } if reason.contains("Read-only file system")),
        "{:?}",
        first.files
    );

    // The user makes the folder writable and asks again: the kept transcript is written,
    // without transcribing again.
    folder.remount("rw");
    rerun_without_transcribing(&mut harness, "Save again");
    let second = results(&harness);
    assert!(!second.unsaved);
    assert!(
        matches!(second.files[0].status, FileStatus::Done { .. }),
        "{:?}",
        second.files
    );
    assert!(
        std::fs::read_to_string(out.join("bread.txt"))
            .expect("saved")
            .contains("flour")
    );
    assert!(out.join("bread.md").is_file() && out.join("Map of Content.md").is_file());
}
