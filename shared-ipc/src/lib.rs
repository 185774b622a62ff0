//! Types both Castmill binaries share, and nothing else: the worker protocol, the job spec,
//! the checkpoint and segment-journal formats, the job folder layout and the job lock.
//!
//! Writer and reader use the same code, so the two sides can never drift apart.

pub mod atomic_file;
pub mod checkpoint;
pub mod control_signals;
pub mod error_chain;
pub mod exit_code;
pub mod fault_point;
pub mod file_kind;
pub mod fingerprint;
pub mod job_folder;
pub mod job_lock;
pub mod job_spec;
pub mod journal;
pub mod line_reader;
pub mod model_file;
pub mod probe;
pub mod protocol;
pub mod segment;
pub mod speaker_record;
pub mod stored_path;

pub use checkpoint::{Checkpoint, CheckpointError, FileCheckpoint, FileState, StageState, StopReason};
pub use file_kind::FileKind;
pub use fingerprint::Fingerprint;
pub use job_folder::JobFolder;
pub use job_lock::{JobLock, LockError};
pub use job_spec::{Decoding, JobSpec, KnownVoice, OutputFormats, SpeakerModels, SpeakerOptions, TranscribeOptions};
pub use journal::{Journal, JournalError, JournalLoad};
pub use line_reader::{EventReader, Incoming, LineDecoder};
pub use protocol::{ModelRole, ModelState, PROTOCOL_VERSION, Stage, WorkerEvent};
pub use segment::{Segment, Word};

/// Milliseconds since the Unix epoch, for timestamps shown to people.
pub fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
