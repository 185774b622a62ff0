//! The models folder: `<data>/models/<name>.bin` for whisper GGML models.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use shared_ipc::model_file::{self, ModelSummary};

use super::ct2_to_ggml;
use crate::data_dirs::DataDirs;

pub struct ModelStore {
    dir: PathBuf,
}

pub struct ModelEntry {
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    /// The validated header, or why the file is unusable.
    pub check: Result<ModelSummary, String>,
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

    /// A model name, or a path to a model file.
    pub fn resolve(&self, name_or_path: &str) -> PathBuf {
        let as_path = Path::new(name_or_path);
        if name_or_path.contains('/') || as_path.is_file() {
            return as_path.to_owned();
        }
        self.path_of(name_or_path)
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
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".bin"))
            else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            // Follows a linked model to its file, as loading it does.
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let check = model_file::validate_file(&path).map_err(|e| e.to_string());
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

    /// Imports a GGML whisper file or a CTranslate2 whisper folder. Returns the model name.
    pub fn import(&self, source: &Path, name: Option<&str>) -> Result<String> {
        self.ensure_dir()?;
        let meta = std::fs::metadata(source).with_context(|| format!("failed to read {}", source.display()))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".import-")
            .suffix(".bin")
            .tempfile_in(&self.dir)?;
        let default_name = if meta.is_dir() {
            if !source.join("model.bin").is_file() {
                bail!(
                    "{} is not a model folder: it has no model.bin (sentence-transformers models arrive with the knowledge stage)",
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

    pub fn remove(&self, name: &str) -> Result<()> {
        let name = sanitise_name(name)?;
        let path = self.path_of(&name);
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
