//! The voice encoder's input: a 40-band mel power spectrogram (no log), 25 ms Hann windows
//! every 10 ms, centred (200 zero samples each side), Slaney's mel scale and area
//! normalisation from 0 to 8 kHz — librosa's defaults, which resemblyzer was trained on.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

pub const HOP: usize = 160;
const WINDOW: usize = 400;
const BINS: usize = WINDOW / 2 + 1;
const BANDS: usize = 40;
const SAMPLE_RATE: f64 = 16_000.0;

pub struct VoiceMel {
    fft: Arc<dyn RealToComplex<f32>>,
    hann: Vec<f32>,
    /// `[40][201]`.
    filters: Vec<f32>,
}

impl Default for VoiceMel {
    fn default() -> Self {
        Self::new()
    }
}

impl VoiceMel {
    pub fn new() -> Self {
        let hann = (0..WINDOW)
            .map(|n| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / WINDOW as f64).cos()) as f32)
            .collect();
        Self {
            fft: RealFftPlanner::<f32>::new().plan_fft_forward(WINDOW),
            hann,
            filters: slaney_filters(),
        }
    }

    /// `[frames][40]` flattened, `frames = 1 + samples / 160`.
    pub fn frames(&self, samples: &[f32]) -> Vec<f32> {
        let frames = 1 + samples.len() / HOP;
        let pad = WINDOW / 2;
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0.0f32; BINS];
        let mut out = Vec::with_capacity(frames * BANDS);
        for t in 0..frames {
            for (n, slot) in input.iter_mut().enumerate() {
                // Position in the zero-padded signal → position in `samples`.
                let at = (t * HOP + n).checked_sub(pad);
                let sample = at.and_then(|i| samples.get(i)).copied().unwrap_or(0.0);
                *slot = sample * self.hann[n];
            }
            // The lengths are the plan's own, so the transform cannot fail.
            let _ = self.fft.process_with_scratch(&mut input, &mut spectrum, &mut scratch);
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            for band in self.filters.chunks_exact(BINS) {
                out.push(band.iter().zip(&power).map(|(w, p)| w * p).sum());
            }
        }
        out
    }
}

fn hz_to_mel(hz: f64) -> f64 {
    let linear_step = 200.0 / 3.0;
    let log_step = 6.4f64.ln() / 27.0;
    if hz < 1000.0 {
        hz / linear_step
    } else {
        15.0 + (hz / 1000.0).ln() / log_step
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let linear_step = 200.0 / 3.0;
    let log_step = 6.4f64.ln() / 27.0;
    if mel < 15.0 {
        mel * linear_step
    } else {
        1000.0 * ((mel - 15.0) * log_step).exp()
    }
}

/// Triangular bands between 42 points evenly spaced in mel, each scaled to unit area.
fn slaney_filters() -> Vec<f32> {
    let top = hz_to_mel(SAMPLE_RATE / 2.0);
    let edges: Vec<f64> = (0..BANDS + 2)
        .map(|i| mel_to_hz(top * i as f64 / (BANDS + 1) as f64))
        .collect();
    let mut filters = Vec::with_capacity(BANDS * BINS);
    for i in 0..BANDS {
        let (low, centre, high) = (edges[i], edges[i + 1], edges[i + 2]);
        let area = 2.0 / (high - low);
        for k in 0..BINS {
            let hz = k as f64 * SAMPLE_RATE / WINDOW as f64;
            let rising = (hz - low) / (centre - low);
            let falling = (high - hz) / (high - centre);
            filters.push((rising.min(falling).max(0.0) * area) as f32);
        }
    }
    filters
}
