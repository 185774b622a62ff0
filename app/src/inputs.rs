//! Turns the command line's FILES/FOLDERS into an ordered list of input files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Extensions taken from folders. Files named explicitly are always taken, so the worker can
/// say why one is not usable.
pub const AUDIO_EXTENSIONS: &[&str] = &["mp3", "m4a", "mp4", "aac", "wav", "flac", "ogg", "oga", "opus"];

pub fn is_audio_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// The inputs a batch takes from its arguments, and the arguments it could not take.
#[derive(Debug, Default)]
pub struct Expanded {
    pub files: Vec<PathBuf>,
    /// One line per argument left out, naming it and saying why.
    pub skipped: Vec<String>,
}

/// Files as given; folders expanded to their audio files (not recursive), sorted by name.
/// An argument that gives nothing (a folder without audio, one that cannot be listed) is
/// skipped with its reason, so one bad argument does not cost the rest of the batch. Paths
/// are made absolute, since the worker runs elsewhere.
pub fn expand_each(args: &[PathBuf]) -> std::io::Result<Expanded> {
    let cwd = std::env::current_dir()?;
    let mut expanded = Expanded::default();
    for arg in args {
        let path = if arg.is_absolute() { arg.clone() } else { cwd.join(arg) };
        match expand_one(path) {
            Ok(files) => expanded.files.extend(files),
            Err(e) => expanded.skipped.push(format!("{e:#}")),
        }
    }
    Ok(expanded)
}

fn expand_one(path: PathBuf) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path]);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&path)
        .with_context(|| format!("failed to list {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_audio_name(p))
        .collect();
    if found.is_empty() {
        bail!("folder {} has no audio files", path.display());
    }
    found.sort();
    Ok(found)
}
