//! The history window in the real app (egui_kittest): a past job's results open again from
//! its records, *Run again* queues all its files, *Retry failed* only those not done.

use std::path::PathBuf;

use castmill::gui::app::{FileStatus, Screen};
use castmill_e2e::app_harness::{app_harness, press, results};
use castmill_e2e::fixtures;
use castmill_e2e::headless::DataDir;
use egui_kittest::kittest::Queryable;
use shared_ipc::job_spec::JOB_SPEC_VERSION;
use shared_ipc::{Checkpoint, FileState, JobFolder, JobSpec, StopReason, TranscribeOptions};

/// A finished job of three files: the first done, the second skipped, the third failed.
fn past_job(data: &DataDir, out: &std::path::Path) -> Vec<PathBuf> {
    let folder = JobFolder::new(data.path().join("jobs/1700000000000-1"));
    std::fs::create_dir_all(folder.root()).expect("job folder");
    let not_audio = out.join("notes.mp3");
    std::fs::write(&not_audio, "not audio").expect("write");
    let inputs = vec![
        fixtures::clip("bread", "ogg"),
        fixtures::clip("garden", "mp3"),
        not_audio,
    ];
    let spec = JobSpec {
        format_version: JOB_SPEC_VERSION,
        job_id: "1700000000000-1".into(),
        created_at_ms: 1_700_000_000_000,
        inputs: inputs.clone(),
        output_dir: out.to_owned(),
        model: PathBuf::from("/models/tiny.en.bin"),
        embedding_model: None,
        speaker_models: None,
        known_voices: Vec::new(),
        options: TranscribeOptions::default(),
    };
    spec.save(&folder.spec()).expect("spec");
    std::fs::write(out.join("bread.txt"), "Bread needs flour.").expect("transcript");
    let mut checkpoint = Checkpoint::new(&spec.job_id, &inputs);
    checkpoint.files[0].state = FileState::Done {
        outputs: vec![out.join("bread.txt")],
        audio_ms: 31_000,
    };
    checkpoint.files[1].state = FileState::Skipped;
    checkpoint.files[2].state = FileState::Failed {
        reason: format!(
            "{}: not a recognised audio format (core (probe): no suitable format reader found)",
            inputs[2].display()
        ),
        retry_on_resume: false,
    };
    checkpoint.last_stop = Some(StopReason::Finished);
    checkpoint.save(&folder.checkpoint()).expect("checkpoint");
    inputs
}

#[test]
fn past_jobs_reopen_their_results_and_run_again_or_retry_what_failed() {
    let data = DataDir::empty();
    let out = tempfile::tempdir().expect("tempdir");
    let inputs = past_job(&data, out.path());
    let mut harness = app_harness(data.path(), out.path());
    harness.run();
    press(&mut harness, "History");
    assert!(harness.query_by_label("bread.ogg and 2 more").is_some());
    assert!(
        harness
            .query_by_label_contains("1 done · 1 failed · 1 not done, of 3 files")
            .is_some()
    );

    press(&mut harness, "Open results");
    let shown = results(&harness);
    assert!(
        matches!(shown.files[0].status, FileStatus::Done { .. }),
        "{:?}",
        shown.files
    );
    assert_eq!(shown.files[1].status, FileStatus::Skipped);
    assert!(matches!(shown.files[2].status, FileStatus::Failed { .. }));
    assert!(
        shown.summary.starts_with("Finished: 1 done, 1 failed, 1 skipped"),
        "{}",
        shown.summary
    );
    assert!(
        harness
            .query_by_label_contains("not an audio file Castmill can read")
            .is_some()
    );
    assert!(harness.query_by_label("Open file").is_some());

    press(&mut harness, "New batch");
    press(&mut harness, "History");
    press(&mut harness, "Retry failed");
    assert!(matches!(harness.state().screen, Screen::Start));
    let queued: Vec<PathBuf> = harness.state().queue.items.iter().map(|i| i.path.clone()).collect();
    assert_eq!(queued, inputs[1..].to_vec(), "only the files not done are queued");

    press(&mut harness, "History");
    press(&mut harness, "Run again");
    let queued: Vec<PathBuf> = harness.state().queue.items.iter().map(|i| i.path.clone()).collect();
    assert_eq!(queued, inputs, "every file of the job is queued again");
    assert!(harness.query_by_label_contains("Queued 3 files of that job").is_some());
}
