//! What a batch amounts to, counted from its files: how many are done, failed, skipped and
//! still to go, and how much audio is behind and ahead. Counted here rather than taken from
//! the worker's totals, which keep a failed or skipped file's length in the batch and so make
//! the time left grow when one is left out.

use super::file_row::{FileRow, FileStatus};
use crate::progress::count;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileCounts {
    pub done: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Waiting or being worked on.
    pub to_go: usize,
}

impl FileCounts {
    pub fn of(files: &[FileRow]) -> Self {
        let mut counts = Self::default();
        for file in files {
            match file.status {
                FileStatus::Done { .. } => counts.done += 1,
                FileStatus::Failed { .. } => counts.failed += 1,
                FileStatus::Skipped => counts.skipped += 1,
                FileStatus::Waiting | FileStatus::Working => counts.to_go += 1,
            }
        }
        counts
    }

    pub fn all(&self) -> usize {
        self.done + self.failed + self.skipped + self.to_go
    }

    /// "1 done · 2 failed · 1 to go, of 4 files": failed and skipped only when there are any.
    pub fn in_words(&self) -> String {
        let mut parts = vec![format!("{} done", self.done)];
        if self.failed > 0 {
            parts.push(format!("{} failed", self.failed));
        }
        if self.skipped > 0 {
            parts.push(format!("{} skipped", self.skipped));
        }
        if self.to_go > 0 {
            parts.push(format!("{} to go", self.to_go));
        }
        format!("{}, of {}", parts.join(" · "), count(self.all(), "file"))
    }
}

/// The batch's audio, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BatchAudio {
    /// Ended files whole (done, failed or skipped), and the part of the others already done.
    pub behind_s: f64,
    /// What the files still to go have left; a file whose length is unknown adds nothing.
    pub left_s: f64,
    /// The batch's length, once the length of every file still to go is known.
    pub total_s: Option<f64>,
}

impl BatchAudio {
    pub fn of(files: &[FileRow]) -> Self {
        let mut audio = Self {
            total_s: Some(0.0),
            ..Self::default()
        };
        for file in files {
            match file.status {
                FileStatus::Waiting | FileStatus::Working => {
                    audio.behind_s += file.done_s;
                    audio.left_s += file.duration_s.map(|d| (d - file.done_s).max(0.0)).unwrap_or(0.0);
                    audio.total_s = audio.total_s.zip(file.duration_s).map(|(sum, d)| sum + d);
                }
                // An ended file counts whole; one that failed before its length was read, as
                // what was done of it.
                _ => {
                    let length = file.duration_s.unwrap_or(file.done_s);
                    audio.behind_s += length;
                    audio.total_s = audio.total_s.map(|sum| sum + length);
                }
            }
        }
        audio
    }

    /// The share behind, 0–1 (0 while the length is unknown).
    pub fn fraction(&self) -> f32 {
        fraction(self.behind_s, self.total_s)
    }
}

/// `done` of `total` as 0–1; 0 while the total is unknown.
pub fn fraction(done: f64, total: Option<f64>) -> f32 {
    total
        .filter(|t| *t > 0.0)
        .map(|t| (done / t).clamp(0.0, 1.0) as f32)
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::gui::file_row::SummaryStatus;

    fn row(status: FileStatus, duration_s: Option<f64>, done_s: f64) -> FileRow {
        FileRow {
            input: PathBuf::from("/in/a.mp3"),
            status,
            summary: SummaryStatus::None,
            duration_s,
            done_s,
            speakers: Vec::new(),
        }
    }

    #[test]
    fn failed_and_skipped_files_are_counted_apart_from_done_ones() {
        let files = [
            row(FileStatus::Done { outputs: vec![] }, Some(60.0), 60.0),
            row(
                FileStatus::Failed {
                    reason: "not audio".into(),
                },
                Some(0.0),
                0.0,
            ),
            row(FileStatus::Skipped, Some(90.0), 10.0),
            row(FileStatus::Working, Some(120.0), 30.0),
            row(FileStatus::Waiting, Some(100.0), 0.0),
        ];
        let counts = FileCounts::of(&files);
        assert_eq!(counts.in_words(), "1 done · 1 failed · 1 skipped · 2 to go, of 5 files");
        let audio = BatchAudio::of(&files);
        assert_eq!(audio.total_s, Some(370.0));
        // The skipped file counts as behind whole: leaving it out does not add time left.
        assert_eq!(audio.behind_s, 60.0 + 90.0 + 30.0);
        assert_eq!(audio.left_s, 90.0 + 100.0);
    }

    #[test]
    fn an_unknown_length_leaves_the_total_unknown() {
        let files = [
            row(FileStatus::Working, None, 30.0),
            row(FileStatus::Waiting, Some(100.0), 0.0),
        ];
        let audio = BatchAudio::of(&files);
        assert_eq!(audio.total_s, None);
        assert_eq!(audio.fraction(), 0.0);
        assert_eq!(audio.left_s, 100.0);
        assert_eq!(FileCounts::of(&files[..1]).in_words(), "0 done · 1 to go, of 1 file");
        let failed_unread = [
            row(
                FileStatus::Failed {
                    reason: "not audio".into(),
                },
                None,
                0.0,
            ),
            row(FileStatus::Waiting, Some(100.0), 0.0),
        ];
        assert_eq!(BatchAudio::of(&failed_unread).total_s, Some(100.0));
    }
}
