//! Helpers for Castmill's end-to-end tests: locating the real binaries, the installed model
//! and the speech fixtures; building job folders; running the worker and reading its events.

pub mod app_harness;
pub mod coverage;
pub mod desktop;
pub mod fixtures;
pub mod flaky_drive;
pub mod headless;
pub mod hostile;
pub mod jobs_fixture;
pub mod memory_cgroup;
pub mod model_server;
pub mod proc_stats;
pub mod tmpfs;
pub mod vault;
pub mod wer;
pub mod worker;

use std::path::PathBuf;

/// The folder holding the built `castmill` and `batch-processor`: the bench binary's own
/// folder, or the one above a test binary's `deps/` folder.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let own = exe.parent().expect("exe dir");
    let dir = if own.ends_with("deps") {
        own.parent().expect("target dir").to_owned()
    } else {
        own.to_owned()
    };
    for name in ["castmill", "batch-processor"] {
        assert!(
            dir.join(name).is_file(),
            "{} is missing: build the workspace first (`cargo build --workspace`, or scripts/test.sh)",
            dir.join(name).display()
        );
    }
    dir
}

pub fn worker_bin() -> PathBuf {
    bin_dir().join("batch-processor")
}

pub fn castmill_bin() -> PathBuf {
    bin_dir().join("castmill")
}

/// The whisper model the tests use: `CASTMILL_TEST_MODEL`, else `tiny.en` in the data
/// directory that the set-up script fills.
pub fn model_path() -> PathBuf {
    if let Some(p) = std::env::var_os("CASTMILL_TEST_MODEL") {
        return PathBuf::from(p);
    }
    let path = user_dir("CASTMILL_DATA_DIR", ".local/share/castmill").join("models/tiny.en.bin");
    assert!(
        path.is_file(),
        "model {} is missing: run scripts/setup.sh (or set CASTMILL_TEST_MODEL)",
        path.display()
    );
    path
}

/// The default model the set-up makes (`tiny.en-q8_0`, next to [`model_path`]'s f16 one).
pub fn default_model_path() -> PathBuf {
    let path = model_path().with_file_name(format!("{}.bin", castmill::models::catalog::DEFAULT_MODEL));
    assert!(
        path.is_file(),
        "model {} is missing: run scripts/setup.sh --deps",
        path.display()
    );
    path
}

/// The speaker networks the set-up installs, next to [`model_path`]'s whisper model.
pub fn speaker_models() -> shared_ipc::SpeakerModels {
    let dir = model_path().with_file_name("");
    shared_ipc::SpeakerModels {
        segmentation: dir.join("segmentation-3.0.safetensors"),
        voice_encoder: dir.join("resemblyzer.safetensors"),
    }
}

/// The sentence-embedding model folder the set-up installs (`all-MiniLM-L6-v2` in the same
/// data directory as [`model_path`]); not checked, so callers can say what is missing.
pub fn embedding_model_dir() -> PathBuf {
    user_dir("CASTMILL_DATA_DIR", ".local/share/castmill").join("models/all-MiniLM-L6-v2")
}

/// `$VAR`, else `$HOME/home_relative`.
pub fn user_dir(var: &str, home_relative: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(home_relative))
}

/// The files directly in `dir` (an output folder) by name, with their bytes: what two runs
/// are compared by.
pub fn output_files(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("entry").path())
        // Castmill's own records of the folder are not outputs.
        .filter(|path| !path.ends_with(".castmill"))
        .map(|path| {
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, bytes)
        })
        .collect()
}

/// Every file under `dir`, recursively and sorted; links are listed, not followed.
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        if path.symlink_metadata().expect("stat").is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}
