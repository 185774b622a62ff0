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

/// Both speaker networks are installed in the store folder `dir` and usable.
pub fn check_installed(dir: &Path) -> Result<()> {
    for (name, kind) in [
        (SEGMENTATION_NAME, SpeakerModelKind::Segmentation),
        (VOICE_ENCODER_NAME, SpeakerModelKind::VoiceEncoder),
    ] {
        let path = dir.join(format!("{name}.{EXTENSION}"));
        let found = validate(&path).with_context(|| {
            format!(
                "the speaker model {name} is not installed or not usable ({})",
                path.display()
            )
        })?;
        if found != kind {
            bail!("{} is a {} model, not the {}", path.display(), found.tag(), kind.tag());
        }
    }
    Ok(())
}

/// Converts a published speaker network; returns its weights and the name it goes by.
pub fn convert(source: &Path) -> Result<(SpeakerWeights, &'static str)> {
    let weights = match source.extension().and_then(|e| e.to_str()) {
        Some("onnx") => segmentation_import::from_onnx(source)?,
        Some("pt") => voice_encoder_import::from_torch(source)?,
        _ => bail!("{} is not a speaker model (.onnx or .pt)", source.display()),
    };
    let default_name = match weights.kind {
        SpeakerModelKind::Segmentation => SEGMENTATION_NAME,
        SpeakerModelKind::VoiceEncoder => VOICE_ENCODER_NAME,
    };
    Ok((weights, default_name))
}

/// Stores converted weights in `dir` as `<name>.safetensors`, checked before they take the
/// name.
pub fn store(dir: &Path, weights: &SpeakerWeights, name: &str) -> Result<()> {
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
    Ok(())
}
