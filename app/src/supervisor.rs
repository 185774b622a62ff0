//! The supervisor: creates job folders, runs the worker with a progress-based watchdog,
//! restarts it from its checkpoint with backoff, quarantines poison files, and scans the
//! jobs folder for recovery. What to do after a worker ends is decided in `decision.rs`
//! (pure) and carried out in `runner.rs`.

pub mod attempt;
pub mod backoff;
pub mod boot_time;
pub mod checkpoint_edits;
pub mod control;
pub mod decision;
pub mod disk_space;
pub mod events;
pub mod job_log;
pub mod jobs;
pub mod memory_signs;
pub mod memory_watch;
pub mod poison;
pub mod recovery;
pub mod run_state;
pub mod runner;
pub mod watchdog;
pub mod worker_process;
