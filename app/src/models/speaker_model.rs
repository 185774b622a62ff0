//! Speaker models in the store: `<data>/models/<name>.safetensors`, converted on import from
//! the files their packages publish — pyannote's segmentation network (`.onnx`) and
//! resemblyzer's voice encoder (`.pt`) — and checked again whenever they are listed.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use castmill_speakers::weights::{SpeakerModelKind, SpeakerWeights};
use castmill_speakers::{segmentation, segmentation_import, voice_encoder, voice_encoder_import};

pub const EXTENSION: &str = "safetensors";
/// The names the set-up installs them under, and the worker looks for by default.
pub const SEGMENTATION_NAME: &str = "segmentation-3.0";
pub const VOICE_ENCODER_NAME: &str = "resemblyzer";

/// Whether `source` is a published speaker network this import converts.
pub fn looks_like_one(source: &Path) -> bool {
    matches!(source.extension().and_then(|e| e.to_str()), Some("onnx" | "pt"))
}

/// What a stored speaker model is, with every tensor its network needs checked.
pub fn validate(path: &Path) -> Result<SpeakerModelKind> {
    let weights = SpeakerWeights::read(path)?;
    let shapes = match weights.kind {
        SpeakerModelKind::Segmentation => segmentation::tensor_shapes(),
        SpeakerModelKind::VoiceEncoder => voice_encoder::tensor_shapes(),
    };
    weights.expect(weights.kind, &shapes)?;
    Ok(weights.kind)
}

/// Converts `source` into `dir` as `<name>.safetensors`; returns the name.
pub fn import(dir: &Path, source: &Path, name: Option<&str>) -> Result<String> {
    let weights = match source.extension().and_then(|e| e.to_str()) {
        Some("onnx") => segmentation_import::from_onnx(source)?,
        Some("pt") => voice_encoder_import::from_torch(source)?,
        _ => bail!("{} is not a speaker model (.onnx or .pt)", source.display()),
    };
    let default_name = match weights.kind {
        SpeakerModelKind::Segmentation => SEGMENTATION_NAME,
        SpeakerModelKind::VoiceEncoder => VOICE_ENCODER_NAME,
    };
    let name = super::store::sanitise_name(name.unwrap_or(default_name))?;
    let bytes = weights.to_bytes()?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".import-")
        .suffix(".safetensors")
        .tempfile_in(dir)?;
    tmp.write_all(&bytes)?;
    tmp.as_file().sync_all()?;
    validate(tmp.path()).context("the converted model does not validate")?;
    let dest = dir.join(format!("{name}.{EXTENSION}"));
    tmp.persist(&dest)
        .map_err(|e| e.error)
        .with_context(|| format!("failed to store {}", dest.display()))?;
    shared_ipc::atomic_file::sync_dir(dir)?;
    tracing::info!("imported {name} ({})", weights.kind.describe());
    Ok(name)
}
