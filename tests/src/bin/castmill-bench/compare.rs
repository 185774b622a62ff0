//! Side by side on the same inputs, threads and decoding (greedy, English, no carried
//! context): Castmill's worker, the bare whisper.cpp baseline (`bare_whisper.rs`) and
//! faster-whisper with int8 weights. Runs alternate between the tools, several times;
//! wall time includes process start and model load for all three. Also the quantized
//! GGML weights Castmill can make, with their speed and accuracy.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use castmill_e2e::coverage::{Coverage, coverage, wav_samples};
use castmill_e2e::fixtures::{self, CLIPS};
use castmill_e2e::wer::{WordErrors, word_errors};
use castmill_e2e::worker::{RunningWorker, TestJob};
use shared_ipc::{Incoming, Segment, WorkerEvent};

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
    vec![
        Input {
            name: format!("{} clips, {clips_audio_s:.0} s", CLIPS.len()),
            files: clips,
            audio_s: clips_audio_s,
            reference: fixtures::long_clip_reference(),
        },
        joined_clips(dir, 10),
    ]
}

/// A 12-minute conversation of two voices (tests/fixtures/bench/dialogue.txt, spoken by
/// espeak-ng): questions, pushback and one-word replies, none of it in the fixtures the
/// worker was tuned on. None when espeak-ng is missing.
pub fn dialogue(dir: &Path) -> Option<Input> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let (wav, reference) = (dir.join("dialogue.wav"), dir.join("dialogue.ref.txt"));
    let spoken = Command::new(root.join("scripts/speak-script.sh"))
        .arg(root.join("tests/fixtures/bench/dialogue.txt"))
        .args([&wav, &reference])
        .status();
    if !spoken.is_ok_and(|s| s.success()) {
        eprintln!("the dialogue needs espeak-ng and sox (scripts/setup.sh --deps): left out");
        return None;
    }
    let audio_s = hound::WavReader::open(&wav).expect("dialogue wav").duration() as f64 / 16_000.0;
    Some(Input {
        name: format!("a {:.1}-minute dialogue of two voices", audio_s / 60.0),
        files: vec![wav],
        audio_s,
        reference: std::fs::read_to_string(&reference).expect("dialogue reference"),
    })
}

/// One file of whole clips in turn, for about `minutes` minutes, and its text.
pub fn joined_clips(dir: &Path, minutes: usize) -> Input {
    let clip_samples: Vec<Vec<i16>> = CLIPS.iter().map(|c| fixtures::clip_samples(c)).collect();
    let mut order = Vec::new();
    let mut written = 0usize;
    while written < minutes * 60 * 16_000 - clip_samples[order.len() % CLIPS.len()].len() / 2 {
        let next = order.len() % CLIPS.len();
        written += clip_samples[next].len();
        order.push(next);
    }
    let path = dir.join(format!("joined-{minutes}-minutes.wav"));
    fixtures::write_wav(&path, order.iter().flat_map(|&c| clip_samples[c].iter().copied()));
    let reference: Vec<String> = order.iter().map(|&c| fixtures::reference_text(CLIPS[c])).collect();
    Input {
        name: format!("one {:.1}-minute file", written as f64 / 16_000.0 / 60.0),
        files: vec![path],
        audio_s: written as f64 / 16_000.0,
        reference: reference.join("\n"),
    }
}

/// One run of one tool on one input.
pub struct Measure {
    pub wall_s: f64,
    pub text: String,
    pub peak_rss_mib: f64,
    /// whisper.cpp's own account (bare baseline only): (what, total ms, runs).
    pub timings: Vec<(String, f64, u64)>,
    /// The encoder's share, from the worker's debug log (when it was asked for).
    pub encoder: Option<crate::encoder::EncoderTime>,
    /// Castmill only: the speech its segments cover, and what its coverage guard retried.
    pub coverage: Option<Coverage>,
    pub retries: Retries,
}

/// The coverage guard's retries in a run, from the worker's log.
#[derive(Debug, Clone, Copy, Default)]
pub struct Retries {
    pub stretches: u32,
    /// Of which the retry heard words.
    pub covered: u32,
    pub seconds: f64,
}

impl Retries {
    /// Reads the guard's lines: "uncovered 2:33.2–2:43.0, retried in 0.41 s…: covered …".
    fn from_worker_log(log: &str) -> Self {
        let mut retries = Retries::default();
        for line in log.lines() {
            let Some((_, rest)) = line.split_once(", retried in ") else {
                continue;
            };
            let Some(seconds) = rest.split_whitespace().next().and_then(|s| s.parse::<f64>().ok()) else {
                continue;
            };
            retries.stretches += 1;
            retries.seconds += seconds;
            retries.covered += u32::from(rest.contains(": covered"));
        }
        retries
    }
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
    castmill_with(model, input, &[])
}

/// Castmill's worker with extra environment (the lever table's switches).
pub fn castmill_with(model: &Path, input: &Input, env: &[(&str, &str)]) -> Measure {
    let job = TestJob::with_model(input.files.clone(), model.to_owned());
    let started = Instant::now();
    let mut worker = RunningWorker::start_with_env(&job, env);
    let pid = worker.pid().as_raw() as u32;
    let mut peak = 0.0f64;
    let mut segments: Vec<Vec<Segment>> = vec![Vec::new(); input.files.len()];
    loop {
        if let Some(p) = castmill_e2e::proc_stats::peak_rss_mib(pid) {
            peak = peak.max(p);
        }
        match worker.next_line(Duration::from_millis(100)) {
            Some(Incoming::Event(WorkerEvent::Finished { .. })) => break,
            Some(Incoming::Event(WorkerEvent::Segment { file_index, segment })) => segments[file_index].push(segment),
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
        encoder: crate::encoder::from_worker_log(&job.worker_log()),
        coverage: Some(coverage_of(input, &segments)),
        retries: Retries::from_worker_log(&job.worker_log()),
    }
}

/// The coverage of each file's segments over its speech, summed over the input's files.
fn coverage_of(input: &Input, segments: &[Vec<Segment>]) -> Coverage {
    let mut total = Coverage::default();
    for (file, segments) in input.files.iter().zip(segments) {
        total.add(&coverage(&wav_samples(file), segments));
    }
    total
}

/// The bare baseline, one process per file as whisper.cpp's tool would be run.
pub fn bare(model: &Path, input: &Input) -> Measure {
    let exe = std::env::current_exe().expect("bench binary");
    let mut measure = Measure {
        wall_s: 0.0,
        text: String::new(),
        peak_rss_mib: 0.0,
        timings: Vec::new(),
        encoder: None,
        coverage: None,
        retries: Retries::default(),
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

/// faster-whisper, int8 weights, from the CTranslate2 model `ct2` (the folder Castmill's
/// GGML weights were converted from). Wall time from before the model loads to the last
/// file's text (the interpreter's start is left out, in faster-whisper's favour).
pub fn faster_whisper(python: &Path, ct2: &Path, input: &Input) -> Option<Measure> {
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
        .arg(ct2)
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
        encoder: None,
        coverage: None,
        retries: Retries::default(),
    })
}

/// Real-time factors, word error rate and peak RSS of one tool on one input.
#[derive(Default)]
struct Tally {
    rtfs: Vec<f64>,
    errors: Vec<WordErrors>,
    peak: f64,
    /// The last run's coverage and retries (the same every run: the worker is
    /// deterministic).
    coverage: Option<Coverage>,
    retries: Retries,
}

impl Tally {
    fn add(&mut self, input: &Input, m: &Measure) {
        let errors = word_errors(&input.reference, &m.text);
        self.rtfs.push(m.wall_s / input.audio_s);
        self.errors.push(errors);
        self.peak = self.peak.max(m.peak_rss_mib);
        self.coverage = m.coverage.clone();
        self.retries = m.retries;
    }

    /// Substitutions, deletions and insertions of the run with the median word error rate.
    fn edits(&self) -> String {
        let mut runs: Vec<&WordErrors> = self.errors.iter().collect();
        runs.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
        runs.get(runs.len() / 2).map_or_else(
            || "–".to_owned(),
            |e| format!("{} / {} / {}", e.substitutions, e.deletions, e.insertions),
        )
    }

    fn rtf(&self) -> f64 {
        median(self.rtfs.clone())
    }

    fn wer(&self) -> f64 {
        median(self.errors.iter().map(WordErrors::rate).collect())
    }

    fn row(&self, tool: &str) -> String {
        let min = self.rtfs.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = self.rtfs.iter().cloned().fold(0.0, f64::max);
        let covered = self.coverage.as_ref().map_or_else(
            || "–".to_owned(),
            |c| format!("{:.1}% of {}", c.share() * 100.0, c.intervals),
        );
        format!(
            "| {tool} | {:.3} | {min:.3} – {max:.3} | {:.1}% | {} | {covered} | {:.0} MiB |",
            self.rtf(),
            self.wer() * 100.0,
            self.edits(),
            self.peak
        )
    }
}

/// A whisper model as both tools run it: Castmill's GGML weights and the CTranslate2
/// folder they were converted from (faster-whisper's int8 is made from it on load).
pub struct ModelPair {
    pub name: String,
    pub ggml: PathBuf,
    pub ct2: PathBuf,
}

/// tiny.en (the default, q8_0) and, when the set-up installed it (`--models base`), base
/// (q8_0).
pub fn model_pairs(default_model: &Path) -> Vec<ModelPair> {
    let mut pairs = vec![ModelPair {
        name: "tiny.en".into(),
        ggml: default_model.to_owned(),
        ct2: castmill_e2e::headless::ct2_model_dir(),
    }];
    let base = default_model.with_file_name("base-q8_0.bin");
    match castmill_e2e::headless::ct2_base_model_dir() {
        Some(ct2) if base.is_file() => pairs.push(ModelPair {
            name: "base".into(),
            ggml: base,
            ct2,
        }),
        _ => eprintln!("whisper base is not installed (scripts/setup.sh --deps --models base): its rows are left out"),
    }
    pairs
}

/// The side-by-side tables, for each model and input.
pub fn bench(dir: &Path, repeats: usize, default_model: &Path) {
    let python = std::env::var_os("BENCH_FASTER_WHISPER_PYTHON").map(PathBuf::from);
    let long_minutes: usize = crate::env_or("BENCH_LONG_MINUTES", 60);
    println!(
        "\n## Side by side: Castmill, bare whisper.cpp, faster-whisper ({THREADS} threads, greedy, {repeats} alternating runs; the {long_minutes}-minute file once)"
    );
    println!(
        "Castmill and bare whisper.cpp: the GGML weights named in each heading. faster-whisper{}: the CTranslate2 weights they were converted from, int8.",
        if python.is_some() {
            ""
        } else {
            " (skipped: no BENCH_FASTER_WHISPER_PYTHON)"
        }
    );
    println!(
        "Errors are substitutions / deletions / insertions (the run with the median word error rate); deletions are words said but lost. Speech covered: the stretches of sound of a second or more that Castmill's segments span (80% of each, timestamps taken 0.3 s wide)."
    );
    let mut all_inputs = inputs(dir);
    all_inputs.extend(dialogue(dir));
    all_inputs.push(joined_clips(dir, long_minutes));
    for pair in model_pairs(default_model) {
        for input in &all_inputs {
            let long = input.audio_s > 30.0 * 60.0;
            // The bare baseline shows what the worker adds to whisper.cpp; once, on tiny.en.
            let with_bare = pair.name == "tiny.en" && !long;
            let runs = if long { 1 } else { repeats };
            let (mut ours, mut baseline, mut fw) = (Tally::default(), Tally::default(), Tally::default());
            let mut timings = Vec::new();
            for r in 0..runs {
                // Rotate the order so no tool always runs first (warm caches, thermal state).
                for k in 0..3 {
                    match (r + k) % 3 {
                        0 => ours.add(input, &castmill(&pair.ggml, input)),
                        1 if with_bare => {
                            let m = bare(&pair.ggml, input);
                            timings = m.timings.clone();
                            baseline.add(input, &m);
                        }
                        1 => {}
                        _ => {
                            if let Some(python) = &python
                                && let Some(m) = faster_whisper(python, &pair.ct2, input)
                            {
                                fw.add(input, &m);
                            }
                        }
                    }
                }
            }
            println!("\n### {}, {}\n", pair.name, input.name);
            println!(
                "| tool | real-time factor (median) | min – max | word error rate | errors (S / D / I) | speech covered | peak RSS |\n|---|---|---|---|---|---|---|"
            );
            println!(
                "{}",
                ours.row(&format!(
                    "Castmill worker ({})",
                    pair.ggml.file_name().unwrap_or_default().to_string_lossy()
                ))
            );
            if with_bare {
                println!("{}", baseline.row("bare whisper.cpp (one `full` call)"));
            }
            if !fw.rtfs.is_empty() {
                println!("{}", fw.row("faster-whisper int8"));
            }
            println!();
            let retries = ours.retries;
            println!(
                "Coverage guard: {} stretches retried ({} heard words), {:.2} s of whisper time in all.",
                retries.stretches, retries.covered, retries.seconds
            );
            if let Some(c) = ours.coverage.as_ref().filter(|c| !c.uncovered.is_empty()) {
                println!("Speech no Castmill segment covers: {}.", c.listed(5));
            }
            if with_bare {
                println!(
                    "Castmill / bare whisper.cpp: time {:.3}×, word error rate {:+.1} points.",
                    ours.rtf() / baseline.rtf(),
                    (ours.wer() - baseline.wer()) * 100.0
                );
            }
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
                    "**Castmill / faster-whisper int8: time {:.3}×, word error rate {:+.1} points.**",
                    ours.rtf() / fw.rtf(),
                    (ours.wer() - fw.wer()) * 100.0
                );
            }
        }
    }
}

/// Each speed lever turned off in turn (tiny.en q8_0, the 10-minute file), with the
/// encoder's passes, time and throughput from the worker's own log.
pub fn lever_table(dir: &Path, repeats: usize, model: &Path) {
    let input = joined_clips(dir, 10);
    let peak = crate::encoder::peak_gflops(THREADS as usize);
    println!(
        "\n## Speed levers, each turned off in turn (tiny.en q8_0, {}, median of {repeats})\n",
        input.name
    );
    println!(
        "The encoder's time runs from each pass's start to its first decoding step; its arithmetic is counted from the model's shape (≈37 GFLOP for 30 s); the CPU's peak is {peak:.0} GFLOP/s ({THREADS} cores × clock × 64 single-precision operations a cycle with AVX-512).\n"
    );
    println!(
        "| configuration | wall time | real-time factor | word error rate | errors (S / D / I) | encoder passes | encoder time | encoder GFLOP/s | share of peak |\n|---|---|---|---|---|---|---|---|---|"
    );
    for (what, off) in [
        ("all on (the default)", ""),
        (
            "context not fitted to the window (always 1488 frames)",
            "fitted-context",
        ),
        (
            "… nor aligned (always whisper's own 1500 frames)",
            "fitted-context,aligned-context",
        ),
        (
            "a window whisper stops short of gets a second pass (not the next window)",
            "rest-to-next-window",
        ),
        ("all off", "fitted-context,aligned-context,rest-to-next-window"),
    ] {
        let mut tally = Tally::default();
        let mut encoder = Vec::new();
        for _ in 0..repeats {
            let m = castmill_with(
                model,
                &input,
                &[
                    ("CASTMILL_BENCH_LEVERS_OFF", off),
                    ("CASTMILL_LOG", "info,batch_processor=debug"),
                ],
            );
            encoder.extend(m.encoder);
            tally.add(&input, &m);
        }
        encoder.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let encoder = encoder.get(encoder.len() / 2).copied().unwrap_or_default();
        println!(
            "| {what} | {:.1} s | {:.3} | {:.1}% | {} | {} | {:.1} s | {:.0} | {:.0}% |",
            tally.rtf() * input.audio_s,
            tally.rtf(),
            tally.wer() * 100.0,
            tally.edits(),
            encoder.passes,
            encoder.seconds,
            encoder.gflops(),
            100.0 * encoder.gflops() / peak
        );
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
