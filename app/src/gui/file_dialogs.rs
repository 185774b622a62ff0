//! Native file dialogs without freezing the window: each dialog runs on its own thread and
//! its answer comes back through a channel, with a repaint so the window picks it up. Where
//! the system chooser never appears (no file-chooser portal: it answers "nothing" at once),
//! Castmill's own chooser (`file_browser.rs`) opens instead, and the window says so.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

pub use super::dialog_purpose::DialogPurpose;
use super::file_browser::FileBrowser;

/// A system chooser that answers sooner than this was never shown: nobody picks or cancels
/// that fast.
const NEVER_SHOWN_WITHIN: Duration = Duration::from_millis(400);

struct SystemDialog {
    purpose: DialogPurpose,
    start_in: Option<PathBuf>,
    opened: Instant,
    answer: Receiver<Vec<PathBuf>>,
}

#[derive(Default)]
pub struct FileDialogs {
    open: Option<SystemDialog>,
    browser: Option<(DialogPurpose, FileBrowser)>,
    /// The system chooser did not show: Castmill's own is used from now on.
    pub builtin: bool,
}

impl FileDialogs {
    pub fn is_open(&self) -> bool {
        self.open.is_some() || self.browser.is_some()
    }

    /// Opens a dialog unless one is already open.
    pub fn open(&mut self, purpose: DialogPurpose, start_in: Option<PathBuf>, ctx: &egui::Context) {
        if self.is_open() {
            return;
        }
        if self.builtin {
            self.browser = Some((purpose, FileBrowser::new(purpose, start_in)));
            return;
        }
        let asked_in = start_in.clone();
        let (tx, rx) = mpsc::sync_channel(1);
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new().name("file-dialog".into()).spawn(move || {
            let mut dialog = rfd::FileDialog::new();
            if let Some(dir) = start_in {
                dialog = dialog.set_directory(dir);
            }
            let picked = match purpose {
                DialogPurpose::AddFiles => dialog
                    .add_filter("Audio", crate::inputs::AUDIO_EXTENSIONS)
                    .set_title("Add audio files")
                    .pick_files()
                    .unwrap_or_default(),
                DialogPurpose::ImportModelFile => dialog
                    .set_title("Import a whisper model file")
                    .pick_file()
                    .into_iter()
                    .collect(),
                DialogPurpose::AddFolder | DialogPurpose::OutputFolder | DialogPurpose::ImportModelFolder => {
                    dialog.pick_folder().into_iter().collect()
                }
            };
            let _ = tx.send(picked);
            ctx.request_repaint();
        });
        match spawned {
            Ok(_) => {
                self.open = Some(SystemDialog {
                    purpose,
                    start_in: asked_in,
                    opened: Instant::now(),
                    answer: rx,
                })
            }
            Err(e) => {
                tracing::error!("failed to open a file dialog: {e}; using Castmill's own");
                self.builtin = true;
                self.browser = Some((purpose, FileBrowser::new(purpose, asked_in)));
            }
        }
    }

    /// Draws Castmill's own chooser while it is open.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<(DialogPurpose, Vec<PathBuf>)> {
        let (purpose, browser) = self.browser.as_mut()?;
        let purpose = *purpose;
        let paths = browser.show(ctx)?;
        self.browser = None;
        Some((purpose, paths))
    }

    /// The answer of the open system dialog, once the user closed it (empty when
    /// cancelled). `Err` with a notice when it never showed and Castmill's own opened.
    pub fn poll(&mut self) -> Option<Result<(DialogPurpose, Vec<PathBuf>), String>> {
        let dialog = self.open.as_ref()?;
        let paths = match dialog.answer.try_recv() {
            Ok(paths) => paths,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Vec::new(),
        };
        let dialog = self.open.take()?;
        if paths.is_empty() && dialog.opened.elapsed() < NEVER_SHOWN_WITHIN {
            tracing::info!(target: "castmill::gui", "the system file chooser did not show; using Castmill's own");
            self.builtin = true;
            self.browser = Some((dialog.purpose, FileBrowser::new(dialog.purpose, dialog.start_in)));
            return Some(Err(
                "The desktop's file chooser did not open (no file-chooser portal is running); Castmill's own is used instead."
                    .to_owned(),
            ));
        }
        Some(Ok((dialog.purpose, paths)))
    }
}
