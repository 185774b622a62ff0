//! Keeps the protocol stream clean: at start-up the real stdout is duplicated to a private
//! descriptor for protocol lines, and fd 1 is pointed at stderr. A native library that prints
//! to stdout then lands in the log instead of corrupting the protocol.

use std::fs::File;
use std::io;

/// Moves the real stdout out of reach and returns it. Call before any other thread starts.
pub fn take_protocol_stdout() -> io::Result<File> {
    let protocol = nix::unistd::dup(io::stdout()).map_err(io::Error::from)?;
    // dup() leaves close-on-exec unset; children must not inherit the protocol pipe.
    nix::fcntl::fcntl(&protocol, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC))
        .map_err(io::Error::from)?;
    nix::unistd::dup2_stdout(io::stderr()).map_err(io::Error::from)?;
    Ok(File::from(protocol))
}

/// Writes straight to fd 1, as a native library would. Used to prove the guard works.
pub fn stray_write_to_fd1(text: &str) {
    let _ = nix::unistd::write(io::stdout(), text.as_bytes());
}
