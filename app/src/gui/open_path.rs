//! Opens a file or folder with the desktop's default application. The path is passed as one
//! argument to the opener, never through a shell.

use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

#[cfg(target_os = "macos")]
const OPENER: &str = "open";
#[cfg(not(target_os = "macos"))]
const OPENER: &str = "xdg-open";

/// True when `path` is `root` or lies under it, with no `..` that could climb out: the
/// results open only what the job wrote into its output folder, whatever a worker or a
/// damaged checkpoint reported.
pub fn within(path: &Path, root: &Path) -> bool {
    path.starts_with(root) && !path.components().any(|c| c == std::path::Component::ParentDir)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_inside_the_output_folder_are_opened() {
        let out = Path::new("/home/me/Castmill");
        assert!(within(out, out));
        assert!(within(&out.join("show.md"), out));
        assert!(!within(Path::new("/etc/passwd"), out));
        assert!(!within(&out.join("../.ssh/id_ed25519"), out));
        assert!(!within(Path::new("/home/me/Castmill2/x.txt"), out));
    }
}
