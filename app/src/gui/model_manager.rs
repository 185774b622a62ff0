//! The model manager behind the settings window: the installed models, and installs and
//! imports running on a background thread with their progress, so the window stays live.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};

use crate::models::catalog;
use crate::models::download::{self, InstallRequest};
use crate::models::store::{ModelKind, ModelStore};

/// One installed model as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstalledModel {
    pub name: String,
    pub size: u64,
    /// "whisper tiny (English-only, f16)", or why the file cannot be used.
    pub description: String,
    pub usable: bool,
    /// A transcription model (as opposed to a sentence-embedding one).
    pub whisper: bool,
}

/// Bytes done and the total, when known.
type Progress = (u64, Option<u64>);

/// An install or import in progress.
pub struct ModelTask {
    pub what: String,
    pub done: u64,
    pub total: Option<u64>,
    /// The latest progress: a cell, not a queue, so the window always sees the newest.
    progress: Arc<Mutex<Option<Progress>>>,
    finished: Receiver<Result<String, String>>,
}

pub struct ModelManager {
    dir: PathBuf,
    pub installed: Vec<InstalledModel>,
    pub task: Option<ModelTask>,
    /// The outcome of the last action, for the user.
    pub message: Option<Result<String, String>>,
    /// The name typed into the install box.
    pub install_name: String,
    /// Where installs download from (the whisper.cpp model host, or `CASTMILL_MODEL_BASE_URL`).
    pub base_url: String,
    /// The last progress an install reported, kept after it ends.
    pub last_progress: Option<Progress>,
    /// The model whose Remove was pressed, until the user confirms or keeps it.
    pub confirm_remove: Option<String>,
}

impl ModelManager {
    pub fn new(dir: PathBuf) -> Self {
        let mut manager = Self {
            dir,
            installed: Vec::new(),
            task: None,
            message: None,
            install_name: String::new(),
            base_url: catalog::base_url(),
            last_progress: None,
            confirm_remove: None,
        };
        manager.refresh();
        manager
    }

    fn store(&self) -> ModelStore {
        ModelStore::new(self.dir.clone())
    }

    pub fn refresh(&mut self) {
        self.installed = match self.store().list() {
            Ok(entries) => entries
                .into_iter()
                .map(|e| {
                    let (description, usable, whisper) = match e.check {
                        Ok(kind) => (kind.describe(), true, matches!(kind, ModelKind::Whisper(_))),
                        Err(reason) => (format!("unusable: {reason}"), false, false),
                    };
                    InstalledModel {
                        name: e.name,
                        size: e.size,
                        description,
                        usable,
                        whisper,
                    }
                })
                .collect(),
            Err(e) => {
                self.message = Some(Err(format!("{e:#}")));
                Vec::new()
            }
        };
    }

    /// True when `name` is a usable whisper model.
    pub fn is_installed(&self, name: &str) -> bool {
        self.installed.iter().any(|m| m.name == name && m.usable && m.whisper)
    }

    /// True when `name` is a usable sentence-embedding model.
    pub fn has_embeddings(&self, name: &str) -> bool {
        self.installed.iter().any(|m| m.name == name && m.usable && !m.whisper)
    }

    /// Downloads `name` from the model host.
    pub fn install(&mut self, name: &str, ctx: &egui::Context) {
        let name = name.trim().to_owned();
        if name.is_empty() {
            self.message = Some(Err("Type the name of a model to install, e.g. base.en.".into()));
            return;
        }
        let size = catalog::find(&name)
            .map(|e| format!(" (about {} MB)", e.approx_mib))
            .unwrap_or_default();
        let store = self.store();
        let base_url = self.base_url.clone();
        self.run(format!("Installing {name}{size}"), ctx, move |progress| {
            let request = InstallRequest {
                name: &name,
                sha1: None,
                base_url,
            };
            download::install(&store, &request, progress)
                .map(|path| format!("Installed {name} ({})", path.display()))
                .map_err(|e| install_failed(&name, &format!("{e:#}")))
        });
    }

    /// Imports a GGML file or a CTranslate2 folder.
    pub fn import(&mut self, source: &Path, ctx: &egui::Context) {
        let source = source.to_owned();
        let store = self.store();
        self.run(format!("Importing {}", source.display()), ctx, move |_| {
            store
                .import(&source, None)
                .map(|name| format!("Imported {} as {name}", source.display()))
                .map_err(|e| format!("Could not import {}: {e:#}", source.display()))
        });
    }

    pub fn remove(&mut self, name: &str) {
        self.confirm_remove = None;
        self.message = Some(
            self.store()
                .remove(name)
                .map(|()| format!("Removed {name}"))
                .map_err(|e| format!("{e:#}")),
        );
        self.refresh();
    }

    fn run(
        &mut self,
        what: String,
        ctx: &egui::Context,
        work: impl FnOnce(&mut dyn FnMut(u64, Option<u64>)) -> Result<String, String> + Send + 'static,
    ) {
        if self.task.is_some() {
            return;
        }
        self.last_progress = None;
        let (tx, rx) = mpsc::sync_channel(1);
        let progress: Arc<Mutex<Option<Progress>>> = Arc::default();
        let cell = progress.clone();
        let repaint = ctx.clone();
        let spawned = std::thread::Builder::new().name("model-task".into()).spawn(move || {
            let mut report = |done, total| {
                *cell.lock().unwrap_or_else(|p| p.into_inner()) = Some((done, total));
                repaint.request_repaint();
            };
            let outcome = work(&mut report);
            let _ = tx.send(outcome);
            repaint.request_repaint();
        });
        match spawned {
            Ok(_) => {
                self.message = None;
                self.task = Some(ModelTask {
                    what,
                    done: 0,
                    total: None,
                    progress,
                    finished: rx,
                });
            }
            Err(e) => self.message = Some(Err(format!("failed to start: {e}"))),
        }
    }

    /// Takes in what the running task reported; called every frame.
    pub fn poll(&mut self) {
        let Some(task) = &mut self.task else { return };
        // The outcome first: the task wrote its last progress before sending it.
        let outcome = match task.finished.try_recv() {
            Ok(outcome) => Some(outcome),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err("the model task ended without a word".into())),
        };
        if let Some((done, total)) = *task.progress.lock().unwrap_or_else(|p| p.into_inner()) {
            task.done = done;
            task.total = total;
            self.last_progress = Some((done, total));
        }
        let Some(outcome) = outcome else { return };
        self.message = Some(outcome);
        self.task = None;
        self.refresh();
    }
}

/// Why an install failed, in plain words first: a machine without a network gets "could not
/// reach the model host", not the resolver's text (which follows, for whoever needs it).
fn install_failed(name: &str, cause: &str) -> String {
    let lower = cause.to_lowercase();
    let offline = [
        "dns",
        "resolve",
        "lookup address",
        "name or service not known",
        "network is unreachable",
        "connection refused",
        "timed out",
    ]
    .iter()
    .any(|sign| lower.contains(sign));
    if offline {
        format!("Could not install {name}: the model host could not be reached (is this machine offline?). ({cause})")
    } else {
        format!("Could not install {name}: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offline_install_says_so_first() {
        let said = install_failed(
            "base.en",
            "io: Failed to lookup address information: Temporary failure in name resolution",
        );
        assert!(
            said.starts_with("Could not install base.en: the model host could not be reached"),
            "{said}"
        );
        assert!(said.ends_with("name resolution)"), "{said}");
        let said = install_failed("base.en", "checksum mismatch");
        assert_eq!(said, "Could not install base.en: checksum mismatch");
    }
}
