//! The memory a Castmill job has, and what to do about it: a reading of the machine's and
//! the job's cgroup's memory, swap and kernel pressure ([`reading`]); whether a model fits
//! before it is loaded ([`fit`]); when to hold a job and let it go on ([`pressure`]); and
//! when a worker's growth is a leak ([`growth`]). The policies are plain functions of
//! readings, so they are tested over files laid out like `/proc` and `/sys/fs/cgroup`.

pub mod fit;
pub mod growth;
#[cfg(target_os = "linux")]
pub mod linux;
mod now;
#[cfg(not(target_os = "linux"))]
mod portable;
pub mod pressure;
pub mod reading;

pub use fit::{DoesNotFit, ModelKind};
pub use growth::{LeakGuard, Leaking};
pub use now::memory_now;
pub use pressure::{PressureChange, PressureWatch, Thresholds};
pub use reading::{CgroupMemory, MemoryReading, Stall};

/// Bytes in the words the user reads: "0.4 GB".
pub fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}
