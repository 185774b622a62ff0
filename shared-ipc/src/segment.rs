//! One transcribed segment: the unit that is committed, reported and written out.

use serde::{Deserialize, Serialize};

/// A transcribed stretch of audio with its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Start, in milliseconds from the start of the file.
    pub start_ms: u64,
    /// End, in milliseconds from the start of the file.
    pub end_ms: u64,
    pub text: String,
    /// Mean token probability in 0..=1: how sure the model was.
    pub confidence: f32,
}
