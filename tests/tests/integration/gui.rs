//! The real `eframe::App` driven by egui_kittest against the real worker and model: add files,
//! Start, watch progress, Pause and Resume, and see the results.

use castmill::data_dirs::DataDirs;
use castmill::gui::app::{CastmillApp, FileStatus, Screen, SummaryStatus};
use castmill::gui::job_thread::JobThread;
use castmill::supervisor::events::{Outcome, SupervisorEvent};
use castmill::supervisor::jobs::{self, JobRequest};
use castmill::supervisor::runner::SupervisorConfig;
use castmill_e2e::app_harness::{
    app_harness, press_first, rerun_without_transcribing, results, run_until, run_until_first_segment,
    run_until_results,
};
use castmill_e2e::fixtures;
use castmill_e2e::headless::DataDir;
use castmill_e2e::tmpfs::Tmpfs;
use castmill_e2e::worker::{HANG_GUARD, one_model_at_a_time, transcribed_job_of};
use egui_kittest::kittest::Queryable;
use shared_ipc::{TranscribeOptions, WorkerEvent};

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
        |app| matches!(&app.screen, Screen::Running(job) if job.paused()),
    );
    assert!(harness.query_by_label("Paused").is_some());
    harness.get_by_label("Resume").click();
    run_until(
        &mut harness,
        "the resumed state",
        |app| matches!(&app.screen, Screen::Running(job) if !job.paused()),
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
    run_until(&mut harness, "both lengths probed", |app| {
        app.queue.items.iter().all(|i| i.duration_s.is_some())
    });
    harness.get_by_label("Start").click();
    run_until_first_segment(&mut harness);
    harness.get_by_label("Skip this file").click();
    // Once the skip is confirmed, the file bar and the time left follow the next file: the
    // skipped one's remaining audio is no longer work to do.
    run_until(&mut harness, "the skip confirmed", |app| match &app.screen {
        Screen::Running(job) => job.files[0].status == FileStatus::Skipped,
        _ => true,
    });
    if let Screen::Running(job) = &harness.state().screen {
        assert_eq!(job.shown_file(), Some(1), "the file bar still shows the skipped file");
        let garden = job.files[1].duration_s.expect("garden's length");
        assert!(
            job.audio().left_s <= garden,
            "time left still counts the skipped file: {} s",
            job.audio().left_s
        );
        assert!(harness.query_by_label_contains("File 2 of 2: garden.mp3").is_some());
    }
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
    let titles = rerun_without_transcribing(&mut harness, "Rebuild summaries");
    assert_eq!(titles, vec!["Rebuilding summaries"], "the screen says what it does");
    assert_eq!(
        std::fs::read_to_string(out.join("bread.md")).expect("note is back"),
        note
    );
    let after = std::fs::metadata(out.join("bread.txt"))
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(after, transcript_time);
    let summary = &results(&harness).summary;
    assert_eq!(
        summary, "Summaries rebuilt: 2 notes written; the Map of Content is updated.",
        "the results say the rebuild is done"
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

/// Skip pressed while a file's summary is being made leaves out that summary (the transcript
/// stays done), the button says so and never stays disabled, and the batch goes on.
#[test]
fn skip_during_a_summary_skips_that_summary_and_the_batch_goes_on() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    // Two transcribed hours: each summary takes seconds, long enough to press Skip in.
    let job = transcribed_job_of(&[("first hour", 1), ("second hour", 1)]);
    let jobs = data.path().join("jobs");
    std::fs::create_dir_all(&jobs).expect("jobs folder");
    std::fs::rename(job.folder.root(), jobs.join("test")).expect("move the job in");

    let mut harness = app_harness(data.path(), &job.out);
    harness.run();
    press_first(&mut harness, "Resume");
    let summarising = |index: usize| {
        move |app: &CastmillApp| {
            matches!(&app.screen, Screen::Running(job)
                if job.current == Some(index) && job.stage == "summarising")
        }
    };
    run_until(&mut harness, "the first summary", summarising(0));
    harness.get_by_label("Skip this summary").click();
    run_until(&mut harness, "the second summary", summarising(1));
    match &harness.state().screen {
        Screen::Running(job) => {
            assert_eq!(job.skipping, None, "Skip is ready again for the next summary");
            assert!(
                job.log.iter().any(|l| l.contains("Skipped the summary of")),
                "{:?}",
                job.log
            );
        }
        _ => unreachable!("run_until saw the running screen"),
    }
    run_until_results(&mut harness);

    let results = results(&harness);
    assert_eq!(results.files[0].summary, SummaryStatus::Skipped, "{:?}", results.files);
    assert!(
        matches!(results.files[0].status, FileStatus::Done { .. }),
        "its transcript is kept: {:?}",
        results.files
    );
    assert!(
        matches!(results.files[1].summary, SummaryStatus::Done { .. }),
        "{:?}",
        results.files
    );
    assert!(harness.query_by_label("Summary skipped").is_some());
    assert!(
        !job.out.join("first hour.md").exists(),
        "no note for the skipped summary"
    );
    let map = std::fs::read_to_string(job.out.join("Map of Content.md")).expect("the map");
    assert!(
        map.contains("[[second hour]]") && !map.contains("[[first hour]]"),
        "{map}"
    );
}

/// Stop in the window escalates like a second Ctrl-C: a worker that does not stop within the
/// grace period is killed, and the window says so.
#[cfg(feature = "fault-injection")]
#[test]
fn stop_kills_a_worker_that_does_not_stop_and_says_so() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let mut harness = app_harness(data.path(), &out);
    // The working thread hangs as soon as transcription starts, so SIGTERM is never obeyed.
    harness.state_mut().worker_env = vec![("CASTMILL_FAULT_SPIN_ON".into(), "bread".into())];
    harness.state_mut().add_paths(&[fixtures::clip("bread", "ogg")]);
    harness.run();
    harness.get_by_label("Start").click();
    run_until(
        &mut harness,
        "transcription",
        |app| matches!(&app.screen, Screen::Running(job) if job.stage == "transcribing"),
    );
    harness.get_by_label("Stop").click();
    run_until(&mut harness, "the stop escalated", |app| match &app.screen {
        Screen::Running(job) => job.log.iter().any(|l| l.contains("did not stop within")),
        _ => true,
    });
    run_until_results(&mut harness);
    let results = results(&harness);
    assert!(results.summary.starts_with("Stopped"), "{}", results.summary);
}

/// The window makes its jobs as the command line does: a damaged model is refused with the
/// reason before any job (or output folder) exists.
#[test]
fn start_with_a_damaged_model_says_why_and_makes_no_job() {
    let data = DataDir::with_model();
    let whisper = std::fs::read(castmill_e2e::model_path()).expect("model");
    std::fs::write(data.path().join("models/suspect.bin"), &whisper[..whisper.len() / 3]).expect("write model");
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let mut harness = app_harness(data.path(), &out);
    harness.state_mut().settings.model = "suspect".into();
    harness.state_mut().add_paths(&[fixtures::clip("bread", "ogg")]);
    harness.run();
    harness.get_by_label("Start").click();
    harness.run();
    assert!(matches!(harness.state().screen, Screen::Start));
    let notice = harness.state().notice.clone().unwrap_or_default();
    assert!(
        notice.contains("suspect") && notice.contains("truncated") && notice.contains("Settings > Models"),
        "{notice}"
    );
    assert!(harness.query_by_label_contains("is unusable").is_some());
    assert!(data.jobs().is_empty(), "a job that can never run was made");
    assert!(!out.exists(), "the output folder was made for nothing");
}

/// A window that draws no frames (minimized, hidden) never holds the job up: nothing takes
/// the job thread's events until the job has ended, and it ends all the same.
#[test]
fn a_window_that_draws_no_frames_does_not_hold_up_the_job() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let request = JobRequest {
        inputs: vec![fixtures::long_clip(media.path()), fixtures::clip("bread", "ogg")],
        output_dir: media.path().join("out"),
        model: "tiny.en".into(),
        embeddings: None,
        options: TranscribeOptions {
            threads: 2,
            ..TranscribeOptions::default()
        },
    };
    let job = jobs::create_job(&DataDirs::at(data.path()), request).expect("job");
    let config = SupervisorConfig {
        worker: Some(castmill_e2e::worker_bin()),
        ..SupervisorConfig::default()
    };
    let thread = JobThread::start(job.folder, config, || {}).expect("job thread");
    assert!(thread.mailbox.wait_for_end(HANG_GUARD), "the job never ended");
    let delivery = thread.mailbox.take();
    assert_eq!(
        delivery.ended,
        Some(Outcome::Finished {
            files_done: 2,
            files_failed: 0
        })
    );
    let completed = delivery
        .events
        .iter()
        .filter(|e| matches!(e, SupervisorEvent::Worker(WorkerEvent::FileCompleted { .. })))
        .count();
    assert_eq!(completed, 2, "every file's completion waits for the window");
    assert!(!delivery.lost_state);
}

#[test]
fn a_speaker_renamed_on_the_results_screen_is_named_in_its_outputs_and_known_later() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_speakers();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let mut harness = app_harness(data.path(), &out);
    let conversation = fixtures::speakers_dir().join("two-voices.wav");
    harness.state_mut().add_paths(std::slice::from_ref(&conversation));
    harness.run();
    harness.get_by_label("Start").click();
    harness.run();
    run_until_results(&mut harness);
    let labels: Vec<String> = results(&harness).files[0]
        .speakers
        .iter()
        .map(|(l, _)| l.clone())
        .collect();
    assert_eq!(labels, ["Speaker 1", "Speaker 2"], "the results show who speaks");

    // Rename the guest: the name is typed in place and saved.
    harness
        .get_all_by_label("Rename")
        .nth(1)
        .expect("a Rename for each speaker")
        .click_accesskit();
    harness.run();
    harness.get_by_role(egui::accesskit::Role::TextInput).focus();
    harness.run();
    harness.get_by_role(egui::accesskit::Role::TextInput).type_text("Kim");
    harness.run();
    let titles = rerun_without_transcribing(&mut harness, "Save name");
    assert_eq!(titles, vec!["Renaming a speaker"]);
    let after = results(&harness);
    assert_eq!(after.files[0].speakers[1].0, "Kim", "{:?}", after.files[0].speakers);
    assert!(after.summary.starts_with("Speaker renamed"), "{}", after.summary);
    let txt = std::fs::read_to_string(out.join("two-voices.txt")).expect("txt");
    assert!(txt.contains("\n\nKim: ") && txt.starts_with("Speaker 1: "), "{txt}");
    let note = std::fs::read_to_string(out.join("two-voices.md")).expect("note");
    assert!(note.contains("[[People/Kim|Kim]]"), "{note}");
    let library = std::fs::read_to_string(data.path().join("speakers.json")).expect("the library");
    assert!(library.contains("\"Kim\""), "{library}");
}
