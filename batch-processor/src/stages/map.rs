//! The last stage: link the batch. Every summarised episode's note is written again with
//! its related episodes, and `Map of Content.md` (when asked for) groups the batch's topics
//! into themes that link the episodes. Needs no model: it works from the episode records.

use batch_processor::knowledge::batch_links::{self, LinkInput};
use batch_processor::knowledge::map_of_content::{self, MapEpisode};
use batch_processor::knowledge::sentences;
use shared_ipc::error_chain::describe;
use shared_ipc::{FileKind, Stage, StageState, TranscribeOptions, WorkerEvent, atomic_file};

use crate::episode_record::EpisodeRecord;
use crate::model_host::ModelHost;
use crate::stage::context::{JobStage, StageContext};
use crate::stage::notes::write_note;
use crate::stage::outcome::{Failure, Halt, StageError};
use crate::stage::plain_io::WriteError;
use crate::stage::transcript::committed_segments;

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
        let mut episodes: Vec<(usize, EpisodeRecord)> = Vec::new();
        for (index, file) in ctx.checkpoint.files.iter().enumerate() {
            if file.summary.is_done()
                && let Some(record) = EpisodeRecord::load(&ctx.folder.episode_record(index))
            {
                episodes.push((index, record));
            }
        }
        ctx.checkpoint.map_of_content = match link(ctx, &episodes) {
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

/// Rewrites the notes with their related episodes and writes the map; returns the map's
/// path (when one was asked for). Every failure here is one to save, so it is retried.
fn link(ctx: &StageContext<'_>, episodes: &[(usize, EpisodeRecord)]) -> Result<Vec<std::path::PathBuf>, StageError> {
    let inputs: Vec<LinkInput<'_>> = episodes
        .iter()
        .map(|(_, r)| LinkInput {
            topics: &r.topics,
            topic_vectors: &r.topic_vectors,
            centroid: &r.centroid,
        })
        .collect();
    let links = batch_links::link(&inputs);
    let related_stems = |e: usize| -> Vec<String> {
        links.related[e]
            .iter()
            .map(|&j| ctx.stems[episodes[j].0].clone())
            .collect()
    };

    for (e, (index, record)) in episodes.iter().enumerate() {
        ctx.pause_point()?;
        let segments = committed_segments(ctx.folder, *index).map_err(|e| Failure::unsaved(describe(&e)))?;
        write_note(
            ctx,
            *index,
            record,
            sentences::from_segments(&segments),
            Some(related_stems(e)),
        )
        .map_err(|e| Failure::unsaved(e.to_string()))?;
    }
    if !ctx.spec.options.map_of_content || episodes.is_empty() {
        return Ok(Vec::new());
    }
    let map_episodes: Vec<MapEpisode> = episodes
        .iter()
        .enumerate()
        .map(|(e, (index, record))| MapEpisode {
            stem: ctx.stems[*index].clone(),
            topics: record.topics.clone(),
            related: related_stems(e),
        })
        .collect();
    let text = map_of_content::render(&map_episodes, &links.topics, &links.themes);
    let path = ctx.spec.output_dir.join(shared_ipc::job_spec::MAP_OF_CONTENT_FILE);
    atomic_file::write_atomic(&path, text.as_bytes(), FileKind::Map)
        .map_err(|e| Failure::unsaved(WriteError::new(&path, e).to_string()))?;
    ctx.progress.tick();
    ctx.emit(&WorkerEvent::MapWritten {
        path: path.display().to_string(),
    });
    Ok(vec![path])
}
