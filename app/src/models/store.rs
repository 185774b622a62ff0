//! The models folder: `<data>/models/<name>.bin` for whisper GGML models, and
//! `<data>/models/<name>/` for sentence-embedding models (sentence-transformers folders).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use shared_ipc::error_chain::describe;
use shared_ipc::model_file::{self, ModelSummary};

use super::ct2_to_ggml;
use super::sentence_model::{self, SentenceModelSummary};
use super::speaker_model;
use crate::data_dirs::DataDirs;
use castmill_speakers::weights::SpeakerModelKind;

pub struct ModelStore {
    dir: PathBuf,
}

pub struct ModelEntry {
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    /// What the model is, once validated, or why it is unusable.
    pub check: Result<ModelKind, String>,
}

pub enum ModelKind {
    /// A whisper GGML file.
    Whisper(ModelSummary),
    /// A sentence-embedding folder, for summaries and the Map of Content.
    Embeddings(SentenceModelSummary),
    /// A speaker network (`.safetensors`), for who speaks when.
    Speakers(SpeakerModelKind),
}

impl ModelKind {
    /// "whisper tiny (English-only, f16)", "sentence embeddings (384 dimensions, 6 layers)".
    pub fn describe(&self) -> String {
        match self {
            ModelKind::Whisper(s) => {
                let lang = if s.hparams.is_multilingual() {
                    "multilingual"
                } else {
                    "English-only"
                };
                let weights = match s.hparams.ftype % 1000 {
                    0 => "f32",
                    1 => "f16",
                    2 => "q4_0",
                    3 => "q4_1",
                    7 => "q8_0",
                    8 => "q5_0",
                    9 => "q5_1",
                    _ => "other weights",
                };
                format!("whisper {} ({lang}, {weights})", s.hparams.size_name())
            }
            ModelKind::Embeddings(s) => {
                format!("sentence embeddings ({} dimensions, {} layers)", s.dimension, s.layers)
            }
            ModelKind::Speakers(kind) => kind.describe().to_owned(),
        }
    }
}

impl ModelStore {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn ensure_dir(&self) -> Result<()> {
        DataDirs::ensure_private(&self.dir).with_context(|| format!("failed to create {}", self.dir.display()))
    }

    pub fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.bin"))
    }

    /// Where model `name` lives: its folder (sentence embeddings) or its file (whisper,
    /// speakers).
    pub fn location_of(&self, name: &str) -> PathBuf {
        let folder = self.dir.join(name);
        let speaker = self.dir.join(format!("{name}.{}", speaker_model::EXTENSION));
        if folder.is_dir() {
            folder
        } else if speaker.is_file() {
            speaker
        } else {
            self.path_of(name)
        }
    }

    /// A model name, or a path to a model file.
    pub fn resolve(&self, name_or_path: &str) -> PathBuf {
        let as_path = Path::new(name_or_path);
        if name_or_path.contains('/') || as_path.is_file() {
            return as_path.to_owned();
        }
        self.path_of(name_or_path)
    }

    /// The folder of the installed sentence-embedding model `name`, checked to be usable.
    pub fn embedding_model(&self, name: &str) -> Result<PathBuf> {
        let folder = if name.contains('/') {
            PathBuf::from(name)
        } else {
            self.dir.join(name)
        };
        sentence_model::validate(&folder).with_context(|| {
            format!(
                "the sentence-embedding model {name} is not installed or not usable ({})",
                folder.display()
            )
        })?;
        Ok(std::path::absolute(&folder).unwrap_or(folder))
    }

    pub fn list(&self) -> Result<Vec<ModelEntry>> {
        let mut entries = Vec::new();
        let read = match std::fs::read_dir(&self.dir) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(entries),
            Err(e) => return Err(e).with_context(|| format!("failed to list {}", self.dir.display())),
        };
        for item in read {
            let item = item?;
            let path = item.path();
            let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if file_name.starts_with('.') {
                continue;
            }
            let (name, size, check) = if path.is_dir() {
                let size = sentence_model::REQUIRED_FILES
                    .iter()
                    .chain(sentence_model::OPTIONAL_FILES)
                    .filter_map(|f| std::fs::metadata(path.join(f)).ok())
                    .map(|m| m.len())
                    .sum();
                let check = sentence_model::validate(&path)
                    .map(ModelKind::Embeddings)
                    .map_err(|e| describe(&e));
                (file_name, size, check)
            } else if let Some(name) = file_name.strip_suffix(&format!(".{}", speaker_model::EXTENSION)) {
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let check = speaker_model::validate(&path)
                    .map(ModelKind::Speakers)
                    .map_err(|e| format!("{e:#}"));
                (name, size, check)
            } else if let Some(name) = file_name.strip_suffix(".bin") {
                // Follows a linked model to its file, as loading it does.
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let check = model_file::validate_file(&path)
                    .map(ModelKind::Whisper)
                    .map_err(|e| describe(&e));
                (name, size, check)
            } else {
                continue;
            };
            entries.push(ModelEntry {
                name: name.to_owned(),
                path,
                size,
                check,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Imports a GGML whisper file, a CTranslate2 whisper folder, a speaker network (`.onnx`,
    /// `.pt`) or a sentence-transformers folder. Returns the model name.
    pub fn import(&self, source: &Path, name: Option<&str>) -> Result<String> {
        self.ensure_dir()?;
        let meta = std::fs::metadata(source).with_context(|| format!("failed to read {}", source.display()))?;
        if meta.is_dir() && sentence_model::looks_like_one(source) {
            return self.import_sentence_model(source, name);
        }
        if meta.is_file() && speaker_model::looks_like_one(source) {
            let (weights, default_name) = speaker_model::convert(source)?;
            let name = sanitise_name(name.unwrap_or(default_name))?;
            speaker_model::store(&self.dir, &weights, &name)?;
            return Ok(name);
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".import-")
            .suffix(".bin")
            .tempfile_in(&self.dir)?;
        let default_name = if meta.is_dir() {
            if !source.join("model.bin").is_file() {
                bail!(
                    "{} is not a model folder: it has neither model.bin (CTranslate2 whisper) nor config.json and model.safetensors (sentence-transformers)",
                    source.display()
                );
            }
            let hparams = {
                let mut out = BufWriter::new(tmp.as_file_mut());
                ct2_to_ggml::convert(source, &mut out)
                    .with_context(|| format!("failed to convert {}", source.display()))?
            };
            let lang = if hparams.is_multilingual() { "" } else { ".en" };
            format!("{}{lang}", hparams.size_name())
        } else {
            model_file::validate_file(source)
                .with_context(|| format!("{} is not a usable whisper model", source.display()))?;
            std::io::copy(&mut File::open(source)?, tmp.as_file_mut())?;
            let file_name = source.file_name().and_then(|n| n.to_str()).unwrap_or("model");
            file_name
                .trim_start_matches("ggml-")
                .trim_end_matches(".bin")
                .to_owned()
        };
        let name = sanitise_name(name.unwrap_or(&default_name))?;
        tmp.as_file().sync_all()?;
        let summary = model_file::validate_file(tmp.path()).context("the imported model does not validate")?;
        tracing::info!("imported {} ({} tensors)", name, summary.n_tensors);
        let dest = self.path_of(&name);
        tmp.persist(&dest)
            .map_err(|e| e.error)
            .with_context(|| format!("failed to store {}", dest.display()))?;
        shared_ipc::atomic_file::sync_dir(&self.dir)?;
        Ok(name)
    }

    /// Copies a validated sentence-transformers folder in: into a hidden temporary folder
    /// first, then renamed into place, so a half-copied model is never listed.
    fn import_sentence_model(&self, source: &Path, name: Option<&str>) -> Result<String> {
        let summary = sentence_model::validate(source)
            .with_context(|| format!("{} is not a usable sentence-embedding model", source.display()))?;
        let default_name = source
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("embeddings")
            .to_owned();
        let name = sanitise_name(name.unwrap_or(&default_name))?;
        let dest = self.dir.join(&name);
        if dest.exists() {
            bail!("a model named {name} is already installed; remove it first or pick another name");
        }
        let tmp = tempfile::Builder::new().prefix(".import-").tempdir_in(&self.dir)?;
        for file in sentence_model::REQUIRED_FILES
            .iter()
            .chain(sentence_model::OPTIONAL_FILES)
        {
            let from = source.join(file);
            if !from.is_file() {
                continue;
            }
            let to = tmp.path().join(file);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(&from, &to).with_context(|| format!("failed to copy {}", from.display()))?;
            File::open(&to)?.sync_all()?;
        }
        sentence_model::validate(tmp.path()).context("the copied model does not validate")?;
        let tmp = tmp.keep();
        std::fs::rename(&tmp, &dest).with_context(|| format!("failed to store {}", dest.display()))?;
        shared_ipc::atomic_file::sync_dir(&self.dir)?;
        tracing::info!("imported {name} ({} tensors)", summary.tensors);
        Ok(name)
    }

    /// Writes `<name>-<kind>` (or `new_name`): `name`'s weights quantized to `kind` by the
    /// worker binary `worker`, which holds the native quantizer. Returns the new name.
    pub fn quantize(&self, name: &str, kind: &str, new_name: Option<&str>, worker: &Path) -> Result<String> {
        let source = self.path_of(&sanitise_name(name)?);
        model_file::validate_file(&source)
            .with_context(|| format!("{name} is not an installed whisper model ({})", source.display()))?;
        let new_name = sanitise_name(new_name.unwrap_or(&format!("{name}-{kind}")))?;
        let dest = self.path_of(&new_name);
        if dest.exists() {
            bail!("a model named {new_name} is already installed; remove it first or pick another name");
        }
        let out = std::process::Command::new(worker)
            .arg("--quantize")
            .arg(&source)
            .arg(&dest)
            .arg(kind)
            .stdin(std::process::Stdio::null())
            .output()
            .with_context(|| format!("failed to run {}", worker.display()))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            bail!(
                "quantizing {name} failed: {}",
                stderr.lines().last().unwrap_or("no reason given")
            );
        }
        shared_ipc::atomic_file::sync_dir(&self.dir)?;
        Ok(new_name)
    }

    pub fn remove(&self, name: &str) -> Result<()> {
        let name = sanitise_name(name)?;
        let folder = self.dir.join(&name);
        if std::fs::symlink_metadata(&folder).is_ok_and(|m| m.is_dir()) {
            // remove_dir_all removes links inside, never what they point to.
            return std::fs::remove_dir_all(&folder)
                .with_context(|| format!("failed to remove model {name} ({})", folder.display()));
        }
        let speaker = self.dir.join(format!("{name}.{}", speaker_model::EXTENSION));
        let path = if speaker.is_file() {
            speaker
        } else {
            self.path_of(&name)
        };
        std::fs::remove_file(&path).with_context(|| format!("failed to remove model {name} ({})", path.display()))
    }
}

/// Model names become file names: keep them plain.
pub fn sanitise_name(name: &str) -> Result<String> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !ok {
        bail!("invalid model name {name:?}: use letters, digits, '.', '-' and '_'");
    }
    Ok(name.to_owned())
}
