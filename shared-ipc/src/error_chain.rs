//! An error and its causes as one line of text, for the messages both binaries show people
//! and record: `failed to write checkpoint /j/checkpoint: Input/output error (os error 5)`.
//! Error types say only their own part; each cause is added here, once.

use std::error::Error;
use std::fmt::Write as _;

/// `error`'s message followed by each of its sources, joined by `": "`.
pub fn describe(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let _ = write!(text, ": {e}");
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("failed to save {path}")]
    struct Save {
        path: String,
        source: std::io::Error,
    }

    #[test]
    fn each_cause_is_said_once() {
        let e = Save {
            path: "/j/checkpoint".into(),
            source: std::io::Error::other("disk on fire"),
        };
        assert_eq!(describe(&e), "failed to save /j/checkpoint: disk on fire");
    }
}
