//! The bare baseline: the same whisper.cpp that whisper-rs builds for the worker, driven the
//! way whisper.cpp's own command-line tool drives it — the whole file in memory, one `full`
//! call, one process, no protocol, no checkpoints. Run as `castmill-bench bare MODEL WAV
//! THREADS`; it prints the transcript, then `ELAPSED <s>` (model load included) and its
//! peak RSS.

use std::path::Path;
use std::time::Instant;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

pub fn run(model: &Path, wav: &Path, threads: i32) {
    let started = Instant::now();
    let mut reader = hound::WavReader::open(wav).expect("a 16 kHz mono 16-bit wav");
    let spec = reader.spec();
    assert!(
        spec.sample_rate == 16_000 && spec.channels == 1,
        "{} is not 16 kHz mono",
        wav.display()
    );
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.expect("sample") as f32 / 32768.0)
        .collect();
    let mut params = WhisperContextParameters::default();
    params.use_gpu(false);
    let ctx = WhisperContext::new_with_params(model, params).expect("load model");
    let mut state = ctx.create_state().expect("state");
    // The worker's decoding settings, so the two runs do the same work.
    let mut full = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    full.set_n_threads(threads);
    full.set_language(Some("en"));
    full.set_no_context(true);
    full.set_suppress_blank(true);
    full.set_print_special(false);
    full.set_print_progress(false);
    full.set_print_realtime(false);
    full.set_print_timestamps(false);
    state.full(full, &samples).expect("transcribe");
    let elapsed = started.elapsed().as_secs_f64();
    for segment in state.as_iter() {
        println!("{}", segment.to_str_lossy().expect("text").trim());
    }
    println!("ELAPSED {elapsed}");
    let peak = castmill_e2e::proc_stats::peak_rss_mib(std::process::id()).unwrap_or(0.0);
    println!("PEAK_RSS_MIB {peak}");
}
