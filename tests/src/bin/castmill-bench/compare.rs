//! Side by side on the same inputs, threads and decoding (greedy, English, no carried
//! context): Castmill's worker, the bare whisper.cpp baseline (`bare_whisper.rs`) and
//! faster-whisper with int8 weights. Runs alternate between the tools, several times;
//! wall time includes process start and model load for all three. Also the quantized
//! GGML weights Castmill can make, with their speed and accuracy.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use castmill_e2e::fixtures::{self, CLIPS};
use castmill_e2e::wer::word_error_rate;
use castmill_e2e::worker::{RunningWorker, TestJob};
use shared_ipc::{Incoming, WorkerEvent};

use crate::median;

pub const THREADS: i32 = 2;

/// A set of files with the text spoken in them.
pub struct Input {
    pub name: String,
    pub files: Vec<PathBuf>,
    pub audio_s: f64,
    pub reference: String,
}

/// The three clips (about 31 s each, several speakers), and a 10-minute file of whole
/// clips one after another.
pub fn inputs(dir: &Path) -> Vec<Input> {
    let clips: Vec<PathBuf> = CLIPS.iter().map(|c| fixtures::clip(c, "wav")).collect();
    let clip_samples: Vec<Vec<i16>> = CLIPS.iter().map(|c| fixtures::clip_samples(c)).collect();
    let clips_audio_s = clip_samples.iter().map(|c| c.len()).sum::<usize>() as f64 / 16_000.0;

    // Whole clips in turn, for about ten minutes.
    let mut order = Vec::new();
    let mut written = 0usize;
    while written < 600 * 16_000 - clip_samples[order.len() % CLIPS.len()].len() / 2 {
        let next = order.len() % CLIPS.len();
        written += clip_samples[next].len();
        order.push(next);
    }
    let long = dir.join("ten-minutes.wav");
    fixtures::write_wav(&long, order.iter().flat_map(|&c| clip_samples[c].iter().copied()));
    let reference: Vec<String> = order.iter().map(|&c| fixtures::reference_text(CLIPS[c])).collect();
    vec![
        Input {
            name: format!("{} clips, {clips_audio_s:.0} s", CLIPS.len()),
            files: clips,
            audio_s: clips_audio_s,
            reference: fixtures::long_clip_reference(),
        },
        Input {
            name: format!("one {:.1}-minute file", written as f64 / 16_000.0 / 60.0),
            files: vec![long],
            audio_s: written as f64 / 16_000.0,
            reference: reference.join("\n"),
        },
    ]
}

/// One run of one tool on one input.
pub struct Measure {
    pub wall_s: f64,
    pub text: String,
    pub peak_rss_mib: f64,
    /// whisper.cpp's own account (bare baseline only): (what, total ms, runs).
    pub timings: Vec<(String, f64, u64)>,
}

/// `whisper_print_timings` lines: "…:   encode time =   612.00 ms /     2 runs ( … )".
fn parse_timings(stderr: &str, into: &mut Vec<(String, f64, u64)>) {
    for line in stderr.lines() {
        let Some((name, rest)) = line.split_once(" time = ") else {
            continue;
        };
        let name = name.rsplit(':').next().unwrap_or(name).trim().to_owned();
        let mut words = rest.split_whitespace();
        let ms: f64 = words.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let runs: u64 = rest
            .split_once("/ ")
            .and_then(|(_, r)| r.split_whitespace().next())
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        match into.iter_mut().find(|t| t.0 == name) {
            Some(t) => {
                t.1 += ms;
                t.2 += runs;
            }
            None => into.push((name, ms, runs)),
        }
    }
}

/// Castmill's worker on a job of the input's files.
pub fn castmill(model: &Path, input: &Input) -> Measure {
    let job = TestJob::with_model(input.files.clone(), model.to_owned());
    let started = Instant::now();
    let mut worker = RunningWorker::start(&job);
    let pid = worker.pid().as_raw() as u32;
    let mut peak = 0.0f64;
    loop {
        if let Some(p) = castmill_e2e::proc_stats::peak_rss_mib(pid) {
            peak = peak.max(p);
        }
        match worker.next_line(Duration::from_millis(100)) {
            Some(Incoming::Event(WorkerEvent::Finished { .. })) => break,
            None if worker.is_closed() => break,
            _ => {}
        }
    }
    let (status, _) = worker.finish();
    let wall_s = started.elapsed().as_secs_f64();
    assert!(status.success(), "worker failed: {}", job.worker_log());
    let text = input
        .files
        .iter()
        .map(|f| {
            let stem = f.file_stem().expect("stem").to_string_lossy();
            job.output_text(&format!("{stem}.txt"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    Measure {
        wall_s,
        text,
        peak_rss_mib: peak,
        timings: Vec::new(),
    }
}

/// The bare baseline, one process per file as whisper.cpp's tool would be run.
pub fn bare(model: &Path, input: &Input) -> Measure {
    let exe = std::env::current_exe().expect("bench binary");
    let mut measure = Measure {
        wall_s: 0.0,
        text: String::new(),
        peak_rss_mib: 0.0,
        timings: Vec::new(),
    };
    for file in &input.files {
        let started = Instant::now();
        let out = Command::new(&exe)
            .arg("bare")
            .arg(model)
            .arg(file)
            .arg(THREADS.to_string())
            .output()
            .expect("run the bare baseline");
        measure.wall_s += started.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "bare baseline failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        parse_timings(&String::from_utf8_lossy(&out.stderr), &mut measure.timings);
        let stdout = String::from_utf8_lossy(&out.stdout);
        for line in stdout.lines() {
            if let Some(peak) = line.strip_prefix("PEAK_RSS_MIB ") {
                measure.peak_rss_mib = measure.peak_rss_mib.max(peak.parse().unwrap_or(0.0));
            } else if !line.starts_with("ELAPSED ") {
                measure.text.push_str(line);
                measure.text.push('\n');
            }
        }
    }
    measure
}

/// faster-whisper, int8 weights, from the CTranslate2 model the set-up unpacks. Wall time
/// from before the model loads to the last file's text (the interpreter's start is left
/// out, in faster-whisper's favour).
pub fn faster_whisper(python: &Path, input: &Input) -> Option<Measure> {
    let script = r#"
import resource, sys, time
start = time.time()
from faster_whisper import WhisperModel
model_dir, threads, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)
for p in paths:
    segments, _ = model.transcribe(p, beam_size=1, language="en", condition_on_previous_text=False)
    print(" ".join(s.text.strip() for s in segments))
print(f"ELAPSED {time.time() - start}")
print(f"PEAK_RSS_MIB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}")
"#;
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(castmill_e2e::headless::ct2_model_dir())
        .arg(THREADS.to_string())
        .args(&input.files)
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    let Some(wall_s) = value("ELAPSED ") else {
        eprintln!(
            "faster-whisper failed: {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        );
        return None;
    };
    Some(Measure {
        wall_s,
        text: stdout
            .lines()
            .filter(|l| !l.starts_with("ELAPSED ") && !l.starts_with("PEAK_RSS_MIB "))
            .collect::<Vec<_>>()
            .join("\n"),
        peak_rss_mib: value("PEAK_RSS_MIB ").unwrap_or(0.0),
        timings: Vec::new(),
    })
}

/// Real-time factors, word error rate and peak RSS of one tool on one input.
#[derive(Default)]
struct Tally {
    rtfs: Vec<f64>,
    wers: Vec<f64>,
    peak: f64,
}

impl Tally {
    fn add(&mut self, input: &Input, m: &Measure) {
        self.rtfs.push(m.wall_s / input.audio_s);
        self.wers.push(word_error_rate(&input.reference, &m.text));
        self.peak = self.peak.max(m.peak_rss_mib);
    }

    fn rtf(&self) -> f64 {
        median(self.rtfs.clone())
    }

    fn wer(&self) -> f64 {
        median(self.wers.clone())
    }

    fn row(&self, tool: &str) -> String {
        let min = self.rtfs.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = self.rtfs.iter().cloned().fold(0.0, f64::max);
        format!(
            "| {tool} | {:.3} | {min:.3} – {max:.3} | {:.1}% | {:.0} MiB |",
            self.rtf(),
            self.wer() * 100.0,
            self.peak
        )
    }
}

/// The side-by-side table for `model` (Castmill's default weights).
pub fn bench(dir: &Path, repeats: usize, model: &Path) {
    let python = std::env::var_os("BENCH_FASTER_WHISPER_PYTHON").map(PathBuf::from);
    println!(
        "\n## Side by side: Castmill, bare whisper.cpp, faster-whisper ({THREADS} threads, greedy, {repeats} alternating runs)"
    );
    println!(
        "Castmill and bare whisper.cpp: {}. faster-whisper{}: the original CTranslate2 tiny.en, int8.",
        model.file_name().unwrap_or_default().to_string_lossy(),
        if python.is_some() {
            ""
        } else {
            " (skipped: no BENCH_FASTER_WHISPER_PYTHON)"
        }
    );
    for input in inputs(dir) {
        let (mut ours, mut baseline, mut fw) = (Tally::default(), Tally::default(), Tally::default());
        let mut timings = Vec::new();
        for r in 0..repeats {
            // Rotate the order so no tool always runs first (warm caches, thermal state).
            for k in 0..3 {
                match (r + k) % 3 {
                    0 => ours.add(&input, &castmill(model, &input)),
                    1 => {
                        let m = bare(model, &input);
                        timings = m.timings.clone();
                        baseline.add(&input, &m);
                    }
                    _ => {
                        if let Some(python) = &python
                            && let Some(m) = faster_whisper(python, &input)
                        {
                            fw.add(&input, &m);
                        }
                    }
                }
            }
        }
        println!("\n### {}\n", input.name);
        println!(
            "| tool | real-time factor (median) | min – max | word error rate | peak RSS |\n|---|---|---|---|---|"
        );
        println!("{}", ours.row("Castmill worker"));
        println!("{}", baseline.row("bare whisper.cpp (one `full` call)"));
        if !fw.rtfs.is_empty() {
            println!("{}", fw.row("faster-whisper int8"));
        }
        println!(
            "\nCastmill / bare whisper.cpp: time {:.3}×, word error rate {:+.1} points.",
            ours.rtf() / baseline.rtf(),
            (ours.wer() - baseline.wer()) * 100.0
        );
        if !timings.is_empty() {
            let parts: Vec<String> = timings
                .iter()
                .filter(|t| t.1 >= 1.0)
                .map(|(name, ms, runs)| format!("{name} {:.2} s ({runs} runs)", ms / 1000.0))
                .collect();
            println!(
                "Where whisper.cpp's time goes (bare run, whisper.cpp's own timers): {}.",
                parts.join(", ")
            );
        }
        if !fw.rtfs.is_empty() {
            println!(
                "Castmill / faster-whisper int8: time {:.3}×, word error rate {:+.1} points.",
                ours.rtf() / fw.rtf(),
                (ours.wer() - fw.wer()) * 100.0
            );
        }
    }
}

/// Each quantization Castmill can make of `model`, through the worker: size, speed,
/// accuracy on both inputs.
pub fn quantized(dir: &Path, repeats: usize, model: &Path) {
    println!("\n## Quantized weights (`castmill models quantize`), Castmill worker, median of {repeats}");
    let inputs = inputs(dir);
    print!("| weights | size |");
    for input in &inputs {
        print!(" RTF, {} | WER, {} |", input.name, input.name);
    }
    println!("\n|---|---|{}", "---|---|".repeat(inputs.len()));
    let mut variants = vec![("f16".to_owned(), model.to_owned())];
    for kind in ["q8_0", "q5_1", "q5_0", "q4_1", "q4_0"] {
        let out = dir.join(format!("model-{kind}.bin"));
        let status = Command::new(castmill_e2e::worker_bin())
            .arg("--quantize")
            .arg(model)
            .arg(&out)
            .arg(kind)
            .status()
            .expect("run the quantizer");
        assert!(status.success(), "quantizing to {kind} failed");
        variants.push((kind.to_owned(), out));
    }
    for (name, path) in variants {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        print!("| {name} | {size:.1} MB |");
        for input in &inputs {
            let mut tally = Tally::default();
            for _ in 0..repeats {
                tally.add(input, &castmill(&path, input));
            }
            print!(" {:.3} | {:.1}% |", tally.rtf(), tally.wer() * 100.0);
        }
        println!();
    }
}
