//! Committed work survives any death of the worker, and resumed output is identical to an
//! uninterrupted run.

use castmill_e2e::fixtures;
use castmill_e2e::worker::{RunningWorker, TestJob, events, one_model_at_a_time, run_to_end};
use shared_ipc::{Checkpoint, FileState, Journal, Segment, WorkerEvent, exit_code};

const OUTPUTS: [&str; 4] = [
    "long episode.txt",
    "long episode.srt",
    "long episode.vtt",
    "long episode.json",
];

fn segments_of(events: &[WorkerEvent]) -> Vec<Segment> {
    events
        .iter()
        .filter_map(|e| {
            if let WorkerEvent::Segment { segment, .. } = e {
                Some(segment.clone())
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn sigkill_mid_file_then_rerun_gives_identical_outputs_and_continues_where_it_stopped() {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let long = fixtures::long_clip(media.path());

    let reference = TestJob::new(vec![long.clone()]);
    let (status, ref_events) = run_to_end(&reference);
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    let all_segments = segments_of(&ref_events);

    let job = reference.twin();
    let mut worker = RunningWorker::start(&job);
    worker.wait_for("a committed segment", |e| matches!(e, WorkerEvent::Segment { .. }));
    let before = events(&worker.kill_hard());
    let committed_before = segments_of(&before);
    assert!(!committed_before.is_empty());

    // The journal holds at least what was reported (a commit precedes its report).
    let (_, load) = Journal::open(&job.folder.journal(0)).expect("journal").expect("exists");
    assert!(load.segments.len() >= committed_before.len());
    assert!(load.committed_samples > 0 && load.committed_samples < 93 * 16_000);

    let (status, after) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{after:#?}");
    assert!(
        after
            .iter()
            .any(|e| matches!(e, WorkerEvent::Notice { message, .. } if message.contains("resuming")))
    );
    let resumed = segments_of(&after);
    let first_new = resumed.first().expect("new segments after resume");
    let last_committed = load.segments.last().expect("committed");
    assert!(
        first_new.start_ms >= last_committed.end_ms,
        "resumed segment {first_new:?} starts before the last committed one ended {last_committed:?}"
    );
    let resumed_at = after.iter().find_map(|e| {
        if let WorkerEvent::Progress { file_done_s, .. } = e {
            Some(*file_done_s)
        } else {
            None
        }
    });
    assert_eq!(
        resumed_at,
        Some(load.committed_samples as f64 / 16_000.0),
        "resume must start at the committed position"
    );
    assert_eq!(
        &all_segments[load.segments.len()..],
        &resumed[..],
        "the resumed run must produce exactly the rest"
    );
    for name in OUTPUTS {
        assert_eq!(
            job.output(name),
            reference.output(name),
            "{name} differs from the uninterrupted run"
        );
    }
}

#[test]
fn finished_files_are_skipped_on_rerun_and_changed_inputs_are_redone() {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let a = media.path().join("a.flac");
    let b = media.path().join("b.flac");
    std::fs::copy(fixtures::clip("bread", "flac"), &a).expect("copy");
    std::fs::copy(fixtures::clip("garden", "flac"), &b).expect("copy");
    let job = TestJob::new(vec![a.clone(), b.clone()]);
    let (status, _) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED));

    // Re-running a finished job transcribes nothing.
    let (_, again) = run_to_end(&job);
    assert!(segments_of(&again).is_empty(), "finished files were transcribed again");

    // Mark b unfinished, then replace it: its journal no longer matches and it is redone.
    let mut cp = Checkpoint::load(&job.folder.checkpoint())
        .expect("load")
        .expect("exists");
    cp.files[1].state = FileState::InProgress;
    cp.save(&job.folder.checkpoint()).expect("save");
    std::fs::copy(fixtures::clip("astronomy", "flac"), &b).expect("replace");
    let (status, redo) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    assert!(
        redo.iter().any(
            |e| matches!(e, WorkerEvent::Notice { message, .. } if message.contains("changed since the last run"))
        ),
        "{redo:#?}"
    );
    assert!(job.output_text("b.txt").to_lowercase().contains("jupiter"));
}

#[test]
fn corrupt_checkpoint_and_torn_journal_are_recovered_without_loss() {
    let _guard = one_model_at_a_time();
    let job = TestJob::new(vec![fixtures::clip("bread", "ogg")]);
    let (status, first) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    let expected = job.output("bread.txt");

    // Damage both: the checkpoint's body and a torn half-line at the end of the journal.
    let mut bytes = std::fs::read(job.folder.checkpoint()).expect("read");
    let last = bytes.len() - 2;
    bytes[last] ^= 0x20;
    std::fs::write(job.folder.checkpoint(), &bytes).expect("write");
    let mut journal = std::fs::read(job.folder.journal(0)).expect("read");
    journal.extend_from_slice(b"deadbeef {\"kind\":\"seg");
    std::fs::write(job.folder.journal(0), &journal).expect("write");
    std::fs::remove_file(job.out.join("bread.txt")).expect("rm");

    let (status, second) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{second:#?}");
    assert!(
        second
            .iter()
            .any(|e| matches!(e, WorkerEvent::Notice { message, .. } if message.contains("corrupt")))
    );
    assert!(
        segments_of(&second).is_empty(),
        "committed segments were transcribed again"
    );
    assert_eq!(job.output("bread.txt"), expected);
    assert!(!segments_of(&first).is_empty());
}
