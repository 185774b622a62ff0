//! The desktop window: one per user (the instance lock), closed gracefully by the window's
//! close button, Ctrl+Q or SIGTERM/SIGINT alike.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use castmill::data_dirs::DataDirs;
use castmill::gui::app::{CastmillApp, Launch};
use castmill::single_instance::{InstanceError, InstanceLock};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::headless::{EXIT_OK, EXIT_ALREADY_OPEN};

const APP_ID: &str = "castmill";

pub fn run(inputs: Vec<PathBuf>) -> Result<u8> {
    let launched = Instant::now();
    let dirs = DataDirs::locate()?;
    let _instance = match InstanceLock::acquire(&dirs) {
        Ok(lock) => lock,
        Err(e @ InstanceError::AlreadyOpen { .. }) => {
            eprintln!("castmill: {e}");
            show_message("Castmill is already open", &e.to_string())?;
            return Ok(EXIT_ALREADY_OPEN);
        }
        Err(e) => return Err(e.into()),
    };
    let shutdown = Arc::new(AtomicBool::new(false));
    let launch = Launch {
        at: launched,
        inputs,
        shutdown: shutdown.clone(),
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Castmill")
            .with_app_id(APP_ID)
            .with_icon(icon())
            .with_inner_size([900.0, 640.0])
            .with_min_inner_size([600.0, 400.0]),
        ..Default::default()
    };
    eframe::run_native(
        APP_ID,
        options,
        Box::new(move |cc| {
            close_on_signals(&cc.egui_ctx, shutdown)?;
            Ok(Box::new(CastmillApp::new(cc, launch)))
        }),
    )
    .map_err(|e| anyhow::anyhow!("failed to open the window: {e}"))?;
    Ok(EXIT_OK)
}

fn icon() -> egui::IconData {
    // The icon is part of the binary; it always decodes. A default icon beats no window.
    eframe::icon_data::from_png_bytes(include_bytes!("../../assets/castmill.png")).unwrap_or_default()
}

/// Sets `shutdown` and wakes the window when SIGTERM or SIGINT arrives; the app then closes
/// the way its close button does (stopping a running job so it can be resumed).
fn close_on_signals(ctx: &egui::Context, shutdown: Arc<AtomicBool>) -> Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGINT]).context("failed to install signal handlers")?;
    let ctx = ctx.clone();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                shutdown.store(true, Ordering::Relaxed);
                ctx.request_repaint();
            }
        })
        .context("failed to start the signal thread")?;
    Ok(())
}

/// A small window with one message and an OK button, for when the main one cannot open.
fn show_message(title: &str, text: &str) -> Result<()> {
    let text = text.to_owned();
    let shutdown = Arc::new(AtomicBool::new(false));
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title)
            .with_app_id(APP_ID)
            .with_icon(icon())
            .with_inner_size([460.0, 140.0]),
        persist_window: false,
        ..Default::default()
    };
    eframe::run_native(
        &format!("{APP_ID}-message"),
        options,
        Box::new(move |cc| {
            close_on_signals(&cc.egui_ctx, shutdown.clone())?;
            Ok(Box::new(MessageWindow { text, shutdown }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("failed to open the window: {e}"))
}

struct MessageWindow {
    text: String,
    shutdown: Arc<AtomicBool>,
}

impl eframe::App for MessageWindow {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.label(&self.text);
            ui.add_space(12.0);
            let ok = ui.button("OK").clicked() || ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ok || self.shutdown.load(Ordering::Relaxed) {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        });
    }
}
