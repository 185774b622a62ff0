//! The summary stage: per transcribed file, its summary, key topics and `.md` note, made
//! from the committed transcript (never from audio) and committed as a stage of its own.

use batch_processor::knowledge::embedder::{Embedder, EmbedderError};
use batch_processor::knowledge::{episode, note};
use shared_ipc::error_chain::describe;
use shared_ipc::{FileState, Stage, StageState, TranscribeOptions, WorkerEvent};

use crate::episode_record::{EpisodeRecord, RECORD_VERSION};
use crate::model_host::ModelHost;
use crate::stage::context::{JobStage, StageContext};
use crate::stage::notes::write_note;
use crate::stage::outcome::{Failure, Halt, StageError};
use crate::stage::plain_io::WriteError;
use crate::stage::transcript::{finished_speakers, spoken_segments};

pub struct Summaries;

impl JobStage for Summaries {
    fn wanted(&self, options: &TranscribeOptions) -> bool {
        options.wants_knowledge()
    }

    /// Summarises every transcribed file whose summary is pending. A file's failure is
    /// recorded and the others go on; a model that cannot load fails every pending summary.
    fn run(&self, ctx: &mut StageContext<'_>, models: &mut ModelHost<'_>) -> Result<(), Halt> {
        for index in 0..ctx.checkpoint.files.len() {
            let file = &ctx.checkpoint.files[index];
            let FileState::Done { audio_ms, .. } = file.state else {
                continue;
            };
            // A done summary whose record went missing is made again, so the map can use it.
            let record_lost =
                file.summary.is_done() && EpisodeRecord::load(&ctx.folder.episode_record(index)).is_none();
            if !(file.summary == StageState::Pending || record_lost) {
                continue;
            }
            ctx.pause_point()?;
            ctx.stage(Stage::Summarizing, Some(index));
            let embedder = match models.embedder() {
                Ok(e) => e,
                // Not a fault of the summaries: the job ends, its transcripts kept, and the
                // summaries are made when it is resumed with more memory.
                Err(failed) if failed.is_memory() => return Err(Halt::model(failed.reason())),
                Err(failed) => {
                    fail_all_pending(ctx, &failed.reason());
                    return Ok(());
                }
            };
            let outcome = loop {
                match summarize(ctx, embedder, index, audio_ms) {
                    Err(StageError::Interrupted) => ctx.pause_point()?,
                    other => break other,
                }
            };
            ctx.checkpoint.files[index].summary = match outcome {
                Ok((note, topics)) => {
                    tracing::info!("file {} summarised: {}", index + 1, note.display());
                    ctx.emit(&WorkerEvent::SummaryWritten {
                        file_index: index,
                        note: note.display().to_string(),
                        topics,
                    });
                    StageState::Done { outputs: vec![note] }
                }
                Err(StageError::Failed(failure)) => {
                    tracing::warn!("file {}: no summary: {}", index + 1, failure.reason);
                    ctx.emit(&WorkerEvent::KnowledgeFailed {
                        file_index: Some(index),
                        reason: failure.told(ctx.input(index).display()),
                    });
                    failure.stage_state()
                }
                Err(StageError::Stop(stop)) => return Err(Halt::Stop(stop)),
                Err(StageError::Interrupted) => continue,
            };
            // Any change to the batch's summaries means the map must be built again.
            ctx.checkpoint.map_of_content = StageState::Pending;
            ctx.commit_or_tell();
        }
        Ok(())
    }
}

/// One episode: record first (private, in the job folder), then the note. Returns the
/// note's path and the topics.
fn summarize(
    ctx: &StageContext<'_>,
    embedder: &Embedder,
    index: usize,
    audio_ms: u64,
) -> Result<(std::path::PathBuf, Vec<String>), StageError> {
    // Who speaks each sentence, once the speakers stage has found them.
    let speakers = finished_speakers(ctx, index);
    let segments = spoken_segments(ctx.folder, index, speakers.as_ref()).map_err(|e| Failure::unsaved(describe(&e)))?;
    let knowledge = episode::analyse(embedder, &segments, audio_ms).map_err(|e| match e {
        EmbedderError::Interrupted => StageError::Interrupted,
        other => Failure::of_input(describe(&other)).into(),
    })?;
    let sentence_speakers = speakers
        .as_ref()
        .map(|r| {
            knowledge
                .sentences
                .iter()
                .map(|s| r.speaker_during(s.start_ms, s.end_ms).unwrap_or(0))
                .collect()
        })
        .unwrap_or_default();
    let record = EpisodeRecord {
        format_version: RECORD_VERSION,
        stem: ctx.stems[index].clone(),
        source: ctx.input(index).to_owned(),
        duration_ms: audio_ms,
        processed: note::iso_date(shared_ipc::now_unix_ms()),
        summary: knowledge.summary,
        topics: knowledge.topics,
        topic_vectors: knowledge.topic_vectors,
        centroid: knowledge.centroid,
        speakers: speakers
            .map(|r| r.speakers.into_iter().map(|s| (s.label, s.talk_ms)).collect())
            .unwrap_or_default(),
        sentence_speakers,
    };
    let path = ctx.folder.episode_record(index);
    if let Some(dir) = path.parent() {
        shared_ipc::atomic_file::create_private_dir(dir)
            .map_err(|e| Failure::unsaved(WriteError::new(dir, e).to_string()))?;
    }
    record
        .save(&path)
        .map_err(|e| Failure::unsaved(WriteError::new(&path, e).to_string()))?;
    let note_path =
        write_note(ctx, index, &record, knowledge.sentences, None).map_err(|e| Failure::unsaved(e.to_string()))?;
    Ok((note_path, record.topics))
}

fn fail_all_pending(ctx: &mut StageContext<'_>, reason: &str) {
    ctx.emit(&WorkerEvent::KnowledgeFailed {
        file_index: None,
        reason: format!("summaries and the Map of Content were not made: {reason}"),
    });
    for file in &mut ctx.checkpoint.files {
        let open = !file.summary.is_done() && file.summary != StageState::Skipped;
        if matches!(file.state, FileState::Done { .. }) && open {
            file.summary = StageState::failed(reason);
        }
    }
    ctx.checkpoint.map_of_content = StageState::failed(reason);
    ctx.commit_or_tell();
}
