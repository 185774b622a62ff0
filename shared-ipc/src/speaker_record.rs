//! What the speakers stage found in one input (the job folder's `speakers/<i>.json`): the
//! speakers with their labels and talk time, their turns, and a voiceprint each — so the
//! outputs and the note are rendered from it exactly after a crash, and a speaker named later
//! can be recognised in other episodes. Written atomically by the worker; read by the app.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::FileKind;
use crate::atomic_file;

/// Format version of the record.
pub const SPEAKER_RECORD_VERSION: u32 = 1;
const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerRecord {
    pub format_version: u32,
    /// In order of first appearance.
    pub speakers: Vec<Speaker>,
    /// In time order; `speaker` indexes `speakers`.
    pub turns: Vec<SpeakerTurn>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Speaker {
    /// "Speaker 1", or the name the speaker library knows the voice by.
    pub label: String,
    pub talk_ms: u64,
    /// Unit-length voiceprint (256 numbers); empty when the voice had no stretch long enough.
    pub voiceprint: Vec<f32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakerTurn {
    pub start_ms: u64,
    pub end_ms: u64,
    pub speaker: usize,
}

/// The label of the `n`-th speaker to appear (from 0) that nobody has named.
pub fn default_label(n: usize) -> String {
    format!("Speaker {}", n + 1)
}

/// Whether `label` is a default one ("Speaker 3") rather than a name a person gave.
pub fn is_default_label(label: &str) -> bool {
    label
        .strip_prefix("Speaker ")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl SpeakerRecord {
    /// The speaker a person means by `who`: a label ("Speaker 2", any case) or its number.
    pub fn find(&self, who: &str) -> Option<usize> {
        let who = who.trim();
        self.speakers
            .iter()
            .position(|s| s.label.eq_ignore_ascii_case(who))
            .or_else(|| {
                who.parse::<usize>()
                    .ok()
                    .filter(|&n| n >= 1 && n <= self.speakers.len())
                    .map(|n| n - 1)
            })
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        atomic_file::write_atomic(path, &bytes, FileKind::Record)
    }

    /// The record, or `None` when it is missing, damaged, from another format, or names a
    /// speaker it does not have.
    pub fn load(path: &Path) -> Option<Self> {
        let bytes = atomic_file::read_limited(path, MAX_RECORD_BYTES).ok()?;
        serde_json::from_slice::<Self>(&bytes)
            .ok()
            .filter(|r| r.format_version == SPEAKER_RECORD_VERSION)
            .filter(|r| r.turns.iter().all(|t| t.speaker < r.speakers.len()))
    }

    /// Whether the record can belong to a transcript of `audio_ms`: every turn inside it
    /// (give or take the last decoded frame).
    pub fn fits(&self, audio_ms: u64) -> bool {
        !self.speakers.is_empty()
            && self
                .turns
                .iter()
                .all(|t| t.start_ms <= t.end_ms && t.end_ms <= audio_ms + 1000)
    }

    /// Makes speakers with the same label one speaker (a person said they are one voice): the
    /// first keeps its place, the others' turns and talk time join it, and its voiceprint is
    /// the talk-weighted mean of theirs.
    pub fn join_same_labels(&mut self) {
        let mut kept: Vec<Speaker> = Vec::new();
        let mut new_index = Vec::with_capacity(self.speakers.len());
        for speaker in self.speakers.drain(..) {
            match kept.iter().position(|k| k.label == speaker.label) {
                Some(at) => {
                    let joined = &mut kept[at];
                    let (a, b) = (joined.talk_ms as f32, speaker.talk_ms as f32);
                    joined.voiceprint = match (joined.voiceprint.is_empty(), speaker.voiceprint.is_empty()) {
                        (_, true) => std::mem::take(&mut joined.voiceprint),
                        (true, false) => speaker.voiceprint,
                        (false, false) => {
                            let mut mean: Vec<f32> = joined
                                .voiceprint
                                .iter()
                                .zip(&speaker.voiceprint)
                                .map(|(x, y)| x * a + y * b)
                                .collect();
                            let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt();
                            if norm > 0.0 {
                                mean.iter_mut().for_each(|v| *v /= norm);
                            }
                            mean
                        }
                    };
                    joined.talk_ms += speaker.talk_ms;
                    new_index.push(at);
                }
                None => {
                    new_index.push(kept.len());
                    kept.push(speaker);
                }
            }
        }
        self.speakers = kept;
        for turn in &mut self.turns {
            turn.speaker = new_index[turn.speaker];
        }
    }

    /// A default label for speaker `index` that no other speaker has: "Speaker {index + 1}"
    /// when free.
    pub fn free_default_label(&self, index: usize) -> String {
        (index..)
            .map(default_label)
            .find(|label| {
                self.speakers
                    .iter()
                    .enumerate()
                    .all(|(other, s)| other == index || &s.label != label)
            })
            .unwrap_or_else(|| default_label(index))
    }

    /// The speaker talking most during `start_ms..end_ms`, or the one whose turn is nearest.
    pub fn speaker_during(&self, start_ms: u64, end_ms: u64) -> Option<usize> {
        let mut talk = vec![0u64; self.speakers.len()];
        for t in &self.turns {
            let overlap = end_ms.min(t.end_ms).saturating_sub(start_ms.max(t.start_ms));
            talk[t.speaker] += overlap;
        }
        let most = (0..talk.len())
            .filter(|&s| talk[s] > 0)
            .max_by_key(|&s| (talk[s], usize::MAX - s));
        most.or_else(|| {
            self.turns
                .iter()
                .min_by_key(|t| {
                    if t.end_ms <= start_ms {
                        start_ms - t.end_ms
                    } else {
                        t.start_ms.saturating_sub(end_ms)
                    }
                })
                .map(|t| t.speaker)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> SpeakerRecord {
        let speaker = |label: &str, talk_ms| Speaker {
            label: label.into(),
            talk_ms,
            voiceprint: vec![1.0, 0.0],
        };
        SpeakerRecord {
            format_version: SPEAKER_RECORD_VERSION,
            speakers: vec![speaker("Speaker 1", 4000), speaker("Speaker 2", 3000)],
            turns: vec![
                SpeakerTurn {
                    start_ms: 0,
                    end_ms: 4000,
                    speaker: 0,
                },
                SpeakerTurn {
                    start_ms: 4500,
                    end_ms: 7500,
                    speaker: 1,
                },
            ],
        }
    }

    #[test]
    fn a_stretch_belongs_to_whoever_talks_most_in_it_or_is_nearest() {
        let r = record();
        assert_eq!(r.speaker_during(3000, 6000), Some(1));
        assert_eq!(r.speaker_during(1000, 4200), Some(0));
        assert_eq!(r.speaker_during(8000, 9000), Some(1));
    }

    #[test]
    fn a_speaker_is_found_by_label_or_number_and_default_labels_are_told_from_names() {
        let r = record();
        assert_eq!(r.find("speaker 2"), Some(1));
        assert_eq!(r.find("1"), Some(0));
        assert_eq!(r.find("3"), None);
        assert_eq!(r.find("Dana"), None);
        assert!(is_default_label(&default_label(11)));
        assert!(!is_default_label("Speaker Dana"));
        assert!(!is_default_label("Speaker "));
        assert!(!is_default_label("Dana"));
    }

    #[test]
    fn speakers_given_one_name_become_one_speaker() {
        let mut r = record();
        r.speakers[0].voiceprint = vec![1.0, 0.0];
        r.speakers[1].voiceprint = vec![0.0, 1.0];
        r.speakers[1].label = "Speaker 1".into();
        r.join_same_labels();
        assert_eq!(r.speakers.len(), 1);
        assert_eq!(r.speakers[0].talk_ms, 7000);
        assert!(r.turns.iter().all(|t| t.speaker == 0));
        let norm: f32 = r.speakers[0].voiceprint.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5 && r.speakers[0].voiceprint[0] > r.speakers[0].voiceprint[1]);
        let mut r = record();
        r.speakers[0].label = "Dana".into();
        r.speakers[1].label = "Speaker 1".into();
        assert_eq!(r.free_default_label(0), "Speaker 2");
        assert_eq!(r.free_default_label(1), "Speaker 2");
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.json");
        record().save(&path).expect("save");
        assert_eq!(SpeakerRecord::load(&path), Some(record()));
        let mut bad = record();
        bad.turns[0].speaker = 7;
        bad.save(&path).expect("save");
        assert_eq!(SpeakerRecord::load(&path), None);
    }
}
