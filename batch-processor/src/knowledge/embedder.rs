//! Sentence embeddings with a sentence-transformers BERT model (all-MiniLM-L6-v2 class):
//! tokenizer.json + config.json + model.safetensors, run by candle on the CPU. Like
//! sentence-transformers: inputs cut to the model's `max_seq_length`, mean pooling over
//! the real tokens, then unit length.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use serde::Deserialize;
use thiserror::Error;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::work_progress::WorkProgress;

/// Texts run through the model together. Larger batches pad more and gain little on 2 cores.
const BATCH: usize = 32;
/// sentence-transformers' own default when the folder does not say.
const DEFAULT_MAX_TOKENS: usize = 256;

#[derive(Debug, Error)]
pub enum EmbedderError {
    #[error("failed to read {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a usable model description: {reason}")]
    Config { path: PathBuf, reason: String },
    #[error("failed to load the tokenizer {path}: {reason}")]
    Tokenizer { path: PathBuf, reason: String },
    #[error("failed to tokenize: {0}")]
    Tokenize(String),
    #[error("the embedding model failed")]
    Model(#[from] candle_core::Error),
    /// The interrupt flag was raised (pause or stop); nothing of the call is kept.
    #[error("interrupted")]
    Interrupted,
}

/// `sentence_bert_config.json`.
#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    dimension: usize,
    device: Device,
    /// Checked between batches, so a pause or stop waits for one batch at most.
    interrupt: Option<Arc<AtomicBool>>,
    /// Ticked after each batch.
    progress: Option<WorkProgress>,
}

impl Embedder {
    /// Loads a sentence-transformers folder.
    pub fn load(folder: &Path) -> Result<Self, EmbedderError> {
        let config_path = folder.join("config.json");
        let config: Config = serde_json::from_slice(&read(&config_path)?).map_err(|e| EmbedderError::Config {
            path: config_path.clone(),
            reason: e.to_string(),
        })?;
        let st_path = folder.join("sentence_bert_config.json");
        let max_tokens = match std::fs::read(&st_path) {
            Ok(bytes) => serde_json::from_slice::<SentenceBertConfig>(&bytes)
                .map_err(|e| EmbedderError::Config {
                    path: st_path.clone(),
                    reason: e.to_string(),
                })?
                .max_seq_length
                .unwrap_or(DEFAULT_MAX_TOKENS),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DEFAULT_MAX_TOKENS,
            Err(source) => return Err(EmbedderError::Read { path: st_path, source }),
        }
        .min(config.max_position_embeddings);

        let tokenizer_path = folder.join("tokenizer.json");
        let tokenizer_error = |reason: String| EmbedderError::Tokenizer {
            path: tokenizer_path.clone(),
            reason,
        };
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path).map_err(|e| tokenizer_error(e.to_string()))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| tokenizer_error(e.to_string()))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_id: config.pad_token_id as u32,
            ..PaddingParams::default()
        }));

        let device = Device::Cpu;
        let weights = read(&folder.join("model.safetensors"))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)?;
        let model = BertModel::load(vb, &config)?;
        Ok(Self {
            model,
            tokenizer,
            dimension: config.hidden_size,
            device,
            interrupt: None,
            progress: None,
        })
    }

    /// When `flag` is raised, [`Embedder::embed`] gives up between batches with
    /// [`EmbedderError::Interrupted`].
    pub fn with_interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }

    /// Ticks `progress` after every batch, so liveness follows the embedding work.
    pub fn with_progress(mut self, progress: WorkProgress) -> Self {
        self.progress = Some(progress);
        self
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// One unit-length vector per text, in order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedderError> {
        // Similar lengths batch together, so little of each batch is padding.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut vectors = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            if self.interrupt.as_ref().is_some_and(|f| f.load(Ordering::Relaxed)) {
                return Err(EmbedderError::Interrupted);
            }
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            for (&i, vector) in chunk.iter().zip(self.embed_batch(&batch)?) {
                vectors[i] = vector;
            }
            if let Some(progress) = &self.progress {
                progress.tick();
            }
        }
        Ok(vectors)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedderError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedderError::Tokenize(e.to_string()))?;
        let rows = encodings.len();
        let width = encodings.first().map(|e| e.get_ids().len()).unwrap_or(0);
        let ids: Vec<u32> = encodings.iter().flat_map(|e| e.get_ids().to_vec()).collect();
        let mask: Vec<u32> = encodings.iter().flat_map(|e| e.get_attention_mask().to_vec()).collect();
        let ids = Tensor::from_vec(ids, (rows, width), &self.device)?;
        let mask = Tensor::from_vec(mask, (rows, width), &self.device)?;
        let token_types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &token_types, Some(&mask))?;

        // Mean over the real tokens only: padding is masked out of sum and count.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
        Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, EmbedderError> {
    std::fs::read(path).map_err(|source| EmbedderError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Cosine similarity of two unit-length vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
