//! The desktop app (eframe/egui) on top of the supervisor: queue, live progress, results.

pub mod app;
pub mod job_thread;
pub mod queue;
pub mod screens;
pub mod settings;
pub mod theme;
