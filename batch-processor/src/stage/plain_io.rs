//! I/O failures in the words people read in a file's reason ("disk is full", not "No space
//! left on device (os error 28)").

use std::path::{Path, PathBuf};

/// The cause of an I/O failure, plainly.
pub fn plain(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::StorageFull => "disk is full".into(),
        std::io::ErrorKind::IsADirectory => "is a folder, not an audio file".into(),
        _ => e.to_string(),
    }
}

/// A file Castmill writes (an output, a note, a record) that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {}", path.display(), plain(cause))]
pub struct WriteError {
    pub path: PathBuf,
    // Not a `#[source]`: the message already says it, in plain words.
    pub cause: std::io::Error,
}

impl WriteError {
    pub fn new(path: &Path, cause: std::io::Error) -> Self {
        Self {
            path: path.to_owned(),
            cause,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_said_plainly_and_once() {
        let e = WriteError::new(
            Path::new("/out/a.txt"),
            std::io::Error::from(std::io::ErrorKind::StorageFull),
        );
        assert_eq!(e.to_string(), "cannot write /out/a.txt: disk is full");
        assert_eq!(shared_ipc::error_chain::describe(&e), e.to_string());
    }
}
