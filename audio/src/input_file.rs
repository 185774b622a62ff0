//! Opening an input for reading: regular files only, and never blocking. A named pipe named
//! like audio would block `open` forever, and a device (`/dev/zero`, `/dev/urandom` behind a
//! link) would feed the decoder without end, so both are refused before a byte is read.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use crate::DecodeError;

/// Opens `path` (following links) if it is a non-empty regular file.
pub fn open_input(path: &Path) -> Result<File, DecodeError> {
    // O_NONBLOCK makes opening a pipe return at once; on a regular file it changes nothing.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
        .map_err(|e| DecodeError::from_io(&e))?;
    // Checked on the open file, so the answer is about what will be read.
    let meta = file.metadata().map_err(|e| DecodeError::from_io(&e))?;
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(DecodeError::IsDirectory);
    }
    if !kind.is_file() {
        let what = if kind.is_fifo() {
            "a named pipe"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else {
            "not a regular file"
        };
        return Err(DecodeError::NotAFile(what));
    }
    if meta.len() == 0 {
        return Err(DecodeError::Empty);
    }
    Ok(file)
}

impl DecodeError {
    /// The user's words for a failure to open or read an input.
    pub fn from_io(e: &io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::NotFound => DecodeError::NotFound,
            io::ErrorKind::PermissionDenied => DecodeError::PermissionDenied,
            io::ErrorKind::IsADirectory => DecodeError::IsDirectory,
            _ if e.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32) => DecodeError::LinkLoop,
            // Kept as the system's error, so a caller can tell a drive that dropped out.
            _ => DecodeError::Io(match e.raw_os_error() {
                Some(code) => io::Error::from_raw_os_error(code),
                None => io::Error::new(e.kind(), e.to_string()),
            }),
        }
    }

    /// Whether the failure may pass by itself: the drive or network share holding the input
    /// failed to answer (EIO, ESTALE, ETIMEDOUT, ENOTCONN, a device gone and the like), not
    /// the file.
    pub fn is_temporary(&self) -> bool {
        use nix::errno::Errno;
        const TEMPORARY: [Errno; 12] = [
            Errno::EIO,
            Errno::ENODEV,
            Errno::ENXIO,
            Errno::ESTALE,
            Errno::ETIMEDOUT,
            Errno::ENOTCONN,
            Errno::EHOSTDOWN,
            Errno::EHOSTUNREACH,
            Errno::ENETDOWN,
            Errno::ENETUNREACH,
            Errno::ECONNRESET,
            Errno::ECONNABORTED,
        ];
        match self {
            DecodeError::Io(e) => e
                .raw_os_error()
                .is_some_and(|code| TEMPORARY.iter().any(|t| *t as i32 == code)),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_devices_links_in_a_loop_and_folders_are_refused_without_blocking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pipe = dir.path().join("pipe.mp3");
        nix::unistd::mkfifo(&pipe, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
        assert!(matches!(open_input(&pipe), Err(DecodeError::NotAFile("a named pipe"))));

        let device = dir.path().join("zero.wav");
        std::os::unix::fs::symlink("/dev/zero", &device).expect("link");
        assert!(matches!(open_input(&device), Err(DecodeError::NotAFile("a device"))));

        let looped = dir.path().join("loop.flac");
        std::os::unix::fs::symlink(&looped, &looped).expect("link");
        assert!(matches!(open_input(&looped), Err(DecodeError::LinkLoop)));

        assert!(matches!(open_input(dir.path()), Err(DecodeError::IsDirectory)));
        let empty = dir.path().join("empty.ogg");
        std::fs::write(&empty, b"").expect("write");
        assert!(matches!(open_input(&empty), Err(DecodeError::Empty)));
        assert!(matches!(
            open_input(&dir.path().join("missing.m4a")),
            Err(DecodeError::NotFound)
        ));
    }

    #[test]
    fn a_drive_that_stops_answering_is_temporary_a_damaged_file_is_not() {
        let eio = DecodeError::from_io(&io::Error::from_raw_os_error(nix::libc::EIO));
        assert!(eio.is_temporary());
        assert_eq!(
            eio.to_string(),
            "failed to read the file: Input/output error (os error 5)"
        );
        assert!(DecodeError::from_io(&io::Error::from_raw_os_error(nix::libc::ESTALE)).is_temporary());
        assert!(!DecodeError::from_io(&io::Error::from_raw_os_error(nix::libc::ENOENT)).is_temporary());
        assert!(!DecodeError::Empty.is_temporary());
    }
}
