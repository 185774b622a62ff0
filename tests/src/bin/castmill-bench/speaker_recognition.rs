//! Recognition across episodes: every espeak-ng conversation's voices named after their
//! voices (the people), then each other conversation labelled from those names, as the
//! speakers stage does with the library. Prints how alike one voice is across episodes and
//! two voices are, the margin around the threshold, and every pair's outcome.

use castmill_e2e::fixtures;
use castmill_speakers::diarize::Diarization;
use castmill_speakers::recognition::{SAME_PERSON, recognise, voice_centre};
use castmill_speakers::voice_encoder::similarity;

/// One diarized conversation: each found speaker's voiceprint and true voice.
pub struct Conversation {
    name: String,
    /// `(voice, voiceprint)` per found speaker that matches a true speaker.
    speakers: Vec<(String, Vec<f32>)>,
}

impl Conversation {
    /// `mapping` is true speaker → found speaker, from the scoring.
    pub fn new(name: &str, found: Diarization, mapping: &[usize]) -> Self {
        let voices = fixtures::speaker_voices(name);
        let speakers = voices
            .iter()
            .enumerate()
            .filter_map(|(truth, voice)| {
                let print = found.voiceprints.get(*mapping.get(truth)?)?;
                Some((voice.clone(), print.clone()))
            })
            .collect();
        Self {
            name: name.to_owned(),
            speakers,
        }
    }
}

pub fn bench(conversations: &[Conversation]) {
    println!("\n### Recognising named voices in other episodes\n");
    let mut same = Vec::new();
    let mut different = Vec::new();
    for (a, first) in conversations.iter().enumerate() {
        for second in &conversations[a + 1..] {
            for (voice_a, print_a) in &first.speakers {
                for (voice_b, print_b) in &second.speakers {
                    let alike = similarity(print_a, print_b);
                    if voice_a == voice_b { &mut same } else { &mut different }.push(alike);
                }
            }
        }
    }
    let lowest_same = same.iter().copied().fold(f32::INFINITY, f32::min);
    let highest_different = different.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    println!(
        "Episode voiceprints of one voice in two conversations: {} pairs, lowest similarity **{lowest_same:.3}**; \
         of two different voices: {} pairs, highest **{highest_different:.3}**. Threshold \
         (castmill_speakers::recognition::SAME_PERSON) **{SAME_PERSON}**: every pair on its right side when it lies \
         between the two.\n",
        same.len(),
        different.len()
    );
    println!("| named in | labelled | named voices there | labelled right | given a wrong or stray name | missed |");
    println!("|---|---|---|---|---|---|");
    let (mut all_right, mut all_wrong, mut all_missed) = (0, 0, 0);
    for first in conversations {
        let names: Vec<&str> = first.speakers.iter().map(|(v, _)| v.as_str()).collect();
        let centres: Vec<Vec<f32>> = first
            .speakers
            .iter()
            .map(|(_, p)| voice_centre(std::slice::from_ref(p)))
            .collect();
        for second in conversations.iter().filter(|c| c.name != first.name) {
            let prints: Vec<Vec<f32>> = second.speakers.iter().map(|(_, p)| p.clone()).collect();
            let labels = recognise(&prints, &centres, SAME_PERSON);
            let (mut right, mut wrong, mut missed, mut known) = (0, 0, 0, 0);
            for ((voice, _), label) in second.speakers.iter().zip(labels) {
                let is_known = names.contains(&voice.as_str());
                known += usize::from(is_known);
                match label.map(|l| names[l]) {
                    Some(name) if name == voice => right += 1,
                    Some(_) => wrong += 1,
                    None if is_known => missed += 1,
                    None => {}
                }
            }
            println!(
                "| {} | {} | {known} | {right} | {wrong} | {missed} |",
                first.name, second.name
            );
            all_right += right;
            all_wrong += wrong;
            all_missed += missed;
        }
    }
    println!(
        "\nIn all: {all_right} named voices labelled right, {all_wrong} wrong or stray names, {all_missed} missed \
         (bar: every named voice labelled, no unnamed voice given a name).\n"
    );
}
