//! Files a later launch hands to this window (`instance_handoff`).

use std::path::PathBuf;

use super::{CastmillApp, Screen};

impl CastmillApp {
    /// Files another launch handed over: into the queue (or kept for the next batch while a
    /// job runs), and the window to the front either way.
    pub fn take_handed_over(&mut self, paths: Vec<PathBuf>, ctx: &egui::Context) {
        tracing::info!(target: "castmill::gui", "another launch handed over {} files", paths.len());
        ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
        ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
        if paths.is_empty() {
            return;
        }
        if matches!(self.screen, Screen::Start) {
            self.add_paths(&paths);
            self.info = Some(format!(
                "Added {} from another launch.",
                crate::progress::count(paths.len(), "file")
            ));
        } else {
            self.info = Some(format!(
                "{} from another launch will be queued for the next batch.",
                crate::progress::count(paths.len(), "file")
            ));
            self.handed_over.extend(paths);
        }
    }
}
