//! Sentence-transformers model folders (all-MiniLM-L6-v2 class): checked before they are
//! imported, without loading the weights — a BERT config, mean pooling, a tokenizer, and a
//! safetensors file whose header lists the BERT tensors inside the file's bounds.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// The files a sentence-transformers folder brings that the worker reads; the first three
/// are required.
pub const REQUIRED_FILES: &[&str] = &["config.json", "tokenizer.json", "model.safetensors"];
pub const OPTIONAL_FILES: &[&str] = &[
    "sentence_bert_config.json",
    "modules.json",
    "1_Pooling/config.json",
    "config_sentence_transformers.json",
];

/// The largest safetensors header we read (the MiniLM one is ~10 KB).
const MAX_HEADER_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentenceModelSummary {
    pub dimension: usize,
    pub layers: usize,
    pub tensors: usize,
}

#[derive(Debug, Error)]
pub enum SentenceModelError {
    #[error("{folder} has no {file}")]
    Missing { folder: PathBuf, file: &'static str },
    #[error("failed to read {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

#[derive(Deserialize)]
struct BertConfig {
    model_type: Option<String>,
    hidden_size: usize,
    num_hidden_layers: usize,
    vocab_size: usize,
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
}

#[derive(Deserialize)]
struct TensorInfo {
    shape: Vec<usize>,
    data_offsets: [u64; 2],
}

/// True when `folder` looks like a sentence-transformers model (as opposed to, say, a
/// CTranslate2 whisper folder).
pub fn looks_like_one(folder: &Path) -> bool {
    folder.join("config.json").is_file() && folder.join("model.safetensors").is_file()
}

pub fn validate(folder: &Path) -> Result<SentenceModelSummary, SentenceModelError> {
    for file in REQUIRED_FILES {
        if !folder.join(file).is_file() {
            return Err(SentenceModelError::Missing {
                folder: folder.to_owned(),
                file,
            });
        }
    }
    let config_path = folder.join("config.json");
    let config: BertConfig = parse_json(&config_path)?;
    if config.model_type.as_deref().is_some_and(|t| t != "bert") {
        return Err(invalid(
            &config_path,
            "not a BERT model (only BERT sentence models are supported)",
        ));
    }
    let pooling_path = folder.join("1_Pooling/config.json");
    if pooling_path.is_file() && !parse_json::<PoolingConfig>(&pooling_path)?.pooling_mode_mean_tokens {
        return Err(invalid(&pooling_path, "only mean pooling is supported"));
    }
    let tokenizer_path = folder.join("tokenizer.json");
    let _: serde_json::Value = parse_json(&tokenizer_path)?;
    let tensors = check_safetensors(&folder.join("model.safetensors"), &config)?;
    Ok(SentenceModelSummary {
        dimension: config.hidden_size,
        layers: config.num_hidden_layers,
        tensors,
    })
}

/// Reads the safetensors header: every tensor inside the file, the word embeddings shaped
/// `vocab × hidden`, one attention block per layer.
fn check_safetensors(path: &Path, config: &BertConfig) -> Result<usize, SentenceModelError> {
    let read_err = |source| SentenceModelError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(read_err)?;
    let file_len = file.metadata().map_err(read_err)?.len();
    let mut len_bytes = [0u8; 8];
    file.read_exact(&mut len_bytes)
        .map_err(|_| invalid(path, "too short for a safetensors header"))?;
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > MAX_HEADER_BYTES || 8 + header_len > file_len {
        return Err(invalid(
            path,
            "header length is out of bounds (not a safetensors file?)",
        ));
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header).map_err(read_err)?;
    let entries: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).map_err(|e| invalid(path, &format!("header is not JSON: {e}")))?;
    let data_len = file_len - 8 - header_len;
    let mut tensors = 0;
    let mut word_embeddings = None;
    let mut attention_layers = 0;
    for (name, value) in &entries {
        if name == "__metadata__" {
            continue;
        }
        let info: TensorInfo =
            serde_json::from_value(value.clone()).map_err(|e| invalid(path, &format!("tensor {name}: {e}")))?;
        let [start, end] = info.data_offsets;
        if start > end || end > data_len {
            return Err(invalid(
                path,
                &format!("tensor {name} lies outside the file (truncated?)"),
            ));
        }
        tensors += 1;
        let plain = name.strip_prefix("bert.").unwrap_or(name);
        if plain == "embeddings.word_embeddings.weight" {
            word_embeddings = Some(info.shape);
        } else if plain.ends_with("attention.self.query.weight") {
            attention_layers += 1;
        }
    }
    match word_embeddings {
        Some(shape) if shape == [config.vocab_size, config.hidden_size] => {}
        Some(shape) => {
            return Err(invalid(
                path,
                &format!(
                    "word embeddings are {shape:?}, the config says [{}, {}]",
                    config.vocab_size, config.hidden_size
                ),
            ));
        }
        None => return Err(invalid(path, "no word embeddings (not a BERT model?)")),
    }
    if attention_layers != config.num_hidden_layers {
        return Err(invalid(
            path,
            &format!(
                "{attention_layers} attention layers, the config says {}",
                config.num_hidden_layers
            ),
        ));
    }
    Ok(tensors)
}

fn parse_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SentenceModelError> {
    let bytes = std::fs::read(path).map_err(|source| SentenceModelError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| invalid(path, &e.to_string()))
}

fn invalid(path: &Path, reason: &str) -> SentenceModelError {
    SentenceModelError::Invalid {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}
