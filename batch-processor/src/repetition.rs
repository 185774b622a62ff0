//! Guards against whisper's repetition loops ("thank you thank you thank you …"): a phrase
//! repeated many times in a row inside a segment is collapsed, and a segment that repeats the
//! previous one word for word is dropped. Windows never carry text context, so a loop cannot
//! spread from one window to the next.

use shared_ipc::Segment;

/// A phrase may appear this many times in a row before the rest counts as a loop.
const MAX_REPEATS: usize = 3;
const MAX_PHRASE_WORDS: usize = 8;
/// Short segments ("Yes.", "Okay.") legitimately repeat.
const MIN_WORDS_FOR_DUPLICATE: usize = 4;

/// Filters a window's segments, given the last committed segment before them.
pub fn guard(segments: Vec<Segment>, previous: Option<&Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::with_capacity(segments.len());
    let mut last_text = previous.map(|s| normalise(&s.text));
    for mut segment in segments {
        let collapsed = collapse_loops(&segment.text);
        if collapsed != segment.text {
            keep_words_of(&mut segment, &collapsed);
            segment.text = collapsed;
        }
        let norm = normalise(&segment.text);
        if norm.is_empty() {
            continue;
        }
        let words = norm.split(' ').count();
        if words >= MIN_WORDS_FOR_DUPLICATE && last_text.as_deref() == Some(norm.as_str()) {
            continue;
        }
        last_text = Some(norm);
        out.push(segment);
    }
    out
}

/// A segment's words once its text is cut to `kept` (a prefix, word for word): the words
/// that are left, or none where the words do not line up with the text's.
fn keep_words_of(segment: &mut Segment, kept: &str) {
    let spoken = segment.text.split_whitespace().count();
    let in_words: usize = segment.words.iter().map(|w| w.text.split_whitespace().count()).sum();
    let wanted = kept.split_whitespace().count();
    if spoken != in_words || segment.words.iter().any(|w| w.text.split_whitespace().count() != 1) {
        segment.words.clear();
    } else {
        segment.words.truncate(wanted);
    }
}

fn normalise(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Collapses a phrase of up to 8 words repeated more than 3 times in a row to 3 times.
pub fn collapse_loops(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let keys: Vec<String> = words
        .iter()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .collect();
    let mut keep = vec![true; words.len()];
    for n in 1..=MAX_PHRASE_WORDS {
        let mut i = 0;
        while i + n <= words.len() {
            let mut reps = 1;
            while i + (reps + 1) * n <= words.len() && keys[i + reps * n..i + (reps + 1) * n] == keys[i..i + n] {
                reps += 1;
            }
            if reps > MAX_REPEATS {
                keep[i + MAX_REPEATS * n..i + reps * n]
                    .iter_mut()
                    .for_each(|k| *k = false);
                i += reps * n;
            } else {
                i += 1;
            }
        }
    }
    if keep.iter().all(|&k| k) {
        return text.to_owned();
    }
    let kept: Vec<&str> = words.iter().zip(&keep).filter(|(_, k)| **k).map(|(w, _)| *w).collect();
    // Keep the leading space whisper puts before segment text.
    let lead = if text.starts_with(' ') { " " } else { "" };
    format!("{lead}{}", kept.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str) -> Segment {
        Segment {
            start_ms: 0,
            end_ms: 1000,
            text: text.into(),
            confidence: 0.9,
            words: Vec::new(),
        }
    }

    #[test]
    fn loops_are_collapsed() {
        let text = " thank you thank you thank you thank you thank you thank you";
        assert_eq!(collapse_loops(text), " thank you thank you thank you");
        assert_eq!(collapse_loops(" a normal sentence here"), " a normal sentence here");
    }

    #[test]
    fn verbatim_repeats_of_long_segments_are_dropped_short_ones_kept() {
        let prev = seg(" The cat sat on the mat.");
        let out = guard(
            vec![
                seg(" the cat sat on the mat"),
                seg(" Yes."),
                seg(" Yes."),
                seg(" New words now."),
            ],
            Some(&prev),
        );
        let texts: Vec<_> = out.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, vec![" Yes.", " Yes.", " New words now."]);
    }
}
