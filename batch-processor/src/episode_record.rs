//! What the summary stage keeps of an episode in the job folder (`knowledge/<i>.json`), so
//! the Map of Content stage — and a rerun after a crash — links the batch without the
//! embedding model and renders each note exactly as before. Written atomically; only the
//! worker reads it, and a damaged one just means that episode is summarised again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use shared_ipc::FileKind;
use shared_ipc::atomic_file;

/// Format version of the record. 2 stores a source path that is not UTF-8 as bytes
/// (`shared_ipc::stored_path`); 3 added the episode's speakers and each sentence's speaker.
/// Earlier records load unchanged (without speakers), so their notes re-render exactly.
pub const RECORD_VERSION: u32 = 3;
const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    pub format_version: u32,
    pub stem: String,
    #[serde(with = "shared_ipc::stored_path::one")]
    pub source: PathBuf,
    pub duration_ms: u64,
    /// `YYYY-MM-DD`, fixed when the summary was made so a re-render is identical.
    pub processed: String,
    /// Indices of the summary's sentences (sentences as split from the journal).
    pub summary: Vec<usize>,
    pub topics: Vec<String>,
    pub topic_vectors: Vec<Vec<f32>>,
    pub centroid: Vec<f32>,
    /// The episode's speakers (empty without the speakers stage), in order of first
    /// appearance, with their talk time in ms.
    #[serde(default)]
    pub speakers: Vec<(String, u64)>,
    /// Each transcript sentence's speaker (an index into `speakers`); empty without them.
    #[serde(default)]
    pub sentence_speakers: Vec<usize>,
}

impl EpisodeRecord {
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        atomic_file::write_atomic(path, &bytes, FileKind::Record)
    }

    /// The record, or `None` when it is missing, damaged or from another format.
    pub fn load(path: &Path) -> Option<Self> {
        let bytes = atomic_file::read_limited(path, MAX_RECORD_BYTES).ok()?;
        serde_json::from_slice::<Self>(&bytes)
            .ok()
            .filter(|r| (1..=RECORD_VERSION).contains(&r.format_version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_treats_damage_as_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.json");
        let record = EpisodeRecord {
            format_version: RECORD_VERSION,
            stem: "show".into(),
            source: PathBuf::from("/in/show.mp3"),
            duration_ms: 61_000,
            processed: "2026-11-22".into(),
            summary: vec![0, 4],
            topics: vec!["bread".into()],
            topic_vectors: vec![vec![0.6, 0.8]],
            centroid: vec![1.0, 0.0],
            speakers: vec![("Speaker 1".into(), 40_000), ("Speaker 2".into(), 21_000)],
            sentence_speakers: vec![0, 1, 0, 0, 1],
        };
        record.save(&path).expect("save");
        assert_eq!(EpisodeRecord::load(&path), Some(record));
        std::fs::write(&path, b"{\"format_version\":1,").expect("damage");
        assert_eq!(EpisodeRecord::load(&path), None);
        assert_eq!(EpisodeRecord::load(&dir.path().join("missing.json")), None);
    }

    /// A record written by a version-1 build, byte for byte: its episode is not summarised
    /// again after an upgrade.
    #[test]
    fn version_1_records_still_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.json");
        let v1 = br#"{"format_version":1,"stem":"show","source":"/in/show.mp3","duration_ms":61000,"processed":"2026-11-22","summary":[0],"topics":["bread"],"topic_vectors":[[0.6,0.8]],"centroid":[1.0,0.0]}"#;
        std::fs::write(&path, v1).expect("write");
        let record = EpisodeRecord::load(&path).expect("a version-1 record loads");
        assert_eq!(record.source, PathBuf::from("/in/show.mp3"));
        let newer = String::from_utf8_lossy(v1).replace("\"format_version\":1", "\"format_version\":9");
        std::fs::write(&path, newer).expect("write");
        assert_eq!(EpisodeRecord::load(&path), None, "a newer record is not read");
    }
}
