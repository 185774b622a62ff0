//! The worker → supervisor protocol: one JSON object per line on the worker's stdout,
//! tagged by `"type"`. The first line is always `hello`.
//!
//! Compatibility: fields may be added (readers ignore unknown fields) and event types may be
//! added (readers report them as [`crate::Incoming::Unknown`]); renaming or removing anything
//! bumps [`PROTOCOL_VERSION`].

use serde::{Deserialize, Serialize};

use crate::segment::Segment;

/// Version of the event vocabulary below. 2 added the knowledge stages (`summarizing`,
/// `mapping_content`) and the `model`, `summary_written`, `map_written` and
/// `knowledge_failed` events. 3 added the working thread's progress counter to `heartbeat`,
/// the `opening` stage, and names the file being probed. 4 added the speakers stage
/// (`finding_speakers`), the `speakers` model role and the `speakers_found` event. 5 gives a
/// `segment` event's segment its `words` (absent where whisper gave none). A supervisor runs
/// only a worker of its own version.
pub const PROTOCOL_VERSION: u32 = 5;

/// Longest line a reader accepts; a segment of text is far below this.
pub const MAX_LINE_BYTES: usize = 256 * 1024;

/// What the worker is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    LoadingModel,
    /// Reading an input's length (`file_index` names it).
    Probing,
    /// Opening an input before transcribing it: checks, fingerprint, headers.
    Opening,
    Transcribing,
    WritingOutputs,
    /// Finding who speaks when in a finished transcript's audio.
    FindingSpeakers,
    /// Making a finished transcript's summary, key topics and note.
    Summarizing,
    /// Building the batch's Map of Content and linking related episodes.
    MappingContent,
    Done,
}

impl Stage {
    /// The stage in the user's words ("transcribing"), for the window and the log.
    pub fn in_words(self) -> &'static str {
        match self {
            Stage::LoadingModel => "loading the model",
            Stage::Probing => "reading the inputs",
            Stage::Opening => "opening",
            Stage::Transcribing => "transcribing",
            Stage::WritingOutputs => "writing outputs",
            Stage::FindingSpeakers => "finding who speaks",
            Stage::Summarizing => "summarising",
            Stage::MappingContent => "building the Map of Content",
            Stage::Done => "done",
        }
    }
}

/// The models a worker loads, one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelRole {
    /// The whisper model, for transcription.
    Whisper,
    /// The sentence-embedding model, for summaries and the Map of Content.
    Embeddings,
    /// The speaker networks (segmentation and voice encoder, loaded together), for who
    /// speaks when.
    Speakers,
}

/// Where a model is in its life inside the worker: idle → loading → ready → unloading → idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelState {
    Idle,
    Loading,
    Ready,
    Unloading,
}

/// Why the worker is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopCause {
    /// SIGTERM from the supervisor or the user.
    Requested,
    /// The process that started the worker went away.
    ParentDied,
}

/// Kinds of job-level errors, so a supervisor can tell "retry" from "give up".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Model,
    Job,
    Internal,
}

/// One line of the protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WorkerEvent {
    /// Always the first line.
    Hello {
        protocol_version: u32,
        pid: u32,
        worker_version: String,
    },
    Stage {
        stage: Stage,
        /// The file the stage applies to, if any.
        file_index: Option<usize>,
    },
    /// Audio seconds done and total, for the current file and the whole batch. Totals are
    /// absent when a container does not say how long it is.
    Progress {
        file_index: usize,
        file_done_s: f64,
        file_total_s: Option<f64>,
        batch_done_s: f64,
        batch_total_s: Option<f64>,
    },
    /// A committed (durable) segment.
    Segment {
        file_index: usize,
        segment: Segment,
    },
    /// Something a person should know that is not an error (e.g. an input changed since the
    /// last run and is being redone).
    Notice {
        file_index: Option<usize>,
        message: String,
    },
    FileCompleted {
        file_index: usize,
        input: String,
        outputs: Vec<String>,
        audio_s: f64,
    },
    FileFailed {
        file_index: usize,
        input: String,
        reason: String,
    },
    /// A file's speakers were found and its outputs rewritten with them.
    SpeakersFound {
        file_index: usize,
        /// Their labels, in order of first appearance ("Speaker 1", or a name the speaker
        /// library gave the voice).
        speakers: Vec<String>,
    },
    /// No speakers for a file (or, with no `file_index`, for every file): its transcript
    /// stays as it is, without them.
    SpeakersFailed {
        file_index: Option<usize>,
        reason: String,
    },
    /// A model changed state; at most one is ever `loading` or `ready`.
    Model {
        role: ModelRole,
        state: ModelState,
        /// The model's file or folder name.
        name: String,
    },
    /// An episode's summary and key topics, committed with its note.
    SummaryWritten {
        file_index: usize,
        note: String,
        topics: Vec<String>,
    },
    /// The batch's Map of Content, committed; related-episode links are in every note.
    MapWritten {
        path: String,
    },
    /// A summary (`file_index` set) or the Map of Content (`None`) could not be made. The
    /// transcripts are unaffected.
    KnowledgeFailed {
        file_index: Option<usize>,
        reason: String,
    },
    /// From a timer thread, every second, whatever the work does.
    Heartbeat {
        seq: u64,
        /// How far the working thread has got: a counter only it advances (each decoded
        /// chunk, each step of whisper's computation, each embedding batch, each file
        /// written). Lines that keep coming while this stands still mean the work is stuck.
        /// Absent from version-2 workers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        progress: Option<u64>,
    },
    Memory {
        rss_bytes: u64,
    },
    Paused,
    Resumed,
    Stopping {
        cause: StopCause,
    },
    Finished {
        files_done: usize,
        files_failed: usize,
    },
    Error {
        kind: ErrorKind,
        message: String,
    },
}

impl WorkerEvent {
    /// The event as one protocol line, newline included.
    pub fn to_line(&self) -> String {
        // Serializing these plain enums cannot fail; an empty object would still be a valid line.
        let mut line = serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"));
        line.push('\n');
        line
    }

    /// The `type` tag of this event, as written on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            WorkerEvent::Hello { .. } => "hello",
            WorkerEvent::Stage { .. } => "stage",
            WorkerEvent::Progress { .. } => "progress",
            WorkerEvent::Segment { .. } => "segment",
            WorkerEvent::Notice { .. } => "notice",
            WorkerEvent::FileCompleted { .. } => "file_completed",
            WorkerEvent::FileFailed { .. } => "file_failed",
            WorkerEvent::SpeakersFound { .. } => "speakers_found",
            WorkerEvent::SpeakersFailed { .. } => "speakers_failed",
            WorkerEvent::Model { .. } => "model",
            WorkerEvent::SummaryWritten { .. } => "summary_written",
            WorkerEvent::MapWritten { .. } => "map_written",
            WorkerEvent::KnowledgeFailed { .. } => "knowledge_failed",
            WorkerEvent::Heartbeat { .. } => "heartbeat",
            WorkerEvent::Memory { .. } => "memory",
            WorkerEvent::Paused => "paused",
            WorkerEvent::Resumed => "resumed",
            WorkerEvent::Stopping { .. } => "stopping",
            WorkerEvent::Finished { .. } => "finished",
            WorkerEvent::Error { .. } => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_tagged_by_type_and_end_in_newline() {
        let line = WorkerEvent::Paused.to_line();
        assert_eq!(line, "{\"type\":\"paused\"}\n");
        let hello = WorkerEvent::Hello {
            protocol_version: PROTOCOL_VERSION,
            pid: 42,
            worker_version: "0.1.0".into(),
        };
        let line = hello.to_line();
        assert!(line.starts_with("{\"type\":\"hello\""));
        let back: WorkerEvent = serde_json::from_str(line.trim_end()).expect("parse");
        assert_eq!(back, hello);
        assert_eq!(back.type_name(), "hello");
    }

    /// A version-4 worker's segment, byte for byte: it reads with no words; a version-5 one
    /// carries them.
    #[test]
    fn version_4_segments_read_without_words() {
        let v4 =
            r#"{"type":"segment","file_index":0,"segment":{"start_ms":0,"end_ms":900,"text":" Hi.","confidence":0.9}}"#;
        let WorkerEvent::Segment { segment, .. } = serde_json::from_str(v4).expect("a version-4 segment parses") else {
            panic!("not a segment");
        };
        assert!(segment.words.is_empty());
        let with_words = WorkerEvent::Segment {
            file_index: 0,
            segment: Segment {
                words: vec![crate::segment::Word {
                    start_ms: 0,
                    end_ms: 900,
                    text: " Hi.".into(),
                    probability: 0.9,
                }],
                ..segment
            },
        };
        let line = with_words.to_line();
        assert!(line.contains(r#""words":[{"start_ms":0"#), "{line}");
        assert_eq!(
            serde_json::from_str::<WorkerEvent>(line.trim_end()).expect("parse"),
            with_words
        );
    }

    /// A version-2 worker's heartbeat, byte for byte: it reads with no progress counter.
    #[test]
    fn version_2_heartbeats_read_without_progress() {
        let v2 = r#"{"type":"heartbeat","seq":7}"#;
        let event: WorkerEvent = serde_json::from_str(v2).expect("a version-2 heartbeat parses");
        assert_eq!(event, WorkerEvent::Heartbeat { seq: 7, progress: None });
        let v3 = WorkerEvent::Heartbeat {
            seq: 8,
            progress: Some(41),
        };
        assert_eq!(v3.to_line(), "{\"type\":\"heartbeat\",\"seq\":8,\"progress\":41}\n");
    }
}
