//! The speaker library (`speakers.json` in the data directory): every voice a person has
//! named, with the voiceprints it was named from, so later jobs label that voice by its name.
//! Changed only while holding its lock (`speakers.lock`); written atomically.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use shared_ipc::{FileKind, JobLock, KnownVoice, LockError, atomic_file};
use thiserror::Error;

use crate::data_dirs::DataDirs;

/// Format version of the library.
pub const SPEAKER_LIBRARY_VERSION: u32 = 1;
/// A voice keeps its latest prints only: enough to average out one episode's microphone.
const MAX_SAMPLES_PER_VOICE: usize = 16;
const MAX_LIBRARY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerLibrary {
    pub format_version: u32,
    /// In the order they were first named.
    pub voices: Vec<LibraryVoice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryVoice {
    pub name: String,
    pub samples: Vec<VoiceSample>,
}

/// One episode's voiceprint of a named voice: speaker `speaker` of input `file_index` of job
/// `job_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoiceSample {
    pub job_id: String,
    pub file_index: usize,
    pub speaker: usize,
    pub voiceprint: Vec<f32>,
}

impl VoiceSample {
    fn of(&self, job_id: &str, file_index: usize, speaker: usize) -> bool {
        self.job_id == job_id && self.file_index == file_index && self.speaker == speaker
    }
}

#[derive(Debug, Error)]
pub enum LibraryError {
    #[error("failed to read the speaker library {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the speaker library {path} is damaged ({reason}); move it away to start a new one")]
    Damaged { path: PathBuf, reason: String },
    #[error("the speaker library {path} has format version {found}; this build reads up to {SPEAKER_LIBRARY_VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("failed to write the speaker library {path}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the speaker library is being changed by another Castmill command; try again")]
    Busy,
    #[error("failed to lock the speaker library")]
    Lock(#[source] LockError),
    #[error("no speaker is named {0:?} (see `castmill speakers list`)")]
    NoSuchName(String),
    #[error("a speaker is already named {0:?}; to join the two, use `castmill speakers merge`")]
    NameTaken(String),
    #[error("a name cannot be empty or look like a default label such as \"Speaker 2\"")]
    BadName,
}

impl Default for SpeakerLibrary {
    fn default() -> Self {
        Self {
            format_version: SPEAKER_LIBRARY_VERSION,
            voices: Vec::new(),
        }
    }
}

/// The library, held for changing: loaded under its lock, saved with [`HeldLibrary::save`].
pub struct HeldLibrary {
    pub library: SpeakerLibrary,
    path: PathBuf,
    _lock: JobLock,
}

impl HeldLibrary {
    pub fn open(dirs: &DataDirs) -> Result<Self, LibraryError> {
        DataDirs::ensure_private(dirs.root()).map_err(|source| LibraryError::Write {
            path: dirs.root().to_owned(),
            source,
        })?;
        let lock = match JobLock::try_acquire(&dirs.speaker_library_lock()) {
            Ok(lock) => lock,
            Err(LockError::Held { .. }) => return Err(LibraryError::Busy),
            Err(e) => return Err(LibraryError::Lock(e)),
        };
        let path = dirs.speaker_library();
        Ok(Self {
            library: SpeakerLibrary::load(&path)?,
            path,
            _lock: lock,
        })
    }

    pub fn save(&self) -> Result<(), LibraryError> {
        let bytes = serde_json::to_vec(&self.library).map_err(|e| LibraryError::Write {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        atomic_file::write_atomic(&self.path, &bytes, FileKind::Record).map_err(|source| LibraryError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

/// A name a person may give: not empty, not a default label, on one line.
pub fn check_name(name: &str) -> Result<&str, LibraryError> {
    let name = name.trim();
    if name.is_empty() || name.contains(['\n', '\r']) || shared_ipc::speaker_record::is_default_label(name) {
        return Err(LibraryError::BadName);
    }
    Ok(name)
}

impl SpeakerLibrary {
    /// The library at `path`; an empty one when there is none yet.
    pub fn load(path: &Path) -> Result<Self, LibraryError> {
        let bytes = match atomic_file::read_limited(path, MAX_LIBRARY_BYTES) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(LibraryError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let library: Self = serde_json::from_slice(&bytes).map_err(|e| LibraryError::Damaged {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if library.format_version > SPEAKER_LIBRARY_VERSION {
            return Err(LibraryError::Version {
                path: path.to_owned(),
                found: library.format_version,
            });
        }
        Ok(library)
    }

    /// What a new job is told: each voice's name and prints.
    pub fn known_voices(&self) -> Vec<KnownVoice> {
        self.voices
            .iter()
            .filter(|v| !v.samples.is_empty())
            .map(|v| KnownVoice {
                name: v.name.clone(),
                voiceprints: v.samples.iter().map(|s| s.voiceprint.clone()).collect(),
            })
            .collect()
    }

    pub fn voice(&self, name: &str) -> Option<&LibraryVoice> {
        self.voices.iter().position(|v| v.name == name).map(|i| &self.voices[i])
    }

    fn position(&self, name: &str) -> Result<usize, LibraryError> {
        self.voices
            .iter()
            .position(|v| v.name == name)
            .ok_or_else(|| LibraryError::NoSuchName(name.to_owned()))
    }

    /// The voice named `name`, made (with no prints yet) if new.
    fn entry(&mut self, name: &str) -> &mut LibraryVoice {
        let at = match self.voices.iter().position(|v| v.name == name) {
            Some(at) => at,
            None => {
                self.voices.push(LibraryVoice {
                    name: name.to_owned(),
                    samples: Vec::new(),
                });
                self.voices.len() - 1
            }
        };
        &mut self.voices[at]
    }

    /// Names a voice from one episode's print (the voice is made if new). A print from the
    /// same episode replaces the old one; an empty print (too little speech) adds nothing.
    pub fn add_sample(&mut self, name: &str, sample: VoiceSample) {
        let samples = &mut self.entry(name).samples;
        samples.retain(|s| !s.of(&sample.job_id, sample.file_index, sample.speaker));
        if !sample.voiceprint.is_empty() {
            samples.push(sample);
        }
        let extra = samples.len().saturating_sub(MAX_SAMPLES_PER_VOICE);
        samples.drain(..extra);
    }

    /// Takes back the print given for one episode's speaker (named otherwise there now).
    pub fn remove_sample(&mut self, job_id: &str, file_index: usize, speaker: usize) {
        for voice in &mut self.voices {
            voice.samples.retain(|s| !s.of(job_id, file_index, speaker));
        }
    }

    pub fn rename(&mut self, old: &str, new: &str) -> Result<(), LibraryError> {
        let at = self.position(old)?;
        if self.voices.iter().any(|v| v.name == new) {
            return Err(LibraryError::NameTaken(new.to_owned()));
        }
        self.voices[at].name = new.to_owned();
        Ok(())
    }

    /// `from`'s prints join `into`'s (made if new), and `from` is gone.
    pub fn merge(&mut self, from: &str, into: &str) -> Result<(), LibraryError> {
        let at = self.position(from)?;
        let moved = self.voices.remove(at);
        self.entry(into);
        for sample in moved.samples {
            self.add_sample(into, sample);
        }
        Ok(())
    }

    pub fn forget(&mut self, name: &str) -> Result<(), LibraryError> {
        let at = self.position(name)?;
        self.voices.remove(at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(job: &str, index: usize, print: &[f32]) -> VoiceSample {
        VoiceSample {
            job_id: job.into(),
            file_index: index,
            speaker: 0,
            voiceprint: print.to_vec(),
        }
    }

    #[test]
    fn names_are_kept_renamed_merged_and_forgotten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dirs = DataDirs::at(dir.path());
        {
            let mut held = HeldLibrary::open(&dirs).expect("open");
            assert!(held.library.voices.is_empty());
            held.library.add_sample("Dana", sample("j1", 0, &[1.0, 0.0]));
            held.library.add_sample("Dana", sample("j2", 0, &[0.0, 1.0]));
            held.library.add_sample("Dana", sample("j1", 0, &[0.6, 0.8]));
            let mut sam = sample("j1", 0, &[0.8, 0.6]);
            sam.speaker = 1;
            held.library.add_sample("Sam", sam);
            assert!(matches!(HeldLibrary::open(&dirs), Err(LibraryError::Busy)));
            held.save().expect("save");
        }
        let mut library = SpeakerLibrary::load(&dirs.speaker_library()).expect("load");
        let dana = library.voice("Dana").expect("Dana");
        assert_eq!(dana.samples.len(), 2, "one print per episode");
        assert_eq!(dana.samples[1].voiceprint, vec![0.6, 0.8]);
        assert!(matches!(library.rename("Dana", "Sam"), Err(LibraryError::NameTaken(_))));
        library.rename("Dana", "Dina").expect("rename");
        library.merge("Sam", "Dina").expect("merge");
        assert_eq!(library.voices.len(), 1);
        assert_eq!(library.known_voices()[0].voiceprints.len(), 3);
        library.forget("Dina").expect("forget");
        assert!(matches!(library.forget("Dina"), Err(LibraryError::NoSuchName(_))));
        assert!(library.known_voices().is_empty());
    }

    #[test]
    fn names_that_would_read_as_default_labels_are_refused() {
        assert_eq!(check_name("  Dana ").expect("a name"), "Dana");
        for bad in ["", "  ", "Speaker 3", "a\nb"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_damaged_or_newer_library_is_refused_with_its_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("speakers.json");
        std::fs::write(&path, b"{not json").expect("write");
        let e = SpeakerLibrary::load(&path).expect_err("damaged");
        assert!(e.to_string().contains("speakers.json"), "{e}");
        std::fs::write(&path, br#"{"format_version":9,"voices":[]}"#).expect("write");
        assert!(matches!(
            SpeakerLibrary::load(&path),
            Err(LibraryError::Version { found: 9, .. })
        ));
    }
}
