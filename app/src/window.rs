//! The desktop window: one per user (the instance lock), closed gracefully by the window's
//! close button, Ctrl+Q or SIGTERM/SIGINT alike.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use castmill::data_dirs::DataDirs;
use castmill::gui::app::{CastmillApp, Launch};
use castmill::instance_handoff::{self, HandoffListener};
use castmill::single_instance::{InstanceError, InstanceLock};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::headless::{EXIT_ALREADY_OPEN, EXIT_OK};

const APP_ID: &str = "castmill";

pub fn run(inputs: Vec<PathBuf>) -> Result<u8> {
    let launched = Instant::now();
    // First, so that a signal arriving while the window opens is not lost.
    let closer = SignalCloser::install()?;
    let dirs = DataDirs::locate()?;
    let _instance = match InstanceLock::acquire(&dirs) {
        Ok(lock) => lock,
        Err(e @ InstanceError::AlreadyOpen { .. }) => {
            // The open window takes the files and comes to the front; only a window that
            // cannot be reached (an older build) gets the message.
            if instance_handoff::hand_over(&dirs, &inputs).is_ok() {
                eprintln!("castmill: {}", handed_over(inputs.len()));
                return Ok(EXIT_OK);
            }
            eprintln!("castmill: {e}");
            show_message("Castmill is already open", &e.to_string(), closer)?;
            return Ok(EXIT_ALREADY_OPEN);
        }
        Err(e) => return Err(e.into()),
    };
    let handoff = match HandoffListener::bind(&instance_handoff::socket_path(&dirs)) {
        Ok(listener) => Some(listener),
        Err(e) => {
            tracing::warn!("later launches cannot hand their files to this window: {e}");
            None
        }
    };
    let mut launch = Launch {
        at: launched,
        inputs,
        shutdown: closer.flag.clone(),
        handoff: None,
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
            closer.attach(&cc.egui_ctx);
            let ctx = cc.egui_ctx.clone();
            launch.handoff = handoff.and_then(|listener| listener.serve(move || ctx.request_repaint()).ok());
            Ok(Box::new(CastmillApp::new(cc, launch)))
        }),
    )
    .map_err(|e| anyhow::anyhow!("failed to open the window: {e}"))?;
    Ok(EXIT_OK)
}

/// What a launch that handed its files over prints.
fn handed_over(files: usize) -> String {
    match files {
        0 => "Castmill is already open; brought its window to the front".to_owned(),
        n => format!(
            "Castmill is already open; added {} to its queue",
            castmill::progress::count(n, "file")
        ),
    }
}

fn icon() -> egui::IconData {
    // The icon is part of the binary; it always decodes. A default icon beats no window.
    eframe::icon_data::from_png_bytes(include_bytes!("../../assets/castmill.png")).unwrap_or_default()
}

/// Turns SIGTERM and SIGINT into a flag the window checks every frame, and wakes the window
/// so it sees it; the app then closes the way its close button does (stopping a running job
/// so that it can be resumed).
struct SignalCloser {
    flag: Arc<AtomicBool>,
    window: Arc<Mutex<Option<egui::Context>>>,
}

impl SignalCloser {
    fn install() -> Result<Self> {
        let mut signals = Signals::new([SIGTERM, SIGINT]).context("failed to install signal handlers")?;
        let flag = Arc::new(AtomicBool::new(false));
        let window: Arc<Mutex<Option<egui::Context>>> = Arc::default();
        let (thread_flag, thread_window) = (flag.clone(), window.clone());
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for _ in signals.forever() {
                    thread_flag.store(true, Ordering::Relaxed);
                    if let Some(ctx) = &*thread_window.lock().unwrap_or_else(|p| p.into_inner()) {
                        ctx.request_repaint();
                    }
                }
            })
            .context("failed to start the signal thread")?;
        Ok(Self { flag, window })
    }

    /// The window to wake from now on.
    fn attach(&self, ctx: &egui::Context) {
        *self.window.lock().unwrap_or_else(|p| p.into_inner()) = Some(ctx.clone());
    }
}

/// A small window with one message and an OK button, for when the main one cannot open.
fn show_message(title: &str, text: &str, closer: SignalCloser) -> Result<()> {
    let text = text.to_owned();
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
            closer.attach(&cc.egui_ctx);
            Ok(Box::new(MessageWindow {
                text,
                shutdown: closer.flag.clone(),
            }))
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
