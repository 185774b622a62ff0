//! The running job: overall and per-file progress in audio time, stage, elapsed, ETA, speed,
//! worker memory, the live transcript and the log, with Pause/Resume and Stop.

use egui::Ui;

use crate::gui::running_job::RunningJob;
use crate::gui::{shortcuts, theme};
use crate::progress::{clock, speed_and_eta};
use crate::supervisor::control::Skip;

pub fn show(ui: &mut Ui, job: &mut RunningJob) {
    let file_name = job.current_name();
    ui.heading(if job.paused {
        "Paused"
    } else if job.stopping {
        "Stopping…"
    } else {
        "Transcribing"
    });
    for (_, reason) in &job.held {
        ui.colored_label(theme::FAILED, format!("Paused by Castmill: {reason}."));
    }
    ui.add_space(theme::SPACING);

    let elapsed = job.started.elapsed().as_secs_f64();
    let start_s = job.batch_start_s;
    let (speed, eta) = speed_and_eta(elapsed, start_s, job.batch_done_s, job.batch_total_s);

    let overall = fraction(job.batch_done_s, job.batch_total_s);
    ui.label("All files");
    ui.add(egui::ProgressBar::new(overall).text(format!(
        "{} of {}",
        clock(job.batch_done_s),
        job.batch_total_s.map(clock).unwrap_or_else(|| "?".into())
    )));
    let done = job.files_done();
    ui.label(format!(
        "File {} of {}: {file_name} — {}",
        job.current.map(|i| i + 1).unwrap_or(0),
        job.files.len(),
        job.stage
    ));
    ui.add(
        egui::ProgressBar::new(fraction(job.file_done_s, job.file_total_s)).text(format!(
            "{} of {}",
            clock(job.file_done_s),
            job.file_total_s.map(clock).unwrap_or_else(|| "?".into())
        )),
    );
    ui.horizontal(|ui| {
        ui.label(format!("Elapsed {}", clock(elapsed)));
        if let Some(eta) = eta {
            ui.label(format!("· about {} left", clock(eta)));
        }
        if speed > 0.0 {
            ui.label(format!("· {speed:.1}× real time"));
        }
        if let Some(rss) = job.rss_bytes {
            ui.label(format!("· worker memory {:.0} MB", rss as f64 / 1e6));
        }
        ui.label(format!("· {done} of {} files done", job.files.len()));
    });
    ui.add_space(theme::SPACING);
    ui.horizontal(|ui| {
        let pause_label = if job.paused { "Resume" } else { "Pause" };
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
    ui.label("Transcript");
    egui::ScrollArea::vertical()
        .id_salt("transcript")
        .max_height(ui.available_height() * 0.6)
        .stick_to_bottom(true)
        .show(ui, |ui| {
            for line in &job.transcript {
                ui.label(line);
            }
        });
    if !job.log.is_empty() {
        ui.add_space(theme::SPACING);
        ui.label("Log");
        egui::ScrollArea::vertical()
            .id_salt("log")
            .stick_to_bottom(true)
            .show(ui, |ui| {
                for line in &job.log {
                    ui.colored_label(theme::MUTED, line);
                }
            });
    }
}

fn fraction(done: f64, total: Option<f64>) -> f32 {
    total
        .filter(|t| *t > 0.0)
        .map(|t| (done / t).clamp(0.0, 1.0) as f32)
        .unwrap_or(0.0)
}
