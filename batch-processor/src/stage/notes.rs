//! An episode's Obsidian note (`<stem>.md`): rendered from what its summary kept and its
//! committed transcript, written atomically. The summaries write it first; the map writes it
//! again with the related episodes.

use std::path::PathBuf;

use batch_processor::knowledge::note;
use batch_processor::knowledge::sentences::Sentence;
use shared_ipc::FileKind;
use shared_ipc::atomic_file;

use super::context::StageContext;
use super::plain_io::WriteError;
use crate::episode_record::EpisodeRecord;

/// Where input `index`'s note goes.
pub fn note_path(ctx: &StageContext<'_>, index: usize) -> PathBuf {
    ctx.spec.output_dir.join(format!("{}.md", ctx.stems[index]))
}

/// Renders and writes input `index`'s note; returns its path. `related` is `None` until the
/// map has linked the folder's episodes.
pub fn write_note(
    ctx: &StageContext<'_>,
    index: usize,
    record: &EpisodeRecord,
    transcript: Vec<Sentence>,
    related: Option<Vec<String>>,
) -> Result<PathBuf, WriteError> {
    write_note_at(ctx, note_path(ctx, index), record, transcript, related)
}

/// Renders and writes the note of any episode of the output folder (one of another batch,
/// found in the vault) at `path`.
pub fn write_note_at(
    ctx: &StageContext<'_>,
    path: PathBuf,
    record: &EpisodeRecord,
    transcript: Vec<Sentence>,
    related: Option<Vec<String>>,
) -> Result<PathBuf, WriteError> {
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
        speakers: record.speakers.clone(),
        sentence_speakers: record.sentence_speakers.clone(),
    });
    // The folder may have been removed mid-batch; a failure shows up in the write below.
    let _ = std::fs::create_dir_all(&ctx.spec.output_dir);
    atomic_file::write_atomic(&path, text.as_bytes(), FileKind::Note).map_err(|e| WriteError::new(&path, e))?;
    ctx.progress.tick();
    Ok(path)
}
