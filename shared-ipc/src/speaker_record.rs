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

impl SpeakerRecord {
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
