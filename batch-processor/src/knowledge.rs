//! The knowledge stage: sentence embeddings (and, built on them, summaries, topics, related
//! episodes and the Map of Content).

pub mod embedder;
