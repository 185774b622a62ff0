//! The coverage guard: before a window is committed, speech its transcript does not account
//! for (`coverage::find`) is transcribed again — a short window starting at it, then once
//! more at a fallback temperature — and what that hears takes its place in the window's
//! segments. Every decision goes to the job log. The guard reads only the window's own
//! samples and segments, so a resumed run decides exactly as an uninterrupted one did.

use std::time::Instant;

use castmill_audio::SAMPLE_RATE;
use shared_ipc::Segment;

use crate::coverage::{self, Gap, Uncovered, clock};
use crate::transcribe::{TranscribeError, Transcriber, WindowText};

/// The retried stretch starts and ends this far beyond the uncovered sound, so its first
/// and last words are whole.
const MARGIN: usize = SAMPLE_RATE as usize / 4;
/// At most this many stretches of one window are retried: music or noise that whisper
/// rightly gives no words must not cost a window many passes.
const MOST_RETRIES_PER_WINDOW: usize = 3;
/// The temperatures of the tries: greedy first, then sampling, which takes whisper off the
/// path that skipped the words.
const TEMPERATURES: [f32; 2] = [0.0, 0.4];

/// `text`, the transcript of `samples` (a window starting at `start_sample`), with the
/// speech it missed transcribed again.
pub fn guard(
    transcriber: &mut Transcriber,
    samples: &[f32],
    start_sample: u64,
    text: WindowText,
) -> Result<WindowText, TranscribeError> {
    if !transcriber.coverage_guard() {
        return Ok(text);
    }
    let window_start_ms = start_sample * 1000 / SAMPLE_RATE as u64;
    let found = coverage::find(samples, text.covered, window_start_ms, &text.segments);
    if found.is_empty() {
        return Ok(text);
    }
    let segments = text.segments;
    // Segments a retry replaced (too few words for their sound), dropped at the end so the
    // indices in `found` stay valid.
    let mut replaced = vec![false; segments.len()];
    let mut heard_again = Vec::new();
    for (n, uncovered) in found.iter().enumerate() {
        let where_ = format!(
            "uncovered {}–{}{}",
            clock(start_sample + uncovered.range.start as u64),
            clock(start_sample + uncovered.range.end as u64),
            match uncovered.gap {
                Gap::NoSegment => String::new(),
                Gap::TooFewWords(_) => " (a segment with too few words for its sound)".to_owned(),
            }
        );
        if n >= MOST_RETRIES_PER_WINDOW {
            tracing::info!("{where_}, not retried: {MOST_RETRIES_PER_WINDOW} retries in this window already");
            continue;
        }
        let range = uncovered.range.start.saturating_sub(MARGIN)..(uncovered.range.end + MARGIN).min(text.covered);
        let began = Instant::now();
        let mut outcome = None;
        for temperature in TEMPERATURES {
            let retry =
                transcriber.retranscribe(&samples[range.clone()], start_sample + range.start as u64, temperature)?;
            if better(uncovered, &retry.segments, &segments) {
                outcome = Some((temperature, retry.segments));
                break;
            }
        }
        let took = began.elapsed().as_secs_f64();
        match outcome {
            Some((temperature, heard)) => {
                let words: usize = heard.iter().map(|s| coverage::words(&s.text)).sum();
                tracing::info!(
                    "{where_}, retried in {took:.2} s at temperature {temperature}: covered ({words} words)"
                );
                if let Gap::TooFewWords(index) = uncovered.gap {
                    replaced[index] = true;
                }
                heard_again.extend(heard);
            }
            None => tracing::info!(
                "{where_}, retried in {took:.2} s: no more words heard (music or noise, or speech whisper cannot make out)"
            ),
        }
    }
    let mut kept: Vec<Segment> = segments
        .into_iter()
        .zip(replaced)
        .filter(|(_, replaced)| !replaced)
        .map(|(segment, _)| segment)
        .collect();
    kept.extend(heard_again);
    Ok(WindowText {
        segments: coverage::monotonic(kept),
        covered: text.covered,
    })
}

/// A segment is replaced by what a retry heard only when that has at least this many words
/// more: a word or two more is a different reading of the same speech, not words found.
const MORE_WORDS: usize = 3;

/// Whether a retry heard more than the window's transcript has there: any words where no
/// segment was, a few words more than the segment it would replace.
fn better(uncovered: &Uncovered, heard: &[Segment], segments: &[Segment]) -> bool {
    let heard_words: usize = heard.iter().map(|s| coverage::words(&s.text)).sum();
    match uncovered.gap {
        Gap::NoSegment => heard_words > 0,
        Gap::TooFewWords(index) => heard_words >= coverage::words(&segments[index].text) + MORE_WORDS,
    }
}
