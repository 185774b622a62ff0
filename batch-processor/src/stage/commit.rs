//! Committing: the job's checkpoint as the stages change it, saved atomically at each commit
//! point, and the one wording for work that is retried because only saving it failed.

use std::ops::{Deref, DerefMut};

use shared_ipc::error_chain::describe;
use shared_ipc::{Checkpoint, CheckpointError, JobFolder, WorkerEvent};

use crate::emitter::Emitter;

/// The checkpoint, owned by the running job: stages change it in memory and commit it.
pub struct CheckpointHandle<'a> {
    folder: &'a JobFolder,
    checkpoint: Checkpoint,
}

impl<'a> CheckpointHandle<'a> {
    pub fn new(folder: &'a JobFolder, checkpoint: Checkpoint) -> Self {
        Self { folder, checkpoint }
    }

    /// Saves the checkpoint as it stands now.
    pub fn commit(&mut self) -> Result<(), CheckpointError> {
        self.checkpoint.updated_at_ms = shared_ipc::now_unix_ms();
        self.checkpoint.save(&self.folder.checkpoint())
    }

    /// Commits where the work itself is already safe (a note written, a stop): a failure
    /// costs only redoing that step after a crash, so it is told, not fatal.
    pub fn commit_or_tell(&mut self, emitter: &Emitter) {
        if let Err(e) = self.commit() {
            let cause = describe(&e);
            tracing::error!("{cause}");
            emitter.emit(&WorkerEvent::Notice {
                file_index: None,
                message: format!(
                    "could not save progress ({cause}); if the job is interrupted now, the last step is redone"
                ),
            });
        }
    }
}

impl Deref for CheckpointHandle<'_> {
    type Target = Checkpoint;

    fn deref(&self) -> &Checkpoint {
        &self.checkpoint
    }
}

impl DerefMut for CheckpointHandle<'_> {
    fn deref_mut(&mut self) -> &mut Checkpoint {
        &mut self.checkpoint
    }
}

/// Appended to a failure's reason for the user: when only saving the work failed
/// (`retry_on_resume`), that the next run tries again; one wording wherever that happens.
pub fn retried_on_resume(retry_on_resume: bool) -> &'static str {
    if retry_on_resume {
        "; resuming the job tries it again"
    } else {
        ""
    }
}
