//! The last stage: link the batch. Every summarised episode's note is written again with
//! its related episodes, and `Map of Content.md` (when asked for) groups the batch's topics
//! into themes that link the episodes. Needs no model: it works from the episode records.

use batch_processor::knowledge::batch_links::{self, LinkInput};
use batch_processor::knowledge::map_of_content::{self, MapEpisode};
use batch_processor::knowledge::sentences;
use shared_ipc::atomic_file::{self, Visibility};
use shared_ipc::{Checkpoint, Stage, StageState, WorkerEvent};

use crate::control::StopRequested;
use crate::episode_record::EpisodeRecord;
use crate::summary_stage::{self, KnowledgeContext};

pub fn run(ctx: &KnowledgeContext<'_>, checkpoint: &mut Checkpoint) -> Result<(), StopRequested> {
    if checkpoint.map_of_content != StageState::Pending {
        return Ok(());
    }
    ctx.pause_point()?;
    ctx.emitter.emit(&WorkerEvent::Stage {
        stage: Stage::MappingContent,
        file_index: None,
    });
    let mut episodes: Vec<(usize, EpisodeRecord)> = Vec::new();
    for (index, file) in checkpoint.files.iter().enumerate() {
        if file.summary.is_done()
            && let Some(record) = EpisodeRecord::load(&ctx.folder.episode_record(index))
        {
            episodes.push((index, record));
        }
    }
    checkpoint.map_of_content = match link(ctx, &episodes) {
        Ok(outputs) => StageState::Done { outputs },
        Err(Failure::Stop(stop)) => return Err(stop),
        Err(Failure::Unsaved(reason)) => {
            ctx.emitter.emit(&WorkerEvent::KnowledgeFailed {
                file_index: None,
                reason: format!(
                    "the Map of Content was not made: {reason}{}",
                    crate::job::retried_on_resume(true)
                ),
            });
            StageState::Failed {
                reason,
                retry_on_resume: true,
            }
        }
    };
    crate::job::save_checkpoint_or_tell(ctx.folder, checkpoint, ctx.emitter);
    Ok(())
}

enum Failure {
    Stop(StopRequested),
    /// The notes or the map could not be saved (every failure here is one).
    Unsaved(String),
}

impl From<StopRequested> for Failure {
    fn from(s: StopRequested) -> Self {
        Failure::Stop(s)
    }
}

/// Rewrites the notes with their related episodes and writes the map; returns the map's
/// path (when one was asked for).
fn link(ctx: &KnowledgeContext<'_>, episodes: &[(usize, EpisodeRecord)]) -> Result<Vec<std::path::PathBuf>, Failure> {
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
        let segments = crate::file_job::committed_segments(ctx.folder, *index).map_err(Failure::Unsaved)?;
        summary_stage::write_note(
            ctx,
            *index,
            record,
            sentences::from_segments(&segments),
            Some(related_stems(e)),
        )
        .map_err(Failure::Unsaved)?;
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
    atomic_file::write_atomic(&path, text.as_bytes(), Visibility::Public).map_err(|e| {
        Failure::Unsaved(format!(
            "cannot write {}: {}",
            path.display(),
            crate::file_job::describe_io(&e)
        ))
    })?;
    ctx.emitter.emit(&WorkerEvent::MapWritten {
        path: path.display().to_string(),
    });
    Ok(vec![path])
}
