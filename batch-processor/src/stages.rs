//! The job's stages, each committed in the checkpoint on its own: every file's
//! [`transcription`], every transcript's [`summaries`], the batch's [`map`] of content.
//! `job.rs` runs them in that order; each implements [`crate::stage::context::Stage`].

pub mod map;
pub mod speakers;
pub mod summaries;
pub mod transcription;
