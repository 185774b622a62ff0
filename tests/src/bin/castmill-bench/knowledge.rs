//! The worker's knowledge stage on long transcripts: a job whose transcription is already
//! committed (a 1- and a 4-hour transcript in its journal), run by the real worker, which
//! then makes the summary, topics and note and the Map of Content. Reports the time per
//! hour of transcript and the worker's peak RSS, which must not grow with the length.

use std::time::{Duration, Instant};

use castmill_e2e::proc_stats::peak_rss_mib;
use castmill_e2e::worker::RunningWorker;
use shared_ipc::{Incoming, Stage, WorkerEvent};

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
        let job = castmill_e2e::worker::transcribed_job(hours);
        let sentences =
            batch_processor::knowledge::sentences::from_segments(&castmill_e2e::fixtures::transcript(hours)).len();
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
