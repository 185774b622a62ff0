//! Memory pressure, simulated for real: a memory cgroup with a limit (as a container or a
//! Slurm job gives a program), a balloon process in it that leaves the job short, and a
//! worker made to leak. A model that cannot fit is refused with the numbers; a job short of
//! memory pauses itself and goes on when the memory is back; a leaking worker is restarted
//! at a commit; and the transcripts are byte for byte those of an uninterrupted run.
//! (Needs root and a memory controller; skipped with a note otherwise.)

use std::time::{Duration, Instant};

use castmill_e2e::fixtures;
use castmill_e2e::headless::{DataDir, Headless, assert_same_as_uninterrupted, is_type, job_id};
use castmill_e2e::memory_cgroup::MemoryCgroup;
use castmill_e2e::worker::one_model_at_a_time;

const MIB: u64 = 1024 * 1024;

#[test]
fn a_job_in_a_cgroup_too_small_for_its_model_is_refused_with_the_numbers() {
    if MemoryCgroup::unavailable() {
        return;
    }
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    // Room for the app, not for the whisper model beside it.
    let cgroup = MemoryCgroup::create(160 * MIB);
    let mut command = data.command();
    command
        .args(["--headless", "--no-summaries", "--out"])
        .arg(&out)
        .arg(fixtures::clip("bread", "ogg"));
    cgroup.enter_on_spawn(&mut command);
    let started = Instant::now();
    let output = command.output().expect("run castmill");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("the whisper model tiny.en-q8_0 needs about 0.2 GB of memory, and only ")
            && stderr
                .contains("GB is left within the job's memory limit (close other programs, or pick a smaller model)"),
        "{stderr}"
    );
    eprintln!("refused after {:?}", started.elapsed());
    assert!(!out.join("bread.txt").exists());

    // The refusal is on the job's record, for `jobs show`.
    let id = job_id(&data);
    let show = data.run(&["jobs", "show", &id]);
    let shown = String::from_utf8_lossy(&show.stdout);
    assert!(
        shown.contains("supervisor:") && shown.contains("refused to start: the whisper model tiny.en-q8_0 needs about"),
        "{shown}"
    );
}

#[test]
fn a_job_short_of_memory_pauses_itself_and_goes_on_unchanged_when_memory_is_free() {
    if MemoryCgroup::unavailable() {
        return;
    }
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let long = fixtures::long_clip(media.path());
    let limit = 1024 * MIB;
    let cgroup = MemoryCgroup::create(limit);
    // One thread, so the file lasts long enough to be caught in the middle; a threshold
    // high enough that the balloon never brings the cgroup near its OOM killer.
    let mut command = Headless::command(
        &data,
        &out,
        std::slice::from_ref(&long),
        &[
            "--no-summaries",
            "--threads",
            "1",
            "--memory-free-below",
            "40",
            "--memory-calm",
            "2",
        ],
        &[],
    );
    cgroup.enter_on_spawn(&mut command);
    let mut run = Headless::spawn(command);
    run.wait_for("transcribing", |v| is_type(v, "stage") && v["stage"] == "transcribing");

    // Leave a quarter of the limit: short by the job's threshold, far from the limit.
    let (mut balloon, balloon_mb) = cgroup.balloon_leaving(limit / 4);
    let inflated = Instant::now();
    let held = run.wait_for("the hold", |v| is_type(v, "held"));
    let held_after = inflated.elapsed();
    assert_eq!(held["cause"], "short_of_memory");
    let reason = held["reason"].as_str().expect("reason");
    assert!(
        reason.contains("the job's memory limit is nearly reached") && reason.contains("GB of 1.1 GB left"),
        "{reason}"
    );
    run.wait_for("paused", |v| is_type(v, "paused"));
    eprintln!(
        "the balloon took {balloon_mb} MB: held after {held_after:?}, paused after {:?}",
        inflated.elapsed()
    );
    // Paused: nothing more is transcribed, nothing fails, no worker is restarted.
    let watch_until = Instant::now() + Duration::from_secs(3);
    while let Some(left) = watch_until.checked_duration_since(Instant::now()) {
        if let Ok(v) = run.next(left) {
            assert!(
                !["segment", "file_failed", "restarting", "released"]
                    .iter()
                    .any(|t| is_type(&v, t)),
                "the held job went on: {v}"
            );
        }
    }

    drop(balloon.stdin.take());
    balloon.wait().expect("the balloon lets go");
    let released = run.wait_for("the release", |v| is_type(v, "released"));
    assert_eq!(released["by_user"], false);
    run.wait_for("resumed", |v| is_type(v, "resumed"));
    let (code, events) = run.finish();
    assert_eq!(code, Some(0));
    assert!(!events.iter().any(|v| is_type(v, "restarting")), "no worker died");
    assert_same_as_uninterrupted(&data, &long, &out);
}

/// A worker whose memory keeps growing (a test-build fault: a thread that takes 128 MB a
/// second and never lets go) is stopped at its next commit and replaced — no death, no
/// restart delay — and the file finishes as if nothing had happened.
#[cfg(feature = "fault-injection")]
#[test]
fn a_leaking_worker_is_restarted_at_a_commit_and_the_outputs_are_unchanged() {
    use nix::sys::signal::{Signal, kill};

    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let long = fixtures::long_clip(media.path());
    let once = media.path().join("leaked once");
    let once = once.to_string_lossy();
    let mut run = Headless::start(
        &data,
        &out,
        std::slice::from_ref(&long),
        &["--no-summaries"],
        &[
            ("CASTMILL_FAULT_LEAK_ON", "long episode"),
            ("CASTMILL_FAULT_ONCE", &once),
        ],
    );
    run.wait_for("a segment", |v| is_type(v, "segment"));
    // Paused by the user, so the leak (which goes on while paused) is caught whatever the
    // machine's speed; a stop while paused commits too.
    kill(run.pid(), Signal::SIGUSR1).expect("pause");
    let leak = run.wait_for("the leak restart", |v| is_type(v, "leak_restart"));
    assert_eq!(leak["work"], "transcribing");
    assert!(leak["rss_bytes"].as_u64() > leak["envelope_bytes"].as_u64(), "{leak}");
    kill(run.pid(), Signal::SIGUSR2).expect("resume");
    let (code, events) = run.finish();
    assert_eq!(code, Some(0));
    assert!(
        !events.iter().any(|v| is_type(v, "restarting")),
        "not counted as a death"
    );
    let hellos = events.iter().filter(|v| is_type(v, "hello")).count();
    assert_eq!(hellos, 2, "one fresh worker");
    let log = std::fs::read_to_string(shared_ipc::JobFolder::new(&data.jobs()[0]).log()).expect("the job log");
    let decisions = castmill::supervisor::job_log::supervisor_lines(&log);
    assert!(
        decisions
            .iter()
            .any(|l| l.contains("the worker's memory grew to") && l.contains("restarting it at its next commit")),
        "{decisions:?}"
    );
    assert_same_as_uninterrupted(&data, &long, &out);
}

/// The window says why the job paused itself, in plain words, and that it went on.
#[test]
fn the_window_says_why_a_job_short_of_memory_paused_and_that_it_went_on() {
    use castmill::gui::app::Screen;
    use castmill_e2e::app_harness::{app_harness_with, run_until, run_until_first_segment, run_until_results};
    use egui_kittest::kittest::Queryable;

    if MemoryCgroup::unavailable() {
        return;
    }
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let limit = 1024 * MIB;
    let cgroup = MemoryCgroup::create(limit);
    let worker = cgroup.worker_wrapper(media.path());
    let mut harness = app_harness_with(data.path(), &out, worker, |settings| {
        settings.threads = 1;
        settings.summaries = false;
        settings.memory_free_below_percent = 40.0;
        settings.memory_calm_s = 2.0;
    });
    harness.state_mut().add_paths(&[fixtures::long_clip(media.path())]);
    harness.run();
    harness.get_by_label("Start").click();
    harness.run();
    run_until_first_segment(&mut harness);

    let (mut balloon, _) = cgroup.balloon_leaving(limit / 4);
    run_until(
        &mut harness,
        "the hold",
        |app| matches!(&app.screen, Screen::Running(job) if job.paused() && !job.held.is_empty()),
    );
    assert!(
        harness
            .query_by_label_contains("Paused by Castmill: the job's memory limit is nearly reached")
            .is_some()
    );
    assert!(harness.query_by_label("Resume").is_some(), "the user may go on anyway");

    drop(balloon.stdin.take());
    balloon.wait().expect("the balloon lets go");
    run_until(
        &mut harness,
        "the job going on",
        |app| matches!(&app.screen, Screen::Running(job) if !job.paused() && job.held.is_empty()),
    );
    let Screen::Running(job) = &harness.state().screen else {
        unreachable!("run_until saw the running screen")
    };
    assert!(
        job.log.iter().any(|l| l == "Memory is free again; going on."),
        "{:?}",
        job.log
    );
    run_until_results(&mut harness);
    assert!(out.join("long episode.txt").is_file());
}
