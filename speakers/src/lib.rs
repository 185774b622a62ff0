//! Castmill's speakers: who speaks when in an episode, on the CPU, from two published
//! networks converted once on import — pyannote's segmentation-3.0 (frame by frame, up to
//! three voices in each 10 s chunk) and resemblyzer's voice encoder (a 256-number voiceprint
//! of a stretch of speech) — and the clustering that joins the chunks' voices into the
//! episode's speakers.

pub mod clustering;
pub mod diarize;
pub mod lstm;
pub mod network_error;
pub mod onnx_file;
pub mod recognition;
pub mod segmentation;
pub mod segmentation_import;
pub mod thread_count;
pub mod voice_encoder;
pub mod voice_encoder_import;
pub mod voice_mel;
pub mod weights;
