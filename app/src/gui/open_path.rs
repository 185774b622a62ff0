//! Opens a file or folder with the desktop's default application. The path is passed as one
//! argument to the opener, never through a shell.

use std::io;
use std::path::{Path, PathBuf};
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

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{} no longer exists", path.display())]
    Gone { path: PathBuf },
    #[error("no program to open files is installed ({opener} was not found). The file is at {}", path.display())]
    NoOpener { opener: String, path: PathBuf },
    #[error("could not run {opener} to open {}: {source}", path.display())]
    Failed {
        opener: String,
        path: PathBuf,
        source: io::Error,
    },
}

impl OpenError {
    /// The file or folder that was to be opened (for a Copy path button).
    pub fn path(&self) -> &Path {
        match self {
            OpenError::Gone { path } | OpenError::NoOpener { path, .. } | OpenError::Failed { path, .. } => path,
        }
    }
}

/// The desktop's opener: `open` on macOS, `xdg-open` elsewhere.
pub fn default_opener() -> String {
    OPENER.to_owned()
}

/// Opens `path` with `opener` (see [`default_opener`]).
pub fn open(path: &Path, opener: &str) -> Result<(), OpenError> {
    if !path.exists() {
        return Err(OpenError::Gone { path: path.to_owned() });
    }
    let mut child = Command::new(opener)
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => OpenError::NoOpener {
                opener: opener.to_owned(),
                path: path.to_owned(),
            },
            _ => OpenError::Failed {
                opener: opener.to_owned(),
                path: path.to_owned(),
                source,
            },
        })?;
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

    #[test]
    fn a_missing_opener_is_said_plainly_with_the_path() {
        let file = tempfile::NamedTempFile::new().expect("tempfile");
        let err = open(file.path(), "castmill-no-such-opener").expect_err("no opener");
        assert!(matches!(err, OpenError::NoOpener { .. }), "{err:?}");
        let said = err.to_string();
        assert!(said.starts_with("no program to open files is installed"), "{said}");
        assert!(said.ends_with(&file.path().display().to_string()), "{said}");
        assert_eq!(err.path(), file.path());
    }
}
