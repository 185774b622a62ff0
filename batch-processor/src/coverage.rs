//! Finds the speech in a window that its transcript does not account for: a second or more
//! of sound that no segment's time span covers, or a segment whose span holds far more
//! sound than its words could take to say (whisper jumped ahead in the audio and gave the
//! segment the time of the words it skipped). Pure arithmetic on the window's samples and
//! segments; `coverage_guard` transcribes what is found again.

use std::ops::Range;

use castmill_audio::SAMPLE_RATE;
use castmill_audio::speech::speech_intervals;
use shared_ipc::Segment;

const SECOND: usize = SAMPLE_RATE as usize;
/// Uncovered sound shorter than this is a word's tail or a breath, not lost speech.
const LEAST_UNCOVERED: usize = SECOND;
/// whisper's timestamps are coarse (20 ms steps, often a few tenths early or late) and the
/// energy frames smear by 50 ms, so a segment is taken to cover this much either side.
const TIMESTAMP_SLACK: usize = 3 * SECOND / 10;
/// The window's pace (sound per word), taken to lie between these: speech runs at about
/// 0.25–0.6 s of sound a word, a slow, deliberate reading up to 0.8 s.
const PACE: Range<usize> = SECOND / 4..8 * SECOND / 10;
/// A segment holds words it does not have when its sound is more than this many times its
/// words at the window's pace …
const SLOWER_THAN_PACE: f64 = 1.4;
/// … plus this. Tight enough to find a short sentence skipped and its time given to the
/// next one (8 words in 3 s); a slower segment costs one retry that hears nothing more.
const SOUND_PER_SEGMENT: usize = SECOND;

/// Why a stretch counts as uncovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// No segment's span reaches it.
    NoSegment,
    /// Inside the span of the segment at this index, which has too few words for its sound.
    TooFewWords(usize),
}

/// A stretch of the window whose speech the transcript does not account for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncovered {
    /// Samples from the window's start.
    pub range: Range<usize>,
    pub gap: Gap,
}

/// The uncovered stretches of the first `covered` samples of a window starting at
/// `window_start_ms` in the file, given the segments whisper made of it (absolute times,
/// in order), in order.
pub fn find(samples: &[f32], covered: usize, window_start_ms: u64, segments: &[Segment]) -> Vec<Uncovered> {
    let speech = speech_intervals(&samples[..covered.min(samples.len())]);
    let spans: Vec<Range<usize>> = segments.iter().map(|s| span(s, window_start_ms)).collect();
    let sounds: Vec<usize> = spans.iter().map(|span| overlap(&speech, span)).collect();
    let pace = pace(segments, &sounds);
    let mut found = Vec::new();
    for (index, ((segment, span), &sound)) in segments.iter().zip(&spans).zip(&sounds).enumerate() {
        let most = SOUND_PER_SEGMENT as f64 + SLOWER_THAN_PACE * (words(&segment.text) * pace) as f64;
        if sound as f64 > most {
            found.push(Uncovered {
                range: span.clone(),
                gap: Gap::TooFewWords(index),
            });
        }
    }
    for interval in &speech {
        let mut rest = vec![interval.clone()];
        for span in &spans {
            let reach = span.start.saturating_sub(TIMESTAMP_SLACK)..span.end + TIMESTAMP_SLACK;
            rest = rest.into_iter().flat_map(|piece| subtract(piece, &reach)).collect();
        }
        found.extend(
            rest.into_iter()
                .filter(|piece| piece.len() >= LEAST_UNCOVERED)
                .map(|range| Uncovered {
                    range,
                    gap: Gap::NoSegment,
                }),
        );
    }
    found.sort_by_key(|u| u.range.start);
    found
}

/// The window's own pace, sound per word: the median over its segments, so one segment
/// that skipped words does not set it, and a slow speaker's are not taken for skipping.
fn pace(segments: &[Segment], sounds: &[usize]) -> usize {
    let mut paces: Vec<usize> = segments
        .iter()
        .zip(sounds)
        .filter(|(segment, _)| words(&segment.text) > 0)
        .map(|(segment, sound)| sound / words(&segment.text))
        .collect();
    paces.sort_unstable();
    paces
        .get(paces.len() / 2)
        .copied()
        .unwrap_or(PACE.end)
        .clamp(PACE.start, PACE.end)
}

/// A segment's time span in samples from the window's start.
fn span(segment: &Segment, window_start_ms: u64) -> Range<usize> {
    let at = |ms: u64| (ms.saturating_sub(window_start_ms) as usize) * SECOND / 1000;
    at(segment.start_ms)..at(segment.end_ms)
}

/// Samples of `speech` inside `span`.
fn overlap(speech: &[Range<usize>], span: &Range<usize>) -> usize {
    speech
        .iter()
        .map(|s| s.end.min(span.end).saturating_sub(s.start.max(span.start)))
        .sum()
}

/// `piece` without `cut`: none, one or two ranges.
fn subtract(piece: Range<usize>, cut: &Range<usize>) -> Vec<Range<usize>> {
    if cut.end <= piece.start || cut.start >= piece.end {
        return vec![piece];
    }
    [piece.start..cut.start, cut.end..piece.end]
        .into_iter()
        .filter(|r| r.start < r.end)
        .collect()
}

/// Spoken units in a segment's text: its words, and for scripts written without spaces
/// (Chinese, Japanese, Korean, Thai) one for every two of their characters.
pub fn words(text: &str) -> usize {
    let spaced = text.split_whitespace().count();
    let unspaced = text.chars().filter(|&c| is_unspaced_script(c)).count();
    spaced + unspaced / 2
}

fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0E7F // Thai
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF // Han
        | 0xAC00..=0xD7AF) // Hangul
}

/// Puts segments in time order and makes their times never run backwards: each starts no
/// earlier than the one before it ends (a jump back is whisper's timestamp error, not two
/// voices at once).
pub fn monotonic(mut segments: Vec<Segment>) -> Vec<Segment> {
    segments.sort_by_key(|s| s.start_ms);
    let mut end = 0;
    for segment in &mut segments {
        segment.start_ms = segment.start_ms.max(end);
        segment.end_ms = segment.end_ms.max(segment.start_ms);
        end = segment.end_ms;
    }
    segments
}

/// A time in the file as the log shows it: `2:33.2`.
pub fn clock(sample: u64) -> String {
    let tenths = sample * 10 / SAMPLE_RATE as u64;
    format!("{}:{:02}.{}", tenths / 600, tenths / 10 % 60, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start_s: f64, end_s: f64, text: &str) -> Segment {
        Segment {
            start_ms: (start_s * 1000.0) as u64,
            end_ms: (end_s * 1000.0) as u64,
            text: text.into(),
            confidence: 0.9,
            words: Vec::new(),
        }
    }

    /// A window of `seconds` with sound in each of `sound` (seconds).
    fn window(seconds: usize, sound: &[(f64, f64)]) -> Vec<f32> {
        let mut samples = vec![0.0f32; seconds * SECOND];
        for &(from, to) in sound {
            let range = (from * SECOND as f64) as usize..(to * SECOND as f64) as usize;
            for i in range {
                samples[i] = 0.1 * ((i as f32) * 0.2).sin();
            }
        }
        samples
    }

    #[test]
    fn speech_each_segment_covers_is_covered() {
        let samples = window(20, &[(1.0, 4.0), (5.0, 9.0)]);
        let segments = [
            segment(0.9, 4.1, " One two three four five six seven."),
            segment(5.2, 8.8, " Eight nine ten eleven twelve."),
        ];
        assert_eq!(find(&samples, samples.len(), 0, &segments), vec![]);
    }

    #[test]
    fn speech_between_segments_is_uncovered() {
        // Sound from 4 s to 9 s, but the segments stop at 4 s and start again at 9 s.
        let samples = window(20, &[(1.0, 12.0)]);
        let segments = [
            segment(1.0, 4.0, " One two three four five six seven."),
            segment(9.0, 12.0, " Eight nine ten eleven twelve thirteen."),
        ];
        let found = find(&samples, samples.len(), 0, &segments);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].gap, Gap::NoSegment);
        let (from, to) = (
            found[0].range.start as f64 / SECOND as f64,
            found[0].range.end as f64 / SECOND as f64,
        );
        assert!((4.2..4.5).contains(&from) && (8.5..8.8).contains(&to), "{from}–{to}");
    }

    #[test]
    fn a_segment_with_too_few_words_for_its_sound_is_uncovered() {
        // Twelve seconds of sound given to three words: whisper skipped what was said there.
        let samples = window(20, &[(1.0, 13.0)]);
        let segments = [segment(1.0, 13.0, " And the rest.")];
        let found = find(&samples, samples.len(), 0, &segments);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].gap, Gap::TooFewWords(0));
    }

    #[test]
    fn a_slow_speaker_is_not_taken_for_skipped_words() {
        // Ten seconds for ten words (a slow, deliberate reading) in a window of that pace.
        let samples = window(20, &[(1.0, 11.0)]);
        let segments = [segment(1.0, 11.0, " One two three four five six seven eight nine ten.")];
        assert_eq!(find(&samples, samples.len(), 0, &segments), vec![]);
    }

    #[test]
    fn sound_past_what_the_window_transcribed_is_left_to_the_next_window() {
        let samples = window(20, &[(1.0, 4.0), (12.0, 18.0)]);
        let segments = [segment(1.0, 4.0, " One two three four five six.")];
        assert_eq!(find(&samples, 10 * SECOND, 0, &segments), vec![]);
    }

    #[test]
    fn times_are_relative_to_the_window() {
        let samples = window(10, &[(1.0, 4.0)]);
        let segments = [segment(61.0, 64.0, " One two three four five six.")];
        assert_eq!(find(&samples, samples.len(), 60_000, &segments), vec![]);
    }

    #[test]
    fn scripts_without_spaces_count_their_characters() {
        assert_eq!(words(" The cat sat."), 3);
        // Ten characters with no space: one "word" to split_whitespace, five spoken units.
        assert_eq!(words("今日はいい天気ですね"), 6);
    }

    #[test]
    fn segments_come_in_order_and_never_run_backwards() {
        let out = monotonic(vec![
            segment(5.0, 7.0, "b"),
            segment(1.0, 5.5, "a"),
            segment(7.0, 6.0, "c"),
        ]);
        let times: Vec<_> = out.iter().map(|s| (s.text.as_str(), s.start_ms, s.end_ms)).collect();
        assert_eq!(times, vec![("a", 1000, 5500), ("b", 5500, 7000), ("c", 7000, 7000)]);
    }

    #[test]
    fn clock_reads_minutes_seconds_and_tenths() {
        assert_eq!(clock(153_200 * 16), "2:33.2");
        assert_eq!(clock(0), "0:00.0");
    }
}
