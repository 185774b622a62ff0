//! whisper.cpp through whisper-rs: one model, one state, one window at a time.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use shared_ipc::{Decoding, Segment, TranscribeOptions};
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
struct PassGate {
    /// The window's samples, alive for the whole `full` call that reads them.
    samples: *const f32,
    len: usize,
    /// Where whisper stopped short of the window's end with sound left (samples from the
    /// window's start), when it did.
    stopped_at: Option<usize>,
    /// Encoder passes whisper ran.
    passes: u32,
}

/// A window is taken up again from where whisper stopped only past this point, so every
/// window moves the file on by at least this much; before it, whisper goes on by itself.
const LEAST_PROGRESS: usize = 10 * SAMPLE_RATE as usize;

/// whisper calls this before each encoder pass of a `full` call; `false` ends the call with
/// what it has. whisper often stops short of a window's end (its last timestamp 20 s into
/// 28 s: tiny models end passes early) and would run a second pass over the rest — a few
/// seconds of sound and the rest padding, a whole pass's cost. Instead: a silent rest needs
/// no pass, and a rest with sound starts the next window, a full one (measured: 31 passes
/// → 26 on the 10-minute benchmark file, at the same word error rate).
unsafe extern "C" fn encoder_may_run(
    _ctx: *mut whisper_rs_sys::whisper_context,
    state: *mut whisper_rs_sys::whisper_state,
    gate: *mut std::ffi::c_void,
) -> bool {
    // SAFETY: `gate` is the boxed PassGate of the `transcribe` call whose `full` is running
    // (see there); its `samples` are that call's window.
    let gate = unsafe { &mut *(gate as *mut PassGate) };
    // SAFETY: `state` is the state whisper is running on, passed by whisper itself.
    let segments = unsafe { whisper_rs_sys::whisper_full_n_segments_from_state(state) };
    if segments == 0 {
        gate.passes += 1;
        return true;
    }
    // whisper resumes at the end of its last segment (in units of 10 ms).
    let end = unsafe { whisper_rs_sys::whisper_full_get_segment_t1_from_state(state, segments - 1) };
    let from = (end.max(0) as usize * (SAMPLE_RATE as usize / 100)).min(gate.len);
    // SAFETY: `from <= len`, and the window outlives the call (see above).
    let rest = unsafe { std::slice::from_raw_parts(gate.samples.add(from), gate.len - from) };
    if crate::windows::is_silent(rest) {
        return false;
    }
    if from < LEAST_PROGRESS {
        gate.passes += 1;
        return true;
    }
    gate.stopped_at = Some(from);
    false
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
            watch: Box::new(AbortWatch { interrupt, progress }),
        })
    }

    /// Transcribes one window that starts at `start_sample` in the file. Timestamps of the
    /// returned segments are absolute and clamped to the part of the window transcribed.
    pub fn transcribe(&mut self, samples: &[f32], start_sample: u64) -> Result<WindowText, TranscribeError> {
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
        params.set_audio_ctx(crate::windows::encoder_frames(samples.len()) as i32);
        // whisper-rs 0.16's `set_abort_callback_safe` casts its user data to the wrong type, so
        // the plain C callback is used. SAFETY: the pointer is to the boxed AbortWatch in
        // `self.watch`, which outlives the `full` call below; the callback only reads it.
        unsafe {
            params.set_abort_callback(Some(abort_requested));
            let watch: *const AbortWatch = &*self.watch;
            params.set_abort_callback_user_data(watch as *mut std::ffi::c_void);
        }

        let mut gate = Box::new(PassGate {
            samples: samples.as_ptr(),
            len: samples.len(),
            stopped_at: None,
            passes: 0,
        });
        // SAFETY: the gate is boxed and lives until after `full` returns; `samples` too.
        unsafe {
            params.set_start_encoder_callback(Some(encoder_may_run));
            let gate: *mut PassGate = &mut *gate;
            params.set_start_encoder_callback_user_data(gate as *mut std::ffi::c_void);
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
        tracing::debug!(
            "window at {:.2} s: {} encoder passes, transcribed {:.2} of {:.2} s",
            start_sample as f64 / SAMPLE_RATE as f64,
            gate.passes,
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
            for i in 0..segment.n_tokens() {
                if let Some(token) = segment.get_token(i)
                    && token.token_id() < eot
                {
                    sum += token.token_probability();
                    count += 1;
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
            });
        }
        Ok(WindowText { segments, covered })
    }
}

/// What whisper made of a window.
pub struct WindowText {
    pub segments: Vec<Segment>,
    /// Samples from the window's start that the segments account for: the whole window, or
    /// less when whisper stopped short of its end (the rest starts the next window).
    pub covered: usize,
}
