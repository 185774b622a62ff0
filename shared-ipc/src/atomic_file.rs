//! Atomic file replacement: temp file in the same folder, fsync, rename, fsync of the folder.
//! A crash at any point leaves either the old file or the new one, never a mix.

use std::fs::{File, Permissions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::fault_point::{self, Step};
use crate::file_kind::FileKind;

/// Replaces `path` with `bytes` atomically and durably. `kind` says what the file is: it
/// decides who may read it (job bookkeeping 0600, outputs 0644 less the umask) and names the
/// write's fault points.
///
/// The temporary file is named `.<name>.castmill-tmp-XXXXXX`. A process killed mid-write
/// leaves one behind; the next write of the same file removes it.
pub fn write_atomic(path: &Path, bytes: &[u8], kind: FileKind) -> io::Result<()> {
    let dir = parent_dir(path);
    let mode = if kind.is_private() { 0o600 } else { 0o644 };
    let prefix = temp_prefix(path);
    remove_stale_temps(dir, &prefix);
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    fault_point::write_all(kind, &mut tmp, bytes)?;
    fault_point::check(Step::Fsync, kind)?;
    tmp.as_file().sync_all()?;
    fault_point::check(Step::Rename, kind)?;
    tmp.persist(path).map_err(|e| e.error)?;
    fault_point::check(Step::DirSync, kind)?;
    sync_dir(dir)
}

fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.castmill-tmp-")
}

/// Removes leftovers of earlier, interrupted writes of the same file.
fn remove_stale_temps(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Exactly our pattern: the prefix and tempfile's six random characters.
        if name.len() == prefix.len() + 6 && name.starts_with(prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Creates `path` and any missing parents as folders only the user can enter (0700).
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path)
}

/// Flushes a folder's entries (a rename or a new file) to disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Reads a whole file, refusing files larger than `limit` bytes (hostile or corrupt input).
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("file is {len} bytes, more than the {limit}-byte limit"),
        ));
    }
    let mut buf = Vec::with_capacity(len as usize);
    file.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "file grew past its size limit",
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"one", FileKind::Checkpoint).expect("write");
        write_atomic(&path, b"two", FileKind::Checkpoint).expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(names.len(), 1);
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn leftovers_of_an_interrupted_write_are_cleaned_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("episode.txt");
        let leftover = dir.path().join(".episode.txt.castmill-tmp-AbC123");
        let unrelated = dir.path().join(".other.txt.castmill-tmp-AbC123");
        std::fs::write(&leftover, b"half").expect("write");
        std::fs::write(&unrelated, b"half").expect("write");
        write_atomic(&path, b"whole", FileKind::Output).expect("write");
        assert!(!leftover.exists());
        assert!(unrelated.exists(), "only this file's leftovers are removed");
    }

    #[test]
    fn read_limited_refuses_big_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big");
        std::fs::write(&path, vec![0u8; 100]).expect("write");
        assert!(read_limited(&path, 99).is_err());
        assert_eq!(read_limited(&path, 100).expect("read").len(), 100);
    }
}
