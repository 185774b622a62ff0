//! Runs a job under the supervisor on a background thread. Events reach the UI through a
//! [`Mailbox`] that never blocks, each followed by a repaint request, so the UI sleeps
//! between events, never blocks on the worker, and never slows it down either.

use shared_ipc::JobFolder;

use super::mailbox::Mailbox;
use crate::supervisor::control::JobControl;
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
        let control = JobControl::default();
        let mailbox = Mailbox::default();
        let thread_control = control.clone();
        let thread_mailbox = mailbox.clone();
        std::thread::Builder::new().name("job".into()).spawn(move || {
            let outcome = runner::run(&folder, &config, &thread_control, |event| {
                tracing::debug!(target: "castmill::gui", "event {}", event.to_line().trim_end());
                thread_mailbox.post(event);
                repaint();
            });
            tracing::info!(target: "castmill::gui", "job ended: {outcome:?}");
            thread_mailbox.end(outcome);
            repaint();
        })?;
        Ok(Self { control, mailbox })
    }
}
