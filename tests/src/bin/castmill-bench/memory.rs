//! The memory watch: what a reading costs the supervisor, how fast a job short of memory is
//! paused (a balloon in the job's cgroup crossing the threshold → `held` → the worker's
//! `paused`), and each model kind's peak RSS against the fit check's estimate.

use std::path::Path;
use std::time::{Duration, Instant};

use castmill_e2e::headless::{DataDir, Headless, is_type};
use castmill_e2e::memory_cgroup::MemoryCgroup;
use castmill_e2e::proc_stats::peak_rss_mib;
use castmill_e2e::worker::RunningWorker;
use castmill_memory::{ModelKind, PressureWatch, Thresholds, fit};

use crate::compare;

const MIB: u64 = 1024 * 1024;

pub fn bench(dir: &Path, repeats: usize) {
    println!("\n## Memory watch");
    println!("| measure | value |\n|---|---|");
    reading_cost();
    pause_latency(dir, repeats);
    println!(
        "\n| model | kind | on disk | worker peak RSS | fit check's estimate | estimate / peak |\n|---|---|---|---|---|---|"
    );
    let clip = compare::Input {
        name: "bread".into(),
        files: vec![castmill_e2e::fixtures::clip("bread", "wav")],
        audio_s: 31.0,
        reference: String::new(),
    };
    for model in [castmill_e2e::model_path(), castmill_e2e::default_model_path()] {
        let peak = compare::castmill(&model, &clip).peak_rss_mib;
        model_row(&model, ModelKind::Whisper, peak);
    }
    let embeddings = castmill_e2e::embedding_model_dir();
    if embeddings.join("model.safetensors").is_file() {
        model_row(&embeddings, ModelKind::Embeddings, knowledge_peak_rss_mib());
    }
}

/// The supervisor reads memory twice a second while a worker runs.
fn reading_cost() {
    let pid = std::process::id();
    let mut watch = PressureWatch::new(Thresholds::default());
    let n = 2000;
    let cpu_before = castmill_e2e::proc_stats::cpu_seconds(pid).unwrap_or(0.0);
    let started = Instant::now();
    for _ in 0..n {
        if let Some(reading) = castmill_memory::memory_now(Some(pid)) {
            std::hint::black_box(watch.update(&reading, Instant::now()));
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = castmill_e2e::proc_stats::cpu_seconds(pid).unwrap_or(0.0) - cpu_before;
    let per_reading_us = wall / n as f64 * 1e6;
    let per_minute_ms = cpu / n as f64 * 120.0 * 1000.0;
    println!("| one reading (meminfo, PSI, every cgroup above the worker) + the policy | {per_reading_us:.0} µs |");
    println!(
        "| the watch's CPU per minute of a job (2 readings a second) | {per_minute_ms:.2} ms ({:.4}% of one core) |",
        per_minute_ms / 600.0
    );
}

/// A job in a 1 GiB cgroup, held below 40% free: one balloon leaves it just above the
/// threshold, a second, small one pushes it over; times from the second one's start.
fn pause_latency(dir: &Path, repeats: usize) {
    if MemoryCgroup::unavailable() {
        println!("| balloon → held → paused | skipped: needs root and a memory controller |");
        return;
    }
    let data = DataDir::with_model();
    let long = castmill_e2e::fixtures::long_clip(dir);
    let (mut to_held, mut to_paused) = (Vec::new(), Vec::new());
    for r in 0..repeats {
        let limit = 1024 * MIB;
        let cgroup = MemoryCgroup::create(limit);
        let out = dir.join(format!("memory-{r}"));
        let mut command = Headless::command(
            &data,
            &out,
            std::slice::from_ref(&long),
            &["--no-summaries", "--memory-free-below", "40", "--memory-calm", "1"],
            &[],
        );
        cgroup.enter_on_spawn(&mut command);
        let mut run = Headless::spawn(command);
        run.wait_for("transcribing", |v| is_type(v, "stage") && v["stage"] == "transcribing");
        // To 45% free: clear of the threshold (40%) by the release margin.
        let (mut near, _) = cgroup.balloon_leaving(limit * 45 / 100);
        let push_mb = limit / 10 / MIB;
        let started = Instant::now();
        let mut push = cgroup.balloon(push_mb);
        run.wait_for("held", |v| is_type(v, "held"));
        to_held.push(started.elapsed().as_secs_f64() * 1000.0);
        run.wait_for("paused", |v| is_type(v, "paused"));
        to_paused.push(started.elapsed().as_secs_f64() * 1000.0);
        for balloon in [&mut push, &mut near] {
            drop(balloon.stdin.take());
            let _ = balloon.wait();
        }
        let _ = nix::sys::signal::kill(run.pid(), nix::sys::signal::Signal::SIGTERM);
        let _ = run.finish();
    }
    let spread = |v: &[f64]| {
        let (min, max) = v.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        format!("{:.1} ms (min {min:.1}, max {max:.1})", crate::median(v.to_vec()))
    };
    println!(
        "| a balloon pushes the job's cgroup past the threshold → `held` (readings every 500 ms), median of {repeats} | {} |",
        spread(&to_held)
    );
    println!(
        "| … → the worker `paused` (2 threads, mid-window), median of {repeats} | {} |",
        spread(&to_paused)
    );
}

fn model_row(path: &Path, kind: ModelKind, peak_mib: f64) {
    let bytes = fit::size_on_disk(path);
    let need_mib = kind.need(bytes) as f64 / MIB as f64;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    println!(
        "| {name} | {kind:?} | {:.1} MB | {peak_mib:.0} MiB | {need_mib:.0} MiB | {:.2} |",
        bytes as f64 / 1e6,
        need_mib / peak_mib
    );
}

/// The worker's peak RSS while it summarises a committed hour of transcript (whisper is
/// never loaded on that job).
fn knowledge_peak_rss_mib() -> f64 {
    let job = castmill_e2e::worker::transcribed_job(1);
    let mut worker = RunningWorker::start(&job);
    let pid = worker.pid().as_raw() as u32;
    let mut peak = 0.0f64;
    while !worker.is_closed() {
        if let Some(p) = peak_rss_mib(pid) {
            peak = peak.max(p);
        }
        let _ = worker.next_line(Duration::from_millis(100));
    }
    let (status, _) = worker.finish();
    assert!(status.success(), "worker failed: {}", job.worker_log());
    peak
}
