//! `castmill --headless`: creates a job, runs the worker, shows progress, and turns Ctrl-C
//! into a graceful stop (a second Ctrl-C stops at once).

use std::io::IsTerminal;
use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use nix::sys::signal::Signal;
use shared_ipc::{Decoding, Incoming, TranscribeOptions, WorkerEvent, exit_code};

use crate::cli::{DecodingArg, RunArgs};
use crate::data_dirs::DataDirs;
use crate::models::store::ModelStore;
use crate::worker_process::{WorkerMessage, WorkerProcess};

pub const EXIT_OK: u8 = 0;
pub const EXIT_SOME_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_STOPPED: u8 = 3;
pub const EXIT_WORKER_FAILED: u8 = 4;

pub fn run(args: RunArgs) -> Result<u8> {
    let Some(out) = args.out.clone() else {
        bail!("--out DIR is required with --headless")
    };
    let inputs = crate::inputs::expand(&args.inputs)?;
    std::fs::create_dir_all(&out).with_context(|| format!("failed to create output folder {}", out.display()))?;
    let out = out
        .canonicalize()
        .with_context(|| format!("failed to resolve {}", out.display()))?;
    let dirs = DataDirs::locate()?;
    let model = ModelStore::new(dirs.models()).resolve(&args.model);
    let model = std::path::absolute(&model).unwrap_or(model);
    if !model.is_file() {
        bail!(
            "model {} is not installed ({} not found); see `castmill models list`",
            args.model,
            model.display()
        );
    }
    let options = TranscribeOptions {
        language: args.language.clone(),
        decoding: match args.decoding {
            DecodingArg::Greedy => Decoding::Greedy,
            DecodingArg::Beam => Decoding::BeamSearch {
                beam_size: args.beam_size,
            },
        },
        threads: args.threads,
        ..TranscribeOptions::default()
    };
    let (folder, spec) = crate::job_setup::create_job(&dirs, inputs, out, model, options)?;
    let mut worker = WorkerProcess::spawn(&folder)?;
    let interrupts = forward_ctrl_c(worker.pid())?;
    let mut view = View::new(args.json, spec.inputs.len());
    let mut files_failed = 0usize;

    loop {
        match worker.events.recv() {
            Ok(WorkerMessage::Line(Incoming::Event(event))) => {
                if let WorkerEvent::FileFailed { .. } = event {
                    files_failed += 1;
                }
                view.show(&event);
            }
            Ok(WorkerMessage::Line(other)) => view.warn(&format!("worker sent an unreadable line: {other:?}")),
            Ok(WorkerMessage::Closed) | Err(_) => break,
        }
    }
    let status = worker.wait().context("failed to wait for the worker")?;
    view.finish();
    let code = match (status.code(), status.signal()) {
        (Some(exit_code::FINISHED), _) if files_failed > 0 => EXIT_SOME_FAILED,
        (Some(exit_code::FINISHED), _) => EXIT_OK,
        (Some(exit_code::STOPPED), _) => {
            eprintln!("stopped; resume later with the job folder {}", folder.root().display());
            EXIT_STOPPED
        }
        (_, Some(_)) if interrupts.load(Ordering::Relaxed) >= 2 => EXIT_STOPPED,
        (Some(code), _) => {
            eprintln!(
                "worker failed: {} (log: {})",
                exit_code::describe(code),
                folder.log().display()
            );
            EXIT_WORKER_FAILED
        }
        (None, signal) => {
            eprintln!(
                "worker was killed by signal {signal:?} (log: {})",
                folder.log().display()
            );
            EXIT_WORKER_FAILED
        }
    };
    Ok(code)
}

/// First Ctrl-C asks the worker to stop gracefully, the second kills it.
fn forward_ctrl_c(worker: nix::unistd::Pid) -> Result<Arc<AtomicU32>> {
    let count = Arc::new(AtomicU32::new(0));
    let seen = Arc::clone(&count);
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM])?;
    std::thread::Builder::new().name("ctrl-c".into()).spawn(move || {
        for _ in signals.forever() {
            let n = seen.fetch_add(1, Ordering::Relaxed) + 1;
            let signal = if n == 1 { Signal::SIGTERM } else { Signal::SIGKILL };
            if n == 1 {
                eprintln!("\nstopping after the current window (Ctrl-C again to stop now)…");
            }
            let _ = nix::sys::signal::killpg(worker, signal);
        }
    })?;
    Ok(count)
}

/// Progress display: bars on a terminal, plain lines otherwise, JSON with `--json`.
struct View {
    json: bool,
    bars: Option<(MultiProgress, ProgressBar, ProgressBar)>,
    started: Instant,
    files: usize,
}

impl View {
    fn new(json: bool, files: usize) -> Self {
        let bars = (!json && std::io::stderr().is_terminal()).then(|| {
            let multi = MultiProgress::new();
            let style = ProgressStyle::with_template("{prefix:>8} [{bar:30}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            let overall = multi.add(ProgressBar::new(1000).with_style(style.clone()).with_prefix("batch"));
            let file = multi.add(ProgressBar::new(1000).with_style(style).with_prefix("file"));
            (multi, overall, file)
        });
        Self {
            json,
            bars,
            started: Instant::now(),
            files,
        }
    }

    fn println(&self, line: &str) {
        match &self.bars {
            Some((multi, ..)) => {
                let _ = multi.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    fn warn(&self, line: &str) {
        self.println(&format!("warning: {line}"));
    }

    fn show(&mut self, event: &WorkerEvent) {
        if self.json {
            print!("{}", event.to_line());
            return;
        }
        match event {
            WorkerEvent::Progress {
                file_index,
                file_done_s,
                file_total_s,
                batch_done_s,
                batch_total_s,
            } => {
                let elapsed = self.started.elapsed().as_secs_f64();
                let speed = if elapsed > 0.0 { batch_done_s / elapsed } else { 0.0 };
                if let Some((_, overall, file)) = &self.bars {
                    set_fraction(overall, *batch_done_s, *batch_total_s);
                    set_fraction(file, *file_done_s, *file_total_s);
                    let eta = batch_total_s
                        .filter(|_| speed > 0.0)
                        .map(|t| (t - batch_done_s) / speed);
                    overall.set_message(format!(
                        "{} / {}  {speed:.1}× real time{}",
                        clock(*batch_done_s),
                        batch_total_s.map(clock).unwrap_or_else(|| "?".into()),
                        eta.map(|e| format!("  ETA {}", clock(e))).unwrap_or_default()
                    ));
                    file.set_message(format!(
                        "file {}/{}  {}",
                        file_index + 1,
                        self.files,
                        clock(*file_done_s)
                    ));
                }
            }
            WorkerEvent::FileCompleted {
                input,
                outputs,
                audio_s,
                ..
            } => {
                self.println(&format!(
                    "done    {input} ({}) → {}",
                    clock(*audio_s),
                    outputs.first().map(String::as_str).unwrap_or("")
                ));
            }
            WorkerEvent::FileFailed { reason, .. } => self.println(&format!("FAILED  {reason}")),
            WorkerEvent::Notice { message, .. } => self.println(&format!("note    {message}")),
            WorkerEvent::Error { message, .. } => self.println(&format!("error   {message}")),
            WorkerEvent::Paused => self.println("paused"),
            WorkerEvent::Resumed => self.println("resumed"),
            WorkerEvent::Finished {
                files_done,
                files_failed,
            } => {
                self.println(&format!(
                    "finished: {files_done} done, {files_failed} failed, in {}",
                    clock(self.started.elapsed().as_secs_f64())
                ));
            }
            _ => {}
        }
    }

    fn finish(&self) {
        if let Some((multi, overall, file)) = &self.bars {
            overall.finish_and_clear();
            file.finish_and_clear();
            let _ = multi.clear();
        }
    }
}

fn set_fraction(bar: &ProgressBar, done: f64, total: Option<f64>) {
    if let Some(total) = total.filter(|t| *t > 0.0) {
        bar.set_position(((done / total).clamp(0.0, 1.0) * 1000.0) as u64);
    }
}

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}
