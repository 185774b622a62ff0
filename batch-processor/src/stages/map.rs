//! The last stage: link the output folder. The batch's episodes join the folder's vault
//! (`vault.rs`); then every episode of the folder — this batch's and earlier ones' — has its
//! note written again with its related episodes, and `Map of Content.md` (when asked for)
//! groups the folder's topics into themes that link the episodes. Needs no model: it works
//! from the episode records.

use batch_processor::knowledge::batch_links::{self, LinkInput};
use batch_processor::knowledge::links;
use batch_processor::knowledge::map_of_content::{self, MapEpisode};
use batch_processor::knowledge::people::{self, PERSON_NOTE_MARK, Person};
use batch_processor::knowledge::sentences::{self, Sentence};
use shared_ipc::error_chain::describe;
use shared_ipc::{FileKind, Stage, StageState, TranscribeOptions, WorkerEvent, atomic_file};

use crate::episode_record::EpisodeRecord;
use crate::model_host::ModelHost;
use crate::stage::context::{JobStage, StageContext};
use crate::stage::notes::{note_path, write_note_at};
use crate::stage::outcome::{Failure, Halt, StageError};
use crate::stage::plain_io::WriteError;
use crate::stage::transcript::{finished_speakers, spoken_segments};
use crate::vault::{self, VaultEpisode};

/// How often a job waiting for another's hold on the output folder tries again.
const FOLDER_LOCK_RETRY: std::time::Duration = std::time::Duration::from_millis(100);

pub struct MapOfContent;

impl JobStage for MapOfContent {
    fn wanted(&self, options: &TranscribeOptions) -> bool {
        options.wants_knowledge()
    }

    fn run(&self, ctx: &mut StageContext<'_>, models: &mut ModelHost<'_>) -> Result<(), Halt> {
        // Linking needs no model; none is kept resident meanwhile.
        models.unload();
        if ctx.checkpoint.map_of_content != StageState::Pending {
            return Ok(());
        }
        ctx.pause_point()?;
        ctx.stage(Stage::MappingContent, None);
        let mut ours: Vec<(usize, EpisodeRecord)> = Vec::new();
        for (index, file) in ctx.checkpoint.files.iter().enumerate() {
            if file.summary.is_done()
                && let Some(record) = EpisodeRecord::load(&ctx.folder.episode_record(index))
            {
                ours.push((index, record));
            }
        }
        ctx.checkpoint.map_of_content = match link(ctx, &ours) {
            Ok(outputs) => StageState::Done { outputs },
            Err(StageError::Stop(stop)) => return Err(Halt::Stop(stop)),
            Err(StageError::Failed(failure)) => {
                ctx.emit(&WorkerEvent::KnowledgeFailed {
                    file_index: None,
                    reason: failure.told("the Map of Content was not made"),
                });
                failure.stage_state()
            }
            // Nothing here is interruptible part way; a pause waits at the pause points.
            Err(StageError::Interrupted) => StageState::Pending,
        };
        ctx.commit_or_tell();
        Ok(())
    }
}

/// Puts the batch's episodes into the output folder's vault, then — holding the folder's
/// lock, so two jobs writing into one folder take turns — links every episode of the
/// folder, rewrites each note with its related episodes and writes the map; returns the
/// map's path (when one was asked for). Every failure here is one to save, so it is retried.
fn link(ctx: &StageContext<'_>, ours: &[(usize, EpisodeRecord)]) -> Result<Vec<std::path::PathBuf>, StageError> {
    let out = &ctx.spec.output_dir;
    let unsaved = |e: &dyn std::fmt::Display| StageError::Failed(Failure::unsaved(e.to_string()));
    let mut transcripts = Vec::with_capacity(ours.len());
    for (index, record) in ours {
        ctx.pause_point()?;
        // Cut as the summary cut them, so its sentence numbers still point where they did.
        let speakers = finished_speakers(ctx, *index);
        let segments =
            spoken_segments(ctx.folder, *index, speakers.as_ref()).map_err(|e| Failure::unsaved(describe(&e)))?;
        let sentences = sentences::from_segments(&segments);
        VaultEpisode::new(&ctx.spec.job_id, record.clone(), &sentences)
            .save(out)
            .map_err(|e| {
                unsaved(&format!(
                    "cannot write the vault record in {}: {e}",
                    vault::dir(out).display()
                ))
            })?;
        transcripts.push(sentences);
    }
    let _folder_lock = vault::lock(out, || {
        ctx.pause_point()?;
        // Waiting for another job's linking (a second or so) is progress, not a stall.
        ctx.progress.tick();
        std::thread::sleep(FOLDER_LOCK_RETRY);
        Ok::<(), StageError>(())
    })?
    .map_err(|e| unsaved(&describe(&e)))?;

    // The folder's episodes: ours as just made, the others as their jobs left them.
    let mut episodes: Vec<(EpisodeRecord, Vec<Sentence>, Option<usize>)> = vault::episodes(out)
        .into_iter()
        .filter(|e| !ours.iter().any(|(_, r)| r.stem == e.record.stem))
        .map(|e| {
            let sentences = e.sentences();
            (e.record, sentences, None)
        })
        .collect();
    for ((index, record), sentences) in ours.iter().zip(transcripts) {
        episodes.push((record.clone(), sentences, Some(*index)));
    }
    episodes.sort_by(|a, b| a.0.stem.cmp(&b.0.stem));

    let inputs: Vec<LinkInput<'_>> = episodes
        .iter()
        .map(|(r, ..)| LinkInput {
            topics: &r.topics,
            topic_vectors: &r.topic_vectors,
            centroid: &r.centroid,
        })
        .collect();
    let links = batch_links::link(&inputs);
    let related_stems =
        |e: usize| -> Vec<String> { links.related[e].iter().map(|&j| episodes[j].0.stem.clone()).collect() };

    for (e, (record, sentences, index)) in episodes.iter().enumerate() {
        ctx.pause_point()?;
        let path = match index {
            Some(index) => note_path(ctx, *index),
            None => out.join(format!("{}.md", record.stem)),
        };
        write_note_at(ctx, path, record, sentences.clone(), Some(related_stems(e)))
            .map_err(|e| Failure::unsaved(e.to_string()))?;
    }
    let people = people::people(episodes.iter().map(|(r, ..)| (r.stem.as_str(), r.speakers.as_slice())));
    write_people(ctx, &people)?;
    if !ctx.spec.options.map_of_content || episodes.is_empty() {
        return Ok(Vec::new());
    }
    let map_episodes: Vec<MapEpisode> = episodes
        .iter()
        .enumerate()
        .map(|(e, (record, ..))| MapEpisode {
            stem: record.stem.clone(),
            topics: record.topics.clone(),
            related: related_stems(e),
        })
        .collect();
    let text = map_of_content::render(&map_episodes, &links.topics, &links.themes, &people);
    let path = out.join(shared_ipc::job_spec::MAP_OF_CONTENT_FILE);
    atomic_file::write_atomic(&path, text.as_bytes(), FileKind::Map)
        .map_err(|e| Failure::unsaved(WriteError::new(&path, e).to_string()))?;
    ctx.progress.tick();
    ctx.emit(&WorkerEvent::MapWritten {
        path: path.display().to_string(),
    });
    Ok(vec![path])
}

/// Writes each named speaker's note into `People/`, and removes the notes Castmill wrote for
/// names nobody has any more (renamed, merged, forgotten). A note the user wrote there is
/// never touched.
fn write_people(ctx: &StageContext<'_>, people: &[Person]) -> Result<(), StageError> {
    let out = &ctx.spec.output_dir;
    let unsaved = |path: &std::path::Path, e: std::io::Error| Failure::unsaved(WriteError::new(path, e).to_string());
    let mut wanted = std::collections::HashSet::new();
    for person in people {
        ctx.pause_point()?;
        let path = out.join(links::person_note(&person.name));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| unsaved(dir, e))?;
        }
        atomic_file::write_atomic(&path, people::render(person).as_bytes(), FileKind::Note)
            .map_err(|e| unsaved(&path, e))?;
        wanted.insert(path);
    }
    let Ok(entries) = std::fs::read_dir(out.join(links::PEOPLE_FOLDER)) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if wanted.contains(&path) || path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let ours =
            atomic_file::read_limited(&path, 1 << 20).is_ok_and(|bytes| bytes.starts_with(PERSON_NOTE_MARK.as_bytes()));
        if ours {
            std::fs::remove_file(&path).map_err(|e| unsaved(&path, e))?;
        }
    }
    Ok(())
}
