//! Spawns `batch-processor` for a job folder. The worker gets its own process group (signals
//! reach it and anything it starts, and a Ctrl-C in the terminal reaches only us) and closed
//! stdin. A reader thread turns stdout into events on a bounded channel; another appends
//! stderr to the job's log and keeps its last few KB for error messages.

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};

use nix::unistd::Pid;
use shared_ipc::{EventReader, Incoming, JobFolder};
use thiserror::Error;

/// Lines buffered between the reader thread and the supervisor; the reader waits when full.
const EVENT_QUEUE: usize = 1024;
/// How much of the worker's stderr is kept in memory for messages.
const STDERR_TAIL_BYTES: usize = 8 * 1024;

#[derive(Debug, Error)]
pub enum SpawnError {
    #[error("failed to locate the castmill executable: {0}")]
    NoExe(std::io::Error),
    #[error("failed to open the job log {path}: {source}")]
    Log { path: PathBuf, source: std::io::Error },
    #[error("failed to start the worker {path}: {source}")]
    Spawn { path: PathBuf, source: std::io::Error },
}

pub enum WorkerMessage {
    Line(Incoming),
    /// stdout closed: the worker exited or is about to.
    Closed,
}

pub struct WorkerProcess {
    child: Child,
    pub events: mpsc::Receiver<WorkerMessage>,
    stderr_tail: Arc<Mutex<VecDeque<u8>>>,
    stderr_thread: Option<std::thread::JoinHandle<()>>,
}

/// The worker binary: `CASTMILL_WORKER`, else next to our own executable.
pub fn worker_path() -> Result<PathBuf, SpawnError> {
    if let Some(path) = std::env::var_os("CASTMILL_WORKER") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(SpawnError::NoExe)?;
    Ok(exe.with_file_name("batch-processor"))
}

impl WorkerProcess {
    /// Starts `program` (default: [`worker_path`]) on the job folder.
    pub fn spawn(folder: &JobFolder, program: Option<&std::path::Path>) -> Result<Self, SpawnError> {
        let worker = match program {
            Some(p) => p.to_owned(),
            None => worker_path()?,
        };
        let log_path = folder.log();
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&log_path)
            .map_err(|source| SpawnError::Log {
                path: log_path.clone(),
                source,
            })?;
        let spawn_err = |source| SpawnError::Spawn {
            path: worker.clone(),
            source,
        };
        let mut child = Command::new(&worker)
            .arg(folder.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(spawn_err)?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| spawn_err(std::io::Error::other("no stdout pipe")))?;
        let mut stderr = child
            .stderr
            .take()
            .ok_or_else(|| spawn_err(std::io::Error::other("no stderr pipe")))?;

        let (tx, rx) = mpsc::sync_channel(EVENT_QUEUE);
        std::thread::Builder::new()
            .name("worker-stdout".into())
            .spawn(move || {
                for incoming in EventReader::new(stdout) {
                    if tx.send(WorkerMessage::Line(incoming)).is_err() {
                        return;
                    }
                }
                let _ = tx.send(WorkerMessage::Closed);
            })
            .map_err(spawn_err)?;

        let stderr_tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL_BYTES)));
        let tail = Arc::clone(&stderr_tail);
        let stderr_thread = std::thread::Builder::new()
            .name("worker-stderr".into())
            .spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let _ = log.write_all(&buf[..n]);
                    let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                    tail.extend(&buf[..n]);
                    let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES);
                    tail.drain(..excess);
                }
            })
            .map_err(spawn_err)?;
        Ok(Self {
            child,
            events: rx,
            stderr_tail,
            stderr_thread: Some(stderr_thread),
        })
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// Reaps the worker, and finishes copying its stderr to the log.
    pub fn wait(&mut self) -> std::io::Result<ExitStatus> {
        let status = self.child.wait()?;
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
        Ok(status)
    }

    /// The last lines the worker wrote to stderr.
    pub fn stderr_tail(&self) -> String {
        let tail = self.stderr_tail.lock().unwrap_or_else(|p| p.into_inner());
        let bytes: Vec<u8> = tail.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        text.lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    }
}
