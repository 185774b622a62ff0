//! A file's committed transcript, read back from its journal without changing it: the
//! outputs, the summary and the map are all made from exactly what was committed, so a
//! resumed run writes the same bytes as an uninterrupted one.

use shared_ipc::speaker_record::SpeakerRecord;
use shared_ipc::{JobFolder, JournalError, JournalLoad, Segment};

use super::context::StageContext;

#[derive(Debug, thiserror::Error)]
#[error("failed to read back the transcript")]
pub struct TranscriptError(#[source] JournalError);

/// The committed segments of input `index` (none when it has no journal).
pub fn committed_segments(folder: &JobFolder, index: usize) -> Result<Vec<Segment>, TranscriptError> {
    let load = JournalLoad::read(&folder.journal(index)).map_err(TranscriptError)?;
    Ok(load.map(|l| l.segments).unwrap_or_default())
}

/// The committed segments of input `index` as its speakers say them: with a speaker record,
/// a segment two people share is cut where the speaker changes (by its words' times), so
/// every output, sentence and note line has one speaker. Without one, as committed.
pub fn spoken_segments(
    folder: &JobFolder,
    index: usize,
    speakers: Option<&SpeakerRecord>,
) -> Result<Vec<Segment>, TranscriptError> {
    let segments = committed_segments(folder, index)?;
    Ok(match speakers {
        Some(record) => segments
            .iter()
            .flat_map(|s| s.split_by(|start, end| record.speaker_during(start, end)))
            .map(|(segment, _)| segment)
            .collect(),
        None => segments,
    })
}

/// Input `index`'s speaker record, when its speakers stage is done.
pub fn finished_speakers(ctx: &StageContext<'_>, index: usize) -> Option<SpeakerRecord> {
    ctx.checkpoint.files[index]
        .speakers
        .is_done()
        .then(|| SpeakerRecord::load(&ctx.folder.speaker_record(index)))
        .flatten()
}
