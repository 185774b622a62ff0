//! Key topics of an episode: candidate keyphrases from its words (1–3-word phrases that do
//! not start or end with a common word, with only "of"/"and" inside), ranked by how close
//! their embedding is to the episode's centroid plus a little for how often they are said,
//! picked with a diversity penalty so they do not all say one thing.

use std::collections::HashMap;

use super::embedder::{Embedder, EmbedderError, cosine};
use super::stopwords::is_stopword;

/// Candidates embedded per episode: the most frequent ones.
const MAX_CANDIDATES: usize = 200;
/// Weight of closeness to the episode against redundancy.
const LAMBDA: f32 = 0.6;
/// Bonus per doubling of how often a phrase is said.
const FREQUENCY_WEIGHT: f32 = 0.04;
/// The only common words allowed inside a phrase ("loaf of bread", "salt and yeast").
const JOINERS: &[&str] = &["of", "and"];

/// A candidate phrase and how often the episode says it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub phrase: String,
    pub count: usize,
}

/// Candidate phrases, most frequent first (longer first among equals).
pub fn candidates(text: &str) -> Vec<Candidate> {
    let lower = text.to_lowercase();
    let sentences = lower.split(['.', '?', '!', ',', ';', ':', '\n']);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for sentence in sentences {
        let words: Vec<&str> = sentence
            .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
            .map(|w| w.trim_matches(['\'', '-']))
            .filter(|w| !w.is_empty())
            .collect();
        for n in 1..=3 {
            for gram in words.windows(n) {
                let (first, last) = (gram[0], gram[n - 1]);
                let plain = |w: &str| !is_stopword(w) && w.chars().any(char::is_alphabetic) && w.len() >= 3;
                let inside_ok = gram[1..n.max(2) - 1]
                    .iter()
                    .all(|w| JOINERS.contains(w) || !is_stopword(w));
                if plain(first) && plain(last) && inside_ok && !gram.iter().any(|w| w.contains('\'')) {
                    *counts.entry(gram.join(" ")).or_default() += 1;
                }
            }
        }
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| b.0.split(' ').count().cmp(&a.0.split(' ').count()))
            .then_with(|| a.0.cmp(&b.0))
    });
    ranked
        .into_iter()
        .take(MAX_CANDIDATES)
        .map(|(phrase, count)| Candidate { phrase, count })
        .collect()
}

/// Picks `k` candidates (indices) by closeness to `centroid` and frequency, with a
/// diversity penalty; a phrase sharing a word with one already picked is skipped.
pub fn pick(candidates: &[Candidate], vectors: &[Vec<f32>], centroid: &[f32], k: usize) -> Vec<usize> {
    let relevance: Vec<f32> = vectors
        .iter()
        .zip(candidates)
        .map(|(v, c)| cosine(v, centroid) + FREQUENCY_WEIGHT * (c.count as f32).log2())
        .collect();
    let phrases: Vec<&str> = candidates.iter().map(|c| c.phrase.as_str()).collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut closest = vec![0.0f32; phrases.len()];
    while chosen.len() < k {
        let best = (0..phrases.len())
            .filter(|i| !chosen.contains(i))
            .filter(|&i| !chosen.iter().any(|&c| overlaps(phrases[i], phrases[c])))
            .map(|i| (i, LAMBDA * relevance[i] - (1.0 - LAMBDA) * closest[i]))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((pick, _)) = best else { break };
        chosen.push(pick);
        for (i, v) in vectors.iter().enumerate() {
            closest[i] = closest[i].max(cosine(v, &vectors[pick]));
        }
    }
    chosen
}

/// True when two phrases share a word other than a joiner ("telescope", "small telescope").
fn overlaps(a: &str, b: &str) -> bool {
    a.split(' ')
        .filter(|w| !JOINERS.contains(w))
        .any(|w| b.split(' ').any(|x| x == w))
}

/// How many topics an episode gets: five, one more per 40 sentences, at most ten.
pub fn topic_count(sentences: usize) -> usize {
    (5 + sentences / 40).min(10)
}

/// The episode's key topics, most relevant first.
pub fn key_topics(embedder: &Embedder, text: &str, centroid: &[f32], k: usize) -> Result<Vec<String>, EmbedderError> {
    let found = candidates(text);
    let refs: Vec<&str> = found.iter().map(|c| c.phrase.as_str()).collect();
    let vectors = embedder.embed(&refs)?;
    Ok(pick(&found, &vectors, centroid, k)
        .into_iter()
        .map(|i| found[i].phrase.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_skip_common_words_at_the_edges() {
        let found =
            candidates("The telescope shows the rings of Saturn. A small telescope is enough! Pick the tomatoes.");
        let phrases: Vec<&str> = found.iter().map(|c| c.phrase.as_str()).collect();
        assert_eq!(
            found[0].phrase, "telescope",
            "the most frequent comes first: {phrases:?}"
        );
        assert_eq!(found[0].count, 2);
        assert!(phrases.contains(&"small telescope"));
        assert!(phrases.contains(&"rings of saturn"));
        assert!(phrases.contains(&"tomatoes") && !phrases.contains(&"pick the tomatoes"));
        assert!(!phrases.iter().any(|p| p.starts_with("the ") || p.ends_with(" of")));
    }

    #[test]
    fn picks_are_diverse_and_never_nest() {
        let found: Vec<Candidate> = ["telescope", "small telescope", "planet", "flour"]
            .map(|p| Candidate {
                phrase: p.to_owned(),
                count: 1,
            })
            .to_vec();
        let vectors = vec![vec![1.0, 0.0], vec![1.0, 0.0], vec![0.8, 0.6], vec![0.0, 1.0]];
        let picked = pick(&found, &vectors, &[0.9, 0.436], 2);
        assert_eq!(picked.len(), 2);
        assert!(!(picked.contains(&0) && picked.contains(&1)), "{picked:?}");
    }
}
