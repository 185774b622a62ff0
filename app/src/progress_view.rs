//! Shows a supervised job in the terminal: progress bars on a terminal (per file and overall,
//! in audio time, with ETA and speed), plain lines otherwise, one JSON event per line with
//! `--json`.

use std::io::IsTerminal;
use std::time::Instant;

pub use castmill::progress::clock;
use castmill::progress::{ActiveClock, speed_and_eta};
use castmill::supervisor::control::HoldCause;
use castmill::supervisor::events::SupervisorEvent;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use shared_ipc::{Stage, WorkerEvent};

pub struct View {
    json: bool,
    bars: Option<(MultiProgress, ProgressBar, ProgressBar)>,
    started: Instant,
    /// Working time, for the speed: pauses do not count.
    working: ActiveClock,
    /// Audio already done when this run started (a resumed job), so speed counts new work.
    resumed_from_s: Option<f64>,
    files: usize,
}

impl View {
    pub fn new(json: bool, files: usize) -> Self {
        let bars = (!json && std::io::stderr().is_terminal()).then(|| {
            let multi = MultiProgress::new();
            let style = ProgressStyle::with_template("{prefix:>6} [{bar:30}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            let overall = multi.add(ProgressBar::new(1000).with_style(style.clone()).with_prefix("batch"));
            let file = multi.add(ProgressBar::new(1000).with_style(style).with_prefix("file"));
            (multi, overall, file)
        });
        Self {
            json,
            bars,
            started: Instant::now(),
            working: ActiveClock::start(Instant::now()),
            resumed_from_s: None,
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

    pub fn show(&mut self, event: &SupervisorEvent) {
        if self.json {
            print!("{}", event.to_line());
            return;
        }
        match event {
            SupervisorEvent::Worker(e) => self.show_worker(e),
            SupervisorEvent::WorkerLine { problem } => {
                self.println(&format!("warning: worker sent an unreadable line: {problem}"))
            }
            SupervisorEvent::Watchdog { silent_s } => self.println(&format!(
                "the worker has not responded for {silent_s:.0} s; stopping it"
            )),
            SupervisorEvent::Stalled { stalled_s, .. } => self.println(&format!(
                "the worker has made no progress for {stalled_s:.0} s; stopping it"
            )),
            SupervisorEvent::StopEscalated { grace_s } => self.println(&format!(
                "the worker did not stop within {grace_s:.0} s; stopping it at once"
            )),
            SupervisorEvent::Restarting {
                attempt,
                max_attempts,
                delay_ms,
                reason,
            } => self.println(&format!(
                "the worker {reason}; restarting from the checkpoint in {:.1} s (attempt {attempt} of {max_attempts})",
                *delay_ms as f64 / 1000.0
            )),
            SupervisorEvent::Skipped {
                input, summary_only, ..
            } => self.println(&if *summary_only {
                format!("SKIPPED summary of {input}")
            } else {
                format!("SKIPPED {input}")
            }),
            SupervisorEvent::SkipDeclined { reason, .. } => self.println(&format!("not skipped: {reason}")),
            SupervisorEvent::Held { reason, .. } => self.println(&format!("paused: {reason}")),
            SupervisorEvent::Released { cause, by_user } => self.println(match (cause, by_user) {
                (HoldCause::DiskFull, _) => "there is room on the disk again; going on",
                (HoldCause::ShortOfMemory, false) => "memory is free again; going on",
                (HoldCause::ShortOfMemory, true) => "going on as asked, although memory is short",
            }),
            SupervisorEvent::LeakRestart {
                rss_bytes, envelope_bytes, work, ..
            } => self.println(&format!(
                "restarting the worker at its next commit: its memory grew to {} MB while {work} (that work needs {} MB); nothing is lost",
                rss_bytes / 1_000_000,
                envelope_bytes / 1_000_000
            )),
            SupervisorEvent::Quarantined { input, reason, .. } => {
                self.println(&format!("FAILED  {input}: quarantined: {reason}"))
            }
        }
    }

    fn show_worker(&mut self, event: &WorkerEvent) {
        match event {
            WorkerEvent::Progress {
                file_index,
                file_done_s,
                file_total_s,
                batch_done_s,
                batch_total_s,
            } => {
                let from = *self.resumed_from_s.get_or_insert(*batch_done_s);
                let (speed, eta) = speed_and_eta(
                    self.working.active(Instant::now()).as_secs_f64(),
                    from,
                    *batch_done_s,
                    *batch_total_s,
                );
                if let Some((_, overall, file)) = &self.bars {
                    set_fraction(overall, *batch_done_s, *batch_total_s);
                    set_fraction(file, *file_done_s, *file_total_s);
                    overall.set_message(format!(
                        "{} / {}  {speed:.1}× real time{}",
                        clock(*batch_done_s),
                        batch_total_s.map(clock).unwrap_or_else(|| "?".into()),
                        eta.map(|e| format!("  ETA {}", clock(e))).unwrap_or_default()
                    ));
                    file.set_message(format!(
                        "file {}/{}  {} / {}",
                        file_index + 1,
                        self.files,
                        clock(*file_done_s),
                        file_total_s.map(clock).unwrap_or_else(|| "?".into())
                    ));
                }
            }
            WorkerEvent::FileCompleted {
                input,
                outputs,
                audio_s,
                ..
            } => {
                let first = outputs.first().map(String::as_str).unwrap_or("");
                self.println(&format!("done    {input} ({}) → {first}", clock(*audio_s)));
            }
            WorkerEvent::FileFailed { reason, .. } => self.println(&format!("FAILED  {reason}")),
            WorkerEvent::Stage {
                stage: Stage::Summarizing,
                file_index: Some(i),
            } => {
                if let Some((_, overall, file)) = &self.bars {
                    overall.set_message("summaries".to_owned());
                    file.set_message(format!("summarising file {}/{}", i + 1, self.files));
                }
            }
            WorkerEvent::Stage {
                stage: Stage::FindingSpeakers,
                file_index: Some(i),
            } => {
                if let Some((_, overall, file)) = &self.bars {
                    overall.set_message("speakers".to_owned());
                    file.set_message(format!("finding who speaks in file {}/{}", i + 1, self.files));
                }
            }
            WorkerEvent::SpeakersFound { file_index, speakers } => self.println(&format!(
                "speakers file {}: {} ({})",
                file_index + 1,
                speakers.len(),
                speakers.join(", ")
            )),
            WorkerEvent::SpeakersFailed { reason, .. } => self.println(&format!("FAILED  speakers: {reason}")),
            WorkerEvent::SummaryWritten { note, topics, .. } => {
                self.println(&format!("summary {note} (topics: {})", topics.join(", ")))
            }
            WorkerEvent::MapWritten { path } => self.println(&format!("map     {path}")),
            WorkerEvent::KnowledgeFailed { reason, .. } => self.println(&format!("FAILED  summary: {reason}")),
            WorkerEvent::Notice { message, .. } => self.println(&format!("note    {message}")),
            WorkerEvent::Error { message, .. } => self.println(&format!("error   {message}")),
            WorkerEvent::Paused => {
                self.working.pause(Instant::now());
                self.println("paused")
            }
            WorkerEvent::Resumed => {
                self.working.resume(Instant::now());
                self.println("resumed")
            }
            WorkerEvent::Finished {
                files_done,
                files_failed,
            } => self.println(&format!(
                "finished: {files_done} done, {files_failed} failed, in {}",
                clock(self.started.elapsed().as_secs_f64())
            )),
            _ => {}
        }
    }

    pub fn finish(&self) {
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
