//! The worker's models: at most one resident at a time, each with an explicit life
//! (idle → loading → ready → unloading → idle) reported as `model` events.
//!
//! Why one at a time: a job runs its stages in order — every transcription, then every
//! summary, then the Map of Content — so each model is needed in one stretch, and holding
//! both would cost memory for nothing. The whisper model is therefore always unloaded
//! before the embedding model loads (whatever the memory budget), and a resumed job whose
//! transcripts are all finished never loads whisper at all. A model cannot be unloaded
//! while a stage uses it: stages borrow it from the host, and the borrow checker refuses a
//! swap while that borrow lives.

use std::path::Path;

use batch_processor::knowledge::embedder::{Embedder, EmbedderError};
use batch_processor::work_progress::WorkProgress;
use shared_ipc::error_chain::describe;
use shared_ipc::{JobSpec, ModelRole, ModelState, Stage, WorkerEvent};

use crate::control::Control;
use crate::emitter::Emitter;
use crate::transcribe::{TranscribeError, Transcriber};

enum Resident {
    None,
    Whisper(Transcriber),
    // Boxed: the embedder is large and moved in once per job.
    Embeddings(Box<Embedder>),
}

pub struct ModelHost<'a> {
    spec: &'a JobSpec,
    emitter: &'a Emitter,
    control: &'a Control,
    progress: &'a WorkProgress,
    resident: Resident,
}

/// A model could not be loaded; the message names it and the cause.
#[derive(Debug)]
pub struct LoadFailed(pub String);

impl<'a> ModelHost<'a> {
    pub fn new(spec: &'a JobSpec, emitter: &'a Emitter, control: &'a Control, progress: &'a WorkProgress) -> Self {
        Self {
            spec,
            emitter,
            control,
            progress,
            resident: Resident::None,
        }
    }

    /// The whisper model, loaded first if it is not resident.
    pub fn transcriber(&mut self) -> Result<&mut Transcriber, LoadFailed> {
        if !matches!(self.resident, Resident::Whisper(_)) {
            self.unload();
            self.emitter.emit(&WorkerEvent::Stage {
                stage: Stage::LoadingModel,
                file_index: None,
            });
            let model = &self.spec.model;
            self.report(ModelRole::Whisper, ModelState::Loading, model);
            let loaded = shared_ipc::model_file::validate_file(model)
                .map_err(|e| format!("model {} is unusable: {}", model.display(), describe(&e)))
                .and_then(|_| {
                    Transcriber::load(
                        model,
                        &self.spec.options,
                        self.control.interrupt_flag(),
                        self.progress.clone(),
                    )
                    .map_err(|e: TranscribeError| e.to_string())
                });
            self.settle(ModelRole::Whisper, &self.spec.model, loaded.map(Resident::Whisper))?;
        }
        match &mut self.resident {
            Resident::Whisper(t) => Ok(t),
            _ => Err(LoadFailed("the whisper model is not loaded".into())),
        }
    }

    /// The sentence-embedding model, loaded first (after unloading whisper) if it is not
    /// resident.
    pub fn embedder(&mut self) -> Result<&Embedder, LoadFailed> {
        if !matches!(self.resident, Resident::Embeddings(_)) {
            self.unload();
            let Some(folder) = self.spec.embedding_model.clone() else {
                return Err(LoadFailed(
                    "no sentence-embedding model is set for this job (install one: castmill models import FOLDER)"
                        .into(),
                ));
            };
            self.report(ModelRole::Embeddings, ModelState::Loading, &folder);
            let loaded = Embedder::load(&folder)
                .map(|e| {
                    let embedder = e
                        .with_interrupt(self.control.interrupt_flag())
                        .with_progress(self.progress.clone());
                    Resident::Embeddings(Box::new(embedder))
                })
                .map_err(|e| describe_embedder_error(&folder, &e));
            self.settle(ModelRole::Embeddings, &folder, loaded)?;
        }
        match &self.resident {
            Resident::Embeddings(e) => Ok(e),
            _ => Err(LoadFailed("the embedding model is not loaded".into())),
        }
    }

    /// Ends a load that was reported `loading`: the model becomes resident and `ready`, or
    /// the load failed and the model is `idle` again.
    fn settle(&mut self, role: ModelRole, path: &Path, loaded: Result<Resident, String>) -> Result<(), LoadFailed> {
        match loaded {
            Ok(model) => {
                self.resident = model;
                self.report(role, ModelState::Ready, path);
                Ok(())
            }
            Err(message) => {
                self.report(role, ModelState::Idle, path);
                Err(LoadFailed(message))
            }
        }
    }

    /// Frees the resident model, if any.
    pub fn unload(&mut self) {
        let (role, path) = match &self.resident {
            Resident::None => return,
            Resident::Whisper(_) => (ModelRole::Whisper, self.spec.model.clone()),
            Resident::Embeddings(_) => (
                ModelRole::Embeddings,
                self.spec.embedding_model.clone().unwrap_or_default(),
            ),
        };
        self.report(role, ModelState::Unloading, &path);
        self.resident = Resident::None;
        self.report(role, ModelState::Idle, &path);
    }

    fn report(&self, role: ModelRole, state: ModelState, path: &Path) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        tracing::info!("model {name}: {state:?}");
        self.emitter.emit(&WorkerEvent::Model { role, state, name });
    }
}

fn describe_embedder_error(folder: &Path, e: &EmbedderError) -> String {
    match e {
        EmbedderError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => format!(
            "the sentence-embedding model {} is missing or incomplete ({})",
            folder.display(),
            describe(e)
        ),
        _ => format!(
            "the sentence-embedding model {} is unusable: {}",
            folder.display(),
            describe(e)
        ),
    }
}
