//! The LSTM both speaker networks are built on. The input side of every step is one matrix
//! product over whole sequences; the recurrence is one product a step over a batch of
//! sequences (candle's GEMM), the gates here.

use candle_core::{Device, Tensor as CTensor};

use crate::network_error::NetworkError;
use crate::weights::{SpeakerWeights, WeightsError};

/// One direction of one layer. Gates in PyTorch's order: input, forget, cell, output.
pub struct LstmDirection {
    hidden: usize,
    /// `[input, 4·hidden]`: the input weights, transposed for `x · w`.
    input_weights: CTensor,
    /// `[hidden, 4·hidden]`: the recurrent weights, transposed for `h · w`.
    recurrent_weights: CTensor,
    /// `[4·hidden]`: both biases summed.
    bias: Vec<f32>,
}

impl LstmDirection {
    /// From `<prefix>.w_ih` `[4H, In]`, `<prefix>.w_hh` `[4H, H]` and `<prefix>.bias` `[4H]`.
    pub fn take(weights: &mut SpeakerWeights, prefix: &str) -> Result<Self, NetworkError> {
        let w_ih = weights.take(&format!("{prefix}.w_ih"))?;
        let w_hh = weights.take(&format!("{prefix}.w_hh"))?;
        let bias = weights.take(&format!("{prefix}.bias"))?;
        let (gates, input) = (w_ih.dims[0], w_ih.dims[1]);
        let hidden = gates / 4;
        if w_hh.dims != [gates, hidden] || bias.dims != [gates] || !gates.is_multiple_of(4) {
            return Err(WeightsError::WrongShape {
                name: format!("{prefix}.w_hh"),
                found: w_hh.dims,
                expected: vec![gates, hidden],
            }
            .into());
        }
        let transposed = |values: Vec<f32>, rows: usize, cols: usize| -> Result<CTensor, NetworkError> {
            Ok(CTensor::from_vec(values, (rows, cols), &Device::Cpu)?
                .t()?
                .contiguous()?)
        };
        Ok(Self {
            hidden,
            input_weights: transposed(w_ih.values, gates, input)?,
            recurrent_weights: transposed(w_hh.values, gates, hidden)?,
            bias: bias.values,
        })
    }

    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Runs over a batch `x` (`[batch, steps, input]`), backwards when `reverse`; returns
    /// `[batch][steps][hidden]`, each step's output at its own position. The sequences of a
    /// batch go through each step together, so the recurrent product is a matrix product.
    pub fn run(&self, x: &CTensor, reverse: bool) -> Result<Vec<f32>, NetworkError> {
        let (batch, steps, input) = x.dims3()?;
        let h_len = self.hidden;
        let gates = 4 * h_len;
        let projected: Vec<f32> = x
            .reshape((batch * steps, input))?
            .matmul(&self.input_weights)?
            .flatten_all()?
            .to_vec1()?;
        let mut out = vec![0.0; batch * steps * h_len];
        let mut h = vec![0.0f32; batch * h_len];
        let mut c = vec![0.0f32; batch * h_len];
        for i in 0..steps {
            let t = if reverse { steps - 1 - i } else { i };
            let recurrent: Vec<f32> = if i == 0 {
                vec![0.0; batch * gates]
            } else {
                CTensor::from_slice(&h, (batch, h_len), &Device::Cpu)?
                    .matmul(&self.recurrent_weights)?
                    .flatten_all()?
                    .to_vec1()?
            };
            for b in 0..batch {
                let p = &projected[(b * steps + t) * gates..(b * steps + t + 1) * gates];
                let r = &recurrent[b * gates..(b + 1) * gates];
                let gate =
                    |block: usize, j: usize| p[block * h_len + j] + r[block * h_len + j] + self.bias[block * h_len + j];
                for j in 0..h_len {
                    let cell = &mut c[b * h_len + j];
                    *cell = sigmoid(gate(1, j)) * *cell + sigmoid(gate(0, j)) * gate(2, j).tanh();
                    h[b * h_len + j] = sigmoid(gate(3, j)) * cell.tanh();
                }
                let at = (b * steps + t) * h_len;
                out[at..at + h_len].copy_from_slice(&h[b * h_len..(b + 1) * h_len]);
            }
        }
        Ok(out)
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// A stack of LSTM layers; bidirectional layers give `[forward, backward]` features a step.
pub struct LstmStack {
    layers: Vec<(LstmDirection, Option<LstmDirection>)>,
}

impl LstmStack {
    /// Layers `<prefix>{0..layers}.forward` (and `.backward` when `bidirectional`).
    pub fn take(
        weights: &mut SpeakerWeights,
        prefix: &str,
        layers: usize,
        bidirectional: bool,
    ) -> Result<Self, NetworkError> {
        let mut stack = Vec::with_capacity(layers);
        for l in 0..layers {
            let forward = LstmDirection::take(weights, &format!("{prefix}{l}.forward"))?;
            let backward = if bidirectional {
                Some(LstmDirection::take(weights, &format!("{prefix}{l}.backward"))?)
            } else {
                None
            };
            stack.push((forward, backward));
        }
        Ok(Self { layers: stack })
    }

    /// `x` is `[batch, steps, input]`; returns the last layer's `[batch, steps, features]`.
    pub fn run(&self, x: CTensor) -> Result<CTensor, NetworkError> {
        let mut x = x;
        for (forward, backward) in &self.layers {
            let (batch, steps, _) = x.dims3()?;
            let h = forward.hidden();
            let fw = forward.run(&x, false)?;
            x = match backward {
                None => CTensor::from_vec(fw, (batch, steps, h), &Device::Cpu)?,
                Some(backward) => {
                    let bw = backward.run(&x, true)?;
                    let mut both = Vec::with_capacity(batch * steps * 2 * h);
                    for (f, b) in fw.chunks_exact(h).zip(bw.chunks_exact(h)) {
                        both.extend_from_slice(f);
                        both.extend_from_slice(b);
                    }
                    CTensor::from_vec(both, (batch, steps, 2 * h), &Device::Cpu)?
                }
            };
        }
        Ok(x)
    }
}
