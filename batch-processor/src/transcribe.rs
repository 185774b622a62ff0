//! whisper.cpp through whisper-rs: one model, one state, one window at a time.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use shared_ipc::{Decoding, Segment, TranscribeOptions, Word};
use thiserror::Error;
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperError, WhisperState};

use batch_processor::work_progress::WorkProgress;
use castmill_audio::SAMPLE_RATE;

#[derive(Debug, Error)]
pub enum TranscribeError {
    #[error("failed to load the model {}", path.display())]
    Load { path: PathBuf, source: WhisperError },
    /// Pause or stop was requested; the window was abandoned and nothing of it is kept.
    #[error("interrupted")]
    Interrupted,
    #[error("whisper failed")]
    Whisper(#[source] WhisperError),
}

/// What whisper's abort callback reads and ticks.
struct AbortWatch {
    /// Set for a pause or stop: abandons the window in progress.
    interrupt: Arc<AtomicBool>,
    /// Ticked each time whisper asks, so liveness follows its work inside a window.
    progress: WorkProgress,
}

/// Where whisper is in the window being transcribed; read by its encoder-begin callback.
struct PassGate<'a> {
    /// The window being transcribed.
    samples: &'a [f32],
    /// Where whisper stopped short of the window's end with sound left (samples from the
    /// window's start), when it did.
    stopped_at: Option<usize>,
    /// Encoder passes whisper ran.
    passes: u32,
    /// When the pass in progress began, until its first decoding step.
    encoder_began: Option<Instant>,
    /// Time in the encoder (from a pass's start to its first decoding step), for the
    /// benchmark's throughput figure.
    encoder_s: f64,
    /// Whether a rest with sound starts the next window (see [`Levers`]).
    rest_to_next_window: bool,
}

/// A window is taken up again from where whisper stopped only past this point, so every
/// window moves the file on by at least this much; before it, whisper goes on by itself.
const LEAST_PROGRESS: usize = 10 * SAMPLE_RATE as usize;

/// whisper calls this before each encoder pass of a `full` call; `false` ends the call with
/// what it has. whisper often stops short of a window's end (its last timestamp 20 s into
/// 28 s: tiny models end passes early) and would run a second pass over the rest — a few
/// seconds of sound and the rest padding, a whole pass's cost. Instead: a silent rest needs
/// no pass, and a rest with sound starts the next window, a full one (the lever table in
/// docs/PERFORMANCE.md: 35 passes → 29 on the 10-minute benchmark file, 15.2 → 13.1 s).
unsafe extern "C" fn encoder_may_run(
    _ctx: *mut whisper_rs_sys::whisper_context,
    state: *mut whisper_rs_sys::whisper_state,
    gate: *mut std::ffi::c_void,
) -> bool {
    // SAFETY: `gate` is the boxed PassGate of the `transcribe` call whose `full` is running
    // (see there), and the window it borrows outlives that call.
    let gate = unsafe { &mut *(gate as *mut PassGate<'_>) };
    // SAFETY: `state` is the state whisper is running on, passed by whisper itself.
    let segments = unsafe { whisper_rs_sys::whisper_full_n_segments_from_state(state) };
    if segments == 0 {
        gate.began_pass();
        return true;
    }
    // whisper resumes at the end of its last segment (in units of 10 ms).
    let end = unsafe { whisper_rs_sys::whisper_full_get_segment_t1_from_state(state, segments - 1) };
    let from = (end.max(0) as usize * (SAMPLE_RATE as usize / 100)).min(gate.samples.len());
    if crate::windows::is_silent(&gate.samples[from..]) {
        return false;
    }
    if from < LEAST_PROGRESS || !gate.rest_to_next_window {
        gate.began_pass();
        return true;
    }
    gate.stopped_at = Some(from);
    false
}

impl PassGate<'_> {
    fn began_pass(&mut self) {
        self.passes += 1;
        self.encoder_began = Some(Instant::now());
    }
}

/// whisper calls this at each decoding step, before sampling; the first after a pass began
/// ends the encoder's part of it.
unsafe extern "C" fn decoding_step(
    _ctx: *mut whisper_rs_sys::whisper_context,
    _state: *mut whisper_rs_sys::whisper_state,
    _tokens: *const whisper_rs_sys::whisper_token_data,
    _n_tokens: std::ffi::c_int,
    _logits: *mut f32,
    gate: *mut std::ffi::c_void,
) {
    // SAFETY: as in `encoder_may_run`: the boxed PassGate of the running `transcribe` call.
    let gate = unsafe { &mut *(gate as *mut PassGate<'_>) };
    if let Some(began) = gate.encoder_began.take() {
        gate.encoder_s += began.elapsed().as_secs_f64();
    }
}

/// whisper calls this after each of its graph computations (the encoder's, each decoding
/// step's); `true` abandons the window.
unsafe extern "C" fn abort_requested(watch: *mut std::ffi::c_void) -> bool {
    // SAFETY: `watch` is the boxed AbortWatch owned by the `Transcriber` whose `full` call is
    // running (see `Transcriber::transcribe`); it is only read here.
    let watch = unsafe { &*(watch as *const AbortWatch) };
    watch.progress.tick();
    watch.interrupt.load(Ordering::Relaxed)
}

pub struct Transcriber {
    // Field order matters: the state must be dropped before the context it came from.
    state: WhisperState,
    ctx: WhisperContext,
    language: Option<String>,
    decoding: Decoding,
    threads: i32,
    levers: Levers,
    // Boxed: whisper holds a raw pointer to it during `full`, so its address must not move.
    watch: Box<AbortWatch>,
}

impl Transcriber {
    /// Loads the model. `interrupt`, when set, abandons the window in progress; `progress`
    /// is ticked as whisper works.
    pub fn load(
        model: &Path,
        options: &TranscribeOptions,
        interrupt: Arc<AtomicBool>,
        progress: WorkProgress,
    ) -> Result<Self, TranscribeError> {
        let load_err = |source| TranscribeError::Load {
            path: model.to_owned(),
            source,
        };
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false);
        let ctx = WhisperContext::new_with_params(model, params).map_err(load_err)?;
        let state = ctx.create_state().map_err(load_err)?;
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            n => n as usize,
        };
        // Which CPU kernels this build uses (AVX2, AVX-512, VNNI, llamafile's GEMM): speed
        // reports start here.
        tracing::info!(
            "whisper.cpp on {threads} threads: {}",
            whisper_rs::print_system_info().trim()
        );
        let language = match options.language.as_str() {
            "" | "auto" => None,
            code => Some(code.to_owned()),
        };
        Ok(Self {
            state,
            ctx,
            language,
            decoding: options.decoding,
            threads: threads as i32,
            levers: Levers::from_env(),
            watch: Box::new(AbortWatch { interrupt, progress }),
        })
    }

    /// Transcribes one window that starts at `start_sample` in the file. Timestamps of the
    /// returned segments are absolute and clamped to the part of the window transcribed.
    pub fn transcribe(&mut self, samples: &[f32], start_sample: u64) -> Result<WindowText, TranscribeError> {
        self.run(samples, start_sample, Pass::Window)
    }

    /// Whether the coverage guard checks each window (always, but in the benchmark's
    /// guard-off runs).
    pub fn coverage_guard(&self) -> bool {
        self.levers.coverage_guard
    }

    /// Transcribes again a stretch of a window whose speech its transcript missed (the
    /// coverage guard), at `temperature`: all of it, in as many passes as whisper takes.
    pub fn retranscribe(
        &mut self,
        samples: &[f32],
        start_sample: u64,
        temperature: f32,
    ) -> Result<WindowText, TranscribeError> {
        self.run(samples, start_sample, Pass::Retry { temperature })
    }

    fn run(&mut self, samples: &[f32], start_sample: u64, pass: Pass) -> Result<WindowText, TranscribeError> {
        let strategy = match self.decoding {
            Decoding::Greedy => SamplingStrategy::Greedy { best_of: 1 },
            Decoding::BeamSearch { beam_size } => SamplingStrategy::BeamSearch {
                beam_size: beam_size.max(1) as i32,
                patience: -1.0,
            },
        };
        let mut params = FullParams::new(strategy);
        params.set_n_threads(self.threads);
        params.set_language(Some(self.language.as_deref().unwrap_or("auto")));
        params.set_detect_language(false);
        params.set_no_context(true);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        params.set_suppress_blank(true);
        // Word times (from the timestamp tokens' probabilities, after decoding: the text is
        // the same either way) for the JSON's words and for cutting a segment between speakers.
        params.set_token_timestamps(true);
        if let Pass::Retry { temperature } = pass {
            // Deterministic all the same: whisper seeds each decoder's sampler afresh per call.
            params.set_temperature(temperature);
        }
        let encoder_frames = self.levers.encoder_frames(samples.len());
        params.set_audio_ctx(encoder_frames as i32);
        // whisper-rs 0.16's `set_abort_callback_safe` casts its user data to the wrong type, so
        // the plain C callback is used. SAFETY: the pointer is to the boxed AbortWatch in
        // `self.watch`, which outlives the `full` call below; the callback only reads it.
        unsafe {
            params.set_abort_callback(Some(abort_requested));
            let watch: *const AbortWatch = &*self.watch;
            params.set_abort_callback_user_data(watch as *mut std::ffi::c_void);
        }

        let mut gate = Box::new(PassGate {
            samples,
            stopped_at: None,
            passes: 0,
            encoder_began: None,
            encoder_s: 0.0,
            // A retry covers its whole stretch: there is no next window to leave a rest to.
            rest_to_next_window: self.levers.rest_to_next_window && pass == Pass::Window,
        });
        // SAFETY: the gate is boxed and lives until after `full` returns; `samples` too.
        unsafe {
            params.set_start_encoder_callback(Some(encoder_may_run));
            params.set_filter_logits_callback(Some(decoding_step));
            let gate: *mut PassGate<'_> = &mut *gate;
            params.set_start_encoder_callback_user_data(gate as *mut std::ffi::c_void);
            params.set_filter_logits_callback_user_data(gate as *mut std::ffi::c_void);
        }

        if self.watch.interrupt.load(Ordering::Relaxed) {
            return Err(TranscribeError::Interrupted);
        }
        let result = self.state.full(params, samples);
        if self.watch.interrupt.load(Ordering::Relaxed) {
            return Err(TranscribeError::Interrupted);
        }
        result.map_err(TranscribeError::Whisper)?;

        let covered = gate.stopped_at.unwrap_or(samples.len());
        // The benchmark reads this line (encoder throughput); keep its shape.
        tracing::debug!(
            "{} at {:.2} s: {} encoder passes of {} frames in {:.3} s, transcribed {:.2} of {:.2} s",
            match pass {
                Pass::Window => "window",
                Pass::Retry { .. } => "retry",
            },
            start_sample as f64 / SAMPLE_RATE as f64,
            gate.passes,
            encoder_frames,
            gate.encoder_s,
            covered as f64 / SAMPLE_RATE as f64,
            samples.len() as f64 / SAMPLE_RATE as f64
        );
        let window_start_ms = start_sample * 1000 / SAMPLE_RATE as u64;
        let window_end_ms = (start_sample + covered as u64) * 1000 / SAMPLE_RATE as u64;
        let eot = self.ctx.token_eot();
        let mut segments = Vec::new();
        for segment in self.state.as_iter() {
            let text = segment.to_str_lossy().map_err(TranscribeError::Whisper)?.into_owned();
            // whisper timestamps are in units of 10 ms.
            let start_ms = (window_start_ms + segment.start_timestamp().max(0) as u64 * 10).min(window_end_ms);
            let end_ms = (window_start_ms + segment.end_timestamp().max(0) as u64 * 10).clamp(start_ms, window_end_ms);
            let mut sum = 0.0f32;
            let mut count = 0u32;
            let mut words = WordBuilder::new(window_start_ms, start_ms, end_ms);
            for i in 0..segment.n_tokens() {
                if let Some(token) = segment.get_token(i)
                    && token.token_id() < eot
                {
                    sum += token.token_probability();
                    count += 1;
                    let data = token.token_data();
                    words.push(token.to_bytes().unwrap_or_default(), data.t0, data.t1, data.p);
                }
            }
            let confidence = if count == 0 {
                0.0
            } else {
                (sum / count as f32 * 1000.0).round() / 1000.0
            };
            segments.push(Segment {
                start_ms,
                end_ms,
                text,
                confidence,
                words: words.finish(),
            });
        }
        Ok(WindowText { segments, covered })
    }
}

/// The speed levers of docs/PERFORMANCE.md and the coverage guard, all on; the
/// benchmark's tables turn each off in turn (`CASTMILL_BENCH_LEVERS_OFF=fitted-context,
/// aligned-context,rest-to-next-window,coverage-guard`) to show what it is worth. Not for
/// users: every default was chosen by those numbers.
#[derive(Clone, Copy)]
struct Levers {
    /// The encoder's context fitted to each window (else the longest, always).
    fitted_context: bool,
    /// The longest context 1488 frames, a multiple of 16 (else whisper's own 1500).
    aligned_context: bool,
    /// A window whisper stops short of is taken up again by the next window (else
    /// whisper runs a second pass over a rest with sound; a silent rest gets none either
    /// way).
    rest_to_next_window: bool,
    /// Speech a window's transcript missed is transcribed again (`coverage_guard`).
    coverage_guard: bool,
}

impl Levers {
    fn from_env() -> Self {
        let off = std::env::var("CASTMILL_BENCH_LEVERS_OFF").unwrap_or_default();
        let on = |name: &str| !off.split(',').any(|lever| lever.trim() == name);
        Self {
            fitted_context: on("fitted-context"),
            aligned_context: on("aligned-context"),
            rest_to_next_window: on("rest-to-next-window"),
            coverage_guard: on("coverage-guard"),
        }
    }

    fn encoder_frames(self, len: usize) -> usize {
        match (self.fitted_context, self.aligned_context) {
            (true, _) => crate::windows::encoder_frames(len),
            (false, true) => crate::windows::ENCODER_FRAMES,
            (false, false) => crate::windows::WHISPER_FRAMES,
        }
    }
}

/// Which kind of whisper call: a window, or a stretch of one transcribed again.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    Window,
    Retry { temperature: f32 },
}

/// What whisper made of a window.
pub struct WindowText {
    pub segments: Vec<Segment>,
    /// Samples from the window's start that the segments account for: the whole window, or
    /// less when whisper stopped short of its end (the rest starts the next window).
    pub covered: usize,
}

/// A segment's tokens gathered into words: a token that begins with a space begins a word;
/// punctuation and word pieces join the word before. Times are clamped into the segment's.
struct WordBuilder {
    window_start_ms: u64,
    segment_start_ms: u64,
    segment_end_ms: u64,
    words: Vec<Word>,
    bytes: Vec<u8>,
    current: Option<(u64, u64, f32)>,
}

impl WordBuilder {
    fn new(window_start_ms: u64, segment_start_ms: u64, segment_end_ms: u64) -> Self {
        Self {
            window_start_ms,
            segment_start_ms,
            segment_end_ms,
            words: Vec::new(),
            bytes: Vec::new(),
            current: None,
        }
    }

    /// One token: its bytes, whisper's start and end (10 ms units from the window's start)
    /// and probability.
    fn push(&mut self, bytes: &[u8], t0: i64, t1: i64, probability: f32) {
        if bytes.is_empty() {
            return;
        }
        let at =
            |t: i64| (self.window_start_ms + t.max(0) as u64 * 10).clamp(self.segment_start_ms, self.segment_end_ms);
        let (start, end) = (at(t0), at(t1.max(t0)));
        if bytes[0] == b' ' && !self.bytes.is_empty() {
            self.flush();
        }
        self.bytes.extend_from_slice(bytes);
        self.current = Some(match self.current {
            None => (start, end, probability),
            Some((s, e, p)) => (s, e.max(end), p.min(probability)),
        });
    }

    fn flush(&mut self) {
        if let Some((start_ms, end_ms, probability)) = self.current.take() {
            let start_ms = start_ms.max(self.words.last().map_or(0, |w| w.start_ms));
            self.words.push(Word {
                start_ms,
                end_ms: end_ms.max(start_ms),
                text: String::from_utf8_lossy(&self.bytes).into_owned(),
                probability: (probability * 1000.0).round() / 1000.0,
            });
        }
        self.bytes.clear();
    }

    fn finish(mut self) -> Vec<Word> {
        self.flush();
        self.words
    }
}
