//! The knowledge stage: sentence embeddings, and what is built on them — sentences with
//! their times, extractive summaries and key topics.

pub mod embedder;
pub mod sentences;
pub mod stopwords;
pub mod summary;
pub mod topics;
