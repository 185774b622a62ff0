//! A file's committed transcript, read back from its journal without changing it: the
//! outputs, the summary and the map are all made from exactly what was committed, so a
//! resumed run writes the same bytes as an uninterrupted one.

use shared_ipc::{JobFolder, JournalError, JournalLoad, Segment};

#[derive(Debug, thiserror::Error)]
#[error("failed to read back the transcript")]
pub struct TranscriptError(#[source] JournalError);

/// The committed segments of input `index` (none when it has no journal).
pub fn committed_segments(folder: &JobFolder, index: usize) -> Result<Vec<Segment>, TranscriptError> {
    let load = JournalLoad::read(&folder.journal(index)).map_err(TranscriptError)?;
    Ok(load.map(|l| l.segments).unwrap_or_default())
}
