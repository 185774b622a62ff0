//! Liveness and the supervisor's decisions through the real `castmill --headless`: a worker
//! stuck while its heartbeat goes on is restarted and, stuck twice at one place, its file
//! quarantined; a crash while a file is opened or probed blames that file; a worker of
//! another build is refused once; past its restarts the supervisor gives up and the job
//! resumes later.

use std::path::PathBuf;

use castmill_e2e::fixtures;
use castmill_e2e::headless::{DataDir, Headless, is_type, job_id, jobs_list};
use castmill_e2e::worker::one_model_at_a_time;
use serde_json::Value;

/// Three clips; the middle one is where the faults are put.
fn three_clips() -> Vec<PathBuf> {
    vec![
        fixtures::clip("bread", "ogg"),
        fixtures::clip("garden", "ogg"),
        fixtures::clip("astronomy", "ogg"),
    ]
}

/// Watchdog limits short enough for a test (a tiny model's steps take about a second).
const QUICK_WATCHDOG: [&str; 6] = ["--stall-timeout", "2", "--kill-grace", "1", "--restart-base-ms", "20"];

fn count(events: &[Value], t: &str) -> usize {
    events.iter().filter(|v| is_type(v, t)).count()
}

/// Runs the three clips with `args` and the fault `env` on the middle one, and checks what
/// a user sees: two restarts, the middle file quarantined with a reason containing
/// `because`, the other two transcribed. Returns the events.
fn middle_clip_quarantined(data: &DataDir, args: &[&str], env: (&str, &str), because: &str) -> Vec<Value> {
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let (code, events) = Headless::start(data, &out, &three_clips(), args, &[env]).finish();
    assert_eq!(code, Some(1), "{env:?}: some files failed");
    assert_eq!(
        count(&events, "restarting"),
        2,
        "{env:?}: quarantined after two deaths at one place"
    );
    let q = events
        .iter()
        .find(|v| is_type(v, "quarantined"))
        .unwrap_or_else(|| panic!("{env:?}: no quarantine"));
    assert_eq!(q["file_index"], 1, "{env:?}");
    assert!(q["reason"].as_str().expect("reason").contains(because), "{env:?}: {q}");
    assert!(out.join("bread.txt").is_file() && out.join("astronomy.txt").is_file());
    assert!(!out.join("garden.txt").exists());
    assert!(
        events
            .iter()
            .any(|v| is_type(v, "finished") && v["files_done"] == 2 && v["files_failed"] == 1),
        "{env:?}"
    );
    events
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_worker_stuck_on_a_file_while_its_heartbeat_goes_on_is_restarted_and_the_file_quarantined() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let events = middle_clip_quarantined(
        &data,
        &QUICK_WATCHDOG,
        ("CASTMILL_FAULT_SPIN_ON", "garden"),
        "made no progress",
    );
    assert_eq!(count(&events, "stalled"), 2, "stuck twice at the same place");
    assert_eq!(count(&events, "watchdog"), 0, "the heartbeat never went silent");
    let listed = data.run(&["jobs", "show", &job_id(&data)]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("made no progress"),
        "jobs show gives the reason: {}",
        String::from_utf8_lossy(&listed.stdout)
    );
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_worker_stuck_once_is_restarted_from_its_checkpoint_and_the_batch_completes() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let marker = media.path().join("stuck once");
    let run = Headless::start(
        &data,
        &out,
        &three_clips(),
        &QUICK_WATCHDOG,
        &[
            ("CASTMILL_FAULT_SPIN_ON", "garden"),
            ("CASTMILL_FAULT_ONCE", marker.to_str().expect("utf8")),
        ],
    );
    let (code, events) = run.finish();
    assert_eq!(code, Some(0));
    assert_eq!(count(&events, "stalled"), 1);
    assert_eq!(count(&events, "restarting"), 1);
    assert_eq!(count(&events, "quarantined"), 0);
    for (clip, word) in [("bread", "flour"), ("garden", "tomato"), ("astronomy", "jupiter")] {
        let text = std::fs::read_to_string(out.join(format!("{clip}.txt"))).expect("transcript");
        assert!(text.to_lowercase().contains(word), "{clip}: {text}");
    }
    // The file finished before the hang was not transcribed again.
    let bread_done = events
        .iter()
        .filter(|v| is_type(v, "file_completed") && v["file_index"] == 0)
        .count();
    assert_eq!(bread_done, 1);
    // A job that recovered and finished is finished, not one to offer for recovery.
    assert_eq!(jobs_list(&data)[0]["state"], "finished");
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_file_that_crashes_the_worker_while_it_is_opened_or_probed_is_quarantined() {
    for variable in ["CASTMILL_FAULT_CRASH_OPENING", "CASTMILL_FAULT_CRASH_PROBING"] {
        let _guard = one_model_at_a_time();
        middle_clip_quarantined(
            &DataDir::with_model(),
            &["--restart-base-ms", "20"],
            (variable, "garden"),
            "while opening this file",
        );
    }
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_worker_of_another_protocol_version_is_one_clear_error_and_never_restarted() {
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let older = shared_ipc::PROTOCOL_VERSION - 1;
    let output = data
        .command()
        .args(["--headless", "--json", "--out"])
        .arg(&out)
        .arg(fixtures::clip("bread", "ogg"))
        .env("CASTMILL_FAULT_PROTOCOL_VERSION", older.to_string())
        .output()
        .expect("run castmill");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    let expected = format!(
        "speaks protocol {older}, this app expects {}",
        shared_ipc::PROTOCOL_VERSION
    );
    assert_eq!(stderr.matches(&expected).count(), 1, "one clear error: {stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains("\"restarting\"") && !stdout.contains("\"segment\""),
        "{stdout}"
    );
    assert!(!out.join("bread.txt").exists(), "the mismatched worker did no work");
    let listed = jobs_list(&data);
    assert_eq!(
        listed[0]["detail"], "the model or job could not be used",
        "{}",
        listed[0]
    );
}

/// Past `--max-restarts` deaths in a row without progress the supervisor gives up, says why
/// (in the terminal and the job log), and the job is left to resume.
#[cfg(feature = "fault-injection")]
#[test]
fn the_supervisor_gives_up_after_its_restarts_and_the_job_resumes_later() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let inputs = [fixtures::clip("bread", "ogg"), fixtures::clip("garden", "ogg")];
    let output = data
        .command()
        .args(["--headless", "--json", "--max-restarts", "0", "--out"])
        .arg(&out)
        .args(&inputs)
        .env("CASTMILL_FAULT_CRASH_ON", "bread")
        .output()
        .expect("run castmill");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("gave up: the worker was killed by SIGABRT, before it made any progress"),
        "{stderr}"
    );
    let listed = jobs_list(&data);
    assert_eq!(listed[0]["state"], "interrupted");
    assert_eq!(listed[0]["detail"], "the worker kept crashing");
    let shown = data.run(&["jobs", "show", &job_id(&data)]);
    assert!(
        String::from_utf8_lossy(&shown.stdout)
            .contains("ended      the worker was killed by SIGABRT, before it made any progress"),
        "jobs show says why: {}",
        String::from_utf8_lossy(&shown.stdout)
    );
    let log = std::fs::read_to_string(data.jobs()[0].join("worker.log")).expect("job log");
    assert!(log.contains("file 1 started:") && log.contains("[supervisor"), "{log}");
    assert!(log.contains("gave up: the worker was killed by SIGABRT"), "{log}");

    let resumed = data.run(&["jobs", "resume", &job_id(&data)]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(out.join("bread.txt").is_file() && out.join("garden.txt").is_file());
    let log = std::fs::read_to_string(data.jobs()[0].join("worker.log")).expect("job log");
    assert!(log.contains("file 2 finished:"), "{log}");
}
