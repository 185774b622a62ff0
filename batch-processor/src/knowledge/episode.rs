//! One episode's knowledge from its transcript: sentences with their times, an extractive
//! summary, key topics with their embeddings, and the centroid that places the episode
//! among the others. Memory is linear in the transcript: one 384-float vector per sentence
//! (a 4-hour episode is about 3,000 sentences, ~5 MB), and no pairwise matrices.

use shared_ipc::Segment;

use super::embedder::{Embedder, EmbedderError};
use super::sentences::{self, Sentence};
use super::{summary, topics};

#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeKnowledge {
    pub sentences: Vec<Sentence>,
    /// Indices into `sentences`, in time order.
    pub summary: Vec<usize>,
    /// Most relevant first.
    pub topics: Vec<String>,
    /// `topic_vectors[i]` embeds `topics[i]`; the Map of Content groups topics by them.
    pub topic_vectors: Vec<Vec<f32>>,
    /// Unit-length mean of the sentence embeddings; empty for an episode with no speech.
    pub centroid: Vec<f32>,
}

/// Summarises an episode of `duration_ms` whose transcript is `segments`.
pub fn analyse(embedder: &Embedder, segments: &[Segment], duration_ms: u64) -> Result<EpisodeKnowledge, EmbedderError> {
    let sentences = sentences::from_segments(segments);
    if sentences.is_empty() {
        return Ok(EpisodeKnowledge {
            sentences,
            summary: Vec::new(),
            topics: Vec::new(),
            topic_vectors: Vec::new(),
            centroid: Vec::new(),
        });
    }
    let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
    let vectors = embedder.embed(&texts)?;
    let words: Vec<usize> = sentences.iter().map(Sentence::words).collect();
    let picked = summary::select(&vectors, &words, summary::budget(sentences.len(), duration_ms));
    let centroid = summary::centroid(&vectors);
    drop(vectors);
    let topics = topics::key_topics(
        embedder,
        &texts.join(" "),
        &centroid,
        topics::topic_count(sentences.len()),
    )?;
    let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let topic_vectors = embedder.embed(&refs)?;
    Ok(EpisodeKnowledge {
        summary: picked,
        topics,
        topic_vectors,
        centroid,
        sentences,
    })
}
