//! The supervisor through the real `castmill` command: restarts after crashes (crash torture),
//! the watchdog, poison files, recovery after the app dies, and job management.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use castmill_e2e::headless::{DataDir, Headless, is_type, jobs_list};
use castmill_e2e::worker::{one_model_at_a_time, wait_until_unlocked};
use castmill_e2e::{fixtures, output_files};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A small deterministic generator, so the kill schedule is reproducible.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn torture_inputs() -> Vec<PathBuf> {
    vec![
        fixtures::clip("bread", "mp3"),
        fixtures::clip("garden", "ogg"),
        fixtures::clip("astronomy", "flac"),
        fixtures::clip("bread", "m4a"),
        fixtures::clip("garden", "wav"),
        fixtures::clip("astronomy", "mp3"),
    ]
}

#[test]
fn crash_torture_twenty_random_sigkills_end_with_identical_outputs() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let inputs = torture_inputs();

    let reference_out = media.path().join("reference");
    let (code, _) = Headless::start(&data, &reference_out, &inputs, &[], &[]).finish();
    assert_eq!(code, Some(0));

    let out = media.path().join("tortured");
    let fast_restarts = [
        "--max-restarts",
        "1000",
        "--restart-base-ms",
        "20",
        "--restart-cap-ms",
        "100",
    ];
    let mut run = Headless::start(&data, &out, &inputs, &fast_restarts, &[]);
    let mut rng = XorShift(0x5eed_cafe_f00d_1234);
    let mut kills = 0;
    while kills < 20 {
        let hello = run.wait_for("a worker's hello", |v| is_type(v, "hello"));
        let worker = Pid::from_raw(hello["pid"].as_i64().expect("pid") as i32);
        // Half the kills land while the model loads; the others just after a commit, so the
        // batch keeps moving.
        if kills % 2 == 1 {
            run.wait_for("a segment", |v| is_type(v, "segment"));
        }
        let delay = Duration::from_millis(rng.below(if kills % 2 == 1 { 800 } else { 400 }));
        let _ = run.next(delay);
        if kill(worker, Signal::SIGKILL).is_ok() {
            kills += 1;
        }
    }
    let (code, events) = run.finish();
    assert_eq!(code, Some(0), "the tortured batch must finish");
    let restarts = events.iter().filter(|v| is_type(v, "restarting")).count();
    assert!(restarts >= 20, "only {restarts} restarts");
    assert!(
        !events.iter().any(|v| is_type(v, "quarantined")),
        "SIGKILL from outside must not quarantine a file"
    );

    assert_eq!(
        output_files(&out),
        output_files(&reference_out),
        "outputs differ from the uninterrupted run"
    );
    // Every committed segment is reported once: nothing was transcribed twice.
    let mut seen = HashSet::new();
    for v in events.iter().filter(|v| is_type(v, "segment")) {
        let key = (
            v["file_index"].as_u64(),
            v["segment"]["start_ms"].as_u64(),
            v["segment"]["text"].as_str().map(str::to_owned),
        );
        assert!(seen.insert(key.clone()), "segment reported twice: {key:?}");
    }
}

#[test]
fn a_frozen_worker_is_killed_by_the_watchdog_and_the_batch_completes() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let inputs = vec![fixtures::long_clip(media.path())];
    let mut run = Headless::start(
        &data,
        &out,
        &inputs,
        &[
            "--watchdog-timeout",
            "2",
            "--kill-grace",
            "1",
            "--restart-base-ms",
            "50",
        ],
        &[],
    );
    let hello = run.wait_for("hello", |v| is_type(v, "hello"));
    run.wait_for("a segment", |v| is_type(v, "segment"));
    kill(
        Pid::from_raw(hello["pid"].as_i64().expect("pid") as i32),
        Signal::SIGSTOP,
    )
    .expect("freeze worker");
    run.wait_for("the watchdog", |v| is_type(v, "watchdog"));
    run.wait_for("a restart", |v| is_type(v, "restarting"));
    let (code, _) = run.finish();
    assert_eq!(code, Some(0));
    let text = std::fs::read_to_string(out.join("long episode.txt")).expect("transcript");
    assert!(castmill_e2e::wer::word_error_rate(&fixtures::long_clip_reference(), &text) < 0.15);
}

#[test]
fn a_paused_job_is_never_killed_by_the_watchdog() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let inputs = vec![fixtures::long_clip(media.path())];
    // Heartbeats come every second; 3 s of silence is well past that.
    let mut run = Headless::start(
        &data,
        &out,
        &inputs,
        &["--watchdog-timeout", "3", "--kill-grace", "1"],
        &[],
    );
    let hello = run.wait_for("hello", |v| is_type(v, "hello"));
    let worker = Pid::from_raw(hello["pid"].as_i64().expect("pid") as i32);
    run.wait_for("a segment", |v| is_type(v, "segment"));
    kill(run.pid(), Signal::SIGUSR1).expect("pause");
    run.wait_for("paused", |v| is_type(v, "paused"));
    // Even a paused worker that sends nothing at all (frozen) is left alone.
    kill(worker, Signal::SIGSTOP).expect("freeze");
    let watch_until = Instant::now() + Duration::from_secs(6);
    while Instant::now() < watch_until {
        if let Ok(v) = run.next(Duration::from_millis(100)) {
            assert!(
                !is_type(&v, "watchdog") && !is_type(&v, "restarting"),
                "paused job was treated as stuck: {v}"
            );
        }
    }
    kill(worker, Signal::SIGCONT).expect("thaw");
    kill(run.pid(), Signal::SIGUSR2).expect("resume");
    run.wait_for("resumed", |v| is_type(v, "resumed"));
    let (code, events) = run.finish();
    assert_eq!(code, Some(0));
    assert!(
        !events
            .iter()
            .any(|v| is_type(v, "watchdog") || is_type(v, "restarting"))
    );
}

/// A worker started while the job is paused (after a crash, say) is paused from its first
/// instruction: the pause reaches it once it can handle it, and never kills it (SIGUSR1's
/// default action) in the moment before its handlers are in.
#[test]
fn a_worker_restarted_while_the_job_is_paused_starts_paused_and_survives() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let inputs = vec![fixtures::long_clip(media.path())];
    let mut run = Headless::start(&data, &out, &inputs, &["--restart-base-ms", "0"], &[]);
    let hello = run.wait_for("hello", |v| is_type(v, "hello"));
    let worker = Pid::from_raw(hello["pid"].as_i64().expect("pid") as i32);
    run.wait_for("a segment", |v| is_type(v, "segment"));
    kill(run.pid(), Signal::SIGUSR1).expect("pause");
    run.wait_for("paused", |v| is_type(v, "paused"));
    kill(worker, Signal::SIGKILL).expect("kill the worker");
    run.wait_for("the restart", |v| is_type(v, "restarting"));
    run.wait_for("the new worker's hello", |v| is_type(v, "hello"));
    run.wait_for("the new worker paused", |v| is_type(v, "paused"));
    kill(run.pid(), Signal::SIGUSR2).expect("resume");
    let (code, events) = run.finish();
    assert_eq!(code, Some(0));
    let restarts: Vec<_> = events.iter().filter(|v| is_type(v, "restarting")).collect();
    assert_eq!(restarts.len(), 1, "only the kill we made: {restarts:?}");
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_file_that_always_crashes_the_worker_is_quarantined_and_the_rest_complete() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let inputs = vec![
        fixtures::clip("bread", "ogg"),
        fixtures::clip("garden", "ogg"),
        fixtures::clip("astronomy", "ogg"),
    ];
    let run = Headless::start(
        &data,
        &out,
        &inputs,
        &["--restart-base-ms", "20"],
        &[("CASTMILL_FAULT_CRASH_ON", "garden")],
    );
    let (code, events) = run.finish();
    assert_eq!(code, Some(1), "some files failed");
    let crashes = events.iter().filter(|v| is_type(v, "restarting")).count();
    assert_eq!(crashes, 2, "quarantined after two deaths at the same place");
    let q = events
        .iter()
        .find(|v| is_type(v, "quarantined"))
        .expect("quarantined event");
    assert_eq!(q["file_index"], 1);
    assert!(q["input"].as_str().expect("input").ends_with("garden.ogg"));
    assert!(q["reason"].as_str().expect("reason").contains("SIGABRT"), "{q}");
    assert!(out.join("bread.txt").is_file() && out.join("astronomy.txt").is_file());
    assert!(!out.join("garden.txt").exists());
    assert!(
        events
            .iter()
            .any(|v| is_type(v, "finished") && v["files_done"] == 2 && v["files_failed"] == 1)
    );
}

#[test]
fn after_the_app_is_killed_the_job_is_listed_as_interrupted_and_resume_completes_it() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let inputs = vec![fixtures::long_clip(media.path()), fixtures::clip("bread", "ogg")];
    let mut run = Headless::start(&data, &out, &inputs, &[], &[]);
    run.wait_for("a segment", |v| is_type(v, "segment"));
    kill(run.pid(), Signal::SIGKILL).expect("kill the app");
    let _ = run.child.wait();
    let job = data.jobs().pop().expect("job folder");
    wait_until_unlocked(&job);

    let listed = jobs_list(&data);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["state"], "interrupted", "{}", listed[0]);
    assert_eq!(listed[0]["detail"], "the app crashed or was killed");
    assert!(listed[0]["audio_done_ms"].as_u64().expect("audio") > 0);
    assert_eq!(listed[0]["files_total"], 2);

    let id = listed[0]["id"].as_str().expect("id").to_owned();
    let resumed = data.run(&["jobs", "resume", &id]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(out.join("long episode.txt").is_file() && out.join("bread.txt").is_file());
    assert_eq!(jobs_list(&data)[0]["state"], "finished");
}

#[test]
fn jobs_delete_removes_bookkeeping_and_keeps_every_output() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let input = fixtures::clip("bread", "ogg");
    let (code, _) = Headless::start(&data, &out, std::slice::from_ref(&input), &[], &[]).finish();
    assert_eq!(code, Some(0));
    let before = output_files(&out);
    // txt, srt, vtt, json, the note and the Map of Content.
    assert_eq!(before.len(), 6, "{:?}", before.keys().collect::<Vec<_>>());
    let id = jobs_list(&data)[0]["id"].as_str().expect("id").to_owned();

    // A link planted in the jobs folder is refused, and its target left alone.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    std::fs::write(elsewhere.path().join("precious.txt"), "keep me").expect("write");
    std::os::unix::fs::symlink(elsewhere.path(), data.path().join("jobs/linked-job")).expect("symlink");
    let refused = data.run(&["jobs", "delete", "linked-job"]);
    assert!(!refused.status.success());
    assert!(elsewhere.path().join("precious.txt").is_file());
    assert!(!data.run(&["jobs", "delete", "../../etc"]).status.success());

    let deleted = data.run(&["jobs", "delete", &id]);
    assert!(deleted.status.success(), "{}", String::from_utf8_lossy(&deleted.stderr));
    assert!(String::from_utf8_lossy(&deleted.stdout).contains("are kept"));
    assert!(!data.path().join("jobs").join(&id).exists());
    assert_eq!(output_files(&out), before, "delete must not touch outputs");
    assert!(input.is_file());
}

#[test]
fn the_recovery_scan_lists_a_hundred_jobs_including_damaged_ones() {
    let data = DataDir::empty();
    let jobs = data.path().join("jobs");
    let folders = castmill_e2e::jobs_fixture::write_jobs(&jobs, 100);
    std::fs::remove_file(folders[0].spec()).expect("missing spec");
    std::fs::write(folders[1].checkpoint(), b"").expect("empty checkpoint");
    std::fs::write(
        folders[2].checkpoint(),
        b"castmill-checkpoint 1 5 00000000\n\xff\xfe garbage",
    )
    .expect("garbage");
    std::fs::write(folders[3].lock(), b"12345\n").expect("dangling lock");
    std::fs::write(jobs.join("stray-file"), b"not a job").expect("stray");

    let started = Instant::now();
    let listed = jobs_list(&data);
    eprintln!("jobs list over 100 jobs took {:?}", started.elapsed());
    assert_eq!(listed.len(), 100);
    let state_of = |id: &str| {
        listed
            .iter()
            .find(|j| j["id"] == id)
            .map(|j| j["state"].as_str().unwrap_or("").to_owned())
    };
    assert_eq!(state_of("job-0000").as_deref(), Some("corrupt"));
    assert_eq!(state_of("job-0001").as_deref(), Some("corrupt"));
    assert_eq!(state_of("job-0002").as_deref(), Some("corrupt"));
    assert_eq!(
        state_of("job-0003").as_deref(),
        Some("interrupted"),
        "a lock nobody holds is not a running job"
    );
    assert_eq!(state_of("job-0004").as_deref(), Some("finished"));
    let stopped = listed.iter().find(|j| j["id"] == "job-0005").expect("job-0005");
    assert_eq!(stopped["detail"], "you stopped it");
    assert_eq!(stopped["files_done"], 1);
    assert_eq!(stopped["audio_done_ms"], 60_000);
    assert_eq!(stopped["audio_total_ms"], 90_000);
    // The scan only reads: a damaged job is still there to be looked at or deleted.
    assert!(jobs.join("job-0002/checkpoint").is_file());
    let show = data.run(&["jobs", "show", "job-0002"]);
    assert!(show.status.success() && String::from_utf8_lossy(&show.stdout).contains("corrupt"));
    assert!(data.run(&["jobs", "delete", "job-0002"]).status.success());
}

/// Each way a job can end reads differently in the recovery scan (and so in the dialog):
/// Ctrl-C is the user's stop, the app's SIGTERM its closing, a SIGTERM sent to the worker
/// itself comes from outside Castmill, and a job that last wrote before the machine booted
/// was ended by the restart.
#[test]
fn the_recovery_scan_tells_apart_each_way_a_job_ended() {
    let _guard = one_model_at_a_time();
    let ended_by = |signal: Signal, to_worker: bool| -> String {
        let data = DataDir::with_model();
        let media = tempfile::tempdir().expect("tempdir");
        let inputs = [fixtures::long_clip(media.path())];
        let mut run = Headless::start(&data, &media.path().join("out"), &inputs, &[], &[]);
        let hello = run.wait_for("the worker's hello", |v| is_type(v, "hello"));
        run.wait_for("a segment", |v| is_type(v, "segment"));
        let target = if to_worker {
            Pid::from_raw(hello["pid"].as_i64().expect("pid") as i32)
        } else {
            run.pid()
        };
        kill(target, signal).expect("signal");
        let (code, _) = run.finish();
        assert_ne!(code, None, "castmill ended by itself after {signal}");
        let listed = jobs_list(&data);
        assert_eq!(listed[0]["state"], "interrupted", "{}", listed[0]);
        listed[0]["detail"].as_str().expect("detail").to_owned()
    };
    assert_eq!(ended_by(Signal::SIGINT, false), "you stopped it");
    assert_eq!(ended_by(Signal::SIGTERM, false), "the app was closed");
    assert_eq!(
        ended_by(Signal::SIGTERM, true),
        "something outside Castmill stopped it (a shutdown, or a kill command)"
    );

    // A job whose every record is older than this boot: the machine restarted under it.
    let data = DataDir::empty();
    let folders = castmill_e2e::jobs_fixture::write_jobs(&data.path().join("jobs"), 2);
    std::fs::remove_file(castmill::supervisor::run_state::path(folders[1].root())).expect("no note");
    let booted = castmill::supervisor::boot_time::booted_at_ms().expect("the boot time");
    let before_boot = std::time::UNIX_EPOCH + Duration::from_millis(booted - 3_600_000);
    for entry in std::fs::read_dir(folders[1].root()).expect("job folder") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            let file = std::fs::File::options().append(true).open(&path).expect("open");
            file.set_modified(before_boot).expect("set mtime");
        }
    }
    std::fs::File::open(folders[1].root())
        .and_then(|dir| dir.set_modified(before_boot))
        .expect("set the folder's mtime");
    let listed = jobs_list(&data);
    let restarted = listed.iter().find(|j| j["id"] == "job-0001").expect("job-0001");
    assert_eq!(
        restarted["detail"],
        "the machine restarted (or lost power) while it ran"
    );
}
