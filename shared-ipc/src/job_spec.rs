//! The job spec: what to do. Written once by the app when the job is created, never changed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::atomic_file;
use crate::file_kind::FileKind;

/// Format version of `job.json`. 2 added `embedding_model`; version-1 specs load with none
/// (no summaries or Map of Content unless a rebuild names a model). 3 stores paths that are
/// not UTF-8 as bytes (`stored_path`); earlier specs have only string paths and load as they
/// are. 4 added `speaker_models` and the `speakers` options; earlier specs load with speakers
/// off (their jobs never had the stage). 5 added `known_voices`; earlier specs load knowing
/// none (every speaker stays "Speaker N").
pub const JOB_SPEC_VERSION: u32 = 5;

/// Specs larger than this are refused (a hostile or corrupt file).
const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    pub format_version: u32,
    pub job_id: String,
    pub created_at_ms: u64,
    /// Ordered inputs, absolute paths.
    #[serde(with = "crate::stored_path::many")]
    pub inputs: Vec<PathBuf>,
    /// Where outputs go; absolute path.
    #[serde(with = "crate::stored_path::one")]
    pub output_dir: PathBuf,
    /// The GGML whisper model file; absolute path.
    #[serde(with = "crate::stored_path::one")]
    pub model: PathBuf,
    /// The sentence-transformers folder for summaries and the Map of Content; absolute path.
    /// Needed only when either is on.
    #[serde(default, with = "crate::stored_path::optional")]
    pub embedding_model: Option<PathBuf>,
    /// The speaker networks; needed only when speakers are on.
    #[serde(default)]
    pub speaker_models: Option<SpeakerModels>,
    /// The speaker library as it was when the job was made: the speakers stage labels a
    /// voice close enough to one of these with its name. Fixed with the job, so a resumed
    /// run labels exactly as an uninterrupted one.
    #[serde(default)]
    pub known_voices: Vec<KnownVoice>,
    pub options: TranscribeOptions,
}

/// A voice the user has named: its name and the voiceprints it was named from (each unit
/// length, from one episode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownVoice {
    pub name: String,
    pub voiceprints: Vec<Vec<f32>>,
}

/// The two networks the speakers stage runs; absolute paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerModels {
    #[serde(with = "crate::stored_path::one")]
    pub segmentation: PathBuf,
    #[serde(with = "crate::stored_path::one")]
    pub voice_encoder: PathBuf,
}

/// Who speaks when: off, or on with the number of speakers known or bounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpeakerOptions {
    pub enabled: bool,
    /// At least this many speakers (none: one or more).
    pub min: Option<u32>,
    /// At most this many (none: no limit).
    pub max: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TranscribeOptions {
    /// Language code such as `en`, or `auto` to detect.
    pub language: String,
    pub decoding: Decoding,
    /// Threads for the model; 0 means all cores.
    pub threads: u32,
    pub formats: OutputFormats,
    /// Per episode: a `.md` note with summary, key topics and related episodes.
    pub summaries: bool,
    /// Across the batch: [`MAP_OF_CONTENT_FILE`].
    pub map_of_content: bool,
    /// Per episode: who speaks when, in every output.
    pub speakers: SpeakerOptions,
}

/// The batch's Map of Content, in the output folder.
pub const MAP_OF_CONTENT_FILE: &str = "Map of Content.md";

/// The names (without extension) of the batch's own outputs in the output folder: no
/// episode's outputs may take them, or the batch would overwrite that episode's note.
pub const RESERVED_STEMS: &[&str] = &["Map of Content"];

impl TranscribeOptions {
    /// Whether the job has a knowledge stage at all.
    pub fn wants_knowledge(&self) -> bool {
        self.summaries || self.map_of_content
    }
}

impl Default for TranscribeOptions {
    fn default() -> Self {
        Self {
            language: "en".into(),
            decoding: Decoding::Greedy,
            threads: 0,
            formats: OutputFormats::default(),
            summaries: false,
            map_of_content: false,
            speakers: SpeakerOptions::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "snake_case")]
pub enum Decoding {
    Greedy,
    BeamSearch { beam_size: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputFormats {
    pub txt: bool,
    pub srt: bool,
    pub vtt: bool,
    pub json: bool,
}

impl Default for OutputFormats {
    fn default() -> Self {
        Self {
            txt: true,
            srt: true,
            vtt: true,
            json: true,
        }
    }
}

#[derive(Debug, Error)]
pub enum JobSpecError {
    #[error("failed to read job spec {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("job spec {path} is not valid")]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("job spec {path} has format version {found}; this build reads up to {JOB_SPEC_VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("failed to write job spec {path}")]
    Write { path: PathBuf, source: std::io::Error },
}

impl JobSpec {
    pub fn load(path: &Path) -> Result<Self, JobSpecError> {
        let bytes = atomic_file::read_limited(path, MAX_SPEC_BYTES).map_err(|source| JobSpecError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&bytes, path)
    }

    /// A spec from the bytes of `path` (named in errors only).
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, JobSpecError> {
        let spec: JobSpec = serde_json::from_slice(bytes).map_err(|source| JobSpecError::Parse {
            path: path.to_owned(),
            source,
        })?;
        if spec.format_version > JOB_SPEC_VERSION {
            return Err(JobSpecError::Version {
                path: path.to_owned(),
                found: spec.format_version,
            });
        }
        Ok(spec)
    }

    pub fn save(&self, path: &Path) -> Result<(), JobSpecError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|source| JobSpecError::Parse {
            path: path.to_owned(),
            source,
        })?;
        atomic_file::write_atomic(path, &bytes, FileKind::Spec).map_err(|source| JobSpecError::Write {
            path: path.to_owned(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spec written by a version-1 build (before `embedding_model`), byte for byte.
    #[test]
    fn version_1_specs_still_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("job.json");
        let v1 = r#"{
  "format_version": 1,
  "job_id": "1700000000000-42",
  "created_at_ms": 1700000000000,
  "inputs": ["/in/a.mp3"],
  "output_dir": "/out",
  "model": "/models/tiny.en.bin",
  "options": {
    "language": "en",
    "decoding": { "strategy": "greedy" },
    "threads": 2,
    "formats": { "txt": true, "srt": true, "vtt": false, "json": true },
    "summaries": false,
    "map_of_content": false
  }
}"#;
        std::fs::write(&path, v1).expect("write");
        let spec = JobSpec::load(&path).expect("a version-1 spec loads");
        assert_eq!(spec.format_version, 1);
        assert_eq!(spec.embedding_model, None);
        assert!(!spec.options.wants_knowledge());
        assert!(!spec.options.formats.vtt);
        assert!(!spec.options.speakers.enabled);
        assert_eq!(spec.speaker_models, None);
    }

    /// Printed with its causes (as `{:#}` or `error_chain::describe` do), an error says each
    /// cause once: the message leaves its source to the chain.
    #[test]
    fn a_failure_says_its_cause_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("job.json");
        let e = JobSpec::load(&missing).expect_err("no spec");
        let text = crate::error_chain::describe(&e);
        assert!(text.starts_with("failed to read job spec "), "{text}");
        assert_eq!(text.matches("No such file or directory").count(), 1, "{text}");
    }

    #[test]
    fn every_batch_level_output_is_reserved() {
        let map_stem = MAP_OF_CONTENT_FILE.strip_suffix(".md").expect("a note");
        assert!(RESERVED_STEMS.contains(&map_stem));
    }

    /// A spec written by a version-2 build, byte for byte.
    #[test]
    fn version_2_specs_still_load() {
        let v2 = br#"{"format_version":2,"job_id":"j","created_at_ms":1,"inputs":["/in/a.mp3"],"output_dir":"/out","model":"/m.bin","embedding_model":"/models/all-MiniLM-L6-v2","options":{"language":"en","decoding":{"strategy":"greedy"},"threads":0,"formats":{"txt":true,"srt":true,"vtt":true,"json":true},"summaries":true,"map_of_content":true}}"#;
        let spec = JobSpec::parse(v2, Path::new("job.json")).expect("a version-2 spec loads");
        assert_eq!(spec.inputs, vec![PathBuf::from("/in/a.mp3")]);
        assert_eq!(spec.embedding_model, Some(PathBuf::from("/models/all-MiniLM-L6-v2")));
    }

    /// A spec written by a version-4 build (speakers, no library), byte for byte: it knows
    /// no voices, so every speaker stays "Speaker N".
    #[test]
    fn version_4_specs_load_knowing_no_voices() {
        let v4 = br#"{"format_version":4,"job_id":"j","created_at_ms":1,"inputs":["/in/a.mp3"],"output_dir":"/out","model":"/m.bin","embedding_model":null,"speaker_models":{"segmentation":"/models/segmentation-3.0.safetensors","voice_encoder":"/models/resemblyzer.safetensors"},"options":{"language":"en","decoding":{"strategy":"greedy"},"threads":0,"formats":{"txt":true,"srt":true,"vtt":true,"json":true},"summaries":false,"map_of_content":false,"speakers":{"enabled":true,"min":null,"max":2}}}"#;
        let spec = JobSpec::parse(v4, Path::new("job.json")).expect("a version-4 spec loads");
        assert!(spec.options.speakers.enabled);
        assert_eq!(spec.options.speakers.max, Some(2));
        assert!(spec.known_voices.is_empty());
    }

    /// An input whose name is not UTF-8 (a Latin-1 name) is stored and read back exactly.
    #[test]
    fn inputs_that_are_not_utf8_round_trip() {
        use std::os::unix::ffi::OsStringExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("job.json");
        let latin1 = PathBuf::from(std::ffi::OsString::from_vec(b"/in/caf\xe9.mp3".to_vec()));
        let spec = JobSpec {
            format_version: JOB_SPEC_VERSION,
            job_id: "j".into(),
            created_at_ms: 1,
            inputs: vec![latin1.clone(), PathBuf::from("/in/b.mp3")],
            output_dir: PathBuf::from("/out"),
            model: PathBuf::from("/m.bin"),
            embedding_model: None,
            speaker_models: None,
            known_voices: Vec::new(),
            options: TranscribeOptions::default(),
        };
        spec.save(&path).expect("save");
        assert_eq!(JobSpec::load(&path).expect("load").inputs[0], latin1);
    }

    #[test]
    fn round_trips_and_refuses_newer_versions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("job.json");
        let mut spec = JobSpec {
            format_version: JOB_SPEC_VERSION,
            job_id: "j".into(),
            created_at_ms: 1,
            inputs: vec![PathBuf::from("/in/a.mp3")],
            output_dir: PathBuf::from("/out"),
            model: PathBuf::from("/m.bin"),
            embedding_model: Some(PathBuf::from("/models/all-MiniLM-L6-v2")),
            speaker_models: None,
            known_voices: Vec::new(),
            options: TranscribeOptions {
                summaries: true,
                ..TranscribeOptions::default()
            },
        };
        spec.save(&path).expect("save");
        assert_eq!(JobSpec::load(&path).expect("load"), spec);
        spec.format_version = JOB_SPEC_VERSION + 1;
        spec.save(&path).expect("save");
        assert!(matches!(JobSpec::load(&path), Err(JobSpecError::Version { .. })));
    }
}
