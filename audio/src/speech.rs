//! Where a 16 kHz mono stream holds sound loud enough to be speech: the energy of 100 ms
//! frames, every 10 ms, against a floor of about −44 dBFS. The worker's coverage guard and
//! the benchmark's coverage figure both read it, so the two agree on what counts as speech.

use std::ops::Range;

use crate::SAMPLE_RATE;

/// Energy is measured over frames of 100 ms …
pub const FRAME: usize = SAMPLE_RATE as usize / 10;
/// … every 10 ms.
pub const HOP: usize = SAMPLE_RATE as usize / 100;
/// A frame whose RMS is above this (about −44 dBFS) holds sound: speech, or noise loud
/// enough to be mistaken for it.
pub const SPEECH_RMS: f64 = 0.006;
/// Pauses shorter than this (between words, at a comma) do not end a stretch of speech.
const BRIDGED_PAUSE: usize = SAMPLE_RATE as usize / 4;

/// The stretches of `samples` that hold sound, in samples, in order and disjoint; pauses
/// under a quarter of a second are bridged. Each 10 ms step counts as sound when the 100 ms
/// frame centred on it is above [`SPEECH_RMS`].
pub fn speech_intervals(samples: &[f32]) -> Vec<Range<usize>> {
    // Prefix sums of squares, so each frame's energy is one subtraction.
    let mut prefix = Vec::with_capacity(samples.len() + 1);
    prefix.push(0.0f64);
    let mut sum = 0.0f64;
    for &s in samples {
        sum += (s as f64) * (s as f64);
        prefix.push(sum);
    }
    let limit = SPEECH_RMS * SPEECH_RMS;
    let mut intervals: Vec<Range<usize>> = Vec::new();
    let mut step = 0;
    while step < samples.len() {
        let centre = step + HOP / 2;
        let from = centre.saturating_sub(FRAME / 2);
        let to = (centre + FRAME / 2).min(samples.len());
        let energy = (prefix[to] - prefix[from]) / (to - from).max(1) as f64;
        let end = (step + HOP).min(samples.len());
        if energy > limit {
            match intervals.last_mut() {
                Some(last) if step - last.end < BRIDGED_PAUSE => last.end = end,
                _ => intervals.push(step..end),
            }
        }
        step = end;
    }
    intervals
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: usize = SAMPLE_RATE as usize;

    fn tone(samples: &mut [f32]) {
        for (i, s) in samples.iter_mut().enumerate() {
            *s = 0.1 * ((i as f32) * 0.2).sin();
        }
    }

    #[test]
    fn finds_each_stretch_of_sound_and_bridges_short_pauses() {
        let mut samples = vec![0.0f32; 10 * SECOND];
        tone(&mut samples[SECOND..3 * SECOND]);
        // A 100 ms pause inside the first stretch: bridged.
        samples[2 * SECOND..2 * SECOND + SECOND / 10]
            .iter_mut()
            .for_each(|s| *s = 0.0);
        tone(&mut samples[6 * SECOND..7 * SECOND]);
        let found = speech_intervals(&samples);
        assert_eq!(found.len(), 2, "{found:?}");
        let near = |a: usize, b: usize| a.abs_diff(b) <= FRAME / 2 + HOP;
        assert!(
            near(found[0].start, SECOND) && near(found[0].end, 3 * SECOND),
            "{found:?}"
        );
        assert!(
            near(found[1].start, 6 * SECOND) && near(found[1].end, 7 * SECOND),
            "{found:?}"
        );
    }

    #[test]
    fn silence_and_faint_hiss_hold_no_speech() {
        assert!(speech_intervals(&vec![0.0f32; 3 * SECOND]).is_empty());
        let hiss: Vec<f32> = (0..SECOND).map(|i| if i % 2 == 0 { 0.002 } else { -0.002 }).collect();
        assert!(speech_intervals(&hiss).is_empty());
        assert!(speech_intervals(&[]).is_empty());
    }
}
