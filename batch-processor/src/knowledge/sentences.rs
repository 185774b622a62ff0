//! Transcript segments → sentences with the time they start and end, for summaries that
//! link back to the moment in the episode. A sentence may span segments; a segment may hold
//! several sentences.

use shared_ipc::Segment;

/// Text without a sentence end is cut here, so a transcript without punctuation still
/// yields sentence-sized pieces.
const MAX_SENTENCE_CHARS: usize = 400;

#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

impl Sentence {
    pub fn words(&self) -> usize {
        self.text.split_whitespace().count()
    }
}

pub fn from_segments(segments: &[Segment]) -> Vec<Sentence> {
    let mut sentences = Vec::new();
    let mut text = String::new();
    let mut start_ms = 0;
    for segment in segments {
        for piece in segment.text.split_inclusive(['.', '?', '!']) {
            for word in piece.split_whitespace() {
                if text.is_empty() {
                    start_ms = segment.start_ms;
                } else {
                    text.push(' ');
                }
                text.push_str(word);
                if text.len() >= MAX_SENTENCE_CHARS {
                    sentences.push(Sentence {
                        text: std::mem::take(&mut text),
                        start_ms,
                        end_ms: segment.end_ms,
                    });
                }
            }
            if piece.trim_end().ends_with(['.', '?', '!']) && !text.is_empty() {
                sentences.push(Sentence {
                    text: std::mem::take(&mut text),
                    start_ms,
                    end_ms: segment.end_ms,
                });
            }
        }
    }
    if let Some(last) = segments.last()
        && !text.is_empty()
    {
        sentences.push(Sentence {
            text,
            start_ms,
            end_ms: last.end_ms,
        });
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start_ms: u64, end_ms: u64, text: &str) -> Segment {
        Segment {
            start_ms,
            end_ms,
            text: text.into(),
            confidence: 1.0,
            words: Vec::new(),
        }
    }

    #[test]
    fn sentences_span_and_split_segments_with_their_times() {
        let segments = [
            seg(0, 2000, " Welcome back. Tonight we talk"),
            seg(2000, 4000, " about the sky! Is Jupiter up?"),
            seg(4000, 6000, " It is"),
        ];
        let sentences = from_segments(&segments);
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Welcome back.",
                "Tonight we talk about the sky!",
                "Is Jupiter up?",
                "It is"
            ]
        );
        assert_eq!((sentences[1].start_ms, sentences[1].end_ms), (0, 4000));
        assert_eq!((sentences[3].start_ms, sentences[3].end_ms), (4000, 6000));
    }

    #[test]
    fn unpunctuated_text_is_cut_into_bounded_pieces() {
        let long = " word".repeat(300);
        let sentences = from_segments(&[seg(0, 1000, &long)]);
        assert!(sentences.iter().all(|s| s.text.len() <= MAX_SENTENCE_CHARS + 10));
        assert_eq!(sentences.iter().map(Sentence::words).sum::<usize>(), 300);
    }
}
