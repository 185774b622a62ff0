//! Spawns `batch-processor` for a job folder. The worker gets its own process group (signals
//! reach it and anything it starts, and a Ctrl-C in the terminal reaches only us) and closed
//! stdin. A reader thread turns stdout into events on a bounded channel. Its stderr is the
//! job's log file itself, not a pipe through us: when the app dies, the worker's last words
//! still reach the log, and a broken pipe cannot take the worker down with it.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;

use nix::unistd::Pid;
use shared_ipc::{EventReader, Incoming, JobFolder};
use thiserror::Error;

/// Lines buffered between the reader thread and the supervisor; the reader waits when full.
const EVENT_QUEUE: usize = 1024;
/// How much of the end of the log is read for error messages.
const LOG_TAIL_BYTES: u64 = 8 * 1024;

#[derive(Debug, Error)]
pub enum SpawnError {
    #[error("failed to locate the castmill executable")]
    NoExe(#[source] std::io::Error),
    #[error("failed to open the job log {path}")]
    Log { path: PathBuf, source: std::io::Error },
    #[error("failed to start the worker {path}")]
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
    log_path: PathBuf,
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
    /// Starts `program` (default: [`worker_path`]) on the job folder, with `env` added to
    /// its environment.
    pub fn spawn(
        folder: &JobFolder,
        program: Option<&std::path::Path>,
        env: &[(OsString, OsString)],
    ) -> Result<Self, SpawnError> {
        let worker = match program {
            Some(p) => p.to_owned(),
            None => worker_path()?,
        };
        let log_path = folder.log();
        let log = OpenOptions::new()
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
        let mut command = Command::new(&worker);
        // SAFETY: the hook only calls sigprocmask(2), which is async-signal safe.
        unsafe {
            command.pre_exec(shared_ipc::control_signals::block_until_ready);
        }
        let mut child = command
            .arg(folder.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .process_group(0)
            .spawn()
            .map_err(spawn_err)?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| spawn_err(std::io::Error::other("no stdout pipe")))?;
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

        Ok(Self {
            child,
            events: rx,
            log_path,
        })
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// Reaps the worker.
    pub fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait()
    }

    /// The last lines of the job's log (what the worker last wrote to stderr).
    pub fn stderr_tail(&self) -> String {
        let mut bytes = Vec::new();
        if let Ok(mut log) = File::open(&self.log_path) {
            let len = log.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = log.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)));
            let _ = log.take(LOG_TAIL_BYTES).read_to_end(&mut bytes);
        }
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
