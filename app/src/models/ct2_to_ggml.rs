//! Converts a CTranslate2 (faster-whisper) whisper model folder to a GGML whisper file, the
//! format whisper.cpp loads. Tensor names and layout follow whisper.cpp's own converter.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use shared_ipc::model_file::{GGML_MAGIC, WhisperHparams};
use thiserror::Error;

use super::{gpt2_bytes, mel};
use ct2_reader::{Ct2Error, Ct2Model, Variable};

#[derive(Debug, Error)]
pub enum ConvertError {
    #[error(transparent)]
    Ct2(#[from] Ct2Error),
    #[error("failed to read {path}")]
    Read { path: String, source: std::io::Error },
    #[error("failed to write the converted model: {0}")]
    Write(std::io::Error),
    #[error("not a whisper model: {0}")]
    NotWhisper(String),
}

/// GGML element types used here.
const GGML_F32: i32 = 0;
const GGML_F16: i32 = 1;

/// Reads `dir/model.bin` and `dir/vocabulary.txt` and writes a GGML f16 model to `out`.
pub fn convert(dir: &Path, out: &mut impl Write) -> Result<WhisperHparams, ConvertError> {
    let model_path = dir.join("model.bin");
    let file = File::open(&model_path).map_err(|source| ConvertError::Read {
        path: model_path.display().to_string(),
        source,
    })?;
    let model = Ct2Model::read(BufReader::with_capacity(1 << 20, file))?;
    if model.spec_name != "WhisperSpec" {
        return Err(ConvertError::NotWhisper(format!("the model is a {}", model.spec_name)));
    }
    let vocab_path = dir.join("vocabulary.txt");
    let vocab_text = std::fs::read_to_string(&vocab_path).map_err(|source| ConvertError::Read {
        path: vocab_path.display().to_string(),
        source,
    })?;
    let hparams = hparams_of(&model)?;
    let mut w = BufWriter::with_capacity(1 << 20, out);
    write_header(&mut w, &hparams, &vocab_text).map_err(ConvertError::Write)?;
    for (ggml_name, tensor) in tensor_plan(&model, &hparams)? {
        write_tensor(&mut w, &ggml_name, &tensor).map_err(ConvertError::Write)?;
    }
    w.flush().map_err(ConvertError::Write)?;
    Ok(hparams)
}

fn count_layers(model: &Ct2Model, prefix: &str) -> i32 {
    (0..)
        .take_while(|i| {
            model
                .variables
                .contains_key(&format!("{prefix}/layer_{i}/ffn/linear_0/weight"))
        })
        .count() as i32
}

fn hparams_of(model: &Ct2Model) -> Result<WhisperHparams, ConvertError> {
    let dims = |name: &str| model.get(name).map(|v| v.dims.clone());
    let int = |name: &str| -> Result<i32, ConvertError> {
        model
            .get(name)?
            .as_int()
            .map(|v| v as i32)
            .ok_or_else(|| ConvertError::NotWhisper(format!("{name} is not an integer")))
    };
    let embed = dims("decoder/embeddings/weight")?;
    let enc_pos = dims("encoder/position_encodings/encodings")?;
    let dec_pos = dims("decoder/position_encodings/encodings")?;
    let conv1 = dims("encoder/conv1/weight")?;
    if embed.len() != 2 || enc_pos.len() != 2 || dec_pos.len() != 2 || conv1.len() != 3 {
        return Err(ConvertError::NotWhisper("unexpected tensor ranks".into()));
    }
    Ok(WhisperHparams {
        n_vocab: embed[0] as i32,
        n_audio_ctx: enc_pos[0] as i32,
        n_audio_state: enc_pos[1] as i32,
        n_audio_head: int("encoder/num_heads")?,
        n_audio_layer: count_layers(model, "encoder"),
        n_text_ctx: dec_pos[0] as i32,
        n_text_state: dec_pos[1] as i32,
        n_text_head: int("decoder/num_heads")?,
        n_text_layer: count_layers(model, "decoder"),
        n_mels: conv1[1] as i32,
        ftype: GGML_F16,
    })
}

fn write_header(w: &mut impl Write, h: &WhisperHparams, vocab_text: &str) -> std::io::Result<()> {
    w.write_all(&GGML_MAGIC.to_le_bytes())?;
    for v in [
        h.n_vocab,
        h.n_audio_ctx,
        h.n_audio_state,
        h.n_audio_head,
        h.n_audio_layer,
        h.n_text_ctx,
        h.n_text_state,
        h.n_text_head,
        h.n_text_layer,
        h.n_mels,
        h.ftype,
    ] {
        w.write_all(&v.to_le_bytes())?;
    }
    let filters = mel::filter_bank(h.n_mels as usize);
    w.write_all(&h.n_mels.to_le_bytes())?;
    w.write_all(&((mel::N_FFT / 2 + 1) as i32).to_le_bytes())?;
    for f in filters {
        w.write_all(&f.to_le_bytes())?;
    }
    // whisper.cpp reads the text tokens up to and including <|endoftext|> and names the
    // special tokens after it itself, as with its own converter.
    let table = gpt2_bytes::decoder_table();
    let words: Vec<Vec<u8>> = vocab_text
        .lines()
        .take_while(|line| *line != "<|startoftranscript|>")
        .map(|line| gpt2_bytes::token_bytes(line, &table).unwrap_or_else(|| line.as_bytes().to_vec()))
        .collect();
    w.write_all(&(words.len() as i32).to_le_bytes())?;
    for word in words {
        w.write_all(&(word.len() as i32).to_le_bytes())?;
        w.write_all(&word)?;
    }
    Ok(())
}

/// A tensor ready to write: shape in PyTorch order (outermost first), and f32 values.
struct Tensor {
    dims: Vec<usize>,
    values: Vec<f32>,
    f16: bool,
}

/// A slice of a fused tensor.
struct Part {
    dims: Vec<usize>,
    values: Vec<f32>,
}

/// The GGML tensors in write order, built from the CTranslate2 variables.
struct Plan<'m> {
    model: &'m Ct2Model,
    tensors: Vec<(String, Tensor)>,
}

impl Plan<'_> {
    /// Weight matrices (rank ≥ 2) are f16; vectors, conv biases and positional tables f32,
    /// as whisper.cpp expects.
    fn add(&mut self, name: String, dims: Vec<usize>, values: Vec<f32>) {
        let f16 = dims.len() >= 2
            && !name.ends_with("positional_embedding")
            && !name.ends_with("conv1.bias")
            && !name.ends_with("conv2.bias");
        self.tensors.push((name, Tensor { dims, values, f16 }));
    }

    fn add_part(&mut self, name: String, part: &Part) {
        self.add(name, part.dims.clone(), part.values.clone());
    }

    fn copy(&mut self, src: &str, dst: &str) -> Result<(), ConvertError> {
        let v = self.model.get(src)?;
        let (dims, values) = (v.dims.clone(), v.to_f32()?);
        self.add(dst.to_owned(), dims, values);
        Ok(())
    }

    fn linear(&mut self, src: &str, dst: &str) -> Result<(), ConvertError> {
        self.copy(&format!("{src}/weight"), &format!("{dst}.weight"))?;
        self.copy(&format!("{src}/bias"), &format!("{dst}.bias"))
    }

    fn norm(&mut self, src: &str, dst: &str) -> Result<(), ConvertError> {
        self.copy(&format!("{src}/gamma"), &format!("{dst}.weight"))?;
        self.copy(&format!("{src}/beta"), &format!("{dst}.bias"))
    }

    fn self_attention(&mut self, src: &str, dst: &str) -> Result<(), ConvertError> {
        self.norm(&format!("{src}/self_attention/layer_norm"), &format!("{dst}.attn_ln"))?;
        // q, k and v are fused row-wise; whisper has no key bias (CTranslate2 stores zeros).
        let qkv = split_rows(self.model.get(&format!("{src}/self_attention/linear_0/weight"))?, 3)?;
        let qkv_bias = split_rows(self.model.get(&format!("{src}/self_attention/linear_0/bias"))?, 3)?;
        for (i, part) in ["query", "key", "value"].iter().enumerate() {
            self.add_part(format!("{dst}.attn.{part}.weight"), &qkv[i]);
            if *part != "key" {
                self.add_part(format!("{dst}.attn.{part}.bias"), &qkv_bias[i]);
            }
        }
        self.linear(&format!("{src}/self_attention/linear_1"), &format!("{dst}.attn.out"))
    }

    fn cross_attention(&mut self, src: &str, dst: &str) -> Result<(), ConvertError> {
        self.norm(&format!("{src}/attention/layer_norm"), &format!("{dst}.cross_attn_ln"))?;
        self.linear(&format!("{src}/attention/linear_0"), &format!("{dst}.cross_attn.query"))?;
        // k and v are fused; again no key bias.
        let kv = split_rows(self.model.get(&format!("{src}/attention/linear_1/weight"))?, 2)?;
        let kv_bias = split_rows(self.model.get(&format!("{src}/attention/linear_1/bias"))?, 2)?;
        self.add_part(format!("{dst}.cross_attn.key.weight"), &kv[0]);
        self.add_part(format!("{dst}.cross_attn.value.weight"), &kv[1]);
        self.add_part(format!("{dst}.cross_attn.value.bias"), &kv_bias[1]);
        self.linear(&format!("{src}/attention/linear_2"), &format!("{dst}.cross_attn.out"))
    }

    fn ffn(&mut self, src: &str, dst: &str) -> Result<(), ConvertError> {
        self.norm(&format!("{src}/ffn/layer_norm"), &format!("{dst}.mlp_ln"))?;
        self.linear(&format!("{src}/ffn/linear_0"), &format!("{dst}.mlp.0"))?;
        self.linear(&format!("{src}/ffn/linear_1"), &format!("{dst}.mlp.2"))
    }
}

fn tensor_plan(model: &Ct2Model, h: &WhisperHparams) -> Result<Vec<(String, Tensor)>, ConvertError> {
    let mut plan = Plan {
        model,
        tensors: Vec::new(),
    };
    for conv in ["conv1", "conv2"] {
        plan.copy(&format!("encoder/{conv}/weight"), &format!("encoder.{conv}.weight"))?;
        // whisper.cpp stores conv biases as n × 1.
        let bias = model.get(&format!("encoder/{conv}/bias"))?;
        plan.add(format!("encoder.{conv}.bias"), vec![bias.dims[0], 1], bias.to_f32()?);
    }
    plan.copy("encoder/position_encodings/encodings", "encoder.positional_embedding")?;
    for i in 0..h.n_audio_layer {
        let (src, dst) = (format!("encoder/layer_{i}"), format!("encoder.blocks.{i}"));
        plan.self_attention(&src, &dst)?;
        plan.ffn(&src, &dst)?;
    }
    plan.norm("encoder/layer_norm", "encoder.ln_post")?;

    plan.copy("decoder/position_encodings/encodings", "decoder.positional_embedding")?;
    plan.copy("decoder/embeddings/weight", "decoder.token_embedding.weight")?;
    for i in 0..h.n_text_layer {
        let (src, dst) = (format!("decoder/layer_{i}"), format!("decoder.blocks.{i}"));
        plan.self_attention(&src, &dst)?;
        plan.cross_attention(&src, &dst)?;
        plan.ffn(&src, &dst)?;
    }
    plan.norm("decoder/layer_norm", "decoder.ln")?;
    let expected = h.expected_tensors();
    if plan.tensors.len() != expected {
        return Err(ConvertError::NotWhisper(format!(
            "produced {} tensors, expected {expected}",
            plan.tensors.len()
        )));
    }
    Ok(plan.tensors)
}

/// Splits a tensor into `n` equal parts along its first dimension.
fn split_rows(v: &Variable, n: usize) -> Result<Vec<Part>, ConvertError> {
    let rows = *v
        .dims
        .first()
        .ok_or_else(|| ConvertError::NotWhisper("scalar where a matrix was expected".into()))?;
    if !rows.is_multiple_of(n) {
        return Err(ConvertError::NotWhisper(format!("{rows} rows do not split in {n}")));
    }
    let values = v.to_f32()?;
    let mut dims = v.dims.clone();
    dims[0] = rows / n;
    Ok(values
        .chunks_exact(values.len() / n)
        .map(|c| Part {
            dims: dims.clone(),
            values: c.to_vec(),
        })
        .collect())
}

fn write_tensor(w: &mut impl Write, name: &str, t: &Tensor) -> std::io::Result<()> {
    w.write_all(&(t.dims.len() as i32).to_le_bytes())?;
    w.write_all(&(name.len() as i32).to_le_bytes())?;
    w.write_all(&(if t.f16 { GGML_F16 } else { GGML_F32 }).to_le_bytes())?;
    // GGML lists dimensions innermost first.
    for d in t.dims.iter().rev() {
        w.write_all(&(*d as i32).to_le_bytes())?;
    }
    w.write_all(name.as_bytes())?;
    if t.f16 {
        for v in &t.values {
            w.write_all(&half::f16::from_f32(*v).to_le_bytes())?;
        }
    } else {
        for v in &t.values {
            w.write_all(&v.to_le_bytes())?;
        }
    }
    Ok(())
}
