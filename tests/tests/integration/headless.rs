//! `castmill --headless`: a whole batch through the real command, exit codes, Ctrl-C as a
//! graceful stop, and a worker that outlives a killed app stopping by itself.

use castmill_e2e::fixtures;
use castmill_e2e::headless::{DataDir, json_events};
use castmill_e2e::worker::{one_model_at_a_time, wait_until_unlocked};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use shared_ipc::{Checkpoint, JobFolder, JobLock, StopReason, WorkerEvent};

#[test]
fn a_folder_batch_runs_to_the_end_with_json_events() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    for name in ["bread", "garden"] {
        std::fs::copy(fixtures::clip(name, "ogg"), media.path().join(format!("{name}.ogg"))).expect("copy");
    }
    std::fs::write(media.path().join("notes.txt"), "not audio, not taken from a folder").expect("write");
    let out = media.path().join("out dir");
    let output = data.run(&[
        "--headless",
        "--json",
        "--out",
        out.to_str().expect("utf8"),
        media.path().to_str().expect("utf8"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = json_events(&output.stdout);
    assert!(matches!(events.first(), Some(WorkerEvent::Hello { .. })));
    assert!(events.iter().any(|e| matches!(
        e,
        WorkerEvent::Finished {
            files_done: 2,
            files_failed: 0
        }
    )));
    // Folder order is by name.
    let completed: Vec<&str> = events
        .iter()
        .filter_map(|e| {
            if let WorkerEvent::FileCompleted { input, .. } = e {
                Some(input.as_str())
            } else {
                None
            }
        })
        .collect();
    assert!(completed[0].ends_with("bread.ogg") && completed[1].ends_with("garden.ogg"));
    for name in ["bread.txt", "bread.srt", "bread.vtt", "bread.json", "garden.txt"] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    // The job folder is private.
    use std::os::unix::fs::PermissionsExt;
    let job = &data.jobs()[0];
    assert_eq!(
        std::fs::metadata(job).expect("job dir").permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(
        std::fs::metadata(job.join("checkpoint"))
            .expect("checkpoint")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
}

#[test]
fn exit_codes_say_what_happened() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let bad = media.path().join("--looks like a flag.mp3");
    std::fs::write(&bad, b"junk").expect("write");
    let good = fixtures::clip("garden", "m4a");
    let some_failed = data.run(&[
        "--headless",
        "--out",
        out.to_str().expect("utf8"),
        good.to_str().expect("utf8"),
        "--",
        bad.to_str().expect("utf8"),
    ]);
    assert_eq!(
        some_failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&some_failed.stderr)
    );
    assert!(String::from_utf8_lossy(&some_failed.stderr).contains("--looks like a flag.mp3"));
    assert!(out.join("garden.txt").is_file());

    let usage = data.run(&["--headless", good.to_str().expect("utf8")]);
    assert_eq!(usage.status.code(), Some(2), "missing --out is a usage error");
    let empty_folder = tempfile::tempdir().expect("tempdir");
    let usage = data.run(&[
        "--headless",
        "--out",
        out.to_str().expect("utf8"),
        empty_folder.path().to_str().expect("utf8"),
    ]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("has no audio files"));
    let no_model = DataDir::empty().run(&[
        "--headless",
        "--out",
        out.to_str().expect("utf8"),
        good.to_str().expect("utf8"),
    ]);
    assert_eq!(no_model.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_model.stderr).contains("not installed"));
}

#[test]
fn ctrl_c_stops_gracefully_and_leaves_a_resumable_job() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let (mut child, mut reader) = data.start_long_job(media.path());
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).expect("ctrl-c");
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(3), "stdout after Ctrl-C: {rest}");
    assert!(rest.contains("\"type\":\"stopping\""), "{rest}");
    let job = JobFolder::new(&data.jobs()[0]);
    let cp = Checkpoint::load(&job.checkpoint()).expect("readable").expect("written");
    assert_eq!(cp.last_stop, Some(StopReason::Requested));
    assert!(!JobLock::is_held(&job.lock()).expect("lock probe"));
}

#[test]
fn killing_the_app_makes_the_worker_stop_gracefully_on_its_own() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let (mut child, _reader) = data.start_long_job(media.path());
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).expect("kill app");
    let _ = child.wait();
    let job = JobFolder::new(&data.jobs()[0]);
    wait_until_unlocked(job.root());
    let cp = Checkpoint::load(&job.checkpoint()).expect("readable").expect("written");
    assert_eq!(cp.last_stop, Some(StopReason::ParentDied));
}
