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
    /// returned segments are absolute and clamped to the window.
    pub fn transcribe(&mut self, samples: &[f32], start_sample: u64) -> Result<Vec<Segment>, TranscribeError> {
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
        // whisper-rs 0.16's `set_abort_callback_safe` casts its user data to the wrong type, so
        // the plain C callback is used. SAFETY: the pointer is to the boxed AbortWatch in
        // `self.watch`, which outlives the `full` call below; the callback only reads it.
        unsafe {
            params.set_abort_callback(Some(abort_requested));
            let watch: *const AbortWatch = &*self.watch;
            params.set_abort_callback_user_data(watch as *mut std::ffi::c_void);
        }

        if self.watch.interrupt.load(Ordering::Relaxed) {
            return Err(TranscribeError::Interrupted);
        }
        let result = self.state.full(params, samples);
        if self.watch.interrupt.load(Ordering::Relaxed) {
            return Err(TranscribeError::Interrupted);
        }
        result.map_err(TranscribeError::Whisper)?;

        let window_start_ms = start_sample * 1000 / SAMPLE_RATE as u64;
        let window_end_ms = (start_sample + samples.len() as u64) * 1000 / SAMPLE_RATE as u64;
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
        Ok(segments)
    }
}
