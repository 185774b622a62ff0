//! The checkpoint: where a job stands, file by file. One typed struct used by the worker that
//! writes it and by the app that reads it.
//!
//! On disk: a header line `castmill-checkpoint <version> <body length> <crc32 hex>` and then
//! the JSON body. Written atomically; a torn, corrupt or foreign file is reported as an error,
//! never a panic. Progress *inside* a file lives in the segment journal, so the checkpoint is
//! rewritten only when a file changes state and its cost does not grow with segments.
//!
//! A job has committed stages: per file transcription (`state`) and the summary
//! (`summary`), and after the last file the Map of Content (`map_of_content`). A stage is
//! redone only while it is not `done`, so a crash in the summary stage never transcribes
//! again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::atomic_file;
use crate::file_kind::FileKind;
use crate::fingerprint::Fingerprint;

/// Format version of the checkpoint body. 2 added the `skipped` file state; 3 added the
/// summary and Map of Content stages; 4 marks failures the next run retries
/// (`retry_on_resume`); 5 added the `skipped` stage state (a summary the user skipped); 6
/// stores paths that are not UTF-8 as bytes (`stored_path`); 7 added each file's `speakers`
/// stage. Older bodies are a subset and load unchanged (their knowledge and speakers stages
/// read as pending, their failures as final).
pub const CHECKPOINT_VERSION: u32 = 7;

const MAGIC: &str = "castmill-checkpoint";
const MAX_CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub job_id: String,
    pub files: Vec<FileCheckpoint>,
    /// When the worker last wrote this checkpoint (ms since the epoch).
    pub updated_at_ms: u64,
    /// Why the last worker run ended, when it ended on purpose.
    pub last_stop: Option<StopReason>,
    /// The batch's Map of Content, built after every file's summary.
    #[serde(default)]
    pub map_of_content: StageState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileCheckpoint {
    #[serde(with = "crate::stored_path::one")]
    pub input: PathBuf,
    /// Fingerprint of the input when work on it began.
    pub fingerprint: Option<Fingerprint>,
    /// Audio length in ms, when known.
    pub duration_ms: Option<u64>,
    /// Transcription: the first stage.
    pub state: FileState,
    /// The episode's summary and note, made from its finished transcript.
    #[serde(default)]
    pub summary: StageState,
    /// Who speaks when, found in the audio once the transcript is finished.
    #[serde(default)]
    pub speakers: StageState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FileState {
    Pending,
    /// Started; progress is in the file's journal.
    InProgress,
    Done {
        #[serde(with = "crate::stored_path::many")]
        outputs: Vec<PathBuf>,
        audio_ms: u64,
    },
    Failed {
        reason: String,
        /// The input was fine but Castmill could not save the work (a full disk, a folder
        /// that refuses writes): the next run tries again instead of leaving it failed.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        retry_on_resume: bool,
    },
    /// The user chose to skip it; never retried.
    Skipped,
}

/// A stage that runs on finished transcripts: summaries and the Map of Content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StageState {
    #[default]
    Pending,
    Done {
        #[serde(with = "crate::stored_path::many")]
        outputs: Vec<PathBuf>,
    },
    Failed {
        reason: String,
        /// As for a file: the stage's result could not be saved, so the next run retries it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        retry_on_resume: bool,
    },
    /// The user chose to skip it (a summary skipped while it was being made); never retried
    /// unless the knowledge stages are rebuilt.
    Skipped,
}

impl StageState {
    pub fn is_done(&self) -> bool {
        matches!(self, StageState::Done { .. })
    }

    /// A final failure, for the user to read.
    pub fn failed(reason: impl Into<String>) -> Self {
        StageState::Failed {
            reason: reason.into(),
            retry_on_resume: false,
        }
    }

    fn is_retryable(&self) -> bool {
        matches!(
            self,
            StageState::Failed {
                retry_on_resume: true,
                ..
            }
        )
    }
}

impl FileState {
    /// A final failure: the input itself is the problem.
    pub fn failed(reason: impl Into<String>) -> Self {
        FileState::Failed {
            reason: reason.into(),
            retry_on_resume: false,
        }
    }

    fn is_retryable(&self) -> bool {
        matches!(
            self,
            FileState::Failed {
                retry_on_resume: true,
                ..
            }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Stopped by the user or supervisor (SIGTERM).
    Requested,
    /// The app that started the worker went away.
    ParentDied,
    /// All files processed.
    Finished,
}

#[derive(Debug, Error)]
pub enum CheckpointError {
    #[error("failed to read checkpoint {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("checkpoint {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("checkpoint {path} has format version {found}; this build reads up to {CHECKPOINT_VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("failed to write checkpoint {path}")]
    Write { path: PathBuf, source: std::io::Error },
}

impl Checkpoint {
    /// A fresh checkpoint with every input pending.
    pub fn new(job_id: &str, inputs: &[PathBuf]) -> Self {
        Self {
            job_id: job_id.to_owned(),
            files: inputs
                .iter()
                .map(|input| FileCheckpoint {
                    input: input.clone(),
                    fingerprint: None,
                    duration_ms: None,
                    state: FileState::Pending,
                    summary: StageState::Pending,
                    speakers: StageState::Pending,
                })
                .collect(),
            updated_at_ms: crate::now_unix_ms(),
            last_stop: None,
            map_of_content: StageState::Pending,
        }
    }

    /// Loads a checkpoint; `Ok(None)` when none was written yet.
    pub fn load(path: &Path) -> Result<Option<Self>, CheckpointError> {
        let bytes = match atomic_file::read_limited(path, MAX_CHECKPOINT_BYTES) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(CheckpointError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Self::decode(&bytes).map(Some).map_err(|e| match e {
            DecodeError::Version(found) => CheckpointError::Version {
                path: path.to_owned(),
                found,
            },
            DecodeError::Corrupt(reason) => CheckpointError::Corrupt {
                path: path.to_owned(),
                reason,
            },
        })
    }

    /// Writes the checkpoint atomically and durably.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        atomic_file::write_atomic(path, &self.encode(), FileKind::Checkpoint).map_err(|source| CheckpointError::Write {
            path: path.to_owned(),
            source,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        // Plain data, every path stored losslessly: serializing cannot fail.
        let body = serde_json::to_vec(self).unwrap_or_default();
        let mut out = format!(
            "{MAGIC} {CHECKPOINT_VERSION} {} {:08x}\n",
            body.len(),
            crc32fast::hash(&body)
        )
        .into_bytes();
        out.extend_from_slice(&body);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let corrupt = |reason: &str| DecodeError::Corrupt(reason.to_owned());
        let newline = bytes
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| corrupt("no header line"))?;
        let header = std::str::from_utf8(&bytes[..newline]).map_err(|_| corrupt("header is not text"))?;
        let body = &bytes[newline + 1..];
        let mut fields = header.split(' ');
        if fields.next() != Some(MAGIC) {
            return Err(corrupt("not a Castmill checkpoint"));
        }
        let version: u32 = parse_field(fields.next()).ok_or_else(|| corrupt("bad version field"))?;
        if version > CHECKPOINT_VERSION || version == 0 {
            return Err(DecodeError::Version(version));
        }
        let len: usize = parse_field(fields.next()).ok_or_else(|| corrupt("bad length field"))?;
        let crc = fields
            .next()
            .and_then(|f| u32::from_str_radix(f, 16).ok())
            .ok_or_else(|| corrupt("bad checksum field"))?;
        if body.len() != len {
            return Err(DecodeError::Corrupt(format!(
                "body is {} bytes, header says {len} (truncated?)",
                body.len()
            )));
        }
        if crc32fast::hash(body) != crc {
            return Err(corrupt("checksum mismatch"));
        }
        serde_json::from_slice(body).map_err(|e| DecodeError::Corrupt(format!("bad body: {e}")))
    }

    pub fn files_done(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(f.state, FileState::Done { .. }))
            .count()
    }

    pub fn files_failed(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(f.state, FileState::Failed { .. }))
            .count()
    }

    pub fn files_skipped(&self) -> usize {
        self.files.iter().filter(|f| f.state == FileState::Skipped).count()
    }

    /// Whether some work failed only because it could not be saved (the next run retries it).
    pub fn has_retryable_failures(&self) -> bool {
        self.map_of_content.is_retryable()
            || self
                .files
                .iter()
                .any(|f| f.state.is_retryable() || f.summary.is_retryable())
    }

    /// Puts work that failed only because it could not be saved back in line: a file's
    /// transcription resumes from its journal, a stage runs again. Returns the indices of
    /// the files whose transcription or summary is retried.
    pub fn requeue_retryable(&mut self) -> Vec<usize> {
        let mut retried = Vec::new();
        for (index, file) in self.files.iter_mut().enumerate() {
            let mut again = false;
            if file.state.is_retryable() {
                file.state = FileState::InProgress;
                again = true;
            }
            if file.summary.is_retryable() {
                file.summary = StageState::Pending;
                again = true;
            }
            if again {
                retried.push(index);
            }
        }
        if self.map_of_content.is_retryable() {
            self.map_of_content = StageState::Pending;
        }
        retried
    }

    /// Sets every knowledge stage back to pending, so the next run rebuilds summaries and
    /// the Map of Content from the transcripts it already has.
    pub fn reset_knowledge(&mut self) {
        for file in &mut self.files {
            file.summary = StageState::Pending;
        }
        self.map_of_content = StageState::Pending;
    }
}

fn parse_field<T: std::str::FromStr>(field: Option<&str>) -> Option<T> {
    field.and_then(|f| f.parse().ok())
}

/// Why bytes could not be decoded as a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Version(u32),
    Corrupt(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        let mut cp = Checkpoint::new("job-1", &[PathBuf::from("/a.mp3"), PathBuf::from("/b.wav")]);
        cp.files[0].state = FileState::Done {
            outputs: vec![PathBuf::from("/out/a.txt")],
            audio_ms: 1234,
        };
        cp.files[1].state = FileState::failed("not audio");
        cp
    }

    #[test]
    fn round_trips_through_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("checkpoint");
        assert_eq!(Checkpoint::load(&path).expect("load"), None);
        let cp = sample();
        cp.save(&path).expect("save");
        assert_eq!(Checkpoint::load(&path).expect("load"), Some(cp));
    }

    #[test]
    fn every_truncation_is_detected() {
        let bytes = sample().encode();
        for cut in 0..bytes.len() {
            assert!(Checkpoint::decode(&bytes[..cut]).is_err(), "cut at {cut} accepted");
        }
    }

    #[test]
    fn bit_flips_in_the_body_are_detected() {
        let bytes = sample().encode();
        let body_start = bytes.iter().position(|&b| b == b'\n').expect("header") + 1;
        for i in body_start..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x01;
            assert!(Checkpoint::decode(&flipped).is_err(), "flip at {i} accepted");
        }
    }

    #[test]
    fn newer_versions_are_refused_by_name() {
        let text = String::from_utf8(sample().encode()).expect("utf8");
        let current = format!("castmill-checkpoint {CHECKPOINT_VERSION} ");
        let newer = text.replacen(&current, "castmill-checkpoint 9 ", 1);
        assert_eq!(Checkpoint::decode(newer.as_bytes()), Err(DecodeError::Version(9)));
    }

    #[test]
    fn skipped_files_round_trip() {
        let mut cp = sample();
        cp.files[1].state = FileState::Skipped;
        assert_eq!(Checkpoint::decode(&cp.encode()), Ok(cp.clone()));
        assert_eq!(cp.files_skipped(), 1);
    }

    /// The bytes an older build wrote: its header around `body`.
    fn written_by_version(version: u32, body: &[u8]) -> Vec<u8> {
        let mut bytes = format!(
            "castmill-checkpoint {version} {} {:08x}\n",
            body.len(),
            crc32fast::hash(body)
        )
        .into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    /// A checkpoint written by a version-1 build (before `skipped` existed), byte for byte.
    #[test]
    fn version_1_checkpoints_still_load() {
        let body = br#"{"job_id":"job-1","files":[{"input":"/a.mp3","fingerprint":null,"duration_ms":1234,"state":{"state":"done","outputs":["/out/a.txt"],"audio_ms":1234}},{"input":"/b.wav","fingerprint":null,"duration_ms":null,"state":{"state":"in_progress"}}],"updated_at_ms":5,"last_stop":"parent_died"}"#;
        let cp = Checkpoint::decode(&written_by_version(1, body)).expect("a version-1 checkpoint loads");
        assert_eq!(cp.files_done(), 1);
        assert_eq!(cp.files[1].state, FileState::InProgress);
        assert_eq!(cp.last_stop, Some(StopReason::ParentDied));
        assert_eq!(cp.files[0].summary, StageState::Pending);
    }

    /// A checkpoint written by a version-2 build (before the knowledge stages), byte for byte:
    /// its transcripts stay done and its summaries are pending, so they are made on resume.
    #[test]
    fn version_2_checkpoints_load_with_knowledge_pending() {
        let body = br#"{"job_id":"job-2","files":[{"input":"/a.mp3","fingerprint":null,"duration_ms":1234,"state":{"state":"done","outputs":["/out/a.txt"],"audio_ms":1234}},{"input":"/b.wav","fingerprint":null,"duration_ms":null,"state":{"state":"skipped"}}],"updated_at_ms":5,"last_stop":"finished"}"#;
        let cp = Checkpoint::decode(&written_by_version(2, body)).expect("a version-2 checkpoint loads");
        assert_eq!(cp.files_done(), 1);
        assert_eq!(cp.files_skipped(), 1);
        assert!(cp.files.iter().all(|f| f.summary == StageState::Pending));
        assert_eq!(cp.map_of_content, StageState::Pending);
    }

    /// A checkpoint written by a version-4 build (before skipped summaries), byte for byte: it
    /// loads unchanged, its retryable failures still retried.
    #[test]
    fn version_4_checkpoints_load_unchanged() {
        let body = br#"{"job_id":"job-4","files":[{"input":"/a.mp3","fingerprint":null,"duration_ms":1234,"state":{"state":"done","outputs":["/out/a.txt"],"audio_ms":1234},"summary":{"state":"failed","reason":"cannot write /out/a.md: disk is full","retry_on_resume":true}},{"input":"/b.wav","fingerprint":null,"duration_ms":null,"state":{"state":"done","outputs":[],"audio_ms":5},"summary":{"state":"done","outputs":["/out/b.md"]}}],"updated_at_ms":5,"last_stop":"finished","map_of_content":{"state":"pending"}}"#;
        let mut cp = Checkpoint::decode(&written_by_version(4, body)).expect("a version-4 checkpoint loads");
        assert_eq!(cp.files_done(), 2);
        assert!(cp.files[1].summary.is_done());
        assert!(cp.has_retryable_failures());
        assert_eq!(cp.requeue_retryable(), vec![0]);
        assert_eq!(cp.files[0].summary, StageState::Pending);
    }

    /// A checkpoint written by a version-5 build, byte for byte.
    #[test]
    fn version_5_checkpoints_load_unchanged() {
        let body = br#"{"job_id":"job-5","files":[{"input":"/a.mp3","fingerprint":null,"duration_ms":1234,"state":{"state":"done","outputs":["/out/a.txt"],"audio_ms":1234},"summary":{"state":"skipped"}}],"updated_at_ms":5,"last_stop":"finished","map_of_content":{"state":"done","outputs":[]}}"#;
        let cp = Checkpoint::decode(&written_by_version(5, body)).expect("a version-5 checkpoint loads");
        assert_eq!(cp.files[0].summary, StageState::Skipped);
        assert_eq!(cp.files_done(), 1);
    }

    /// A checkpoint written by a version-6 build (before the speakers stage), byte for byte:
    /// its files' speakers read as pending, everything else as it was.
    #[test]
    fn version_6_checkpoints_load_with_speakers_pending() {
        let body = br#"{"job_id":"job-6","files":[{"input":"/a.mp3","fingerprint":null,"duration_ms":1234,"state":{"state":"done","outputs":["/out/a.txt"],"audio_ms":1234},"summary":{"state":"done","outputs":["/out/a.md"]}}],"updated_at_ms":5,"last_stop":"finished","map_of_content":{"state":"done","outputs":[]}}"#;
        let cp = Checkpoint::decode(&written_by_version(6, body)).expect("a version-6 checkpoint loads");
        assert_eq!(cp.files[0].speakers, StageState::Pending);
        assert!(cp.files[0].summary.is_done());
        assert_eq!(cp.files_done(), 1);
    }

    /// An input and outputs whose names are not UTF-8 are kept exactly (they used to make
    /// the body empty, and the checkpoint corrupt).
    #[test]
    fn paths_that_are_not_utf8_round_trip() {
        use std::os::unix::ffi::OsStringExt;
        let latin1 = |bytes: &[u8]| PathBuf::from(std::ffi::OsString::from_vec(bytes.to_vec()));
        let mut cp = Checkpoint::new("job", &[latin1(b"/in/caf\xe9.mp3")]);
        cp.files[0].state = FileState::Done {
            outputs: vec![latin1(b"/out/caf\xe9/a.txt")],
            audio_ms: 5,
        };
        assert_eq!(Checkpoint::decode(&cp.encode()), Ok(cp));
    }

    #[test]
    fn skipped_summaries_round_trip_and_are_rebuilt_on_request() {
        let mut cp = sample();
        cp.files[0].summary = StageState::Skipped;
        assert_eq!(Checkpoint::decode(&cp.encode()), Ok(cp.clone()));
        assert!(!cp.files[0].summary.is_done());
        assert!(cp.requeue_retryable().is_empty(), "a skip is not retried");
        cp.reset_knowledge();
        assert_eq!(cp.files[0].summary, StageState::Pending);
    }

    /// A checkpoint written by a version-3 build (before retryable failures), byte for byte:
    /// its failures stay final.
    #[test]
    fn version_3_checkpoints_load_with_failures_final() {
        let body = br#"{"job_id":"job-3","files":[{"input":"/a.mp3","fingerprint":null,"duration_ms":1234,"state":{"state":"failed","reason":"cannot write /out/a.txt: disk is full"},"summary":{"state":"failed","reason":"no model"}}],"updated_at_ms":5,"last_stop":"finished","map_of_content":{"state":"pending"}}"#;
        let mut cp = Checkpoint::decode(&written_by_version(3, body)).expect("a version-3 checkpoint loads");
        assert_eq!(
            cp.files[0].state,
            FileState::failed("cannot write /out/a.txt: disk is full")
        );
        assert_eq!(cp.files[0].summary, StageState::failed("no model"));
        assert!(!cp.has_retryable_failures());
        assert!(cp.requeue_retryable().is_empty());
    }

    #[test]
    fn failures_to_save_are_retried_and_final_ones_are_not() {
        let mut cp = sample();
        cp.files[0].summary = StageState::Failed {
            reason: "cannot write /out/a.md: disk is full".into(),
            retry_on_resume: true,
        };
        cp.files.push(FileCheckpoint {
            input: PathBuf::from("/c.ogg"),
            fingerprint: None,
            duration_ms: None,
            state: FileState::Failed {
                reason: "cannot write /out/c.txt: disk is full".into(),
                retry_on_resume: true,
            },
            summary: StageState::Pending,
            speakers: StageState::Pending,
        });
        assert_eq!(Checkpoint::decode(&cp.encode()), Ok(cp.clone()));
        assert!(cp.has_retryable_failures());
        assert_eq!(cp.requeue_retryable(), vec![0, 2]);
        assert!(matches!(cp.files[0].state, FileState::Done { .. }));
        assert_eq!(cp.files[0].summary, StageState::Pending);
        assert_eq!(cp.files[1].state, FileState::failed("not audio"));
        assert_eq!(cp.files[2].state, FileState::InProgress);
        assert!(!cp.has_retryable_failures());
    }

    #[test]
    fn knowledge_stages_round_trip_and_reset() {
        let mut cp = sample();
        cp.files[0].summary = StageState::Done {
            outputs: vec![PathBuf::from("/out/a.md")],
        };
        cp.map_of_content = StageState::failed("no model");
        assert_eq!(Checkpoint::decode(&cp.encode()), Ok(cp.clone()));
        cp.reset_knowledge();
        assert_eq!(cp.files[0].summary, StageState::Pending);
        assert_eq!(cp.map_of_content, StageState::Pending);
        assert!(matches!(cp.files[0].state, FileState::Done { .. }));
    }

    #[test]
    fn garbage_is_corrupt_not_a_panic() {
        for junk in [
            &b""[..],
            b"\n",
            b"hello world",
            b"castmill-checkpoint x y z\n{}",
            &[0xff; 64],
        ] {
            assert!(matches!(Checkpoint::decode(junk), Err(DecodeError::Corrupt(_))));
        }
    }
}
