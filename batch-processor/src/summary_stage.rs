//! The summary stage: per transcribed file, its summary, key topics and `.md` note, made
//! from the committed transcript (never from audio) and committed as a stage of its own.

use batch_processor::knowledge::embedder::{Embedder, EmbedderError};
use batch_processor::knowledge::{episode, note};
use shared_ipc::atomic_file::{self, Visibility};
use shared_ipc::{Checkpoint, FileState, JobFolder, JobSpec, StageState, WorkerEvent};

use crate::control::{Control, StopRequested};
use crate::emitter::Emitter;
use crate::episode_record::{EpisodeRecord, RECORD_VERSION};
use crate::model_host::{LoadFailed, ModelHost};

pub struct KnowledgeContext<'a> {
    pub folder: &'a JobFolder,
    pub spec: &'a JobSpec,
    pub stems: &'a [String],
    pub emitter: &'a Emitter,
    pub control: &'a Control,
}

impl KnowledgeContext<'_> {
    pub fn pause_point(&self) -> Result<(), StopRequested> {
        self.control.wait_while_paused(
            || self.emitter.emit(&WorkerEvent::Paused),
            || self.emitter.emit(&WorkerEvent::Resumed),
        )
    }

    pub fn note_path(&self, index: usize) -> std::path::PathBuf {
        self.spec.output_dir.join(format!("{}.md", self.stems[index]))
    }
}

/// Summarises every transcribed file whose summary is pending. A file's failure is recorded
/// and the others go on; a model that cannot load fails every pending summary.
pub fn run(
    ctx: &KnowledgeContext<'_>,
    checkpoint: &mut Checkpoint,
    host: &mut ModelHost<'_>,
) -> Result<(), StopRequested> {
    for index in 0..checkpoint.files.len() {
        let file = &checkpoint.files[index];
        let FileState::Done { audio_ms, .. } = file.state else {
            continue;
        };
        // A done summary whose record went missing is made again, so the map can use it.
        let record_lost = file.summary.is_done() && EpisodeRecord::load(&ctx.folder.episode_record(index)).is_none();
        if !(file.summary == StageState::Pending || record_lost) {
            continue;
        }
        ctx.pause_point()?;
        ctx.emitter.emit(&WorkerEvent::Stage {
            stage: shared_ipc::Stage::Summarizing,
            file_index: Some(index),
        });
        let embedder = match host.embedder() {
            Ok(e) => e,
            Err(LoadFailed(reason)) => {
                fail_all_pending(ctx, checkpoint, &reason);
                return Ok(());
            }
        };
        let outcome = loop {
            match summarize(ctx, embedder, index, audio_ms) {
                Err(Failure::Interrupted) => ctx.pause_point()?,
                other => break other,
            }
        };
        checkpoint.files[index].summary = match outcome {
            Ok(note) => {
                ctx.emitter.emit(&WorkerEvent::SummaryWritten {
                    file_index: index,
                    note: note.0.display().to_string(),
                    topics: note.1,
                });
                StageState::Done { outputs: vec![note.0] }
            }
            Err(failure) => {
                let retry_on_resume = matches!(failure, Failure::Unsaved(_));
                let reason = failure.to_string();
                let again = crate::job::retried_on_resume(retry_on_resume);
                ctx.emitter.emit(&WorkerEvent::KnowledgeFailed {
                    file_index: Some(index),
                    reason: format!("{}: {reason}{again}", checkpoint.files[index].input.display()),
                });
                StageState::Failed {
                    reason,
                    retry_on_resume,
                }
            }
        };
        // Any change to the batch's summaries means the map must be built again.
        checkpoint.map_of_content = StageState::Pending;
        crate::job::save_checkpoint_or_tell(ctx.folder, checkpoint, ctx.emitter);
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("interrupted")]
    Interrupted,
    #[error("{0}")]
    Failed(String),
    /// The summary was made but could not be saved.
    #[error("{0}")]
    Unsaved(String),
}

impl From<EmbedderError> for Failure {
    fn from(e: EmbedderError) -> Self {
        match e {
            EmbedderError::Interrupted => Failure::Interrupted,
            other => Failure::Failed(other.to_string()),
        }
    }
}

/// One episode: record first (private, in the job folder), then the note. Returns the
/// note's path and the topics.
fn summarize(
    ctx: &KnowledgeContext<'_>,
    embedder: &Embedder,
    index: usize,
    audio_ms: u64,
) -> Result<(std::path::PathBuf, Vec<String>), Failure> {
    let segments = crate::file_job::committed_segments(ctx.folder, index).map_err(Failure::Unsaved)?;
    let knowledge = episode::analyse(embedder, &segments, audio_ms)?;
    let record = EpisodeRecord {
        format_version: RECORD_VERSION,
        stem: ctx.stems[index].clone(),
        source: ctx.spec.inputs[index].clone(),
        duration_ms: audio_ms,
        processed: note::iso_date(shared_ipc::now_unix_ms()),
        summary: knowledge.summary,
        topics: knowledge.topics,
        topic_vectors: knowledge.topic_vectors,
        centroid: knowledge.centroid,
    };
    let path = ctx.folder.episode_record(index);
    if let Some(dir) = path.parent() {
        atomic_file::create_private_dir(dir)
            .map_err(|e| Failure::Unsaved(format!("cannot create {}: {e}", dir.display())))?;
    }
    record
        .save(&path)
        .map_err(|e| Failure::Unsaved(format!("cannot save {}: {e}", path.display())))?;
    let note_path = write_note(ctx, index, &record, knowledge.sentences, None).map_err(Failure::Unsaved)?;
    Ok((note_path, record.topics))
}

/// Renders and writes an episode's note atomically; returns its path.
pub fn write_note(
    ctx: &KnowledgeContext<'_>,
    index: usize,
    record: &EpisodeRecord,
    transcript: Vec<batch_processor::knowledge::sentences::Sentence>,
    related: Option<Vec<String>>,
) -> Result<std::path::PathBuf, String> {
    let path = ctx.note_path(index);
    let summary = record
        .summary
        .iter()
        .copied()
        .filter(|&i| i < transcript.len())
        .collect();
    let text = note::render(&note::EpisodeNote {
        stem: record.stem.clone(),
        title: record.stem.clone(),
        source: record.source.clone(),
        duration_ms: record.duration_ms,
        processed: record.processed.clone(),
        transcript,
        summary,
        topics: record.topics.clone(),
        related,
    });
    // The folder may have been removed mid-batch; a failure shows up in the write below.
    let _ = std::fs::create_dir_all(&ctx.spec.output_dir);
    atomic_file::write_atomic(&path, text.as_bytes(), Visibility::Public)
        .map_err(|e| format!("cannot write {}: {}", path.display(), crate::file_job::describe_io(&e)))?;
    Ok(path)
}

fn fail_all_pending(ctx: &KnowledgeContext<'_>, checkpoint: &mut Checkpoint, reason: &str) {
    ctx.emitter.emit(&WorkerEvent::KnowledgeFailed {
        file_index: None,
        reason: format!("summaries and the Map of Content were not made: {reason}"),
    });
    for file in &mut checkpoint.files {
        if matches!(file.state, FileState::Done { .. }) && !file.summary.is_done() {
            file.summary = StageState::failed(reason);
        }
    }
    checkpoint.map_of_content = StageState::failed(reason);
    crate::job::save_checkpoint_or_tell(ctx.folder, checkpoint, ctx.emitter);
}
