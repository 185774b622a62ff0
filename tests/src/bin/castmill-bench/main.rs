//! `castmill-bench`: measures the worker on real speech and prints numbers and ratios.
//! Run through `scripts/bench.sh` (release build). Nothing here asserts a time.
//!
//! Environment: `BENCH_LONG_MINUTES` (default 60) and `BENCH_RSS_MINUTES` (default "10,240": 10 minutes against 4 hours)
//! set the long-file lengths; `BENCH_REPEATS` (default 3) the repetitions; `BENCH_ONLY` a
//! comma list of sections (commit, compare, coverage, levers, quantize, parallel, control, supervisor, speakers,
//! embeddings, knowledge, app, memory, long);
//! `BENCH_FASTER_WHISPER_PYTHON` a Python with faster-whisper, for the comparison.

mod app_window;
mod bare_whisper;
mod compare;
mod coverage_table;
mod embeddings;
mod encoder;
mod knowledge;
mod memory;
mod parallel;
mod speaker_recognition;
mod speakers;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use castmill_e2e::fixtures::{self, CLIPS};
use castmill_e2e::proc_stats::cpu_seconds;
use castmill_e2e::worker::{RunningWorker, TestJob};
use nix::sys::signal::Signal;
use shared_ipc::{Fingerprint, Journal, Segment, WorkerEvent};

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A 16 kHz WAV of `minutes` minutes, made by repeating the speech fixtures.
fn long_wav(dir: &Path, minutes: u32) -> PathBuf {
    let path = dir.join(format!("long-{minutes}min.wav"));
    let clips: Vec<Vec<i16>> = CLIPS.iter().map(|c| fixtures::clip_samples(c)).collect();
    let target = minutes as usize * 60 * 16_000;
    fixtures::write_wav(&path, clips.iter().cycle().flatten().copied().take(target));
    path
}

fn bench_long_files(dir: &Path) {
    let long_minutes: u32 = env_or("BENCH_LONG_MINUTES", 60);
    let rss_minutes: Vec<u32> = std::env::var("BENCH_RSS_MINUTES")
        .unwrap_or_else(|_| "10,240".into())
        .split(',')
        .filter_map(|m| m.trim().parse().ok())
        .collect();
    println!("\n## Long files (fixtures repeated; one run each)");
    println!("| input | audio | wall | real-time factor | worker peak RSS |\n|---|---|---|---|---|");
    let mut minutes: Vec<u32> = rss_minutes.clone();
    if !minutes.contains(&long_minutes) {
        minutes.push(long_minutes);
    }
    minutes.sort();
    let mut peaks = Vec::new();
    for m in minutes {
        let input = compare::Input {
            name: format!("{m}-minute wav"),
            files: vec![long_wav(dir, m)],
            audio_s: m as f64 * 60.0,
            reference: String::new(),
        };
        let run = compare::castmill(&castmill_e2e::model_path(), &input);
        let _ = std::fs::remove_file(&input.files[0]);
        println!(
            "| {m}-minute wav | {:.0} s | {:.1} s | {:.3} | {:.1} MiB |",
            input.audio_s,
            run.wall_s,
            run.wall_s / input.audio_s,
            run.peak_rss_mib
        );
        if rss_minutes.contains(&m) {
            peaks.push((m, run.peak_rss_mib));
        }
    }
    if let (Some(first), Some(last)) = (peaks.first(), peaks.last())
        && first.0 != last.0
    {
        println!(
            "\nPeak RSS ratio {}-minute / {}-minute: {:.2}",
            last.0,
            first.0,
            last.1 / first.1
        );
    }
}

fn bench_control_latency(dir: &Path, repeats: usize) {
    println!("\n## Control latency (signal → event or exit), {repeats} runs each");
    let long = fixtures::long_clip(dir);
    let mut pause_ms = Vec::new();
    let mut resume_ms = Vec::new();
    {
        let job = TestJob::new(vec![long.clone()]);
        let mut worker = RunningWorker::start(&job);
        worker.wait_for("first segment", |e| matches!(e, WorkerEvent::Segment { .. }));
        for _ in 0..repeats {
            let t = Instant::now();
            worker.signal(Signal::SIGUSR1);
            worker.wait_for("paused", |e| matches!(e, WorkerEvent::Paused));
            pause_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            worker.signal(Signal::SIGUSR2);
            worker.wait_for("resumed", |e| matches!(e, WorkerEvent::Resumed));
            resume_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        worker.signal(Signal::SIGTERM);
        let _ = worker.finish();
    }
    let mut stop_ms = Vec::new();
    for _ in 0..repeats {
        let job = TestJob::new(vec![long.clone()]);
        let mut worker = RunningWorker::start(&job);
        worker.wait_for("first segment", |e| matches!(e, WorkerEvent::Segment { .. }));
        let t = Instant::now();
        worker.signal(Signal::SIGTERM);
        let (status, _) = worker.finish();
        stop_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(status.code(), Some(shared_ipc::exit_code::STOPPED));
    }
    println!("| control | median | max |\n|---|---|---|");
    for (name, v) in [
        ("SIGUSR1 → paused", pause_ms),
        ("SIGUSR2 → resumed", resume_ms),
        ("SIGTERM → exit (stopping sent, checkpoint written)", stop_ms),
    ] {
        let max = v.iter().cloned().fold(0.0, f64::max);
        println!("| {name} | {:.1} ms | {max:.1} ms |", median(v));
    }
}

fn bench_commit_cost(dir: &Path) {
    println!("\n## Cost of committing progress (journal append + fdatasync)");
    let fingerprint = Fingerprint {
        size: 1,
        modified_ns: 1,
        sample_crc32: 1,
    };
    let segment = Segment {
        start_ms: 1_000,
        end_ms: 4_500,
        text: " A typical sentence of about twelve words, spoken in three seconds.".into(),
        confidence: 0.9,
        words: Vec::new(),
    };
    let per_window = 6;
    let windows = 300;
    let mut journal = Journal::create(&dir.join("bench.journal"), fingerprint).expect("journal");
    let segments = vec![segment; per_window];
    let mut times = Vec::new();
    for i in 0..windows {
        let t = Instant::now();
        journal.commit_window(&segments, (i + 1) * 480_000).expect("commit");
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let early = median(times[..50].to_vec());
    let late = median(times[windows as usize - 50..].to_vec());
    println!("| measure | value |\n|---|---|");
    println!(
        "| one window ({per_window} segments) committed, median | {:.0} µs |",
        median(times.clone())
    );
    println!("| per segment | {:.0} µs |", median(times) / per_window as f64);
    println!("| first 50 vs last 50 windows (journal of {windows} windows) | {early:.0} µs vs {late:.0} µs |");
    println!(
        "| share of a 30 s window transcribed at 0.07 × real time (2.1 s) | {:.3}% |",
        early / 1e6 / 2.1 * 100.0
    );
}

/// CPU time (user + system) of a live process, in seconds.
/// `castmill --headless --json` on a data directory holding the test model.
fn headless(
    data: &castmill_e2e::headless::DataDir,
    out: &Path,
    inputs: &[PathBuf],
    extra: &[&str],
) -> std::process::Child {
    data.command()
        .args(["--headless", "--json", "--out"])
        .arg(out)
        .args(extra)
        .arg("--")
        .args(inputs)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn castmill")
}

fn bench_supervisor(dir: &Path, repeats: usize) {
    use std::io::BufRead;
    println!("\n## Supervisor");
    let data = castmill_e2e::headless::DataDir::with_model();
    let long = fixtures::long_clip(dir);

    // Worker death → the replacement's first new segment (restart delay set to 0 here; the
    // default first backoff adds 500 ms).
    let mut recovery_ms = Vec::new();
    for r in 0..repeats {
        let out = dir.join(format!("recovery-{r}"));
        let mut child = headless(&data, &out, std::slice::from_ref(&long), &["--restart-base-ms", "0"]);
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .lines()
            .map_while(Result::ok);
        let mut worker = 0;
        let mut killed_at = None;
        let mut replacement_started = false;
        for line in lines.by_ref() {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            match (v["type"].as_str(), killed_at) {
                (Some("hello"), None) => worker = v["pid"].as_i64().unwrap_or(0) as i32,
                (Some("hello"), Some(_)) => replacement_started = true,
                (Some("segment"), None) => {
                    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(worker), Signal::SIGKILL);
                    killed_at = Some(Instant::now());
                }
                // Segments still in the pipe from the killed worker do not count.
                (Some("segment"), Some(at)) if replacement_started => {
                    recovery_ms.push(at.elapsed().as_secs_f64() * 1000.0);
                    break;
                }
                _ => {}
            }
        }
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), Signal::SIGTERM);
        lines.for_each(drop);
        let _ = child.wait();
    }

    // Supervisor CPU while a 10-minute job runs.
    let wav = long_wav(dir, 10);
    let out = dir.join("cpu");
    let started = Instant::now();
    let mut child = headless(&data, &out, std::slice::from_ref(&wav), &[]);
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let mut cpu = 0.0;
    while child.try_wait().ok().flatten().is_none() {
        if let Some(c) = cpu_seconds(pid) {
            cpu = c;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = reader.join();
    let wall = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&wav);

    // Recovery scan over made-up jobs, through the command a user runs.
    let mut scan = Vec::new();
    for n in [100, 1000] {
        let scan_data = castmill_e2e::headless::DataDir::empty();
        castmill_e2e::jobs_fixture::write_jobs(&scan_data.path().join("jobs"), n);
        let mut times = Vec::new();
        for _ in 0..repeats {
            let t = Instant::now();
            let out = scan_data.run(&["jobs", "list", "--json"]);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), n);
        }
        scan.push((n, median(times)));
    }

    println!("| measure | value |\n|---|---|");
    println!(
        "| worker SIGKILLed → replacement's first new segment, median of {repeats} | {:.0} ms (max {:.0} ms) |",
        median(recovery_ms.clone()),
        recovery_ms.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "| supervisor (castmill) CPU during a 10-minute job | {cpu:.2} s of {wall:.0} s wall ({:.2}% of one core) |",
        cpu / wall * 100.0
    );
    for (n, ms) in scan {
        println!("| `castmill jobs list` over {n} jobs (process start included) | {ms:.0} ms |");
    }
}

fn main() {
    // SAFETY: the first thing the bench does; no other thread exists yet.
    unsafe { castmill_speakers::thread_count::settle_candle_threads() };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, model, wav, threads] = args.as_slice()
        && mode == "bare"
    {
        bare_whisper::run(Path::new(model), Path::new(wav), threads.parse().unwrap_or(2));
        return;
    }
    let repeats: usize = env_or("BENCH_REPEATS", 3);
    let dir = tempfile::tempdir().expect("tempdir");
    println!("# Castmill worker benchmark\n");
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model()
    );
    println!(
        "models: {} (default), {} (f16) (threads: 2, greedy)",
        castmill_e2e::default_model_path().display(),
        castmill_e2e::model_path().display()
    );
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let wanted = |section: &str| only.is_empty() || only.split(',').any(|s| s.trim() == section);
    if wanted("commit") {
        bench_commit_cost(dir.path());
    }
    if wanted("compare") {
        compare::bench(dir.path(), repeats, &castmill_e2e::default_model_path());
    }
    if wanted("coverage") {
        coverage_table::bench(dir.path(), &castmill_e2e::default_model_path());
    }
    if wanted("levers") {
        compare::lever_table(dir.path(), repeats, &castmill_e2e::default_model_path());
    }
    if wanted("quantize") {
        compare::quantized(dir.path(), repeats, &castmill_e2e::model_path());
    }
    if wanted("parallel") {
        parallel::bench(dir.path());
    }
    if wanted("control") {
        bench_control_latency(dir.path(), repeats.max(3));
    }
    if wanted("supervisor") {
        bench_supervisor(dir.path(), repeats);
    }
    if wanted("embeddings") {
        embeddings::bench(repeats);
    }
    if wanted("knowledge") {
        knowledge::bench();
    }
    if wanted("speakers") {
        speakers::bench(dir.path());
    }
    if wanted("app") {
        app_window::bench(repeats, long_wav(dir.path(), 10));
    }
    if wanted("memory") {
        memory::bench(dir.path(), repeats);
    }
    if wanted("long") {
        bench_long_files(dir.path());
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
