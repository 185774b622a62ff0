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

use std::path::{Path, PathBuf};

use batch_processor::knowledge::embedder::{Embedder, EmbedderError};
use batch_processor::work_progress::WorkProgress;
use castmill_memory::ModelKind;
use shared_ipc::error_chain::describe;
use shared_ipc::model_file::ModelFileError;
use shared_ipc::{JobSpec, ModelRole, ModelState, Stage, WorkerEvent};

use castmill_speakers::network_error::NetworkError;
use castmill_speakers::segmentation::SegmentationNet;
use castmill_speakers::voice_encoder::VoiceEncoder;
use castmill_speakers::weights::{SpeakerModelKind, SpeakerWeights};

use crate::control::Control;
use crate::emitter::Emitter;
use crate::transcribe::{TranscribeError, Transcriber};

enum Resident {
    None,
    Whisper(Transcriber),
    // Boxed: the embedder is large and moved in once per job.
    Embeddings(Box<Embedder>),
    Speakers(Box<SpeakerNetworks>),
}

/// The speakers stage's two networks, loaded and unloaded together (11 MB between them).
pub struct SpeakerNetworks {
    pub segmentation: SegmentationNet,
    pub encoder: VoiceEncoder,
}

pub struct ModelHost<'a> {
    spec: &'a JobSpec,
    emitter: &'a Emitter,
    control: &'a Control,
    progress: &'a WorkProgress,
    resident: Resident,
}

/// Why a model could not be loaded; each names the model.
#[derive(Debug, thiserror::Error)]
pub enum LoadFailed {
    #[error("model {} is unusable", path.display())]
    UnusableWhisper { path: PathBuf, source: ModelFileError },
    #[error(transparent)]
    Whisper(#[from] TranscribeError),
    #[error("no sentence-embedding model is set for this job (install one: castmill models import FOLDER)")]
    NoEmbeddingModel,
    #[error("the sentence-embedding model {} is missing or incomplete", folder.display())]
    EmbeddingsMissing { folder: PathBuf, source: EmbedderError },
    #[error("the sentence-embedding model {} is unusable", folder.display())]
    EmbeddingsUnusable { folder: PathBuf, source: EmbedderError },
    #[error("no speaker models are set for this job")]
    NoSpeakerModels,
    #[error("the speaker model {} is missing or unusable (install it: scripts/setup.sh --deps)", path.display())]
    SpeakersUnusable { path: PathBuf, source: NetworkError },
    /// The memory available to the job is too small for the model: refused before loading,
    /// rather than loaded into swap or the OOM killer.
    #[error("{0}")]
    DoesNotFit(castmill_memory::DoesNotFit),
    /// A load reported success but left nothing resident (never expected).
    #[error("the model is not loaded")]
    NotLoaded,
}

impl LoadFailed {
    /// Whether the model was refused for want of memory (the job can go on later, when
    /// there is more).
    pub fn is_memory(&self) -> bool {
        matches!(self, LoadFailed::DoesNotFit(_))
    }

    /// The reason, with its causes, as the user reads it.
    pub fn reason(&self) -> String {
        describe(self)
    }
}

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
                .map_err(|source| LoadFailed::UnusableWhisper {
                    path: model.clone(),
                    source,
                })
                .and_then(|_| fits(ModelKind::Whisper, model))
                .and_then(|_| {
                    Ok(Transcriber::load(
                        model,
                        &self.spec.options,
                        self.control.interrupt_flag(),
                        self.progress.clone(),
                    )?)
                });
            self.settle(ModelRole::Whisper, &self.spec.model, loaded.map(Resident::Whisper))?;
        }
        match &mut self.resident {
            Resident::Whisper(t) => Ok(t),
            _ => Err(LoadFailed::NotLoaded),
        }
    }

    /// The sentence-embedding model, loaded first (after unloading whisper) if it is not
    /// resident.
    pub fn embedder(&mut self) -> Result<&Embedder, LoadFailed> {
        if !matches!(self.resident, Resident::Embeddings(_)) {
            self.unload();
            let Some(folder) = self.spec.embedding_model.clone() else {
                return Err(LoadFailed::NoEmbeddingModel);
            };
            self.report(ModelRole::Embeddings, ModelState::Loading, &folder);
            if let Err(refused) = fits(ModelKind::Embeddings, &folder) {
                self.report(ModelRole::Embeddings, ModelState::Idle, &folder);
                return Err(refused);
            }
            let loaded = Embedder::load(&folder)
                .map(|e| {
                    let embedder = e
                        .with_interrupt(self.control.interrupt_flag())
                        .with_progress(self.progress.clone());
                    Resident::Embeddings(Box::new(embedder))
                })
                .map_err(|source| match &source {
                    EmbedderError::Read { source: io, .. } if io.kind() == std::io::ErrorKind::NotFound => {
                        LoadFailed::EmbeddingsMissing {
                            folder: folder.clone(),
                            source,
                        }
                    }
                    _ => LoadFailed::EmbeddingsUnusable {
                        folder: folder.clone(),
                        source,
                    },
                });
            self.settle(ModelRole::Embeddings, &folder, loaded)?;
        }
        match &self.resident {
            Resident::Embeddings(e) => Ok(e),
            _ => Err(LoadFailed::NotLoaded),
        }
    }

    /// The speaker networks, loaded first (after unloading the others) if not resident.
    pub fn speaker_networks(&mut self) -> Result<&SpeakerNetworks, LoadFailed> {
        if !matches!(self.resident, Resident::Speakers(_)) {
            self.unload();
            let Some(models) = self.spec.speaker_models.clone() else {
                return Err(LoadFailed::NoSpeakerModels);
            };
            let shown = models.segmentation.clone();
            self.report(ModelRole::Speakers, ModelState::Loading, &shown);
            let load = |path: &Path, kind| {
                let unusable = |source| LoadFailed::SpeakersUnusable {
                    path: path.to_owned(),
                    source,
                };
                let shapes = match kind {
                    SpeakerModelKind::Segmentation => castmill_speakers::segmentation::tensor_shapes(),
                    SpeakerModelKind::VoiceEncoder => castmill_speakers::voice_encoder::tensor_shapes(),
                };
                SpeakerWeights::read_kind(path, kind, &shapes).map_err(|e| unusable(e.into()))
            };
            let loaded = load(&models.segmentation, SpeakerModelKind::Segmentation).and_then(|seg| {
                let enc = load(&models.voice_encoder, SpeakerModelKind::VoiceEncoder)?;
                let segmentation = SegmentationNet::new(seg).map_err(|source| LoadFailed::SpeakersUnusable {
                    path: models.segmentation.clone(),
                    source,
                })?;
                let encoder = VoiceEncoder::new(enc).map_err(|source| LoadFailed::SpeakersUnusable {
                    path: models.voice_encoder.clone(),
                    source,
                })?;
                Ok(Resident::Speakers(Box::new(SpeakerNetworks { segmentation, encoder })))
            });
            self.settle(ModelRole::Speakers, &shown, loaded)?;
        }
        match &self.resident {
            Resident::Speakers(s) => Ok(s),
            _ => Err(LoadFailed::NotLoaded),
        }
    }

    /// Ends a load that was reported `loading`: the model becomes resident and `ready`, or
    /// the load failed and the model is `idle` again.
    fn settle(&mut self, role: ModelRole, path: &Path, loaded: Result<Resident, LoadFailed>) -> Result<(), LoadFailed> {
        match loaded {
            Ok(model) => {
                self.resident = model;
                self.report(role, ModelState::Ready, path);
                Ok(())
            }
            Err(failed) => {
                self.report(role, ModelState::Idle, path);
                Err(failed)
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
            Resident::Speakers(_) => (
                ModelRole::Speakers,
                self.spec
                    .speaker_models
                    .as_ref()
                    .map(|m| m.segmentation.clone())
                    .unwrap_or_default(),
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

/// The supervisor checked before starting the worker; this checks again just before the
/// load, since memory may have gone meanwhile (a long transcription before the summaries).
fn fits(kind: ModelKind, path: &Path) -> Result<(), LoadFailed> {
    match castmill_memory::memory_now(None) {
        Some(reading) => castmill_memory::fit::check(kind, path, &reading).map_err(LoadFailed::DoesNotFit),
        None => Ok(()),
    }
}
