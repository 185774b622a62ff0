//! The supervisor through the real `castmill` command: restarts after crashes (crash torture),
//! the watchdog, poison files, recovery after the app dies, and job management.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use castmill_e2e::headless::DataDir;
use castmill_e2e::worker::{HANG_GUARD, one_model_at_a_time, wait_until_unlocked};
use castmill_e2e::{fixtures, output_files};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

/// `castmill --headless --json …` with its stdout lines on a channel.
struct Headless {
    child: Child,
    lines: Receiver<Value>,
    seen: Vec<Value>,
}

impl Headless {
    fn start(data: &DataDir, out: &Path, inputs: &[PathBuf], extra: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = data.command();
        cmd.args(["--headless", "--json", "--out"])
            .arg(out)
            .args(extra)
            .arg("--")
            .args(inputs);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn castmill");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// The next event within `timeout`; `Err(true)` when the stream ended.
    fn next(&mut self, timeout: Duration) -> Result<Value, bool> {
        match self.lines.recv_timeout(timeout) {
            Ok(v) => {
                self.seen.push(v.clone());
                Ok(v)
            }
            Err(RecvTimeoutError::Timeout) => Err(false),
            Err(RecvTimeoutError::Disconnected) => Err(true),
        }
    }

    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + HANG_GUARD;
        while Instant::now() < deadline {
            match self.next(Duration::from_millis(200)) {
                Ok(v) if pred(&v) => return v,
                Err(true) => break,
                _ => {}
            }
        }
        panic!(
            "never saw {what}; saw {} events, the last: {:?}",
            self.seen.len(),
            self.seen.iter().rev().take(5).collect::<Vec<_>>()
        );
    }

    fn finish(mut self) -> (Option<i32>, Vec<Value>) {
        while self.next(HANG_GUARD) != Err(true) {}
        let status = self.child.wait().expect("wait");
        (status.code(), self.seen)
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    v["type"] == t
}

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

#[cfg(feature = "fault-injection")]
#[test]
fn a_worker_stuck_on_a_file_while_its_heartbeat_goes_on_is_restarted_and_the_file_quarantined() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let run = Headless::start(
        &data,
        &out,
        &three_clips(),
        &QUICK_WATCHDOG,
        &[("CASTMILL_FAULT_SPIN_ON", "garden")],
    );
    let (code, events) = run.finish();
    assert_eq!(code, Some(1), "some files failed");
    assert_eq!(count(&events, "stalled"), 2, "stuck twice at the same place");
    assert_eq!(count(&events, "watchdog"), 0, "the heartbeat never went silent");
    assert_eq!(count(&events, "restarting"), 2);
    let q = events
        .iter()
        .find(|v| is_type(v, "quarantined"))
        .expect("quarantined event");
    assert_eq!(q["file_index"], 1);
    let reason = q["reason"].as_str().expect("reason");
    assert!(reason.contains("made no progress"), "{q}");
    assert!(out.join("bread.txt").is_file() && out.join("astronomy.txt").is_file());
    assert!(!out.join("garden.txt").exists());
    assert!(
        events
            .iter()
            .any(|v| is_type(v, "finished") && v["files_done"] == 2 && v["files_failed"] == 1)
    );
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
        let data = DataDir::with_model();
        let media = tempfile::tempdir().expect("tempdir");
        let out = media.path().join("out");
        let run = Headless::start(
            &data,
            &out,
            &three_clips(),
            &["--restart-base-ms", "20"],
            &[(variable, "garden")],
        );
        let (code, events) = run.finish();
        assert_eq!(code, Some(1), "{variable}: some files failed");
        assert_eq!(count(&events, "restarting"), 2, "{variable}");
        let q = events
            .iter()
            .find(|v| is_type(v, "quarantined"))
            .unwrap_or_else(|| panic!("{variable}: no quarantine"));
        assert_eq!(q["file_index"], 1, "{variable}");
        assert!(
            q["reason"]
                .as_str()
                .expect("reason")
                .contains("while opening this file"),
            "{variable}: {q}"
        );
        assert!(out.join("bread.txt").is_file() && out.join("astronomy.txt").is_file());
        assert!(
            events
                .iter()
                .any(|v| is_type(v, "finished") && v["files_done"] == 2 && v["files_failed"] == 1),
            "{variable}"
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

/// The ID of the data directory's only job.
fn job_id(data: &DataDir) -> String {
    let jobs = data.jobs();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs[0].file_name().expect("name").to_string_lossy().into_owned()
}

fn jobs_list(data: &DataDir) -> Vec<Value> {
    let out = data.run(&["jobs", "list", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
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
    assert_eq!(listed[0]["detail"], "the app closed");
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
    assert_eq!(stopped["detail"], "stopped by you");
    assert_eq!(stopped["files_done"], 1);
    assert_eq!(stopped["audio_done_ms"], 60_000);
    assert_eq!(stopped["audio_total_ms"], 90_000);
    // The scan only reads: a damaged job is still there to be looked at or deleted.
    assert!(jobs.join("job-0002/checkpoint").is_file());
    let show = data.run(&["jobs", "show", "job-0002"]);
    assert!(show.status.success() && String::from_utf8_lossy(&show.stdout).contains("corrupt"));
    assert!(data.run(&["jobs", "delete", "job-0002"]).status.success());
}
