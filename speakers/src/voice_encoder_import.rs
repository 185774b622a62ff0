//! resemblyzer's voice encoder as published (`resemblyzer/pretrained.pt`, PyTorch's legacy
//! single-file format: a row of pickles, then each storage's raw values) → Castmill's stored
//! layout. Only the encoder's tensors are kept; the training state is skipped.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::Path;

use candle_core::pickle::{Object, Stack};

use crate::voice_encoder::tensor_shapes;
use crate::weights::{SpeakerModelKind, SpeakerWeights, Tensor, WeightsError};

const MAX_FILE_BYTES: u64 = 256 << 20;
/// The first pickle of a legacy file: protocol 2, a 10-byte integer (torch's magic number).
const MAGIC_PICKLE: [u8; 15] = [
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
];

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("failed to read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is {size} bytes, more than a voice encoder can be")]
    TooBig { path: String, size: u64 },
    #[error("{path} is not a PyTorch checkpoint in the legacy format resemblyzer uses")]
    NotLegacyTorch { path: String },
    #[error("{path} is not resemblyzer's voice encoder: {why}")]
    NotVoiceEncoder { path: String, why: String },
    #[error("{path} does not have the voice encoder's weights")]
    Shapes {
        path: String,
        #[source]
        source: WeightsError,
    },
}

pub fn from_torch(path: &Path) -> Result<SpeakerWeights, ImportError> {
    let shown = path.display().to_string();
    let read_error = |source| ImportError::Read {
        path: shown.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ImportError::TooBig { path: shown, size });
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    let not_legacy = || ImportError::NotLegacyTorch { path: shown.clone() };
    let not_it = |why: &str| ImportError::NotVoiceEncoder {
        path: shown.clone(),
        why: why.to_owned(),
    };
    if !bytes.starts_with(&MAGIC_PICKLE) {
        return Err(not_legacy());
    }
    let mut cursor = Cursor::new(&bytes[MAGIC_PICKLE.len()..]);
    let mut pickle = || -> Result<Object, ImportError> {
        let mut stack = Stack::empty();
        stack.read_loop(&mut cursor).map_err(|_| not_legacy())?;
        stack.finalize().map_err(|_| not_legacy())
    };
    let _protocol = pickle()?;
    let _system = pickle()?;
    let checkpoint = pickle()?;
    let keys: Vec<String> = match pickle()? {
        Object::List(keys) => keys.into_iter().filter_map(|k| k.unicode().ok()).collect(),
        _ => return Err(not_legacy()),
    };
    let mut storages: HashMap<String, Vec<f32>> = HashMap::new();
    for key in keys {
        let mut count = [0u8; 8];
        cursor.read_exact(&mut count).map_err(|_| not_legacy())?;
        let count = usize::try_from(u64::from_le_bytes(count)).map_err(|_| not_legacy())?;
        let start = cursor.position() as usize;
        let end = count
            .checked_mul(4)
            .and_then(|n| n.checked_add(start))
            .filter(|&end| end <= cursor.get_ref().len())
            .ok_or_else(not_legacy)?;
        let values = cursor.get_ref()[start..end]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        cursor.set_position(end as u64);
        storages.insert(key, values);
    }

    let Object::Dict(entries) = checkpoint else {
        return Err(not_it("its checkpoint is not a dictionary"));
    };
    let model_state = entries
        .into_iter()
        .find(|(k, _)| matches!(k, Object::Unicode(name) if name == "model_state"))
        .map(|(_, v)| v)
        .ok_or_else(|| not_it("it has no model_state"))?;
    let Object::Dict(state) = model_state else {
        return Err(not_it("its model_state is not a dictionary"));
    };
    let mut torch_tensors: HashMap<String, Tensor> = HashMap::new();
    for (name, value) in state {
        let Ok(Some(info)) = value.into_tensor_info(name, Path::new("")) else {
            continue;
        };
        let key = info.path.trim_start_matches('/');
        let storage = storages
            .get(key)
            .ok_or_else(|| not_it(&format!("tensor {} has no stored values", info.name)))?;
        let dims = info.layout.shape().dims().to_vec();
        let count: usize = dims.iter().product();
        // candle gives the offset in bytes; the storage here is f32 values.
        let offset = info.layout.start_offset() / 4;
        if !info.layout.is_contiguous() || offset + count > storage.len() {
            return Err(not_it(&format!("tensor {} is not stored in one piece", info.name)));
        }
        torch_tensors.insert(info.name, Tensor::new(dims, storage[offset..offset + count].to_vec()));
    }

    // PyTorch's names → Castmill's; the gate order (i, f, g, o) is already ours.
    let mut tensors = HashMap::new();
    for l in 0..3 {
        let mut take = |torch: String| {
            torch_tensors
                .remove(&torch)
                .ok_or_else(|| not_it(&format!("it has no {torch}")))
        };
        let w_ih = take(format!("lstm.weight_ih_l{l}"))?;
        let w_hh = take(format!("lstm.weight_hh_l{l}"))?;
        let b_ih = take(format!("lstm.bias_ih_l{l}"))?;
        let b_hh = take(format!("lstm.bias_hh_l{l}"))?;
        if b_ih.dims != b_hh.dims {
            return Err(not_it("its LSTM biases differ in shape"));
        }
        let bias = b_ih.values.iter().zip(&b_hh.values).map(|(a, b)| a + b).collect();
        tensors.insert(format!("lstm{l}.forward.w_ih"), w_ih);
        tensors.insert(format!("lstm{l}.forward.w_hh"), w_hh);
        tensors.insert(format!("lstm{l}.forward.bias"), Tensor::new(b_ih.dims, bias));
    }
    for name in ["weight", "bias"] {
        let tensor = torch_tensors
            .remove(&format!("linear.{name}"))
            .ok_or_else(|| not_it(&format!("it has no linear.{name}")))?;
        tensors.insert(format!("linear.{name}"), tensor);
    }
    SpeakerWeights::imported(SpeakerModelKind::VoiceEncoder, path, tensors, &tensor_shapes())
        .map_err(|source| ImportError::Shapes { path: shown, source })
}
