//! Castmill's end-to-end tests, against the real `castmill` and `batch-processor` binaries,
//! the real model and real speech. One test binary with a module per area: each binary
//! links egui, candle and whisper, so one link instead of sixteen. Tests keep their names
//! under their module (`bad_inputs::…`, `supervisor::…`).

mod bad_inputs;
mod control;
mod fault_points;
mod gui;
mod gui_history;
mod gui_progress;
mod gui_recovery;
mod gui_settings;
mod headless;
mod hostile_inputs;
mod knowledge;
mod knowledge_model;
mod liveness;
mod memory;
mod models;
mod recovery;
mod security;
mod speaker_library;
mod speakers;
mod speakers_stage;
mod structure;
mod supervisor;
mod transcription;
mod unattended;
mod window;
mod window_cuts;
