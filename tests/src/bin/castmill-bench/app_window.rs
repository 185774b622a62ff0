//! The desktop app in a real window under Xvfb (software OpenGL): time from launch to a
//! usable window, the app's CPU and memory while idle and while a job runs, and how long
//! frames take while the live transcript scrolls.

use std::path::PathBuf;
use std::time::Duration;

use castmill_e2e::desktop::{Desktop, VirtualDisplay};
use castmill_e2e::headless::DataDir;
use castmill_e2e::proc_stats::{cpu_seconds, peak_rss_mib, rss_mib};
use nix::sys::signal::Signal;

use crate::median;

const SAMPLE: Duration = Duration::from_secs(10);

/// CPU share of one core and resident memory of `pid` over `SAMPLE`.
fn sample(pid: u32) -> (f64, f64) {
    let before = cpu_seconds(pid).unwrap_or(0.0);
    std::thread::sleep(SAMPLE);
    let after = cpu_seconds(pid).unwrap_or(0.0);
    (
        (after - before) / SAMPLE.as_secs_f64() * 100.0,
        rss_mib(pid).unwrap_or(0.0),
    )
}

/// The app reports its frames every 5 s (`gui/frame_stats.rs`): the span of each report.
const FRAME_REPORT_S: f64 = 5.0;

/// `frames N mean_ms X max_ms Y` lines from the app's debug log.
fn frame_reports(lines: &[String]) -> Vec<(f64, f64, f64)> {
    lines
        .iter()
        .filter_map(|l| {
            let rest = &l[l.find("frames ")? + "frames ".len()..];
            let f: Vec<f64> = rest.split_whitespace().filter_map(|w| w.parse().ok()).collect();
            (f.len() == 3).then(|| (f[0], f[1], f[2]))
        })
        .collect()
}

pub fn bench(repeats: usize, ten_minutes: PathBuf) {
    println!("\n## Desktop app (real window, Xvfb + Mesa llvmpipe)");
    let data = DataDir::with_model();
    let display = VirtualDisplay::start();
    let desktop = Desktop::new(data.path());

    let mut ready_ms = Vec::new();
    for _ in 0..repeats.max(3) {
        let mut window = desktop.launch(&display, &[]);
        let line = window.wait_for_log("window ready");
        let ms: f64 = line
            .split("window ready ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(f64::NAN);
        ready_ms.push(ms);
        window.signal(Signal::SIGTERM);
        window.wait();
    }

    let mut window = desktop.launch(&display, &[&ten_minutes]);
    window.wait_for_log("window ready");
    // Let the start-up work (probing the queued file's length) finish first.
    std::thread::sleep(Duration::from_secs(3));
    let (idle_cpu, idle_rss) = sample(window.pid());
    display.key("^Castmill$", "ctrl+Return");
    window.wait_for_log("\"type\":\"segment\"");
    // The frame report that spans the start (the frame that creates the job checks the
    // model files) is not the transcript scrolling: sampling starts at the next report.
    window.drain_log();
    window.wait_for_log("frames ");
    let before = window.seen.len();
    let (run_cpu, run_rss) = sample(window.pid());
    window.drain_log();
    let frames = frame_reports(&window.seen[before..]);
    let segments = window.seen[before..]
        .iter()
        .filter(|l| l.contains("\"type\":\"segment\""))
        .count();
    let peak = peak_rss_mib(window.pid()).unwrap_or(0.0);
    window.signal(Signal::SIGTERM);
    window.wait();
    let _ = std::fs::remove_file(&ten_minutes);

    let frame_count: f64 = frames.iter().map(|f| f.0).sum();
    let mean_ms = frames.iter().map(|f| f.0 * f.1).sum::<f64>() / frame_count.max(1.0);
    let max_ms = frames.iter().map(|f| f.2).fold(0.0, f64::max);
    println!("| measure | value |\n|---|---|");
    println!(
        "| launch → first frame shown, median of {} | {:.0} ms |",
        ready_ms.len(),
        median(ready_ms.clone())
    );
    println!("| app idle (start screen, 10 s) | {idle_cpu:.2}% of one core, RSS {idle_rss:.0} MiB |");
    println!(
        "| app while a job runs (10 s, {segments} new segments) | {run_cpu:.2}% of one core, RSS {run_rss:.0} MiB (peak {peak:.0} MiB) |"
    );
    println!(
        "| frames while the transcript scrolls | {:.1} frames/s, frame time (ui + software rendering) mean {mean_ms:.2} ms, max {max_ms:.2} ms |",
        frame_count / (frames.len().max(1) as f64 * FRAME_REPORT_S)
    );
}
