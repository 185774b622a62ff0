//! Castmill's audio input: symphonia demuxes and decodes a file (or bytes), channels are mixed
//! down to mono and rubato resamples to whisper's 16 kHz, in small chunks.

pub mod decode;
pub mod input_file;
mod ogg_end;
pub mod resample;
pub mod speech;

pub use decode::{AudioSource, DecodeError, SAMPLE_RATE};
pub use input_file::open_input;
