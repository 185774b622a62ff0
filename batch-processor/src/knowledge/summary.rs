//! Extractive summaries: the episode's most central sentences, kept diverse.
//!
//! Centrality of a sentence = cosine similarity of its embedding to the episode's centroid
//! (the normalised mean of all sentence embeddings): how well it stands for the whole
//! episode. Linear in the number of sentences, so 4-hour transcripts cost no more per
//! sentence than short ones (a pairwise ranking would be quadratic). Selection is maximal
//! marginal relevance: each pick maximises `λ·centrality − (1−λ)·(similarity to the closest
//! sentence already picked)`, so the summary does not repeat itself. The picks are then put
//! back in the order they were said.

use super::embedder::cosine;

/// Weight of centrality against redundancy.
const LAMBDA: f32 = 0.7;
/// A sentence this close to one already picked says the same thing: never picked.
const SAME_THING: f32 = 0.9;
/// Sentences this short rarely summarise anything ("Thank you.", "Right.").
const MIN_WORDS: usize = 5;

/// Unit-length mean of unit vectors.
pub fn centroid(vectors: &[Vec<f32>]) -> Vec<f32> {
    let dimension = vectors.first().map(Vec::len).unwrap_or(0);
    let mut sum = vec![0.0f32; dimension];
    for v in vectors {
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    sum.iter().map(|x| x / norm).collect()
}

/// Each sentence's centrality (see the module comment).
pub fn centrality(vectors: &[Vec<f32>]) -> Vec<f32> {
    let center = centroid(vectors);
    vectors.iter().map(|v| cosine(v, &center)).collect()
}

/// How many sentences a summary of an episode gets: three, plus one per five minutes,
/// at most twelve, and never more than a third of the episode's sentences.
pub fn budget(sentences: usize, duration_ms: u64) -> usize {
    let by_length = 3 + (duration_ms / 300_000) as usize;
    by_length.min(12).min(sentences.div_ceil(3)).max(1.min(sentences))
}

/// Picks up to `budget` sentences (indices in time order). `words[i]` is sentence i's length.
pub fn select(vectors: &[Vec<f32>], words: &[usize], budget: usize) -> Vec<usize> {
    let central = centrality(vectors);
    let mut candidates: Vec<usize> = (0..vectors.len()).filter(|&i| words[i] >= MIN_WORDS).collect();
    if candidates.len() < budget {
        candidates = (0..vectors.len()).collect();
    }
    let mut chosen: Vec<usize> = Vec::with_capacity(budget);
    // Similarity of each candidate to its closest chosen sentence, updated per pick.
    let mut closest = vec![0.0f32; vectors.len()];
    while chosen.len() < budget {
        let best = candidates
            .iter()
            .copied()
            .filter(|i| !chosen.contains(i) && closest[*i] < SAME_THING)
            .map(|i| {
                let redundancy = if chosen.is_empty() { 0.0 } else { closest[i] };
                (i, LAMBDA * central[i] - (1.0 - LAMBDA) * redundancy)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((pick, _)) = best else { break };
        chosen.push(pick);
        for &i in &candidates {
            closest[i] = closest[i].max(cosine(&vectors[i], &vectors[pick]));
        }
    }
    chosen.sort_unstable();
    chosen
}

/// Mean centrality of a set of sentences: how well, on average, they stand for the episode.
pub fn mean_centrality(vectors: &[Vec<f32>], picked: &[usize]) -> f32 {
    let central = centrality(vectors);
    picked.iter().map(|&i| central[i]).sum::<f32>() / picked.len().max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn picks_central_sentences_and_skips_repeats() {
        // Mostly about axis 0; sentence 1 repeats 0; 2 and 4 are on topic from two sides;
        // 3 is off topic.
        let vectors = vec![
            unit(&[1.0, 0.1, 0.0]),
            unit(&[1.0, 0.1, 0.0]),
            unit(&[0.7, 0.0, 0.7]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.7, 0.0, -0.7]),
        ];
        let words = vec![10; 5];
        let picked = select(&vectors, &words, 2);
        assert_eq!(picked.len(), 2);
        assert!(
            !(picked.contains(&0) && picked.contains(&1)),
            "a repeat was picked: {picked:?}"
        );
        assert!(!picked.contains(&3), "the off-topic sentence was picked: {picked:?}");
        assert!(picked.windows(2).all(|w| w[0] < w[1]), "picks are in time order");
    }

    #[test]
    fn budgets_grow_with_length_within_bounds() {
        assert_eq!(budget(0, 0), 0);
        assert_eq!(budget(2, 60_000), 1);
        assert_eq!(budget(100, 60_000), 3);
        assert_eq!(budget(300, 30 * 60_000), 9);
        assert_eq!(budget(10_000, 4 * 3_600_000), 12);
    }
}
