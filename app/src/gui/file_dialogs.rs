//! Native file dialogs without freezing the window: each dialog runs on its own thread and
//! its answer comes back through a channel, with a repaint so the window picks it up.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};

/// What a dialog was opened for, so its answer goes to the right place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogPurpose {
    AddFiles,
    AddFolder,
    OutputFolder,
    ImportModelFile,
    ImportModelFolder,
}

#[derive(Default)]
pub struct FileDialogs {
    open: Option<(DialogPurpose, Receiver<Vec<PathBuf>>)>,
}

impl FileDialogs {
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Opens a dialog unless one is already open.
    pub fn open(&mut self, purpose: DialogPurpose, start_in: Option<PathBuf>, ctx: &egui::Context) {
        if self.open.is_some() {
            return;
        }
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
            Ok(_) => self.open = Some((purpose, rx)),
            Err(e) => tracing::error!("failed to open a file dialog: {e}"),
        }
    }

    /// The answer of the open dialog, once the user closed it (empty when cancelled).
    pub fn poll(&mut self) -> Option<(DialogPurpose, Vec<PathBuf>)> {
        let (purpose, rx) = self.open.as_ref()?;
        let purpose = *purpose;
        let answer = match rx.try_recv() {
            Ok(paths) => Some((purpose, paths)),
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Some((purpose, Vec::new())),
        };
        self.open = None;
        answer
    }
}
