//! The running job: overall and per-file progress in audio time, what is happening now,
//! working time (pauses left out), time left, speed, worker memory, each file's state, the
//! live transcript with times and file breaks, and the log, with Pause/Resume, Skip and Stop.

use std::time::Instant;

use egui::text::LayoutJob;
use egui::{TextFormat, Ui};

use crate::gui::batch_figures::fraction;
use crate::gui::failure_text::FailureText;
use crate::gui::running_job::{FileStatus, RunningJob};
use crate::gui::transcript_tail::TranscriptLine;
use crate::gui::{shortcuts, theme};
use crate::progress::clock;
use crate::supervisor::control::Skip;

pub fn show(ui: &mut Ui, job: &mut RunningJob) {
    let now = Instant::now();
    ui.heading(job.title());
    for (_, reason) in &job.held {
        ui.colored_label(theme::FAILED, format!("Paused by Castmill: {reason}."));
    }
    ui.colored_label(theme::MUTED, job.doing());
    ui.add_space(theme::SPACING);

    let audio = job.audio();
    ui.label("All files");
    ui.add(egui::ProgressBar::new(audio.fraction()).text(format!(
        "{} of {}",
        clock(audio.behind_s),
        audio.total_s.map(clock).unwrap_or_else(|| "?".into())
    )));
    match job.shown_file().and_then(|i| job.files.get(i).map(|row| (i, row))) {
        Some((index, row)) => {
            ui.label(format!("File {} of {}: {}", index + 1, job.files.len(), row.name()));
            ui.add(
                egui::ProgressBar::new(fraction(row.done_s, row.duration_s)).text(format!(
                    "{} of {}",
                    clock(row.done_s),
                    row.duration_s.map(clock).unwrap_or_else(|| "?".into())
                )),
            );
        }
        None => {
            ui.label(format!("File 1 of {}", job.files.len()));
            ui.add(egui::ProgressBar::new(0.0).text("not begun"));
        }
    }
    ui.horizontal_wrapped(|ui| {
        let working = clock(job.clock.active(now).as_secs_f64());
        ui.label(if job.paused() {
            format!("Elapsed {working} (paused)")
        } else {
            format!("Elapsed {working}")
        });
        if let Some((speed, left)) = job.speed_and_time_left(now) {
            ui.label(format!("· about {} left", clock(left)));
            ui.label(format!("· {speed:.1}× real time"));
        }
        if let Some(rss) = job.rss_bytes {
            ui.label(format!("· worker memory {:.0} MB", rss as f64 / 1e6));
        }
    });
    ui.add_space(theme::SPACING);
    ui.horizontal(|ui| {
        let pause_label = if job.paused() { "Resume" } else { "Pause" };
        if ui
            .add_enabled(!job.stopping, egui::Button::new(pause_label))
            .on_hover_text(shortcuts::text(ui, shortcuts::PAUSE_RESUME))
            .clicked()
        {
            job.toggle_pause();
        }
        let target = job.skip_target();
        let (skip_label, skip_hint) = match target {
            Some(Skip::Summary(_)) => (
                "Skip this summary",
                "Make no summary for this file (its transcript is kept) and go on with the next",
            ),
            Some(Skip::File(_)) => ("Skip this file", "Leave this file out and go on with the next"),
            None => ("Skip this file", "Nothing to skip at this stage"),
        };
        if ui
            .add_enabled(
                !job.stopping && target.is_some() && job.skipping.is_none(),
                egui::Button::new(skip_label),
            )
            .on_hover_text(format!("{skip_hint} ({})", shortcuts::text(ui, shortcuts::SKIP)))
            .on_disabled_hover_text(skip_hint)
            .clicked()
        {
            job.skip_current();
        }
        if ui
            .add_enabled(!job.stopping, egui::Button::new("Stop"))
            .on_hover_text(format!(
                "Stop now; the job can be resumed later ({})",
                shortcuts::text(ui, shortcuts::STOP)
            ))
            .clicked()
        {
            job.stop();
        }
    });
    ui.add_space(theme::SECTION_GAP);
    show_files(ui, job);
    ui.add_space(theme::SPACING);
    ui.label("Transcript");
    egui::ScrollArea::vertical()
        .id_salt("transcript")
        .max_height(ui.available_height() * 0.6)
        .auto_shrink([false, true])
        .stick_to_bottom(true)
        .show(ui, |ui| show_transcript(ui, job));
    if !job.log.is_empty() {
        ui.add_space(theme::SPACING);
        ui.label("Log");
        egui::ScrollArea::vertical()
            .id_salt("log")
            .auto_shrink([false, true])
            .stick_to_bottom(true)
            .show(ui, |ui| {
                for line in &job.log {
                    ui.colored_label(theme::MUTED, line);
                }
            });
    }
}

/// The counts, then each file with its state; a failed file's reason wraps under it.
fn show_files(ui: &mut Ui, job: &RunningJob) {
    ui.label(format!("Files: {}", job.counts().in_words()));
    egui::ScrollArea::vertical()
        .id_salt("files")
        .max_height(theme::FILE_LIST_HEIGHT)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for (index, row) in job.files.iter().enumerate() {
                let (word, colour) = match &row.status {
                    FileStatus::Waiting => ("Queued", theme::MUTED),
                    FileStatus::Working => ("Working", ui.visuals().text_color()),
                    FileStatus::Done { .. } => ("Done", theme::OK),
                    FileStatus::Failed { .. } => ("Failed", theme::FAILED),
                    FileStatus::Skipped => ("Skipped", theme::MUTED),
                };
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(colour, word);
                    ui.label(row.name());
                    if let Some(length) = row.duration_s {
                        ui.colored_label(theme::MUTED, clock(length));
                    }
                });
                if let FileStatus::Failed { reason } = &row.status {
                    FailureText::of(reason, &row.input).show(ui, ("running failed", index));
                }
            }
        });
}

/// Each segment as one wrapping line led by its time; a file's name where its text begins.
fn show_transcript(ui: &mut Ui, job: &RunningJob) {
    let body = egui::TextStyle::Body.resolve(ui.style());
    let mono = egui::TextStyle::Monospace.resolve(ui.style());
    let text_colour = ui.visuals().text_color();
    for line in job.transcript.lines() {
        match line {
            TranscriptLine::File { name, .. } => {
                ui.add_space(theme::SPACING / 2.0);
                ui.strong(name);
            }
            TranscriptLine::Segment { start_ms, text } => {
                let mut layout = LayoutJob::default();
                // Two spaces, not a gap, so a copied line keeps its time apart from its text.
                layout.append(
                    &format!("{}  ", clock(*start_ms as f64 / 1000.0)),
                    0.0,
                    TextFormat::simple(mono.clone(), theme::MUTED),
                );
                layout.append(text, 0.0, TextFormat::simple(body.clone(), text_colour));
                layout.wrap.max_width = ui.available_width();
                ui.label(layout);
            }
        }
    }
}
