//! Test-build-only faults (feature `fault-injection`): `CASTMILL_FAULT_CRASH_ON=TEXT` makes
//! the worker abort (SIGABRT, as a crashing decoder would) when it starts on an input whose
//! path contains TEXT.

use std::path::Path;

pub fn crash_if_requested(input: &Path) {
    if let Some(text) = std::env::var_os("CASTMILL_FAULT_CRASH_ON")
        && input.to_string_lossy().contains(&*text.to_string_lossy())
    {
        tracing::error!("fault injection: crashing on {}", input.display());
        std::process::abort();
    }
}
