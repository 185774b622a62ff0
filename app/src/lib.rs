//! Castmill's app library: the supervisor that runs and recovers jobs, model management and
//! the data directories. The headless command line (and the desktop app) are thin layers on
//! top, so both run the same code.

pub mod data_dirs;
pub mod gui;
pub mod inputs;
pub mod instance_handoff;
pub mod models;
pub mod progress;
pub mod single_instance;
pub mod speaker_library;
pub mod speaker_names;
pub mod supervisor;
