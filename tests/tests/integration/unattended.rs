//! Batches left alone: when the disk that holds the job's records fills up, the job is
//! paused with the reason said — never failed — and goes on by itself once there is room;
//! a job is not even started on a disk with no room for its records; a file that runs the
//! worker out of memory is named for it and fails alone; a drive that drops out mid-file is
//! waited for. (The small test disks, the memory cgroup and the FUSE drive need root;
//! skipped with a note otherwise.)

use std::path::Path;
use std::time::{Duration, Instant};

use castmill_e2e::fixtures;
use castmill_e2e::flaky_drive::FlakyDrive;
use castmill_e2e::headless::{DataDir, Headless, assert_same_as_uninterrupted, is_type};
use castmill_e2e::memory_cgroup::MemoryCgroup;
use castmill_e2e::tmpfs::Tmpfs;
use castmill_e2e::worker::one_model_at_a_time;

/// Fills the file system at `dir` until `leave` bytes are free; returns the filler.
fn fill(dir: &Path, leave: u64) -> std::path::PathBuf {
    let free = castmill::supervisor::disk_space::free_bytes(dir).expect("free space");
    let filler = dir.join("filler");
    let file = std::fs::File::create(&filler).expect("create filler");
    // Written, not just sized: tmpfs counts only pages that hold data.
    let chunk = vec![1u8; 1 << 20];
    let mut left = free.saturating_sub(leave);
    let mut writer = std::io::BufWriter::new(file);
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        std::io::Write::write_all(&mut writer, &chunk[..n]).expect("fill");
        left -= n as u64;
    }
    std::io::Write::flush(&mut writer).expect("flush filler");
    filler
}

#[test]
fn a_full_data_disk_pauses_the_job_with_the_reason_and_it_goes_on_once_there_is_room() {
    if Tmpfs::unavailable() {
        return;
    }
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let jobs = data.path().join("jobs");
    let _disk = Tmpfs::mount(&jobs, "size=160m");
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let inputs = [fixtures::long_clip(media.path())];
    let mut run = Headless::start(&data, &out, &inputs, &[], &[]);
    run.wait_for("a segment", |v| is_type(v, "segment"));

    let filler = fill(&jobs, 20 * 1024 * 1024);
    let held = run.wait_for("the hold", |v| is_type(v, "held"));
    let reason = held["reason"].as_str().expect("reason");
    assert!(
        reason.contains(&format!("the disk holding {}", jobs.display())) && reason.contains("MB free"),
        "{reason}"
    );
    run.wait_for("paused", |v| is_type(v, "paused"));
    // Held, nothing more is transcribed, and nothing fails.
    let watch_until = Instant::now() + Duration::from_secs(3);
    while let Some(left) = watch_until.checked_duration_since(Instant::now()) {
        if let Ok(v) = run.next(left) {
            assert!(
                !is_type(&v, "segment") && !is_type(&v, "file_failed") && !is_type(&v, "restarting"),
                "the held job went on: {v}"
            );
        }
    }

    std::fs::remove_file(&filler).expect("make room");
    run.wait_for("the release", |v| is_type(v, "released"));
    run.wait_for("resumed", |v| is_type(v, "resumed"));
    let (code, _) = run.finish();
    assert_eq!(code, Some(0));
    let text = std::fs::read_to_string(out.join("long episode.txt")).expect("transcript");
    assert!(castmill_e2e::wer::word_error_rate(&fixtures::long_clip_reference(), &text) < 0.15);
}

#[test]
fn a_job_is_not_started_on_a_data_disk_with_no_room_for_its_records() {
    if Tmpfs::unavailable() {
        return;
    }
    let data = DataDir::with_model();
    let jobs = data.path().join("jobs");
    let _disk = Tmpfs::mount(&jobs, "size=40m");
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let output = data
        .command()
        .args(["--headless", "--out"])
        .arg(&out)
        .arg(fixtures::clip("bread", "ogg"))
        .output()
        .expect("run castmill");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("the disk holding {} has only", jobs.display())),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&jobs).expect("jobs").count(), 0, "no job was made");
    assert!(!out.exists(), "the output folder was made for nothing");
}

/// In a memory-limited cgroup (a container, a Slurm job), a file on which the worker runs out
/// of memory is named for it — not "killed by SIGKILL" — fails alone after two tries, and
/// the rest of the batch finishes; the kernel kills the worker, never the app.
#[cfg(feature = "fault-injection")]
#[test]
fn a_file_that_runs_the_worker_out_of_memory_is_named_and_fails_alone() {
    if MemoryCgroup::unavailable() {
        return;
    }
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let cgroup = MemoryCgroup::create(700 * 1024 * 1024);
    let mut command = data.command();
    command
        // The worker's hog pauses the job too; after each kill it goes on 1 s after memory
        // is clear, not the default 15 s.
        .args([
            "--headless",
            "--json",
            "--restart-base-ms",
            "20",
            "--memory-calm",
            "1",
            "--out",
        ])
        .arg(&out)
        .arg("--")
        .args(["bread", "garden", "astronomy"].map(|clip| fixtures::clip(clip, "ogg")))
        .env("CASTMILL_FAULT_HOG_ON", "garden");
    cgroup.enter_on_spawn(&mut command);
    let output = command.output().expect("run castmill");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "the app itself finished: {stderr}");
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let restarts: Vec<&str> = events
        .iter()
        .filter(|v| is_type(v, "restarting"))
        .map(|v| v["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(restarts.len(), 2, "{restarts:?}");
    assert!(
        restarts.iter().all(|r| r.contains("not enough memory")),
        "each death is named: {restarts:?}"
    );
    let q = events
        .iter()
        .find(|v| is_type(v, "quarantined"))
        .expect("quarantined event");
    assert_eq!(q["file_index"], 1);
    assert!(
        q["reason"]
            .as_str()
            .expect("reason")
            .contains("needs more memory than is available"),
        "{q}"
    );
    assert!(out.join("bread.txt").is_file() && out.join("astronomy.txt").is_file());
    assert!(!out.join("garden.txt").exists());
}

/// A drive (a network share) that stops answering mid-file is waited for: the worker says
/// so, tries again from its last committed window, and once the drive is back the file
/// finishes exactly as an uninterrupted run does — nothing failed, nothing lost.
#[test]
fn a_drive_that_drops_out_mid_file_is_waited_for_and_the_file_finishes_unchanged() {
    if FlakyDrive::unavailable() {
        return;
    }
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let long = fixtures::long_clip(media.path());
    let drive = FlakyDrive::mount(std::slice::from_ref(&long), &media.path().join("share"));
    let out = media.path().join("out");
    let mut run = Headless::start(&data, &out, &[drive.path("long episode.wav")], &[], &[]);
    run.wait_for("a segment", |v| is_type(v, "segment"));

    drive.fail_reads(true);
    let notice = run.wait_for("the retry", |v| {
        is_type(v, "notice") && v["message"].as_str().is_some_and(|m| m.contains("trying again"))
    });
    let message = notice["message"].as_str().expect("message");
    assert!(
        message.contains("Input/output error") && message.contains("its drive may have dropped out"),
        "{message}"
    );
    drive.fail_reads(false);
    let (code, events) = run.finish();
    assert_eq!(code, Some(0));
    assert!(!events.iter().any(|v| is_type(v, "file_failed")), "nothing failed");

    assert_same_as_uninterrupted(&data, &long, &out);
}
