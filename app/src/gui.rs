//! The desktop app (eframe/egui) on top of the supervisor: queue, live progress, results,
//! recovery of interrupted jobs, settings and models.

pub mod app;
pub mod batch_figures;
pub mod dialog_purpose;
pub mod duration_probe;
pub mod failure_text;
pub mod file_browser;
pub mod file_dialogs;
pub mod file_row;
pub mod frame_stats;
pub mod job_results;
pub mod job_thread;
pub mod mailbox;
pub mod model_manager;
pub mod open_path;
pub mod queue;
pub mod recovery_dialog;
pub mod running_job;
pub mod screens;
pub mod settings;
pub mod shortcuts;
pub mod theme;
pub mod transcript_tail;
