//! pyannote's segmentation-3.0 network: 10 s of 16 kHz audio in, for each of 589 frames
//! (one every 270 samples) the log-probability of each of 7 classes: nobody, one of three
//! local speakers, or two of them at once. Local means "in this chunk": speaker 1 of one
//! chunk and speaker 1 of the next need not be the same voice.

use candle_core::{Device, Tensor as CTensor};

use crate::lstm::LstmStack;
use crate::network_error::NetworkError;
use crate::weights::{SpeakerModelKind, SpeakerWeights};

/// What the network was trained on: 10 s chunks.
pub const CHUNK_SAMPLES: usize = 160_000;
/// Samples from one frame to the next (16.875 ms).
pub const FRAME_STEP: usize = 270;
/// Samples one frame sees (61.9 ms); frame `i` covers `[270·i, 270·i + 991)`.
pub const FRAME_SPAN: usize = 991;
pub const CLASSES: usize = 7;
/// The local speakers in each class, in the network's order.
pub const CLASS_SPEAKERS: [&[usize]; CLASSES] = [&[], &[0], &[1], &[2], &[0, 1], &[0, 2], &[1, 2]];
pub const LOCAL_SPEAKERS: usize = 3;

const SINC_FILTERS: usize = 80;
const SINC_TAPS: usize = 251;
const SINC_STRIDE: usize = 10;
const CONV_CHANNELS: usize = 60;
const CONV_TAPS: usize = 5;
const LSTM_LAYERS: usize = 4;
const LSTM_HIDDEN: usize = 128;
const EPSILON: f32 = 1e-5;
const LEAKY_SLOPE: f32 = 0.01;

/// Frames the network gives for `samples` of audio (0 under one frame's span).
pub fn frame_count(samples: usize) -> usize {
    if samples < FRAME_SPAN {
        0
    } else {
        (samples - 721) / FRAME_STEP
    }
}

/// Every tensor the stored segmentation model has, with its shape.
pub fn tensor_shapes() -> Vec<(String, Vec<usize>)> {
    let mut shapes = vec![
        ("wav_norm.scale".to_owned(), vec![1]),
        ("wav_norm.bias".to_owned(), vec![1]),
        ("sinc.weight".to_owned(), vec![SINC_FILTERS, 1, SINC_TAPS]),
        ("norm0.weight".to_owned(), vec![SINC_FILTERS]),
        ("norm0.bias".to_owned(), vec![SINC_FILTERS]),
        ("conv1.weight".to_owned(), vec![CONV_CHANNELS, SINC_FILTERS, CONV_TAPS]),
        ("conv2.weight".to_owned(), vec![CONV_CHANNELS, CONV_CHANNELS, CONV_TAPS]),
    ];
    for n in 1..=2 {
        shapes.push((format!("conv{n}.bias"), vec![CONV_CHANNELS]));
        shapes.push((format!("norm{n}.weight"), vec![CONV_CHANNELS]));
        shapes.push((format!("norm{n}.bias"), vec![CONV_CHANNELS]));
    }
    for l in 0..LSTM_LAYERS {
        let input = if l == 0 { CONV_CHANNELS } else { 2 * LSTM_HIDDEN };
        for dir in ["forward", "backward"] {
            shapes.push((format!("lstm{l}.{dir}.w_ih"), vec![4 * LSTM_HIDDEN, input]));
            shapes.push((format!("lstm{l}.{dir}.w_hh"), vec![4 * LSTM_HIDDEN, LSTM_HIDDEN]));
            shapes.push((format!("lstm{l}.{dir}.bias"), vec![4 * LSTM_HIDDEN]));
        }
    }
    for (name, input, output) in [
        ("linear0", 2 * LSTM_HIDDEN, 128),
        ("linear1", 128, 128),
        ("classifier", 128, CLASSES),
    ] {
        shapes.push((format!("{name}.weight"), vec![input, output]));
        shapes.push((format!("{name}.bias"), vec![output]));
    }
    shapes
}

struct Affine {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

struct Conv {
    weight: CTensor,
    bias: Option<CTensor>,
}

struct Linear {
    /// `[input, output]`.
    weight: CTensor,
    bias: CTensor,
}

pub struct SegmentationNet {
    wav_scale: f32,
    wav_bias: f32,
    sinc: Conv,
    norms: [Affine; 3],
    convs: [Conv; 2],
    lstm: LstmStack,
    linears: [Linear; 3],
}

impl SegmentationNet {
    pub fn new(mut weights: SpeakerWeights) -> Result<Self, NetworkError> {
        weights.expect(SpeakerModelKind::Segmentation, &tensor_shapes())?;
        let dev = &Device::Cpu;
        let mut tensor = |name: &str| -> Result<CTensor, NetworkError> {
            let t = weights.take(name)?;
            Ok(CTensor::from_vec(t.values, t.dims, dev)?)
        };
        let sinc = Conv {
            weight: tensor("sinc.weight")?,
            bias: None,
        };
        let convs = [
            Conv {
                weight: tensor("conv1.weight")?,
                bias: Some(tensor("conv1.bias")?.reshape((1, CONV_CHANNELS, 1))?),
            },
            Conv {
                weight: tensor("conv2.weight")?,
                bias: Some(tensor("conv2.bias")?.reshape((1, CONV_CHANNELS, 1))?),
            },
        ];
        let linear = |name: &str, tensor: &mut dyn FnMut(&str) -> Result<CTensor, NetworkError>| {
            Ok::<_, NetworkError>(Linear {
                weight: tensor(&format!("{name}.weight"))?,
                bias: tensor(&format!("{name}.bias"))?,
            })
        };
        let linears = [
            linear("linear0", &mut tensor)?,
            linear("linear1", &mut tensor)?,
            linear("classifier", &mut tensor)?,
        ];
        let mut affine = |n: usize| -> Result<Affine, NetworkError> {
            Ok(Affine {
                weight: weights.take(&format!("norm{n}.weight"))?.values,
                bias: weights.take(&format!("norm{n}.bias"))?.values,
            })
        };
        let norms = [affine(0)?, affine(1)?, affine(2)?];
        let wav_scale = weights.take("wav_norm.scale")?.values[0];
        let wav_bias = weights.take("wav_norm.bias")?.values[0];
        let lstm = LstmStack::take(&mut weights, "lstm", LSTM_LAYERS, true)?;
        Ok(Self {
            wav_scale,
            wav_bias,
            sinc,
            norms,
            convs,
            lstm,
            linears,
        })
    }

    /// Log-probabilities `[frames][7]` for each chunk of exactly 10 s (the caller pads a
    /// short one with silence, so every chunk's frames mean the same). Chunks run together.
    pub fn log_probabilities(&self, chunks: &[&[f32]]) -> Result<Vec<Vec<[f32; CLASSES]>>, NetworkError> {
        let dev = &Device::Cpu;
        let batch = chunks.len();
        let mut wav = Vec::with_capacity(batch * CHUNK_SAMPLES);
        for chunk in chunks {
            let mut one = chunk.to_vec();
            one.resize(CHUNK_SAMPLES, 0.0);
            normalise(&mut one, 1, &[self.wav_scale], &[self.wav_bias]);
            wav.extend(one);
        }
        let x = CTensor::from_vec(wav, (batch, 1, CHUNK_SAMPLES), dev)?;
        let x = x.conv1d(&self.sinc.weight, 0, SINC_STRIDE, 1, 1)?.abs()?;
        let mut x = self.pool_norm_activate(x, 0)?;
        for (n, conv) in self.convs.iter().enumerate() {
            let mut y = x.conv1d(&conv.weight, 0, 1, 1, 1)?;
            if let Some(bias) = &conv.bias {
                y = y.broadcast_add(bias)?;
            }
            x = self.pool_norm_activate(y, n + 1)?;
        }
        // [batch, 60, frames] → [batch, frames, 60]
        let x = x.transpose(1, 2)?.contiguous()?;
        let x = self.lstm.run(x)?;
        let (_, frames, features) = x.dims3()?;
        let mut x = x.reshape((batch * frames, features))?;
        for (i, linear) in self.linears.iter().enumerate() {
            x = x.matmul(&linear.weight)?.broadcast_add(&linear.bias)?;
            if i + 1 < self.linears.len() {
                x = leaky_relu(&x)?;
            }
        }
        let logits: Vec<Vec<f32>> = x.to_vec2()?;
        Ok(logits
            .chunks(frames)
            .map(|chunk| chunk.iter().map(|row| log_softmax(row)).collect())
            .collect())
    }

    /// Max-pool by 3, instance-normalise with norm `n`, leaky ReLU: the end of each SincNet stage.
    fn pool_norm_activate(&self, x: CTensor, n: usize) -> Result<CTensor, NetworkError> {
        let (batch, channels, len) = x.dims3()?;
        let values: Vec<f32> = x.flatten_all()?.to_vec1()?;
        let pooled_len = len / 3;
        let mut pooled = Vec::with_capacity(batch * channels * pooled_len);
        for row in values.chunks_exact(len) {
            pooled.extend(row.chunks_exact(3).map(|w| w[0].max(w[1]).max(w[2])));
        }
        for one in pooled.chunks_exact_mut(channels * pooled_len) {
            normalise(one, channels, &self.norms[n].weight, &self.norms[n].bias);
        }
        for v in &mut pooled {
            if *v < 0.0 {
                *v *= LEAKY_SLOPE;
            }
        }
        Ok(CTensor::from_vec(pooled, (batch, channels, pooled_len), &Device::Cpu)?)
    }
}

/// Instance normalisation of `channels` equal rows (biased variance), then the affine step.
fn normalise(values: &mut [f32], channels: usize, weight: &[f32], bias: &[f32]) {
    let len = values.len() / channels;
    for c in 0..channels {
        let row = &mut values[c * len..(c + 1) * len];
        let n = row.len() as f64;
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        let scale = weight[c] as f64 / (var + EPSILON as f64).sqrt();
        for v in row.iter_mut() {
            *v = ((*v as f64 - mean) * scale + bias[c] as f64) as f32;
        }
    }
}

fn leaky_relu(x: &CTensor) -> Result<CTensor, NetworkError> {
    let negative = (x.minimum(0.0)? * (LEAKY_SLOPE as f64 - 1.0))?;
    Ok((x + negative)?)
}

fn log_softmax(row: &[f32]) -> [f32; CLASSES] {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = row.iter().map(|v| (v - max).exp()).sum();
    let log_sum = sum.ln() + max;
    let mut out = [0.0; CLASSES];
    for (o, v) in out.iter_mut().zip(row) {
        *o = v - log_sum;
    }
    out
}
