//! Whether a model fits before it is loaded: its size on disk times a factor measured for
//! its kind (`BENCH_ONLY=memory` measures the peak RSS of each), plus what the worker needs
//! besides, against what is available to the job. A model that does not fit is refused with
//! the numbers, instead of being started into swap or the OOM killer.

use std::path::Path;

use crate::gigabytes;
use crate::reading::MemoryReading;

const MIB: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A GGML whisper model (one file).
    Whisper,
    /// A sentence-embedding model (a folder: safetensors and tokenizer).
    Embeddings,
}

impl ModelKind {
    /// The worker's peak memory with a model of `model_bytes` on disk loaded and at work.
    /// Whisper: the weights, plus compute buffers and KV caches that grow with the model's
    /// width (measured, `BENCH_ONLY=memory`: tiny.en f16 77.7 MB → 220 MiB peak, q8_0
    /// 43.6 MB → 187 MiB). Embeddings: the weights, plus the tokenizer and a batch's
    /// activations (all-MiniLM-L6-v2 91 MB → 189 MiB peak). Each estimate is a little above
    /// what was measured: a model that loads should not be one the check let through by a hair.
    pub fn need(self, model_bytes: u64) -> u64 {
        match self {
            ModelKind::Whisper => model_bytes + model_bytes / 2 + 140 * MIB,
            ModelKind::Embeddings => model_bytes + 110 * MIB,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            ModelKind::Whisper => "the whisper model",
            ModelKind::Embeddings => "the sentence-embedding model",
        }
    }
}

/// A model that would not fit in the memory available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoesNotFit {
    pub kind: ModelKind,
    pub name: String,
    pub need: u64,
    pub available: u64,
    /// The job's cgroup limit, not the machine, is what is short.
    pub in_cgroup: bool,
}

impl std::fmt::Display for DoesNotFit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let where_ = if self.in_cgroup {
            "is left within the job's memory limit"
        } else {
            "is free"
        };
        write!(
            f,
            "{} {} needs about {} of memory, and only {} {where_} (close other programs, or pick a smaller model)",
            self.kind.noun(),
            self.name,
            gigabytes(self.need),
            gigabytes(self.available)
        )
    }
}

impl std::error::Error for DoesNotFit {}

/// Checks that the model at `path` (a file or a folder) fits in `reading`'s available memory.
pub fn check(kind: ModelKind, path: &Path, reading: &MemoryReading) -> Result<(), DoesNotFit> {
    let need = kind.need(size_on_disk(path));
    let available = reading.available();
    if need <= available {
        return Ok(());
    }
    let name = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Err(DoesNotFit {
        kind,
        name,
        need,
        available,
        in_cgroup: reading.cgroup_binds(),
    })
}

/// The bytes of a file, or of the files in a folder and below it; 0 when unreadable (the
/// load itself then says what is wrong).
pub fn size_on_disk(path: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| size_on_disk(&e.path())).sum())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::CgroupMemory;

    #[test]
    fn a_model_that_does_not_fit_is_refused_with_the_numbers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let model = dir.path().join("base.bin");
        std::fs::write(&model, vec![0u8; 4 << 20]).expect("write");
        let pod = MemoryReading {
            machine_total: 64_000_000_000,
            machine_available: 60_000_000_000,
            swap_total: 0,
            swap_free: 0,
            cgroup: Some(CgroupMemory {
                limit: 200_000_000,
                in_use: 100_000_000,
            }),
            stall: None,
        };
        let refused = check(ModelKind::Whisper, &model, &pod).expect_err("too big");
        assert_eq!(
            refused.to_string(),
            "the whisper model base needs about 0.2 GB of memory, and only 0.1 GB is left within \
             the job's memory limit (close other programs, or pick a smaller model)"
        );
        let roomy = MemoryReading { cgroup: None, ..pod };
        assert_eq!(check(ModelKind::Whisper, &model, &roomy), Ok(()));
    }

    #[test]
    fn a_folder_model_is_sized_by_its_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("1_Pooling")).expect("mkdir");
        std::fs::write(dir.path().join("model.safetensors"), vec![0u8; 1000]).expect("write");
        std::fs::write(dir.path().join("1_Pooling/config.json"), vec![0u8; 24]).expect("write");
        assert_eq!(size_on_disk(dir.path()), 1024);
        assert_eq!(size_on_disk(&dir.path().join("missing")), 0);
    }
}
