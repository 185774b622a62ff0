//! Pause, resume and stop by signal, and the protected protocol stream.

use std::time::{Duration, Instant};

use castmill_e2e::fixtures;
use castmill_e2e::wer::word_error_rate;
use castmill_e2e::worker::{RunningWorker, TestJob, events, one_model_at_a_time, run_to_end};
use nix::sys::signal::Signal;
use shared_ipc::protocol::StopCause;
use shared_ipc::{Checkpoint, Incoming, StopReason, WorkerEvent, exit_code};

fn cpu_seconds(pid: i32) -> f64 {
    castmill_e2e::proc_stats::cpu_seconds(pid as u32).expect("proc stat")
}

#[test]
fn sigusr1_pauses_with_no_progress_and_idle_cpu_and_sigusr2_resumes() {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let job = TestJob::new(vec![fixtures::long_clip(media.path())]);
    let mut worker = RunningWorker::start(&job);
    worker.wait_for("the first segment", |e| matches!(e, WorkerEvent::Segment { .. }));

    let sent = Instant::now();
    worker.signal(Signal::SIGUSR1);
    worker.signal(Signal::SIGUSR1); // idempotent: still one pause
    worker.wait_for("paused", |e| matches!(e, WorkerEvent::Paused));
    eprintln!("pause took effect after {:?}", sent.elapsed());

    // Watch a paused worker for a few seconds: nothing but heartbeats, and almost no CPU.
    let cpu_before = cpu_seconds(worker.pid().as_raw());
    let watch_until = Instant::now() + Duration::from_secs(4);
    while Instant::now() < watch_until {
        if let Some(Incoming::Event(e)) = worker.next_line(Duration::from_millis(100)) {
            assert!(
                matches!(
                    e,
                    WorkerEvent::Heartbeat { .. } | WorkerEvent::Memory { .. } | WorkerEvent::Paused
                ),
                "paused worker sent {e:?}"
            );
        }
    }
    let cpu_used = cpu_seconds(worker.pid().as_raw()) - cpu_before;
    assert!(cpu_used < 0.2, "paused worker used {cpu_used:.2} s of CPU in 4 s");

    worker.signal(Signal::SIGUSR2);
    worker.signal(Signal::SIGUSR2);
    worker.wait_for("resumed", |e| matches!(e, WorkerEvent::Resumed));
    worker.wait_for("progress after resuming", |e| matches!(e, WorkerEvent::Progress { .. }));
    let (status, _) = worker.finish();
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    let text = job.output_text("long episode.txt");
    let wer = word_error_rate(&fixtures::long_clip_reference(), &text);
    assert!(
        wer < 0.15,
        "transcript after pause/resume has WER {:.1}%:\n{text}",
        wer * 100.0
    );
}

#[test]
fn sigterm_stops_gracefully_and_the_job_resumes_to_the_same_result() {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let long = fixtures::long_clip(media.path());
    let reference = TestJob::new(vec![long]);
    let (status, _) = run_to_end(&reference);
    assert_eq!(status.code(), Some(exit_code::FINISHED));

    let job = reference.twin();
    let mut worker = RunningWorker::start(&job);
    worker.wait_for("the first segment", |e| matches!(e, WorkerEvent::Segment { .. }));
    let sent = Instant::now();
    worker.signal(Signal::SIGTERM);
    worker.signal(Signal::SIGTERM);
    worker.wait_for("stopping", |e| {
        matches!(
            e,
            WorkerEvent::Stopping {
                cause: StopCause::Requested
            }
        )
    });
    let (status, _) = worker.finish();
    eprintln!("stopped {:?} after SIGTERM", sent.elapsed());
    assert_eq!(status.code(), Some(exit_code::STOPPED));
    let cp = shared_ipc::Checkpoint::load(&job.folder.checkpoint())
        .expect("readable")
        .expect("written");
    assert_eq!(cp.last_stop, Some(shared_ipc::StopReason::Requested));

    let (status, _) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    assert_eq!(job.output("long episode.txt"), reference.output("long episode.txt"));
    assert_eq!(job.output("long episode.json"), reference.output("long episode.json"));
}

#[test]
fn stray_writes_to_fd1_never_reach_the_protocol_stream() {
    let _guard = one_model_at_a_time();
    let job = TestJob::new(vec![fixtures::clip("garden", "mp3")]);
    let marker = "NATIVE-LIBRARY-SAYS-HELLO";
    let (status, lines) = RunningWorker::start_with_env(&job, &[("CASTMILL_TEST_STRAY_STDOUT", marker)]).finish();
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    for line in &lines {
        assert!(
            matches!(line, Incoming::Event(_)),
            "protocol stream carried a non-event: {line:?}"
        );
    }
    assert!(
        events(&lines)
            .iter()
            .any(|e| matches!(e, WorkerEvent::FileCompleted { .. }))
    );
    assert!(
        job.worker_log().contains(marker),
        "the stray write should land in the log (stderr)"
    );
}

#[test]
fn heartbeats_arrive_while_working() {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let job = TestJob::new(vec![fixtures::long_clip(media.path())]);
    let (status, events) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    let (beats, progress): (Vec<u64>, Vec<u64>) = events
        .iter()
        .filter_map(|e| {
            if let WorkerEvent::Heartbeat { seq, progress } = e {
                Some((*seq, progress.expect("a heartbeat carries the work's progress")))
            } else {
                None
            }
        })
        .unzip();
    assert!(beats.len() >= 2, "only {} heartbeats", beats.len());
    assert!(
        beats.windows(2).all(|w| w[1] == w[0] + 1),
        "heartbeat sequence has gaps: {beats:?}"
    );
    // The work's own counter never goes back, and moves while the file is transcribed.
    assert!(progress.windows(2).all(|w| w[1] >= w[0]), "{progress:?}");
    assert!(
        progress.last() > progress.first(),
        "progress stood still while working: {progress:?}"
    );
}

/// A worker whose stderr leads nowhere (a pipe whose reader is gone, as when the app that
/// read it died) keeps working: a log line that cannot be written never stops the job.
#[test]
fn a_broken_stderr_does_not_stop_the_worker() {
    let _guard = one_model_at_a_time();
    let job = TestJob::new(vec![fixtures::clip("garden", "wav")]);
    let mut child = std::process::Command::new(castmill_e2e::worker_bin())
        .arg(job.folder.root())
        .env("CASTMILL_LOG", "debug")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn worker");
    drop(child.stderr.take());
    let events: Vec<WorkerEvent> = shared_ipc::EventReader::new(child.stdout.take().expect("stdout"))
        .filter_map(|line| match line {
            shared_ipc::Incoming::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "events: {events:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WorkerEvent::Finished { files_done: 1, .. }))
    );
    assert!(job.out.join("garden.txt").is_file());
}

/// When what reads the worker's events goes away (the app's reader thread died, the pipe
/// broke), the worker notices at its next line, stops gracefully as if its parent had died,
/// and the job resumes from its last committed window.
#[test]
fn a_worker_whose_event_reader_goes_away_stops_gracefully_and_the_job_resumes() {
    use std::io::BufRead;
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let job = TestJob::new(vec![fixtures::long_clip(media.path())]);
    let mut child = std::process::Command::new(castmill_e2e::worker_bin())
        .arg(job.folder.root())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn worker");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    while !line.contains("\"type\":\"segment\"") {
        line.clear();
        assert!(stdout.read_line(&mut line).expect("read") > 0, "the worker ended early");
    }
    // When memory runs out, the kernel is to pick the worker, never the app.
    let oom_score_adj = std::fs::read_to_string(format!("/proc/{}/oom_score_adj", child.id())).expect("oom_score_adj");
    assert_eq!(oom_score_adj.trim(), "500");
    drop(stdout);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = rx
        .recv_timeout(castmill_e2e::worker::HANG_GUARD)
        .expect("the worker did not stop")
        .expect("wait");
    assert_eq!(status.code(), Some(exit_code::STOPPED));
    let checkpoint = Checkpoint::load(&job.folder.checkpoint())
        .expect("load")
        .expect("exists");
    assert_eq!(checkpoint.last_stop, Some(StopReason::ParentDied));

    let (status, events) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WorkerEvent::Notice { message, .. } if message.contains("resuming"))),
        "it went on from its last window"
    );
}
