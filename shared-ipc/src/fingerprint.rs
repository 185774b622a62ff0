//! Input fingerprints: cheap to compute even for a 4-hour file, and different when the file
//! was replaced or edited since the last run.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// How many bytes from each end of the file go into the checksum.
const SAMPLE_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub size: u64,
    /// Modification time in nanoseconds since the epoch.
    pub modified_ns: i64,
    /// CRC-32 of the first and last MiB.
    pub sample_crc32: u32,
}

impl Fingerprint {
    pub fn of(path: &Path) -> io::Result<Self> {
        Self::of_file(&File::open(path)?)
    }

    /// The fingerprint of an open file (the one about to be decoded, so a file swapped in
    /// between fingerprinting and decoding cannot go unnoticed). Leaves the position anywhere.
    pub fn of_file(mut file: &File) -> io::Result<Self> {
        file.rewind()?;
        let meta = file.metadata()?;
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        let size = meta.len();
        let mut hasher = crc32fast::Hasher::new();
        let mut buf = Vec::with_capacity(SAMPLE_BYTES as usize);
        (&mut file).take(SAMPLE_BYTES).read_to_end(&mut buf)?;
        hasher.update(&buf);
        if size > 2 * SAMPLE_BYTES {
            file.seek(SeekFrom::Start(size - SAMPLE_BYTES))?;
            buf.clear();
            (&mut file).take(SAMPLE_BYTES).read_to_end(&mut buf)?;
            hasher.update(&buf);
        } else if size > SAMPLE_BYTES {
            buf.clear();
            (&mut file).take(SAMPLE_BYTES).read_to_end(&mut buf)?;
            hasher.update(&buf);
        }
        Ok(Self {
            size,
            modified_ns,
            sample_crc32: hasher.finalize(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_when_content_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.wav");
        std::fs::write(&path, b"first content").expect("write");
        let a = Fingerprint::of(&path).expect("fp");
        assert_eq!(a, Fingerprint::of(&path).expect("fp"));
        std::fs::write(&path, b"other content").expect("write");
        let b = Fingerprint::of(&path).expect("fp");
        assert_ne!(a.sample_crc32, b.sample_crc32);
    }
}
