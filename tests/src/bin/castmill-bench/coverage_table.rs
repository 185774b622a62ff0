//! What the coverage guard finds and costs: Castmill alone, once per input (the worker is
//! deterministic), with the guard on and off — words lost (deletions), the share of speech
//! its segments cover, the stretches it retried and their whisper time.

use std::path::Path;

use castmill_e2e::fixtures;
use castmill_e2e::wer::word_errors;

use crate::compare::{Input, castmill_with, dialogue, inputs, joined_clips, model_pairs};

/// The 10-minute file after `offset_s` of silence: every window cut moves.
fn shifted(dir: &Path, offset_s: f64) -> Input {
    let base = joined_clips(dir, 10);
    let path = dir.join(format!("joined-10-minutes-after-{offset_s}-s.wav"));
    let samples = fixtures::wav_samples(&base.files[0]);
    let silence = std::iter::repeat_n(0i16, (offset_s * 16_000.0) as usize);
    fixtures::write_wav(&path, silence.chain(samples));
    Input {
        name: format!("{} after {offset_s} s of silence", base.name),
        files: vec![path],
        audio_s: base.audio_s + offset_s,
        reference: base.reference,
    }
}

pub fn bench(dir: &Path, default_model: &Path) {
    let long_minutes: usize = crate::env_or("BENCH_LONG_MINUTES", 60);
    println!("\n## Coverage guard: speech lost at window edges, with the guard on and off (one run each)\n");
    println!(
        "Speech covered: the stretches of sound of a second or more that the segments span (80% of each, timestamps taken 0.3 s wide). Retried: stretches the guard transcribed again (of which it heard words there), and the whisper time those retries took.\n"
    );
    let mut all = inputs(dir);
    all.extend(dialogue(dir));
    all.push(shifted(dir, 4.1));
    all.push(shifted(dir, 9.7));
    all.push(joined_clips(dir, long_minutes));
    for pair in model_pairs(default_model) {
        println!("\n### {}\n", pair.name);
        println!(
            "| input | guard | wall time | word error rate | errors (S / D / I) | speech covered | retried (heard words) | retry time |\n|---|---|---|---|---|---|---|---|"
        );
        for input in &all {
            for (guard, off) in [("on", ""), ("off", "coverage-guard")] {
                let m = castmill_with(&pair.ggml, input, &[("CASTMILL_BENCH_LEVERS_OFF", off)]);
                let errors = word_errors(&input.reference, &m.text);
                let covered = m.coverage.as_ref().expect("castmill's coverage");
                println!(
                    "| {} | {guard} | {:.1} s | {:.1}% | {} / {} / {} | {:.1}% of {} | {} ({}) | {:.2} s |",
                    input.name,
                    m.wall_s,
                    errors.rate() * 100.0,
                    errors.substitutions,
                    errors.deletions,
                    errors.insertions,
                    covered.share() * 100.0,
                    covered.intervals,
                    m.retries.stretches,
                    m.retries.covered,
                    m.retries.seconds
                );
                if !covered.uncovered.is_empty() {
                    println!("|  | uncovered: {} | | | | | | |", covered.listed(6));
                }
            }
        }
    }
}
