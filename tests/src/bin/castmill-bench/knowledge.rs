//! The worker's knowledge stage on long transcripts: a job whose transcription is already
//! committed (a 1- and a 4-hour transcript in its journal), run by the real worker, which
//! then makes the summary, topics and note and the Map of Content. Reports the time per
//! hour of transcript and the worker's peak RSS, which must not grow with the length.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use castmill_e2e::fixtures;
use castmill_e2e::proc_stats::peak_rss_mib;
use castmill_e2e::worker::{RunningWorker, TestJob};
use shared_ipc::{Checkpoint, FileState, Fingerprint, Incoming, Journal, Segment, Stage, WorkerEvent};

/// A transcript of `hours` hours: the fixture scripts' sentences over and over, one
/// 5-second segment each, with a counter so no two are identical.
fn transcript(hours: u64) -> Vec<Segment> {
    let lines = fixtures::reference_sentences();
    let count = hours * 3600 / 5;
    (0..count)
        .map(|i| Segment {
            start_ms: i * 5000,
            end_ms: (i + 1) * 5000,
            text: format!(" {} (part {})", lines[i as usize % lines.len()], i / lines.len() as u64),
            confidence: 1.0,
        })
        .collect()
}

/// A job whose one input is transcribed already: its journal holds `hours` of transcript.
fn transcribed_job(hours: u64) -> TestJob {
    let input = PathBuf::from(format!("/nonexistent/episode-{hours}h.mp3"));
    let job = TestJob::with_knowledge(vec![input.clone()]);
    std::fs::create_dir_all(job.folder.journals_dir()).expect("journals dir");
    let fingerprint = Fingerprint {
        size: 0,
        modified_ns: 0,
        sample_crc32: 0,
    };
    let mut journal = Journal::create(&job.folder.journal(0), fingerprint).expect("journal");
    let segments = transcript(hours);
    let audio_ms = hours * 3_600_000;
    // In 30-second windows, as the worker commits them.
    for (w, window) in segments.chunks(6).enumerate() {
        journal
            .commit_window(window, (w as u64 + 1) * 30 * 16_000)
            .expect("commit");
    }
    let mut checkpoint = Checkpoint::new("bench", &[input]);
    checkpoint.files[0].fingerprint = Some(fingerprint);
    checkpoint.files[0].duration_ms = Some(audio_ms);
    checkpoint.files[0].state = FileState::Done {
        outputs: Vec::new(),
        audio_ms,
    };
    checkpoint.save(&job.folder.checkpoint()).expect("checkpoint");
    job
}

pub fn bench() {
    println!("\n## Knowledge stage in the worker (all-MiniLM-L6-v2, CPU)");
    if !castmill_e2e::embedding_model_dir().join("model.safetensors").is_file() {
        println!("skipped: no embedding model (run scripts/setup.sh --deps)");
        return;
    }
    println!(
        "| transcript | sentences | model load | summary + topics + note | per hour of transcript | map of content | worker peak RSS |\n|---|---|---|---|---|---|---|"
    );
    for hours in [1, 4] {
        let job = transcribed_job(hours);
        let sentences = batch_processor::knowledge::sentences::from_segments(&transcript(hours)).len();
        let mut worker = RunningWorker::start(&job);
        let pid = worker.pid().as_raw() as u32;
        let mut marks: Vec<(&str, Instant)> = Vec::new();
        let mut peak = 0.0f64;
        loop {
            match worker.next_line(Duration::from_millis(200)) {
                Some(Incoming::Event(event)) => {
                    let mark = match event {
                        WorkerEvent::Stage {
                            stage: Stage::Summarizing,
                            ..
                        } => Some("summarizing"),
                        WorkerEvent::Model {
                            state: shared_ipc::ModelState::Ready,
                            ..
                        } => Some("ready"),
                        WorkerEvent::SummaryWritten { .. } => Some("summarized"),
                        WorkerEvent::Stage {
                            stage: Stage::MappingContent,
                            ..
                        } => Some("mapping"),
                        WorkerEvent::MapWritten { .. } => Some("mapped"),
                        WorkerEvent::Finished { .. } => Some("finished"),
                        WorkerEvent::KnowledgeFailed { reason, .. } => panic!("knowledge stage failed: {reason}"),
                        _ => None,
                    };
                    // The high-water mark, read while the process still lives.
                    if let Some(p) = peak_rss_mib(pid) {
                        peak = peak.max(p);
                    }
                    if let Some(mark) = mark {
                        marks.push((mark, Instant::now()));
                        if mark == "finished" {
                            break;
                        }
                    }
                }
                Some(_) => {}
                None => assert!(!worker.is_closed(), "the worker ended early: {}", job.worker_log()),
            }
        }
        let (status, _) = worker.finish();
        assert!(status.success(), "worker failed: {}", job.worker_log());
        let at = |name: &str| marks.iter().find(|(m, _)| *m == name).map(|(_, t)| *t).expect(name);
        let load = at("ready").duration_since(at("summarizing")).as_secs_f64();
        let summary = at("summarized").duration_since(at("ready")).as_secs_f64();
        let map = at("mapped").duration_since(at("mapping")).as_secs_f64();
        println!(
            "| {hours} h | {sentences} | {load:.2} s | {summary:.1} s | {:.1} s | {map:.2} s | {peak:.0} MiB |",
            summary / hours as f64
        );
    }
}
