//! The output folder as a vault that grows batch by batch: every Castmill episode written
//! into it keeps a record beside the outputs (`.castmill/episodes/<name>.json`: what its
//! summary found and the sentences its note is rendered from), so the Map of Content and
//! each note's related episodes cover the whole folder, not only the last batch. Jobs that
//! write into one folder take turns through its lock (`.castmill/lock`) while they link.

use std::path::{Path, PathBuf};

use batch_processor::knowledge::sentences::Sentence;
use serde::{Deserialize, Serialize};
use shared_ipc::{FileKind, JobLock, LockError, atomic_file};

use crate::episode_record::EpisodeRecord;

/// Format version of a vault record; records of another version are not read.
pub const VAULT_RECORD_VERSION: u32 = 1;
const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

/// Castmill's own folder inside an output folder (hidden, so note apps leave it alone).
pub fn dir(out: &Path) -> PathBuf {
    out.join(".castmill")
}

fn episodes_dir(out: &Path) -> PathBuf {
    dir(out).join("episodes")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSentence {
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

/// One episode of the folder, as any later job needs it to link and re-render its note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaultEpisode {
    pub format_version: u32,
    /// The job that made it.
    pub job_id: String,
    pub record: EpisodeRecord,
    pub transcript: Vec<StoredSentence>,
}

impl VaultEpisode {
    pub fn new(job_id: &str, record: EpisodeRecord, transcript: &[Sentence]) -> Self {
        Self {
            format_version: VAULT_RECORD_VERSION,
            job_id: job_id.to_owned(),
            record,
            transcript: transcript
                .iter()
                .map(|s| StoredSentence {
                    text: s.text.clone(),
                    start_ms: s.start_ms,
                    end_ms: s.end_ms,
                })
                .collect(),
        }
    }

    pub fn sentences(&self) -> Vec<Sentence> {
        self.transcript
            .iter()
            .map(|s| Sentence {
                text: s.text.clone(),
                start_ms: s.start_ms,
                end_ms: s.end_ms,
            })
            .collect()
    }

    /// Writes it into `out`'s vault, atomically, under its episode's name.
    pub fn save(&self, out: &Path) -> std::io::Result<()> {
        atomic_file::create_private_dir(&dir(out))?;
        atomic_file::create_private_dir(&episodes_dir(out))?;
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        let path = episodes_dir(out).join(format!("{}.json", self.record.stem));
        atomic_file::write_atomic(&path, &bytes, FileKind::Record)
    }
}

/// Every episode of `out` whose note is still there (a note the user deleted takes its
/// episode out of the map), ordered by name so every job links them the same way. Damaged
/// or unknown records are passed over.
pub fn episodes(out: &Path) -> Vec<VaultEpisode> {
    let Ok(entries) = std::fs::read_dir(episodes_dir(out)) else {
        return Vec::new();
    };
    let mut found: Vec<VaultEpisode> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter_map(|path| atomic_file::read_limited(&path, MAX_RECORD_BYTES).ok())
        .filter_map(|bytes| serde_json::from_slice::<VaultEpisode>(&bytes).ok())
        .filter(|e| e.format_version == VAULT_RECORD_VERSION)
        .filter(|e| out.join(format!("{}.md", e.record.stem)).is_file())
        .collect();
    found.sort_by(|a, b| a.record.stem.cmp(&b.record.stem));
    found
}

/// The folder's lock, held while a job links the vault and rewrites its notes and map.
pub struct FolderLock {
    _lock: JobLock,
}

/// Takes `out`'s lock, calling `wait` between tries while another job holds it (`wait`
/// stops the job when it is asked to stop, and paces the tries).
pub fn lock<E>(out: &Path, mut wait: impl FnMut() -> Result<(), E>) -> Result<Result<FolderLock, LockError>, E> {
    if let Err(e) = atomic_file::create_private_dir(&dir(out)) {
        return Ok(Err(LockError::Io {
            path: dir(out),
            source: e,
        }));
    }
    let path = dir(out).join("lock");
    loop {
        match JobLock::try_acquire(&path) {
            Ok(lock) => return Ok(Ok(FolderLock { _lock: lock })),
            Err(LockError::Held { .. }) => wait()?,
            Err(e) => return Ok(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(stem: &str) -> EpisodeRecord {
        EpisodeRecord {
            format_version: crate::episode_record::RECORD_VERSION,
            stem: stem.into(),
            source: PathBuf::from(format!("/in/{stem}.mp3")),
            duration_ms: 1000,
            processed: "2026-12-02".into(),
            summary: vec![0],
            topics: vec!["bread".into()],
            topic_vectors: vec![vec![1.0, 0.0]],
            centroid: vec![1.0, 0.0],
            speakers: Vec::new(),
            sentence_speakers: Vec::new(),
        }
    }

    #[test]
    fn the_vault_holds_every_episode_whose_note_is_still_there() {
        let out = tempfile::tempdir().expect("tempdir");
        let said = [Sentence {
            text: "Bread rises.".into(),
            start_ms: 0,
            end_ms: 900,
        }];
        for stem in ["b", "a", "gone"] {
            VaultEpisode::new("job-1", record(stem), &said)
                .save(out.path())
                .expect("save");
            std::fs::write(out.path().join(format!("{stem}.md")), "note").expect("note");
        }
        std::fs::remove_file(out.path().join("gone.md")).expect("remove");
        std::fs::write(episodes_dir(out.path()).join("broken.json"), "{").expect("write");
        let found = episodes(out.path());
        let names: Vec<&str> = found.iter().map(|e| e.record.stem.as_str()).collect();
        assert_eq!(names, vec!["a", "b"]);
        assert_eq!(found[0].sentences(), said.to_vec());
    }

    #[test]
    fn a_second_job_waits_for_the_folder_lock() {
        let out = tempfile::tempdir().expect("tempdir");
        let held = lock(out.path(), || Ok::<(), ()>(())).expect("no stop").expect("lock");
        let mut tries = 0;
        let refused = lock(out.path(), || {
            tries += 1;
            if tries < 3 { Ok(()) } else { Err("stopped") }
        });
        assert_eq!(refused.err(), Some("stopped"), "it waited while the lock was held");
        drop(held);
        assert!(lock(out.path(), || Ok::<(), ()>(())).expect("no stop").is_ok());
    }
}
