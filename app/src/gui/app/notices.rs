//! The notice bar at the bottom of the window.

use super::CastmillApp;
use crate::gui::theme;

impl CastmillApp {
    /// The notice bar: below the screen, so a notice coming or going moves nothing the
    /// pointer may be over.
    pub(super) fn show_notices(&mut self, ui: &mut egui::Ui) {
        ui.add_space(theme::SPACING / 2.0);
        ui.horizontal_wrapped(|ui| {
            if let Some(notice) = &self.notice {
                ui.colored_label(theme::FAILED, notice);
            } else if let Some(info) = &self.info {
                ui.label(info);
            }
            if let Some(path) = &self.notice_path
                && ui.small_button("Copy path").clicked()
            {
                ui.ctx().copy_text(path.display().to_string());
            }
            if ui.small_button("Dismiss").clicked() {
                self.notice = None;
                self.info = None;
                self.notice_path = None;
            }
        });
        ui.add_space(theme::SPACING / 2.0);
    }
}
