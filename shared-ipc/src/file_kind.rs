//! What each of Castmill's durable writes puts down. The writer names it, so the fault points
//! can tell a note from a transcript without guessing from file names, and who may read the
//! file follows from what it is.

/// What a write puts down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The job's checkpoint.
    Checkpoint,
    /// A file's segment journal.
    Journal,
    /// What a summary keeps for the Map of Content (the job folder's `knowledge/`).
    Record,
    /// An episode's `.md` note.
    Note,
    /// The batch's Map of Content.
    Map,
    /// A transcript rendering (`.txt`, `.srt`, `.vtt`, `.json`).
    Output,
    /// The job spec (written by the app).
    Spec,
    /// The supervisor's own note in the job folder (written by the app).
    RunState,
}

impl FileKind {
    /// The name in a fault point (`write:<name>`).
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Checkpoint => "checkpoint",
            FileKind::Journal => "journal",
            FileKind::Record => "record",
            FileKind::Note => "note",
            FileKind::Map => "map",
            FileKind::Output => "output",
            FileKind::Spec => "spec",
            FileKind::RunState => "run_state",
        }
    }

    /// Job bookkeeping is the user's alone (0600); outputs are ordinary files (0644 less the
    /// umask).
    pub fn is_private(self) -> bool {
        matches!(
            self,
            FileKind::Checkpoint | FileKind::Journal | FileKind::Record | FileKind::Spec | FileKind::RunState
        )
    }
}
