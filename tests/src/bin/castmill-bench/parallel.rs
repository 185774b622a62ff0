//! Threads or processes: the same batch as one worker with all the cores, and as one
//! single-threaded worker per core, each taking its share of the files. ggml's thread pool
//! spins, so the two must never run together; this only compares them one after another.

use std::path::Path;
use std::time::Instant;

use castmill_e2e::fixtures::{self, CLIPS};
use castmill_e2e::worker::{RunningWorker, TestJob};

fn job(files: Vec<std::path::PathBuf>, threads: u32) -> TestJob {
    let mut job = TestJob::new(files);
    job.spec.options.threads = threads;
    job.spec.save(&job.folder.spec()).expect("save spec");
    job
}

/// Runs the jobs at once and returns the wall time until the last one ends.
fn run_together(jobs: &[TestJob]) -> f64 {
    let started = Instant::now();
    let workers: Vec<RunningWorker> = jobs.iter().map(RunningWorker::start).collect();
    for worker in workers {
        let (status, _) = worker.finish();
        assert!(status.success());
    }
    started.elapsed().as_secs_f64()
}

pub fn bench(_dir: &Path) {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    // Twice the clips, so each of the workers gets whole files.
    let files: Vec<_> = CLIPS.iter().chain(CLIPS).map(|c| fixtures::clip(c, "wav")).collect();
    let audio_s = 31.0 * files.len() as f64;
    println!(
        "\n## One worker × {cores} threads, or {cores} workers × 1 thread ({} files, {audio_s:.0} s)",
        files.len()
    );
    let one = run_together(&[job(files.clone(), cores as u32)]);
    let shares: Vec<TestJob> = (0..cores)
        .map(|w| job(files.iter().skip(w).step_by(cores).cloned().collect(), 1))
        .collect();
    let many = run_together(&shares);
    println!("| layout | batch wall time | real-time factor |\n|---|---|---|");
    println!("| 1 worker × {cores} threads | {one:.1} s | {:.3} |", one / audio_s);
    println!("| {cores} workers × 1 thread | {many:.1} s | {:.3} |", many / audio_s);
    println!("\nRatio (workers / threads): {:.2}", many / one);
}
