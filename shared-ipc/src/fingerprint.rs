//! Input fingerprints: cheap to compute even for a 4-hour file, and different when the file
//! was replaced or edited since the last run.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

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
        if size > SAMPLE_BYTES {
            // The last MiB, or what follows the first when the file is under two.
            file.seek(SeekFrom::Start((size - SAMPLE_BYTES).max(SAMPLE_BYTES)))?;
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
    use std::path::Path;

    use super::*;

    #[test]
    fn changes_when_content_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.wav");
        std::fs::write(&path, b"first content").expect("write");
        let of = |path: &Path| Fingerprint::of_file(&File::open(path).expect("open")).expect("fp");
        let a = of(&path);
        assert_eq!(a, of(&path));
        std::fs::write(&path, b"other content").expect("write");
        let b = of(&path);
        assert_ne!(a.sample_crc32, b.sample_crc32);
    }

    /// Checkpoints and journals keep fingerprints: if the checksum of an unchanged file
    /// changed, every resumed job would transcribe its inputs again. One file of each size
    /// class (under one MiB, under two, over two), with values computed independently.
    #[test]
    fn checksums_stay_what_saved_jobs_recorded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mib = 1usize << 20;
        for (size, expected) in [
            (mib / 2 + 3, 0x77ef_e21d_u32),
            (mib + mib / 2 + 7, 0xf33a_1885),
            (2 * mib + mib / 2 + 11, 0xeb79_d676),
        ] {
            let path = dir.path().join(format!("{size}.wav"));
            let bytes: Vec<u8> = (0..size).map(|i| ((i * 7 + i / 977) % 251) as u8).collect();
            std::fs::write(&path, bytes).expect("write");
            let fingerprint = Fingerprint::of_file(&File::open(&path).expect("open")).expect("fp");
            assert_eq!(fingerprint.size, size as u64);
            assert_eq!(fingerprint.sample_crc32, expected, "{size} bytes");
        }
    }
}
