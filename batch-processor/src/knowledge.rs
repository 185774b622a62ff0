//! The knowledge stage: sentence embeddings, and what is built on them — sentences with
//! their times, extractive summaries, key topics, related episodes, themes, and the notes
//! and Map of Content that link them.

pub mod batch_links;
pub mod embedder;
pub mod episode;
pub mod links;
pub mod map_of_content;
pub mod note;
pub mod people;
pub mod related;
pub mod sentences;
pub mod stopwords;
pub mod summary;
pub mod themes;
pub mod topics;
