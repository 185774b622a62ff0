//! The recovery dialog in the real app (egui_kittest) for jobs interrupted for real: the app
//! killed mid-job, its worker stopped on its own. Restart starts over; Delete asks first,
//! removes only the job's records and keeps the outputs; damaged jobs can only be deleted.
//! (Resume, with the window itself killed, is in `window.rs`.) Dialog buttons are pressed
//! through accessibility actions (see `app_harness::press`).

use castmill::gui::app::FileStatus;
use castmill_e2e::app_harness::{app_harness, press, press_first, results, run_until_first_segment, run_until_results};
use castmill_e2e::fixtures;
use castmill_e2e::headless::DataDir;
use castmill_e2e::worker::one_model_at_a_time;
use egui_kittest::kittest::Queryable;

#[test]
fn restart_runs_the_interrupted_job_again_from_the_start() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    data.interrupted_long_job(media.path());

    let mut harness = app_harness(data.path(), &media.path().join("unused"));
    harness.run();
    assert!(
        harness
            .query_by_label_contains("stopped before they were done")
            .is_some()
    );
    assert!(harness.query_by_label_contains("long episode.wav").is_some());
    assert!(
        harness
            .query_by_label_contains("How it ended: the app crashed or was killed")
            .is_some()
    );

    harness.get_by_label("Restart").click_accesskit();
    let first_live_line = run_until_first_segment(&mut harness);
    assert!(
        harness.state().recovery.is_none(),
        "the dialog closes once the job runs"
    );
    run_until_results(&mut harness);
    let results = results(&harness);
    assert!(
        matches!(results.files[0].status, FileStatus::Done { .. }),
        "{:?}",
        results.files
    );
    let text = std::fs::read_to_string(media.path().join("out/long episode.txt")).expect("transcript");
    let first_line = text.lines().find(|l| !l.trim().is_empty()).expect("a line");
    assert_eq!(
        first_live_line, first_line,
        "a restarted job transcribes from the start again: its first new segment is the transcript's first line"
    );
}

#[test]
fn delete_asks_first_keeps_the_outputs_and_damaged_jobs_can_only_be_deleted() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let job = data.interrupted_job(
        &[fixtures::clip("bread", "ogg"), fixtures::long_clip(media.path())],
        &media.path().join("out"),
        "\"type\":\"file_completed\"",
    );
    let damaged = data.path().join("jobs/0000-damaged");
    std::fs::create_dir_all(&damaged).expect("mkdir");
    std::fs::write(damaged.join("job.json"), "{ not json").expect("write");

    let mut harness = app_harness(data.path(), &media.path().join("unused"));
    harness.run();
    assert!(harness.query_by_label_contains("1 of 2 files done").is_some());
    assert!(harness.query_by_label_contains("records are damaged").is_some());
    assert_eq!(
        harness.get_all_by_label("Resume").count(),
        1,
        "a damaged job cannot be resumed"
    );
    assert_eq!(harness.get_all_by_label("Delete").count(), 2);

    // Delete the interrupted job: first cancel, then confirm.
    press_first(&mut harness, "Delete");
    assert!(harness.query_by_label("Delete this job?").is_some());
    assert!(harness.query_by_label_contains("are kept").is_some());
    press(&mut harness, "Cancel");
    assert!(job.root().is_dir(), "cancel deletes nothing");
    press_first(&mut harness, "Delete");
    press(&mut harness, "Delete job");
    assert!(!job.root().exists(), "the job's records are gone");
    assert!(
        media.path().join("out/bread.txt").is_file(),
        "finished outputs are kept"
    );

    // The damaged one is left; delete it too, and the dialog closes.
    assert!(harness.query_by_label_contains("records are damaged").is_some());
    press(&mut harness, "Delete");
    press(&mut harness, "Delete job");
    assert!(!damaged.exists());
    assert!(harness.state().recovery.is_none());
    assert!(
        harness
            .query_by_label_contains("stopped before they were done")
            .is_none()
    );
}

/// The dialog says which files of an unfinished job are still to do, not only how many.
#[test]
fn the_dialog_names_the_files_left_to_do() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let long = fixtures::long_clip(media.path());
    let inputs = [fixtures::clip("bread", "ogg"), long, fixtures::clip("garden", "mp3")];
    // Killed once the second file is being transcribed: the first is done.
    data.interrupted_job(&inputs, &media.path().join("out"), "\"file_index\":1,\"segment\"");
    let mut harness = app_harness(data.path(), &media.path().join("unused"));
    harness.run();
    assert!(harness.query_by_label_contains("1 of 3 files done").is_some());
    assert!(
        harness
            .query_by_label_contains("Left to do: long episode.wav, garden.mp3")
            .is_some()
    );
}
