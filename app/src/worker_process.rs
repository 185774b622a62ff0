//! Spawns `batch-processor` for a job folder and turns its stdout into events on a bounded
//! channel. The worker gets its own process group (signals reach it and its children, and a
//! Ctrl-C in the terminal reaches only us), closed stdin, and its stderr goes to the job log.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use anyhow::{Context, Result};
use nix::unistd::Pid;
use shared_ipc::{EventReader, Incoming, JobFolder};

/// Events buffered between the reader thread and the UI; the reader waits when it is full.
const EVENT_QUEUE: usize = 1024;

pub enum WorkerMessage {
    Line(Incoming),
    /// stdout closed: the worker exited or is about to.
    Closed,
}

pub struct WorkerProcess {
    child: Child,
    pub events: mpsc::Receiver<WorkerMessage>,
}

/// The worker binary: `CASTMILL_WORKER`, else next to our own executable.
pub fn worker_path() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("CASTMILL_WORKER") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("failed to locate the castmill executable")?;
    Ok(exe.with_file_name("batch-processor"))
}

impl WorkerProcess {
    pub fn spawn(folder: &JobFolder) -> Result<Self> {
        let worker = worker_path()?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(folder.log())
            .with_context(|| format!("failed to open {}", folder.log().display()))?;
        let mut child = Command::new(&worker)
            .arg(folder.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .process_group(0)
            .spawn()
            .with_context(|| format!("failed to start the worker {}", worker.display()))?;
        let stdout = child.stdout.take().context("worker has no stdout")?;
        let (tx, rx) = mpsc::sync_channel(EVENT_QUEUE);
        std::thread::Builder::new()
            .name("worker-reader".into())
            .spawn(move || {
                for incoming in EventReader::new(stdout) {
                    if tx.send(WorkerMessage::Line(incoming)).is_err() {
                        return;
                    }
                }
                let _ = tx.send(WorkerMessage::Closed);
            })?;
        Ok(Self { child, events: rx })
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    pub fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait()
    }
}
