//! Word error rate, after the usual normalisation (case, punctuation, hyphens).

pub fn normalise(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace('-', " ")
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The edits that turn the reference's words into the hypothesis's, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WordErrors {
    /// Words heard as other words.
    pub substitutions: usize,
    /// Words said but missing from the transcript: speech lost.
    pub deletions: usize,
    /// Words in the transcript that were never said.
    pub insertions: usize,
    pub reference_words: usize,
}

impl WordErrors {
    pub fn rate(&self) -> f64 {
        (self.substitutions + self.deletions + self.insertions) as f64 / self.reference_words.max(1) as f64
    }
}

/// The fewest edits between the word sequences, counted by kind (of the alignments with
/// the fewest edits, the one a row-by-row walk meets first).
pub fn word_errors(reference: &str, hypothesis: &str) -> WordErrors {
    let r = normalise(reference);
    let h = normalise(hypothesis);
    // Each cell: (edits, substitutions, deletions, insertions); compared on edits first.
    let mut row: Vec<(usize, usize, usize, usize)> = (0..=h.len()).map(|j| (j, 0, 0, j)).collect();
    for i in 1..=r.len() {
        let mut prev_diag = row[0];
        row[0] = (i, 0, i, 0);
        for j in 1..=h.len() {
            let (d, s, del, ins) = prev_diag;
            let diagonal = if r[i - 1] == h[j - 1] {
                (d, s, del, ins)
            } else {
                (d + 1, s + 1, del, ins)
            };
            let (d, s, del, ins) = row[j];
            let deletion = (d + 1, s, del + 1, ins);
            let (d, s, del, ins) = row[j - 1];
            let insertion = (d + 1, s, del, ins + 1);
            prev_diag = row[j];
            row[j] = diagonal.min(deletion).min(insertion);
        }
    }
    let (_, substitutions, deletions, insertions) = row[h.len()];
    WordErrors {
        substitutions,
        deletions,
        insertions,
        reference_words: r.len(),
    }
}

/// For each reference sentence, the share of its words that a least-edits alignment of the
/// whole texts gives a word of the hypothesis (the same word, or a misheard one): a
/// sentence that was said but lost scores near 0, one heard however badly near 1. The
/// alignment keeps a full table: for test-sized texts (a few thousand words).
pub fn sentences_heard(sentences: &[String], hypothesis: &str) -> Vec<f64> {
    let words: Vec<Vec<String>> = sentences.iter().map(|s| normalise(s)).collect();
    let r: Vec<&String> = words.iter().flatten().collect();
    let h = normalise(hypothesis);
    let width = h.len() + 1;
    let mut cost = vec![0usize; (r.len() + 1) * width];
    for (j, cell) in cost[..width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=r.len() {
        cost[i * width] = i;
        for j in 1..=h.len() {
            let diagonal = cost[(i - 1) * width + j - 1] + usize::from(*r[i - 1] != h[j - 1]);
            let deletion = cost[(i - 1) * width + j] + 1;
            let insertion = cost[i * width + j - 1] + 1;
            cost[i * width + j] = diagonal.min(deletion).min(insertion);
        }
    }
    // Walk back from the end, marking the reference words given a hypothesis word.
    let mut heard = vec![false; r.len()];
    let (mut i, mut j) = (r.len(), h.len());
    while i > 0 && j > 0 {
        let here = cost[i * width + j];
        if here == cost[(i - 1) * width + j - 1] + usize::from(*r[i - 1] != h[j - 1]) {
            heard[i - 1] = true;
            (i, j) = (i - 1, j - 1);
        } else if here == cost[(i - 1) * width + j] + 1 {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    let mut at = 0;
    words
        .iter()
        .map(|sentence| {
            let share = heard[at..at + sentence.len()].iter().filter(|&&h| h).count();
            at += sentence.len();
            share as f64 / sentence.len().max(1) as f64
        })
        .collect()
}

/// Edit distance between the word sequences, divided by the reference length.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f64 {
    word_errors(reference, hypothesis).rate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_edits() {
        assert_eq!(word_error_rate("the cat sat", "The cat, sat."), 0.0);
        assert!((word_error_rate("the cat sat on", "the bat sat") - 0.5).abs() < 1e-9);
    }

    #[test]
    fn a_lost_sentence_scores_nothing_a_misheard_one_all() {
        let sentences = [
            "The cat sat on the mat.",
            "Then it slept all day.",
            "The dog barked at noon.",
        ]
        .map(String::from);
        let heard = sentences_heard(&sentences, "The cat sat on a mat. The dog parked at moon.");
        assert_eq!(heard, vec![1.0, 0.0, 1.0]);
    }

    #[test]
    fn tells_lost_words_from_wrong_and_invented_ones() {
        let errors = word_errors("the cat sat on the mat", "a cat sat on the mat today");
        assert_eq!((errors.substitutions, errors.deletions, errors.insertions), (1, 0, 1));
        let errors = word_errors("the cat sat on the mat", "the cat mat");
        assert_eq!((errors.substitutions, errors.deletions, errors.insertions), (0, 3, 0));
        assert_eq!(errors.reference_words, 6);
    }
}
