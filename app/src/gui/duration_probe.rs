//! Learns the length of queued files without touching them in the app: the worker binary's
//! `--probe` mode reads them in a short-lived process, and its lines come back through a
//! bounded channel.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};

use shared_ipc::probe::ProbeLine;

use crate::supervisor::worker_process::worker_path;

const PROBE_QUEUE: usize = 256;

/// Starts probing `paths`; each answer arrives on the returned channel, followed by a repaint.
pub fn start(paths: Vec<PathBuf>, worker: Option<PathBuf>, ctx: &egui::Context) -> Option<Receiver<ProbeLine>> {
    let program = match worker.map(Ok).unwrap_or_else(worker_path) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("cannot probe durations: {e}");
            return None;
        }
    };
    let (tx, rx) = mpsc::sync_channel(PROBE_QUEUE);
    let ctx = ctx.clone();
    let spawned = std::thread::Builder::new().name("probe".into()).spawn(move || {
        let child = Command::new(&program)
            .arg("--probe")
            .args(&paths)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("cannot run {} --probe: {e}", program.display());
                return;
            }
        };
        if let Some(stdout) = child.stdout.take() {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(probe) = serde_json::from_str::<ProbeLine>(&line) {
                    if tx.send(probe).is_err() {
                        break;
                    }
                    ctx.request_repaint();
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot start probing: {e}");
        return None;
    }
    Some(rx)
}
