//! The bare baseline: the same whisper.cpp that whisper-rs builds for the worker, driven the
//! way whisper.cpp's own command-line tool drives it — the whole file in memory, one
//! `whisper_full` call on the context's own state, one process, no protocol, no
//! checkpoints. Run as `castmill-bench bare MODEL WAV THREADS`; it prints the transcript,
//! then `ELAPSED <s>` (model load included) and its peak RSS; whisper.cpp's own timings
//! (where the time goes: mel, encoder, decoder, sampling) are on stderr.

use std::ffi::{CStr, CString};
use std::path::Path;
use std::time::Instant;

use whisper_rs_sys as sys;

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
    let model = CString::new(model.as_os_str().as_encoded_bytes()).expect("model path");
    let language = CString::new("en").expect("language");
    // SAFETY: plain calls into whisper.cpp with valid, NUL-terminated strings and a sample
    // buffer that outlives them; the context is freed once, at the end.
    unsafe {
        let mut cparams = sys::whisper_context_default_params();
        cparams.use_gpu = false;
        let ctx = sys::whisper_init_from_file_with_params(model.as_ptr(), cparams);
        assert!(!ctx.is_null(), "failed to load the model");
        // The worker's decoding settings, so the two runs do the same work.
        let mut params = sys::whisper_full_default_params(sys::whisper_sampling_strategy_WHISPER_SAMPLING_GREEDY);
        params.n_threads = threads;
        params.language = language.as_ptr();
        params.detect_language = false;
        params.no_context = true;
        params.suppress_blank = true;
        params.print_special = false;
        params.print_progress = false;
        params.print_realtime = false;
        params.print_timestamps = false;
        params.greedy.best_of = 1;
        let rc = sys::whisper_full(ctx, params, samples.as_ptr(), samples.len() as i32);
        assert_eq!(rc, 0, "whisper_full failed");
        let elapsed = started.elapsed().as_secs_f64();
        for i in 0..sys::whisper_full_n_segments(ctx) {
            let text = CStr::from_ptr(sys::whisper_full_get_segment_text(ctx, i));
            println!("{}", text.to_string_lossy().trim());
        }
        println!("ELAPSED {elapsed}");
        sys::whisper_print_timings(ctx);
        sys::whisper_free(ctx);
    }
    let peak = castmill_e2e::proc_stats::peak_rss_mib(std::process::id()).unwrap_or(0.0);
    println!("PEAK_RSS_MIB {peak}");
}
