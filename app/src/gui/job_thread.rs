//! Runs a job under the supervisor on a background thread. Events reach the UI through a
//! [`Mailbox`] that never blocks, each followed by a repaint request, so the UI sleeps
//! between events, never blocks on the worker, and never slows it down either. Should the
//! supervisor itself fail (a panic), the window is told, the worker is asked to stop, and
//! the job is left for the recovery dialog.

use std::panic::{AssertUnwindSafe, catch_unwind};

use shared_ipc::JobFolder;

use super::mailbox::Mailbox;
use crate::supervisor::control::JobControl;
use crate::supervisor::events::{Outcome, SupervisorEvent};
use crate::supervisor::run_state::{self, RunEnd};
use crate::supervisor::runner::{self, SupervisorConfig};

pub struct JobThread {
    pub control: JobControl,
    pub mailbox: Mailbox,
}

impl JobThread {
    pub fn start(
        folder: JobFolder,
        config: SupervisorConfig,
        repaint: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        Self::start_with(folder, repaint, move |folder, control, sink| {
            runner::run(folder, &config, control, sink)
        })
    }

    /// Runs `supervise` (the supervisor, or in tests a stand-in) on the thread.
    fn start_with(
        folder: JobFolder,
        repaint: impl Fn() + Send + 'static,
        supervise: impl FnOnce(&JobFolder, &JobControl, &mut dyn FnMut(SupervisorEvent)) -> Outcome + Send + 'static,
    ) -> std::io::Result<Self> {
        let control = JobControl::default();
        let mailbox = Mailbox::default();
        let thread_control = control.clone();
        let thread_mailbox = mailbox.clone();
        std::thread::Builder::new().name("job".into()).spawn(move || {
            let mut sink = |event: SupervisorEvent| {
                tracing::debug!(target: "castmill::gui", "event {}", event.to_line().trim_end());
                thread_mailbox.post(event);
                repaint();
            };
            let run = catch_unwind(AssertUnwindSafe(|| supervise(&folder, &thread_control, &mut sink)));
            let outcome = run.unwrap_or_else(|panic| supervisor_failed(&folder, &thread_control, panic.as_ref()));
            tracing::info!(target: "castmill::gui", "job ended: {outcome:?}");
            thread_mailbox.end(outcome);
            repaint();
        })?;
        Ok(Self { control, mailbox })
    }
}

/// The supervisor panicked: its worker (if one runs) is asked to stop, which it does after
/// committing, and the job is noted for the recovery dialog.
fn supervisor_failed(folder: &JobFolder, control: &JobControl, panic: &(dyn std::any::Any + Send)) -> Outcome {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into());
    tracing::error!(target: "castmill::gui", "the supervisor of job {} panicked: {what}", folder.id());
    control.stop();
    let reason = format!(
        "Castmill's supervisor for this job failed ({what}); nothing done is lost, and the job can be resumed from Unfinished jobs"
    );
    run_state::save(folder.root(), RunEnd::SupervisorFailed, &reason);
    Outcome::GaveUp { reason }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use shared_ipc::WorkerEvent;

    use super::*;

    #[test]
    fn a_supervisor_that_panics_ends_the_job_with_the_reason_and_leaves_a_note() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = JobFolder::new(dir.path());
        let thread = JobThread::start_with(
            folder.clone(),
            || {},
            |_, _, sink| {
                sink(SupervisorEvent::Worker(WorkerEvent::Paused));
                panic!("a bug in the runner")
            },
        )
        .expect("thread");
        assert!(thread.mailbox.wait_for_end(Duration::from_secs(60)));
        let delivery = thread.mailbox.take();
        assert_eq!(delivery.events, vec![SupervisorEvent::Worker(WorkerEvent::Paused)]);
        let Some(Outcome::GaveUp { reason }) = delivery.ended else {
            panic!("{:?}", delivery.ended)
        };
        assert!(
            reason.contains("supervisor for this job failed (a bug in the runner)"),
            "{reason}"
        );
        assert!(thread.control.stop_requested(), "the worker is asked to stop");
        let note = run_state::load(folder.root()).expect("note");
        assert_eq!(note.ended, RunEnd::SupervisorFailed);
    }
}
