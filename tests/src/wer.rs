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
    fn tells_lost_words_from_wrong_and_invented_ones() {
        let errors = word_errors("the cat sat on the mat", "a cat sat on the mat today");
        assert_eq!((errors.substitutions, errors.deletions, errors.insertions), (1, 0, 1));
        let errors = word_errors("the cat sat on the mat", "the cat mat");
        assert_eq!((errors.substitutions, errors.deletions, errors.insertions), (0, 3, 0));
        assert_eq!(errors.reference_words, 6);
    }
}
