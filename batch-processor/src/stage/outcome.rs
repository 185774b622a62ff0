//! What a stage's work comes to: for one piece of work (a file, a summary, the map) a
//! [`StageError`] when it did not complete, and for the stage as a whole a [`Halt`] when the
//! job cannot go on.

use std::fmt::Display;

use shared_ipc::protocol::ErrorKind;
use shared_ipc::{FileState, StageState, exit_code};

use super::commit::retried_on_resume;
use crate::control::StopRequested;

/// Why a piece of work failed, as recorded in the checkpoint and told to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    /// The input was fine but Castmill could not save the work, or could not read the input
    /// for the moment: the next run tries again.
    pub retry_on_resume: bool,
    /// It may pass by itself soon (the drive holding the input stopped answering): worth
    /// trying again within this run.
    pub temporary: bool,
}

impl Failure {
    /// The input itself cannot be used by this stage.
    pub fn of_input(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retry_on_resume: false,
            temporary: false,
        }
    }

    /// The work was done but could not be saved (Castmill's own writes failed).
    pub fn unsaved(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retry_on_resume: true,
            temporary: false,
        }
    }

    /// The input could not be read for now (its drive stopped answering).
    pub fn unreadable_for_now(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retry_on_resume: true,
            temporary: true,
        }
    }

    /// The failure as the user reads it: what failed, why, and whether a resume retries it.
    pub fn told(&self, subject: impl Display) -> String {
        format!("{subject}: {}{}", self.reason, retried_on_resume(self.retry_on_resume))
    }

    /// The failure as a file's transcription state.
    pub fn file_state(&self) -> FileState {
        FileState::Failed {
            reason: self.reason.clone(),
            retry_on_resume: self.retry_on_resume,
        }
    }

    /// The failure as a knowledge stage's state.
    pub fn stage_state(&self) -> StageState {
        StageState::Failed {
            reason: self.reason.clone(),
            retry_on_resume: self.retry_on_resume,
        }
    }
}

/// Why a piece of work did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageError {
    /// A pause or stop cut the work short; nothing of it was kept. Wait at the pause point
    /// and do it again.
    Interrupted,
    /// A stop was asked for: the job commits and exits.
    Stop(StopRequested),
    /// The work failed; the stage records it and goes on with the next piece.
    Failed(Failure),
}

impl From<StopRequested> for StageError {
    fn from(stop: StopRequested) -> Self {
        StageError::Stop(stop)
    }
}

impl From<Failure> for StageError {
    fn from(failure: Failure) -> Self {
        StageError::Failed(failure)
    }
}

/// Why a stage ended the whole run early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Halt {
    /// A stop was asked for: commit and exit.
    Stop(StopRequested),
    /// The job cannot go on; `code` is the worker's exit code.
    Fatal {
        kind: ErrorKind,
        code: i32,
        message: String,
    },
}

impl Halt {
    /// The job's model cannot be used.
    pub fn model(message: impl Into<String>) -> Self {
        Halt::Fatal {
            kind: ErrorKind::Model,
            code: exit_code::MODEL_ERROR,
            message: message.into(),
        }
    }

    /// The job folder cannot be used (its checkpoint cannot be saved, say).
    pub fn job(message: impl Into<String>) -> Self {
        Halt::Fatal {
            kind: ErrorKind::Job,
            code: exit_code::JOB_ERROR,
            message: message.into(),
        }
    }
}

impl From<StopRequested> for Halt {
    fn from(stop: StopRequested) -> Self {
        Halt::Stop(stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_to_save_says_it_is_retried_and_is_recorded_as_retryable() {
        let unsaved = Failure::unsaved("cannot write /out/a.txt: disk is full");
        assert_eq!(
            unsaved.told("/in/a.mp3"),
            "/in/a.mp3: cannot write /out/a.txt: disk is full; resuming the job tries it again"
        );
        assert!(matches!(
            unsaved.file_state(),
            FileState::Failed {
                retry_on_resume: true,
                ..
            }
        ));
        let drive = Failure::unreadable_for_now("failed to read the file: Input/output error (os error 5)");
        assert!(drive.temporary);
        assert!(matches!(
            drive.file_state(),
            FileState::Failed {
                retry_on_resume: true,
                ..
            }
        ));
        let bad = Failure::of_input("not audio");
        assert_eq!(bad.told("/in/b.mp3"), "/in/b.mp3: not audio");
        assert_eq!(bad.stage_state(), StageState::failed("not audio"));
    }
}
