//! How much of a file's speech its transcript accounts for: the stretches of sound of a
//! second or more (`castmill_audio::speech`, the worker's own measure of where speech is),
//! and which of them the segments' time spans cover.

use std::ops::Range;
use std::path::Path;

use castmill_audio::speech::speech_intervals;
use shared_ipc::Segment;

const SAMPLE_RATE: usize = castmill_audio::SAMPLE_RATE as usize;
/// Stretches shorter than this are not counted.
const LEAST_INTERVAL: usize = SAMPLE_RATE;
/// whisper's timestamps are a few tenths early or late: each span counts this much wider.
const SLACK: usize = 3 * SAMPLE_RATE / 10;
/// A stretch is covered when this share of it lies in segment spans.
const COVERED_SHARE: f64 = 0.8;

/// The speech stretches of a file and those its transcript missed.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    pub intervals: usize,
    /// In seconds from the file's start.
    pub uncovered: Vec<(f64, f64)>,
}

impl Coverage {
    pub fn share(&self) -> f64 {
        1.0 - self.uncovered.len() as f64 / self.intervals.max(1) as f64
    }

    /// The first `most` uncovered stretches, as a report shows them: "12.3–14.0 s, …".
    pub fn listed(&self, most: usize) -> String {
        let shown: Vec<String> = self
            .uncovered
            .iter()
            .take(most)
            .map(|(a, b)| format!("{a:.1}–{b:.1} s"))
            .collect();
        shown.join(", ")
    }

    /// Adds another file's figures (a batch of several).
    pub fn add(&mut self, other: &Coverage) {
        self.intervals += other.intervals;
        self.uncovered.extend_from_slice(&other.uncovered);
    }
}

/// The coverage of `segments` (absolute times) over `samples` (16 kHz mono).
pub fn coverage(samples: &[f32], segments: &[Segment]) -> Coverage {
    // The union of the widened spans, so overlapping ones count once.
    let mut widened: Vec<Range<usize>> = segments
        .iter()
        .map(|s| {
            let at = |ms: u64| ms as usize * SAMPLE_RATE / 1000;
            at(s.start_ms).saturating_sub(SLACK)..at(s.end_ms) + SLACK
        })
        .collect();
    widened.sort_by_key(|s| s.start);
    let mut spans: Vec<Range<usize>> = Vec::new();
    for span in widened {
        match spans.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => spans.push(span),
        }
    }
    let mut result = Coverage::default();
    for interval in speech_intervals(samples) {
        if interval.len() < LEAST_INTERVAL {
            continue;
        }
        result.intervals += 1;
        let inside: usize = spans
            .iter()
            .map(|span| {
                span.end
                    .min(interval.end)
                    .saturating_sub(span.start.max(interval.start))
            })
            .sum();
        if (inside as f64) < COVERED_SHARE * interval.len() as f64 {
            let seconds = |s: usize| s as f64 / SAMPLE_RATE as f64;
            result.uncovered.push((seconds(interval.start), seconds(interval.end)));
        }
    }
    result
}

/// The samples of a 16 kHz mono 16-bit WAV, as the worker hears them.
pub fn wav_samples(path: &Path) -> Vec<f32> {
    crate::fixtures::wav_samples(path)
        .into_iter()
        .map(|s| s as f32 / 32768.0)
        .collect()
}
