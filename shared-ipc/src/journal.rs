//! Per-file segment journal: the record of committed progress inside a file.
//!
//! Append-only text, one record per line: `<crc32 hex> <json>`. A window's segments are
//! appended followed by a `window` record, then the file is flushed to disk; only segments
//! followed by a `window` record count as committed. On load, a torn or uncommitted tail is
//! dropped (and cut off the file), so a crash at any byte leaves a usable journal.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::fault_point::Step;
use crate::file_kind::FileKind;
use crate::fingerprint::Fingerprint;
use crate::segment::Segment;

/// Format version, recorded in each journal's `begin` record. 2 added each segment's
/// `words`; a version-1 journal loads with segments without words (and a resumed file
/// appends segments with them).
pub const JOURNAL_VERSION: u32 = 2;

const MAX_JOURNAL_BYTES: u64 = 512 * 1024 * 1024;

/// `window` records count samples at this rate (the worker's 16 kHz mono stream).
pub const JOURNAL_SAMPLE_RATE: u64 = 16_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalRecord {
    /// First record: which version of which input this journal belongs to.
    Begin {
        version: u32,
        fingerprint: Fingerprint,
    },
    Segment {
        segment: Segment,
    },
    /// Commit marker: audio up to `end_sample` (16 kHz) is transcribed.
    Window {
        end_sample: u64,
    },
}

/// What a journal holds, after dropping anything not committed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JournalLoad {
    pub fingerprint: Option<Fingerprint>,
    pub segments: Vec<Segment>,
    /// 16 kHz samples of the input that are transcribed and committed.
    pub committed_samples: u64,
    /// Byte length of the committed prefix of the file.
    pub committed_len: u64,
    /// A torn last line was dropped.
    pub dropped_torn_line: bool,
    /// Records after the last commit marker that were dropped.
    pub dropped_uncommitted: usize,
}

#[derive(Debug, Error)]
pub enum JournalError {
    #[error("failed to access journal {path}")]
    Io { path: PathBuf, source: io::Error },
    #[error("journal {path} is corrupt at line {line}: {reason}")]
    Corrupt { path: PathBuf, line: usize, reason: String },
}

/// Why a journal's bytes are unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

impl JournalLoad {
    /// What the journal at `path` has committed, read without changing the file (an
    /// unfinished tail is left where it is): for the stages that read a finished transcript
    /// and for the app, which must never write beside a running worker. `Ok(None)` if there
    /// is no journal.
    pub fn read(path: &Path) -> Result<Option<Self>, JournalError> {
        Ok(Self::read_with_len(path)?.map(|(load, _)| load))
    }

    /// [`JournalLoad::read`], and the file's length as read.
    fn read_with_len(path: &Path) -> Result<Option<(Self, u64)>, JournalError> {
        let bytes = match crate::atomic_file::read_limited(path, MAX_JOURNAL_BYTES) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(JournalError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let corrupt = |line, reason| JournalError::Corrupt {
            path: path.to_owned(),
            line,
            reason,
        };
        let load = JournalLoad::parse(&bytes).map_err(|e| corrupt(e.line, e.reason))?;
        if load.fingerprint.is_none() {
            return Err(corrupt(1, "empty journal".into()));
        }
        Ok(Some((load, bytes.len() as u64)))
    }

    /// Audio committed, in milliseconds.
    pub fn committed_ms(&self) -> u64 {
        self.committed_samples * 1000 / JOURNAL_SAMPLE_RATE
    }

    /// Parses journal bytes. Only a damaged *last* line is forgiven (a torn append);
    /// damage anywhere else is an error.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let mut load = JournalLoad::default();
        let mut pending: Vec<Segment> = Vec::new();
        let mut offset = 0usize;
        let mut line_no = 0usize;
        while offset < bytes.len() {
            line_no += 1;
            let rest = &bytes[offset..];
            let (line, next, complete) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], offset + i + 1, true),
                None => (rest, bytes.len(), false),
            };
            let record = if complete {
                decode_record(line)
            } else {
                Err("line has no end".into())
            };
            match record {
                Ok(record) => match record {
                    JournalRecord::Begin { version, fingerprint } => {
                        if line_no != 1 {
                            return Err(ParseError {
                                line: line_no,
                                reason: "begin record in the middle".into(),
                            });
                        }
                        if version > JOURNAL_VERSION {
                            return Err(ParseError {
                                line: line_no,
                                reason: format!("journal version {version} is newer than this build"),
                            });
                        }
                        load.fingerprint = Some(fingerprint);
                        load.committed_len = next as u64;
                    }
                    JournalRecord::Segment { segment } => {
                        if line_no == 1 {
                            return Err(ParseError {
                                line: 1,
                                reason: "missing begin record".into(),
                            });
                        }
                        pending.push(segment);
                    }
                    JournalRecord::Window { end_sample } => {
                        if line_no == 1 {
                            return Err(ParseError {
                                line: 1,
                                reason: "missing begin record".into(),
                            });
                        }
                        if end_sample < load.committed_samples {
                            return Err(ParseError {
                                line: line_no,
                                reason: "window goes backwards".into(),
                            });
                        }
                        load.segments.append(&mut pending);
                        load.committed_samples = end_sample;
                        load.committed_len = next as u64;
                    }
                },
                Err(reason) => {
                    if next < bytes.len() {
                        return Err(ParseError { line: line_no, reason });
                    }
                    load.dropped_torn_line = true;
                }
            }
            offset = next;
        }
        load.dropped_uncommitted = pending.len();
        Ok(load)
    }
}

fn decode_record(line: &[u8]) -> Result<JournalRecord, String> {
    let text = std::str::from_utf8(line).map_err(|_| "line is not UTF-8".to_owned())?;
    let (crc_hex, json) = text.split_once(' ').ok_or("line has no checksum")?;
    let crc = u32::from_str_radix(crc_hex, 16).map_err(|_| "bad checksum field".to_owned())?;
    if crc32fast::hash(json.as_bytes()) != crc {
        return Err("checksum mismatch".into());
    }
    serde_json::from_str(json).map_err(|e| format!("bad record: {e}"))
}

fn encode_record(record: &JournalRecord, out: &mut Vec<u8>) {
    // Plain data: serializing cannot fail.
    let json = serde_json::to_string(record).unwrap_or_default();
    out.extend_from_slice(format!("{:08x} ", crc32fast::hash(json.as_bytes())).as_bytes());
    out.extend_from_slice(json.as_bytes());
    out.push(b'\n');
}

/// An open journal, positioned for appending.
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Starts a new journal for an input, replacing any old one.
    pub fn create(path: &Path, fingerprint: Fingerprint) -> Result<Self, JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_owned(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(io_err)?;
        let mut journal = Journal {
            path: path.to_owned(),
            file,
        };
        let mut buf = Vec::new();
        encode_record(
            &JournalRecord::Begin {
                version: JOURNAL_VERSION,
                fingerprint,
            },
            &mut buf,
        );
        journal.append_durably(&buf)?;
        if let Some(dir) = path.parent() {
            crate::fault_point::check(Step::DirSync, FileKind::Journal).map_err(io_err)?;
            crate::atomic_file::sync_dir(dir).map_err(io_err)?;
        }
        Ok(journal)
    }

    /// Opens an existing journal, dropping (and cutting off) anything not committed.
    /// `Ok(None)` if there is no journal.
    pub fn open(path: &Path) -> Result<Option<(Self, JournalLoad)>, JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_owned(),
            source,
        };
        let Some((load, len)) = JournalLoad::read_with_len(path)? else {
            return Ok(None);
        };
        let file = OpenOptions::new().write(true).open(path).map_err(io_err)?;
        if load.committed_len < len {
            file.set_len(load.committed_len).map_err(io_err)?;
            file.sync_data().map_err(io_err)?;
        }
        let mut journal = Journal {
            path: path.to_owned(),
            file,
        };
        use std::io::Seek;
        journal.file.seek(io::SeekFrom::End(0)).map_err(io_err)?;
        Ok(Some((journal, load)))
    }

    /// Appends a window's segments and its commit marker, and makes them durable.
    /// Only after this returns may the segments be reported as committed.
    pub fn commit_window(&mut self, segments: &[Segment], end_sample: u64) -> Result<(), JournalError> {
        let mut buf = Vec::with_capacity(128 * (segments.len() + 1));
        for segment in segments {
            encode_record(
                &JournalRecord::Segment {
                    segment: segment.clone(),
                },
                &mut buf,
            );
        }
        encode_record(&JournalRecord::Window { end_sample }, &mut buf);
        self.append_durably(&buf)
    }

    fn append_durably(&mut self, buf: &[u8]) -> Result<(), JournalError> {
        let io_err = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        crate::fault_point::write_all(FileKind::Journal, &mut self.file, buf).map_err(io_err)?;
        crate::fault_point::check(Step::Fsync, FileKind::Journal).map_err(io_err)?;
        self.file.sync_data().map_err(io_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(i: u64) -> Segment {
        Segment {
            start_ms: i * 1000,
            end_ms: i * 1000 + 900,
            text: format!("segment {i}"),
            confidence: 0.5,
            words: Vec::new(),
        }
    }

    fn fp() -> Fingerprint {
        Fingerprint {
            size: 10,
            modified_ns: 5,
            sample_crc32: 7,
        }
    }

    #[test]
    fn committed_windows_survive_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.journal");
        let mut j = Journal::create(&path, fp()).expect("create");
        j.commit_window(&[seg(0), seg(1)], 32_000).expect("commit");
        j.commit_window(&[seg(2)], 48_000).expect("commit");
        drop(j);
        let (mut j, load) = Journal::open(&path).expect("open").expect("exists");
        assert_eq!(load.segments, vec![seg(0), seg(1), seg(2)]);
        assert_eq!(load.committed_samples, 48_000);
        assert_eq!(load.fingerprint, Some(fp()));
        j.commit_window(&[seg(3)], 64_000).expect("commit");
        drop(j);
        let (_, load) = Journal::open(&path).expect("open").expect("exists");
        assert_eq!(load.segments.len(), 4);
    }

    /// A journal written by a version-1 build (segments without words), record for record:
    /// it loads, its segments with no words.
    #[test]
    fn version_1_journals_load_without_words() {
        let lines = [
            r#"{"kind":"begin","version":1,"fingerprint":{"size":10,"modified_ns":5,"sample_crc32":7}}"#,
            r#"{"kind":"segment","segment":{"start_ms":0,"end_ms":1500,"text":" Hello there.","confidence":0.9}}"#,
            r#"{"kind":"window","end_sample":24000}"#,
        ];
        let mut bytes = Vec::new();
        for json in lines {
            bytes.extend_from_slice(format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes())).as_bytes());
        }
        let load = JournalLoad::parse(&bytes).expect("a version-1 journal loads");
        assert_eq!(load.fingerprint, Some(fp()));
        assert_eq!(load.segments.len(), 1);
        assert_eq!(load.segments[0].text, " Hello there.");
        assert!(load.segments[0].words.is_empty());
        assert_eq!(load.committed_samples, 24_000);
    }

    #[test]
    fn a_cut_at_any_byte_keeps_exactly_the_committed_windows() {
        let mut bytes = Vec::new();
        encode_record(
            &JournalRecord::Begin {
                version: 1,
                fingerprint: fp(),
            },
            &mut bytes,
        );
        let begin_len = bytes.len();
        encode_record(&JournalRecord::Segment { segment: seg(0) }, &mut bytes);
        encode_record(&JournalRecord::Window { end_sample: 16_000 }, &mut bytes);
        let first_commit = bytes.len();
        encode_record(&JournalRecord::Segment { segment: seg(1) }, &mut bytes);
        encode_record(&JournalRecord::Window { end_sample: 32_000 }, &mut bytes);
        for cut in begin_len..=bytes.len() {
            let load = JournalLoad::parse(&bytes[..cut]).expect("parse");
            let expected = if cut == bytes.len() {
                2
            } else if cut >= first_commit {
                1
            } else {
                0
            };
            assert_eq!(load.segments.len(), expected, "cut at {cut}");
            assert!(load.committed_len as usize <= cut);
        }
    }

    #[test]
    fn torn_last_line_is_dropped_and_cut_off() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.journal");
        let mut j = Journal::create(&path, fp()).expect("create");
        j.commit_window(&[seg(0)], 16_000).expect("commit");
        drop(j);
        let good_len = std::fs::metadata(&path).expect("stat").len();
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        std::io::Write::write_all(&mut f, b"0badc0de {\"kind\":\"segm").expect("write");
        drop(f);
        let (_, load) = Journal::open(&path).expect("open").expect("exists");
        assert!(load.dropped_torn_line);
        assert_eq!(load.segments, vec![seg(0)]);
        assert_eq!(std::fs::metadata(&path).expect("stat").len(), good_len);
    }

    #[test]
    fn reading_leaves_an_unfinished_tail_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.journal");
        assert_eq!(JournalLoad::read(&path).expect("read"), None);
        let mut j = Journal::create(&path, fp()).expect("create");
        j.commit_window(&[seg(0)], 24_000).expect("commit");
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        std::io::Write::write_all(&mut f, b"0badc0de {\"kind\":\"segm").expect("write");
        drop(f);
        let len = std::fs::metadata(&path).expect("stat").len();
        let load = JournalLoad::read(&path).expect("read").expect("exists");
        assert_eq!(load.segments, vec![seg(0)]);
        assert_eq!(load.committed_ms(), 1500);
        assert_eq!(
            std::fs::metadata(&path).expect("stat").len(),
            len,
            "a reader never writes"
        );
        std::fs::write(&path, b"").expect("empty");
        assert!(matches!(JournalLoad::read(&path), Err(JournalError::Corrupt { .. })));
    }

    #[test]
    fn damage_before_the_last_line_is_corruption() {
        let mut bytes = Vec::new();
        encode_record(
            &JournalRecord::Begin {
                version: 1,
                fingerprint: fp(),
            },
            &mut bytes,
        );
        encode_record(&JournalRecord::Segment { segment: seg(0) }, &mut bytes);
        encode_record(&JournalRecord::Window { end_sample: 16_000 }, &mut bytes);
        let flip_at = bytes.len() - 5;
        bytes[flip_at] ^= 0x04;
        encode_record(&JournalRecord::Window { end_sample: 17_000 }, &mut bytes);
        assert!(JournalLoad::parse(&bytes).is_err());
    }
}
