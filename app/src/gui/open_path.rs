//! Opens a file or folder with the desktop's default application. The path is passed as one
//! argument to the opener, never through a shell.

use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

#[cfg(target_os = "macos")]
const OPENER: &str = "open";
#[cfg(not(target_os = "macos"))]
const OPENER: &str = "xdg-open";

pub fn open(path: &Path) -> io::Result<()> {
    if !path.exists() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} no longer exists", path.display()),
        ));
    }
    let mut child = Command::new(OPENER)
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("failed to run {OPENER}: {e}")))?;
    // Reap it in the background so no zombie is left; the opener detaches quickly.
    std::thread::spawn(move || child.wait());
    Ok(())
}
