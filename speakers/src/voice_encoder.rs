//! resemblyzer's voice encoder: a stretch of speech → a 256-number voiceprint of unit length;
//! two stretches of the same voice point the same way (cosine near 1). The stretch is cut
//! into 1.6 s partials, each partial's 40-band mel spectrogram goes through 3 LSTM layers and
//! a linear layer, and the partials' prints are averaged.

use candle_core::{Device, Tensor as CTensor};

use crate::lstm::LstmStack;
use crate::network_error::NetworkError;
use crate::voice_mel::{HOP, VoiceMel};
use crate::weights::{SpeakerModelKind, SpeakerWeights};

pub const DIMENSIONS: usize = 256;
const MEL_BANDS: usize = 40;
const LAYERS: usize = 3;
/// Mel frames per partial (1.6 s).
const PARTIAL_FRAMES: usize = 160;
/// Frames from one partial to the next (1.3 partials a second).
const PARTIAL_STEP: usize = 77;
/// A last partial less full than this is dropped (unless it is the only one).
const MIN_COVERAGE: f32 = 0.75;
/// The loudness every stretch is raised to (never lowered), in dBFS.
const TARGET_DBFS: f32 = -30.0;
/// Partials run through the network together, for the recurrence's matrix products.
const BATCH: usize = 64;

pub fn tensor_shapes() -> Vec<(String, Vec<usize>)> {
    let mut shapes = Vec::new();
    for l in 0..LAYERS {
        let input = if l == 0 { MEL_BANDS } else { DIMENSIONS };
        shapes.push((format!("lstm{l}.forward.w_ih"), vec![4 * DIMENSIONS, input]));
        shapes.push((format!("lstm{l}.forward.w_hh"), vec![4 * DIMENSIONS, DIMENSIONS]));
        shapes.push((format!("lstm{l}.forward.bias"), vec![4 * DIMENSIONS]));
    }
    shapes.push(("linear.weight".to_owned(), vec![DIMENSIONS, DIMENSIONS]));
    shapes.push(("linear.bias".to_owned(), vec![DIMENSIONS]));
    shapes
}

pub struct VoiceEncoder {
    lstm: LstmStack,
    /// `[in, out]`.
    linear_weight: CTensor,
    linear_bias: CTensor,
    mel: VoiceMel,
}

impl VoiceEncoder {
    pub fn new(mut weights: SpeakerWeights) -> Result<Self, NetworkError> {
        weights.expect(SpeakerModelKind::VoiceEncoder, &tensor_shapes())?;
        let lstm = LstmStack::take(&mut weights, "lstm", LAYERS, false)?;
        let w = weights.take("linear.weight")?;
        let b = weights.take("linear.bias")?;
        let dev = &Device::Cpu;
        Ok(Self {
            lstm,
            linear_weight: CTensor::from_vec(w.values, (DIMENSIONS, DIMENSIONS), dev)?
                .t()?
                .contiguous()?,
            linear_bias: CTensor::from_vec(b.values, DIMENSIONS, dev)?,
            mel: VoiceMel::new(),
        })
    }

    /// One voiceprint per stretch of 16 kHz speech.
    pub fn embed(&self, stretches: &[&[f32]]) -> Result<Vec<[f32; DIMENSIONS]>, NetworkError> {
        let mut partials: Vec<Vec<f32>> = Vec::new();
        let mut owner = Vec::new();
        for (i, stretch) in stretches.iter().enumerate() {
            for partial in self.partials(stretch) {
                partials.push(partial);
                owner.push(i);
            }
        }
        let mut sums = vec![[0.0f32; DIMENSIONS]; stretches.len()];
        for (batch, owners) in partials.chunks(BATCH).zip(owner.chunks(BATCH)) {
            let prints = self.partial_prints(batch)?;
            for (print, &i) in prints.iter().zip(owners) {
                for (s, v) in sums[i].iter_mut().zip(print) {
                    *s += v;
                }
            }
        }
        for sum in &mut sums {
            unit_length(sum);
        }
        Ok(sums)
    }

    /// The mel frames of each partial of a stretch (`[160][40]` flattened), resemblyzer's way:
    /// louder if quiet, partials every 77 frames, a thin last one dropped, the end padded.
    fn partials(&self, stretch: &[f32]) -> Vec<Vec<f32>> {
        let mut wav = stretch.to_vec();
        raise_to_target(&mut wav);
        let frames = (wav.len() + 1).div_ceil(HOP);
        let steps = (frames + PARTIAL_STEP + 1).saturating_sub(PARTIAL_FRAMES).max(1);
        let mut starts: Vec<usize> = (0..steps).step_by(PARTIAL_STEP).collect();
        if let Some(&last) = starts.last() {
            let covered = wav.len().saturating_sub(last * HOP) as f32 / (PARTIAL_FRAMES * HOP) as f32;
            if covered < MIN_COVERAGE && starts.len() > 1 {
                starts.pop();
            }
        }
        let last = starts.last().copied().unwrap_or(0);
        let stop = (last + PARTIAL_FRAMES) * HOP;
        if stop >= wav.len() {
            wav.resize(stop, 0.0);
        }
        let mel = self.mel.frames(&wav);
        starts
            .into_iter()
            .map(|s| mel[s * MEL_BANDS..(s + PARTIAL_FRAMES) * MEL_BANDS].to_vec())
            .collect()
    }

    fn partial_prints(&self, partials: &[Vec<f32>]) -> Result<Vec<[f32; DIMENSIONS]>, NetworkError> {
        let batch = partials.len();
        let flat: Vec<f32> = partials.iter().flatten().copied().collect();
        let x = CTensor::from_vec(flat, (batch, PARTIAL_FRAMES, MEL_BANDS), &Device::Cpu)?;
        let h = self.lstm.run(x)?;
        let last = h.narrow(1, PARTIAL_FRAMES - 1, 1)?.squeeze(1)?;
        let y = last
            .matmul(&self.linear_weight)?
            .broadcast_add(&self.linear_bias)?
            .relu()?;
        let rows: Vec<Vec<f32>> = y.to_vec2()?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut print = [0.0; DIMENSIONS];
                print.copy_from_slice(&row);
                unit_length(&mut print);
                print
            })
            .collect())
    }
}

fn raise_to_target(wav: &mut [f32]) {
    if wav.is_empty() {
        return;
    }
    let rms = (wav.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / wav.len() as f64).sqrt();
    if rms <= 0.0 {
        return;
    }
    let change = TARGET_DBFS as f64 - 20.0 * rms.log10();
    if change > 0.0 {
        let gain = 10f64.powf(change / 20.0) as f32;
        for v in wav.iter_mut() {
            *v *= gain;
        }
    }
}

/// Scales to unit length (an all-zero print stays zero).
pub fn unit_length(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-12 {
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
}

/// Cosine of two unit-length prints.
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
