//! Runs a job under the supervisor on a background thread. Events reach the UI through a
//! bounded channel, each followed by a repaint request, so the UI sleeps between events and
//! never blocks on the worker.

use std::sync::mpsc::{self, Receiver, SyncSender};

use shared_ipc::JobFolder;

use crate::supervisor::control::JobControl;
use crate::supervisor::events::{Outcome, SupervisorEvent};
use crate::supervisor::runner::{self, SupervisorConfig};

const UI_QUEUE: usize = 4096;

pub enum JobMessage {
    Event(SupervisorEvent),
    Ended(Outcome),
}

pub struct JobThread {
    pub control: JobControl,
    pub messages: Receiver<JobMessage>,
}

impl JobThread {
    pub fn start(
        folder: JobFolder,
        config: SupervisorConfig,
        repaint: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let control = JobControl::default();
        let (tx, rx): (SyncSender<JobMessage>, _) = mpsc::sync_channel(UI_QUEUE);
        let thread_control = control.clone();
        std::thread::Builder::new().name("job".into()).spawn(move || {
            let outcome = runner::run(&folder, &config, &thread_control, |event| {
                tracing::debug!(target: "castmill::gui", "event {}", event.to_line().trim_end());
                // A full queue means the UI is behind; waiting here slows the reader, not the worker.
                let _ = tx.send(JobMessage::Event(event));
                repaint();
            });
            tracing::info!(target: "castmill::gui", "job ended: {outcome:?}");
            let _ = tx.send(JobMessage::Ended(outcome));
            repaint();
        })?;
        Ok(Self { control, messages: rx })
    }
}
