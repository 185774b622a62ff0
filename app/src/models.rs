//! Model management: the models folder, imports (GGML files, CTranslate2 folders,
//! sentence-transformers folders) and downloads from the whisper.cpp model host.

pub mod catalog;
pub mod ct2_to_ggml;
pub mod download;
pub mod gpt2_bytes;
pub mod mel;
pub mod sentence_model;
pub mod speaker_model;
pub mod store;
