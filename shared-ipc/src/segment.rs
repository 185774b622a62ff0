//! One transcribed segment: the unit that is committed, reported and written out.

use serde::{Deserialize, Serialize};

/// A transcribed stretch of audio with its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Start, in milliseconds from the start of the file.
    pub start_ms: u64,
    /// End, in milliseconds from the start of the file.
    pub end_ms: u64,
    pub text: String,
    /// Mean token probability in 0..=1: how sure the model was.
    pub confidence: f32,
    /// The segment's words with their times, in order; their texts joined are `text`. Empty
    /// in journals written before words were kept (journal version 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Word>,
}

/// One word of a segment: its text as whisper wrote it (with its leading space, and any
/// punctuation that follows it), when it is said, and how sure the model was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    /// Lowest token probability in the word, 0..=1.
    pub probability: f32,
}

/// A piece cut off a segment must be at least this many words and this long: word times
/// from whisper's timestamp tokens are rough at a segment's edges (a first word often starts
/// early, in the silence before it), and a lone edge word given to the wrong speaker is worse
/// than a segment left whole.
const MIN_RUN_WORDS: usize = 3;
const MIN_RUN_MS: u64 = 1000;

impl Segment {
    /// The segment cut into consecutive runs of words, each taken by `owner` of its words
    /// (`owner(start_ms, end_ms)`): a run for each lasting change of owner (runs shorter than
    /// [`MIN_RUN_WORDS`] words or [`MIN_RUN_MS`] join a neighbour). A segment without words,
    /// or whose words have one owner, stays whole. A run's text is its words' text; its times
    /// are its words' (the first run starts with the segment, the last ends with it).
    pub fn split_by<T: PartialEq + Copy>(&self, mut owner: impl FnMut(u64, u64) -> T) -> Vec<(Segment, T)> {
        if self.words.is_empty() {
            return vec![(self.clone(), owner(self.start_ms, self.end_ms))];
        }
        // Runs of words as (first word, past the last word, owner).
        let mut runs: Vec<(usize, usize, T)> = Vec::new();
        for (i, word) in self.words.iter().enumerate() {
            let who = owner(word.start_ms, word.end_ms);
            match runs.last_mut() {
                Some(run) if run.2 == who => run.1 = i + 1,
                _ => runs.push((i, i + 1, who)),
            }
        }
        let too_short = |run: &(usize, usize, T)| {
            let ms = self.words[run.1 - 1].end_ms.saturating_sub(self.words[run.0].start_ms);
            run.1 - run.0 < MIN_RUN_WORDS || ms < MIN_RUN_MS
        };
        // The shortest run that is too short joins its longer neighbour, until none is.
        while runs.len() > 1 {
            let Some(weakest) = (0..runs.len())
                .filter(|&r| too_short(&runs[r]))
                .min_by_key(|&r| (runs[r].1 - runs[r].0, r))
            else {
                break;
            };
            let size = |r: usize| runs[r].1 - runs[r].0;
            let into = match (
                weakest.checked_sub(1),
                (weakest + 1 < runs.len()).then_some(weakest + 1),
            ) {
                (Some(before), Some(after)) if size(after) > size(before) => after,
                (Some(before), _) => before,
                (None, Some(after)) => after,
                (None, None) => break,
            };
            let (first, last) = (runs[weakest].0.min(runs[into].0), runs[weakest].1.max(runs[into].1));
            runs[into].0 = first;
            runs[into].1 = last;
            runs.remove(weakest);
            // Neighbours that now have one owner are one run.
            let mut joined: Vec<(usize, usize, T)> = Vec::with_capacity(runs.len());
            for run in runs {
                match joined.last_mut() {
                    Some(prev) if prev.2 == run.2 => prev.1 = run.1,
                    _ => joined.push(run),
                }
            }
            runs = joined;
        }
        if let [(_, _, who)] = runs.as_slice() {
            return vec![(self.clone(), *who)];
        }
        let last = runs.len() - 1;
        runs.iter()
            .enumerate()
            .map(|(r, &(first, past, who))| {
                let words = &self.words[first..past];
                let segment = Segment {
                    start_ms: if r == 0 { self.start_ms } else { words[0].start_ms },
                    end_ms: if r == last {
                        self.end_ms.max(words[0].start_ms)
                    } else {
                        words[words.len() - 1].end_ms
                    },
                    text: words.iter().map(|w| w.text.as_str()).collect(),
                    confidence: self.confidence,
                    words: words.to_vec(),
                };
                (segment, who)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(start_ms: u64, end_ms: u64, text: &str) -> Word {
        Word {
            start_ms,
            end_ms,
            text: text.into(),
            probability: 0.9,
        }
    }

    #[test]
    fn a_segment_is_cut_where_its_words_change_owner_for_long_enough() {
        let segment = Segment {
            start_ms: 0,
            end_ms: 6000,
            text: " Thanks, that was great. Hello there, my friend.".into(),
            confidence: 0.8,
            words: vec![
                word(0, 400, " Thanks,"),
                word(400, 700, " that"),
                word(700, 900, " was"),
                word(900, 1400, " great."),
                word(2000, 2400, " Hello"),
                word(2400, 2800, " there,"),
                word(2800, 3200, " my"),
                word(3200, 5900, " friend."),
            ],
        };
        let runs = segment.split_by(|start, _| start >= 1800);
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[0].0.start_ms, runs[0].0.end_ms, runs[0].1), (0, 1400, false));
        assert_eq!(runs[0].0.text, " Thanks, that was great.");
        assert_eq!((runs[1].0.start_ms, runs[1].0.end_ms, runs[1].1), (2000, 6000, true));
        assert_eq!(runs[1].0.text, " Hello there, my friend.");
        assert_eq!(runs[1].0.words.len(), 4);

        // A lone word at the edge (its time rough) does not get a piece of its own.
        let edge = segment.split_by(|start, _| start >= 400);
        assert_eq!(edge, vec![(segment.clone(), true)]);
        let one_owner = segment.split_by(|_, _| 7);
        assert_eq!(one_owner, vec![(segment.clone(), 7)]);
        let no_words = Segment {
            words: Vec::new(),
            ..segment
        };
        assert_eq!(no_words.split_by(|s, _| s), vec![(no_words.clone(), 0)]);
    }
}
