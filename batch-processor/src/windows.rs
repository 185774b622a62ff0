//! Cuts the 16 kHz stream into windows of at most 29.76 s for whisper, at the quietest
//! moment near the end of each window so words are not split. The cut depends only on the
//! audio from the window's start, so a resumed run cuts exactly where an uninterrupted one
//! did.

use castmill_audio::SAMPLE_RATE;
use castmill_audio::speech::{FRAME, HOP, SPEECH_RMS};

/// The most encoder frames whisper runs on (its audio context): 1488 of the 1500 that
/// 30 s would give. A multiple of 16 lets ggml's GEMM kernels take the attention's second
/// product too (they need a dimension divisible by 16): the 10-minute benchmark file took
/// 28% less time (20.9 → 15.1 s), at faster-whisper's word error rate (docs/PERFORMANCE.md,
/// the lever table).
pub const ENCODER_FRAMES: usize = 1488;
/// whisper's own audio context: 30 s.
pub const WHISPER_FRAMES: usize = 1500;
/// Samples per encoder frame: 20 ms (mel frames of 10 ms, halved by the second convolution).
const SAMPLES_PER_FRAME: usize = SAMPLE_RATE as usize / 50;
/// The longest window: what the encoder sees, 29.76 s.
pub const MAX_WINDOW: usize = ENCODER_FRAMES * SAMPLES_PER_FRAME;
/// Frames of padding the encoder sees after a window's audio (1 s). whisper was trained on
/// inputs that end in padding; fitted to the last sample, a short window drew invented
/// words at its end (3 on the clips), with a second of padding none.
const PADDING_FRAMES: usize = 50;

/// The fewest encoder frames a window gets (10.24 s): fitted to a file's last 4.6 s
/// (288 frames), tiny.en said the window's one sentence twice; from 10 s of context on, it
/// did not (every clip in every container, docs/PERFORMANCE.md).
const LEAST_ENCODER_FRAMES: usize = 512;

/// The encoder frames for a window of `len` samples: its audio and a second of padding,
/// rounded up to a multiple of 16 (for the GEMM kernels), at least
/// [`LEAST_ENCODER_FRAMES`] and at most [`ENCODER_FRAMES`]. The
/// encoder's work grows with its frames (the attention's with their square), and a window
/// is usually 20–28 s: fitting the context to it, rather than always encoding 29.76 s,
/// took 13% less time on the 10-minute benchmark file (15.1 → 13.1 s), at a word error
/// rate 0.2 points higher, still under faster-whisper's (docs/PERFORMANCE.md, the lever
/// table).
pub fn encoder_frames(len: usize) -> usize {
    (len.div_ceil(SAMPLES_PER_FRAME) + PADDING_FRAMES)
        .next_multiple_of(16)
        .clamp(LEAST_ENCODER_FRAMES, ENCODER_FRAMES)
}
/// The cut is searched in the last part of the window, from this length on, over
/// [`FRAME`]s every [`HOP`].
const MIN_WINDOW: usize = 20 * SAMPLE_RATE as usize;

/// Where to cut a full buffer (`samples.len() >= MAX_WINDOW`): the centre of the quietest
/// frame in `[MIN_WINDOW, MAX_WINDOW)`; the latest one wins a tie.
pub fn cut_point(samples: &[f32]) -> usize {
    let end = MAX_WINDOW.min(samples.len());
    if end <= MIN_WINDOW + FRAME {
        return end;
    }
    let mut best = (f64::INFINITY, end);
    let mut start = MIN_WINDOW;
    while start + FRAME <= end {
        let energy: f64 = samples[start..start + FRAME]
            .iter()
            .map(|&s| (s as f64) * (s as f64))
            .sum();
        if energy <= best.0 {
            best = (energy, start + FRAME / 2);
        }
        start += HOP;
    }
    best.1
}

/// True when no 100 ms frame of the window is loud enough to hold speech (above
/// [`SPEECH_RMS`], about −44 dBFS): whisper is not
/// run on it. Every whisper call costs a full encoder pass however short the window,
/// and whisper tends to invent words in silence (a clip's silent last half second, a pause
/// between two parts of a show).
pub fn is_silent(samples: &[f32]) -> bool {
    let limit = SPEECH_RMS * SPEECH_RMS;
    samples.chunks(FRAME).all(|frame| {
        let energy: f64 = frame.iter().map(|&s| (s as f64) * (s as f64)).sum();
        energy / frame.len().max(1) as f64 <= limit
    })
}

/// Buffers the stream and hands out windows.
pub struct Windower {
    buf: Vec<f32>,
    /// Absolute sample index of `buf[0]`.
    start: u64,
    /// Samples still to discard before the first window (resume).
    skip: u64,
}

/// A window of audio and where it starts in the file.
pub struct Window<'a> {
    pub start_sample: u64,
    pub samples: &'a [f32],
}

impl Windower {
    /// `skip` samples (already transcribed) are dropped before the first window.
    pub fn new(skip: u64) -> Self {
        Self {
            buf: Vec::with_capacity(MAX_WINDOW + SAMPLE_RATE as usize),
            start: 0,
            skip,
        }
    }

    /// Adds decoded samples.
    pub fn push(&mut self, samples: &[f32]) {
        let drop = (self.skip as usize).min(samples.len());
        self.skip -= drop as u64;
        self.start += drop as u64;
        self.buf.extend_from_slice(&samples[drop..]);
    }

    /// The next window, when enough audio is buffered (or `at_end` and any is left).
    /// The window is consumed by [`Windower::consume`].
    pub fn next_window(&self, at_end: bool) -> Option<Window<'_>> {
        let len = if self.buf.len() >= MAX_WINDOW {
            cut_point(&self.buf)
        } else if at_end && !self.buf.is_empty() {
            self.buf.len()
        } else {
            return None;
        };
        Some(Window {
            start_sample: self.start,
            samples: &self.buf[..len],
        })
    }

    /// Drops the first `len` buffered samples: the part of the window just committed — all
    /// of it, or up to where whisper's transcript of it stopped, the rest starting the next
    /// window.
    pub fn consume(&mut self, len: usize) {
        self.buf.drain(..len);
        self.start += len as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_the_quiet_gap() {
        let mut samples = vec![0.5f32; MAX_WINDOW + 100];
        let gap = 25 * SAMPLE_RATE as usize;
        samples[gap..gap + FRAME * 2].iter_mut().for_each(|s| *s = 0.0);
        let cut = cut_point(&samples);
        assert!(cut >= gap && cut <= gap + FRAME * 2, "cut at {cut}");
    }

    #[test]
    fn the_encoder_sees_the_window_and_a_second_more_in_whole_blocks_of_16_frames_and_at_least_10_s() {
        let second = SAMPLE_RATE as usize;
        assert_eq!(encoder_frames(MAX_WINDOW), ENCODER_FRAMES);
        assert_eq!(encoder_frames(20 * second), 1056); // 1000 + 50 frames, rounded up
        assert_eq!(encoder_frames(1), LEAST_ENCODER_FRAMES);
        assert_eq!(encoder_frames(5 * second), LEAST_ENCODER_FRAMES);
        for len in [1, 3 * second, 20 * second + 7, MAX_WINDOW - 1] {
            let frames = encoder_frames(len);
            assert_eq!(frames % 16, 0);
            assert!(frames * SAMPLES_PER_FRAME >= len.min(MAX_WINDOW));
        }
    }

    #[test]
    fn silence_and_faint_noise_are_silent_speech_is_not() {
        let silence = vec![0.0f32; SAMPLE_RATE as usize * 2];
        assert!(is_silent(&silence));
        let hiss: Vec<f32> = (0..SAMPLE_RATE as usize)
            .map(|i| if i % 2 == 0 { 0.002 } else { -0.002 })
            .collect();
        assert!(is_silent(&hiss));
        let mut word = silence.clone();
        for (i, s) in word[10_000..12_000].iter_mut().enumerate() {
            *s = 0.1 * ((i as f32) * 0.2).sin();
        }
        assert!(!is_silent(&word));
    }

    #[test]
    fn resumed_windowing_cuts_at_the_same_places() {
        let samples: Vec<f32> = (0..95 * SAMPLE_RATE as usize)
            .map(|i| ((i as f32) * 0.001).sin() * (((i / 7919) % 13) as f32))
            .collect();
        let cuts = |skip: u64| {
            let mut w = Windower::new(skip);
            let mut cuts = Vec::new();
            for chunk in samples.chunks(4000) {
                w.push(chunk);
                while let Some(win) = w.next_window(false) {
                    let len = win.samples.len();
                    cuts.push(win.start_sample + len as u64);
                    w.consume(len);
                }
            }
            while let Some(win) = w.next_window(true) {
                let len = win.samples.len();
                cuts.push(win.start_sample + len as u64);
                w.consume(len);
            }
            cuts
        };
        let all = cuts(0);
        assert!(all.len() >= 4);
        assert_eq!(*all.last().expect("cuts"), samples.len() as u64);
        let resumed = cuts(all[1]);
        assert_eq!(&all[2..], &resumed[..]);
    }
}
