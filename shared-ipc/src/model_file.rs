//! Validation of GGML whisper model files (the format whisper.cpp loads): magic,
//! hyper-parameters, mel filters, vocabulary, and every tensor's size, without loading the
//! weights. Both the importer and the worker use it, so a bad model gets one clear error
//! instead of a crash deep inside whisper.cpp.

use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

use thiserror::Error;

/// `ggml` in little-endian.
pub const GGML_MAGIC: u32 = 0x6767_6d6c;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WhisperHparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl WhisperHparams {
    /// How many tensors a whisper model with these dimensions has.
    pub fn expected_tensors(&self) -> usize {
        // Encoder: conv1/conv2 weight+bias, positional embedding, final norm (2).
        // Per encoder layer: attn norm (2), q (2), k (1), v (2), out (2), mlp norm (2), mlp (4).
        // Decoder: positional + token embedding, final norm (2).
        // Per decoder layer: the encoder's 15 plus cross-attention norm (2) and q/k/v/out (7).
        7 + 15 * self.n_audio_layer as usize + 4 + 24 * self.n_text_layer as usize
    }

    /// A short human name such as "tiny" from the layer count.
    pub fn size_name(&self) -> &'static str {
        match self.n_audio_layer {
            4 => "tiny",
            6 => "base",
            12 => "small",
            24 => "medium",
            32 => "large",
            _ => "unknown size",
        }
    }

    pub fn is_multilingual(&self) -> bool {
        self.n_vocab >= 51865
    }
}

/// What a valid model file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSummary {
    pub hparams: WhisperHparams,
    pub n_vocab_words: usize,
    pub n_tensors: usize,
    pub file_len: u64,
}

#[derive(Debug, Error)]
pub enum ModelFileError {
    #[error("failed to read the model")]
    Io(#[from] io::Error),
    #[error("not a GGML whisper model (magic {0:#010x})")]
    BadMagic(u32),
    #[error("model is truncated ({0})")]
    Truncated(&'static str),
    #[error("model header is invalid: {0}")]
    BadHeader(String),
    #[error("model tensor {name:?} is invalid: {reason}")]
    BadTensor { name: String, reason: String },
    #[error("model has {found} tensors, a whisper model of this size has {expected}")]
    TensorCount { found: usize, expected: usize },
    #[error("model has {0} bytes of trailing data")]
    TrailingData(u64),
}

/// Validates a model file on disk.
pub fn validate_file(path: &Path) -> Result<ModelSummary, ModelFileError> {
    let file = std::fs::File::open(path)?;
    validate(BufReader::with_capacity(1 << 16, file))
}

/// Validates a model from any seekable reader (a file, or bytes under a fuzzer).
pub fn validate<R: Read + Seek>(mut r: R) -> Result<ModelSummary, ModelFileError> {
    let file_len = r.seek(io::SeekFrom::End(0))?;
    r.seek(io::SeekFrom::Start(0))?;
    let magic = read_u32(&mut r, "magic")?;
    if magic != GGML_MAGIC {
        return Err(ModelFileError::BadMagic(magic));
    }
    let mut h = [0i32; 11];
    for v in h.iter_mut() {
        *v = read_i32(&mut r, "hyper-parameters")?;
    }
    let hparams = WhisperHparams {
        n_vocab: h[0],
        n_audio_ctx: h[1],
        n_audio_state: h[2],
        n_audio_head: h[3],
        n_audio_layer: h[4],
        n_text_ctx: h[5],
        n_text_state: h[6],
        n_text_head: h[7],
        n_text_layer: h[8],
        n_mels: h[9],
        ftype: h[10],
    };
    check_hparams(&hparams)?;

    let n_mel = read_i32(&mut r, "mel filters")?;
    let n_fft = read_i32(&mut r, "mel filters")?;
    if n_mel != hparams.n_mels || !(1..=4096).contains(&n_fft) {
        return Err(ModelFileError::BadHeader(format!("mel filter bank is {n_mel}x{n_fft}")));
    }
    skip(&mut r, 4 * n_mel as u64 * n_fft as u64, file_len, "mel filters")?;

    let n_words = read_i32(&mut r, "vocabulary")?;
    if !(1..=1_000_000).contains(&n_words) || n_words > hparams.n_vocab {
        return Err(ModelFileError::BadHeader(format!("vocabulary claims {n_words} words")));
    }
    for _ in 0..n_words {
        let len = read_i32(&mut r, "vocabulary")?;
        if !(0..=1024).contains(&len) {
            return Err(ModelFileError::BadHeader(format!("vocabulary word of {len} bytes")));
        }
        skip(&mut r, len as u64, file_len, "vocabulary")?;
    }

    let mut n_tensors = 0usize;
    let expected = hparams.expected_tensors();
    loop {
        let pos = r.stream_position()?;
        if pos == file_len {
            break;
        }
        if n_tensors >= expected {
            return Err(ModelFileError::TrailingData(file_len - pos));
        }
        read_tensor(&mut r, file_len)?;
        n_tensors += 1;
    }
    if n_tensors != expected {
        return Err(ModelFileError::TensorCount {
            found: n_tensors,
            expected,
        });
    }
    Ok(ModelSummary {
        hparams,
        n_vocab_words: n_words as usize,
        n_tensors,
        file_len,
    })
}

fn check_hparams(h: &WhisperHparams) -> Result<(), ModelFileError> {
    let bad = |what: &str| Err(ModelFileError::BadHeader(what.to_owned()));
    if !(1000..=1_000_000).contains(&h.n_vocab) {
        return bad("vocabulary size out of range");
    }
    if !(1..=64).contains(&h.n_audio_layer) || !(1..=64).contains(&h.n_text_layer) {
        return bad("layer count out of range");
    }
    if !(1..=128).contains(&h.n_audio_head) || !(1..=128).contains(&h.n_text_head) {
        return bad("head count out of range");
    }
    if !(64..=8192).contains(&h.n_audio_state) || !(64..=8192).contains(&h.n_text_state) {
        return bad("state size out of range");
    }
    if h.n_audio_state % h.n_audio_head != 0 || h.n_text_state % h.n_text_head != 0 {
        return bad("state size not divisible by head count");
    }
    if !(1..=100_000).contains(&h.n_audio_ctx) || !(1..=100_000).contains(&h.n_text_ctx) {
        return bad("context size out of range");
    }
    if h.n_mels != 80 && h.n_mels != 128 {
        return bad("mel band count is neither 80 nor 128");
    }
    Ok(())
}

fn read_tensor<R: Read + Seek>(r: &mut R, file_len: u64) -> Result<(), ModelFileError> {
    let n_dims = read_i32(r, "tensor header")?;
    let name_len = read_i32(r, "tensor header")?;
    let ttype = read_i32(r, "tensor header")?;
    if !(1..=4).contains(&n_dims) || !(1..=256).contains(&name_len) {
        return Err(ModelFileError::BadHeader(format!(
            "tensor header with {n_dims} dims and a {name_len}-byte name"
        )));
    }
    let mut elements: u64 = 1;
    let mut first_dim = 0u64;
    for i in 0..n_dims {
        let d = read_i32(r, "tensor header")?;
        if !(1..=1 << 24).contains(&d) {
            return Err(ModelFileError::BadHeader(format!("tensor dimension {d}")));
        }
        if i == 0 {
            first_dim = d as u64;
        }
        elements = elements.saturating_mul(d as u64);
    }
    let mut name = vec![0u8; name_len as usize];
    r.read_exact(&mut name)
        .map_err(|_| ModelFileError::Truncated("tensor name"))?;
    let name = String::from_utf8_lossy(&name).into_owned();
    let (block, block_bytes) = ggml_type_layout(ttype).ok_or_else(|| ModelFileError::BadTensor {
        name: name.clone(),
        reason: format!("unknown element type {ttype}"),
    })?;
    if !first_dim.is_multiple_of(block) {
        return Err(ModelFileError::BadTensor {
            name,
            reason: format!("row of {first_dim} is not a multiple of the block size {block}"),
        });
    }
    let bytes = elements / block * block_bytes;
    skip(r, bytes, file_len, "tensor data")
}

/// (elements per block, bytes per block) of a GGML element type.
pub fn ggml_type_layout(ttype: i32) -> Option<(u64, u64)> {
    Some(match ttype {
        0 => (1, 4),      // f32
        1 => (1, 2),      // f16
        2 => (32, 18),    // q4_0
        3 => (32, 20),    // q4_1
        6 => (32, 22),    // q5_0
        7 => (32, 24),    // q5_1
        8 => (32, 34),    // q8_0
        9 => (32, 36),    // q8_1
        10 => (256, 84),  // q2_k
        11 => (256, 110), // q3_k
        12 => (256, 144), // q4_k
        13 => (256, 176), // q5_k
        14 => (256, 210), // q6_k
        15 => (256, 292), // q8_k
        30 => (1, 2),     // bf16
        _ => return None,
    })
}

fn skip<R: Read + Seek>(r: &mut R, n: u64, file_len: u64, what: &'static str) -> Result<(), ModelFileError> {
    let pos = r.stream_position()?;
    if pos.checked_add(n).is_none_or(|end| end > file_len) {
        return Err(ModelFileError::Truncated(what));
    }
    r.seek(io::SeekFrom::Current(n as i64))?;
    Ok(())
}

fn read_u32<R: Read>(r: &mut R, what: &'static str) -> Result<u32, ModelFileError> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b).map_err(|_| ModelFileError::Truncated(what))?;
    Ok(u32::from_le_bytes(b))
}

fn read_i32<R: Read>(r: &mut R, what: &'static str) -> Result<i32, ModelFileError> {
    read_u32(r, what).map(|v| v as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn garbage_and_truncations_are_errors() {
        assert!(matches!(validate(Cursor::new(b"")), Err(ModelFileError::Truncated(_))));
        assert!(matches!(
            validate(Cursor::new(b"RIFF....WAVE")),
            Err(ModelFileError::BadMagic(_))
        ));
        let mut header = GGML_MAGIC.to_le_bytes().to_vec();
        for v in [51864i32, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        assert!(matches!(
            validate(Cursor::new(&header)),
            Err(ModelFileError::Truncated(_))
        ));
        header.extend_from_slice(&80i32.to_le_bytes());
        header.extend_from_slice(&201i32.to_le_bytes());
        assert!(matches!(
            validate(Cursor::new(&header)),
            Err(ModelFileError::Truncated("mel filters"))
        ));
    }

    #[test]
    fn tiny_has_167_tensors() {
        let h = WhisperHparams {
            n_vocab: 51864,
            n_audio_ctx: 1500,
            n_audio_state: 384,
            n_audio_head: 6,
            n_audio_layer: 4,
            n_text_ctx: 448,
            n_text_state: 384,
            n_text_head: 6,
            n_text_layer: 4,
            n_mels: 80,
            ftype: 1,
        };
        assert_eq!(h.expected_tensors(), 167);
        assert!(!h.is_multilingual());
    }
}
