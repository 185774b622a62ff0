//! The running screen's transcript: the last committed segments, each with its time, and a
//! break with the file's name where one file ends and the next begins. A resumed file starts
//! with what its journal already holds, so a Resume does not show an empty pane.

use std::collections::VecDeque;
use std::path::Path;

use shared_ipc::Segment;
use shared_ipc::journal::JournalLoad;

use super::theme;

#[derive(Debug, Clone, PartialEq)]
pub enum TranscriptLine {
    /// The following segments are from this file.
    File {
        index: usize,
        name: String,
    },
    Segment {
        start_ms: u64,
        text: String,
    },
}

#[derive(Debug, Default)]
pub struct TranscriptTail {
    lines: VecDeque<TranscriptLine>,
    /// The file the last segment came from, and where in it that segment ended: a segment
    /// that ends no later is already shown (read from the journal).
    last: Option<(usize, u64)>,
    /// Segments that arrived as events in this run (not read from a journal).
    heard: usize,
    /// The text of the first of them.
    first_heard: Option<String>,
}

impl TranscriptTail {
    pub fn lines(&self) -> impl Iterator<Item = &TranscriptLine> {
        self.lines.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// How many segments this run transcribed (not counting those read back from journals).
    pub fn heard(&self) -> usize {
        self.heard
    }

    /// The text of the first segment this run transcribed.
    pub fn first_heard(&self) -> Option<&str> {
        self.first_heard.as_deref()
    }

    /// A segment the worker just committed.
    pub fn heard_segment(&mut self, file: usize, name: &str, segment: &Segment) {
        if self.push(file, name, segment) {
            self.heard += 1;
            self.first_heard.get_or_insert_with(|| segment.text.trim().to_owned());
        }
    }

    /// Shows what `journal` already holds for `file`, when the pane has nothing of it yet:
    /// the file was begun by an earlier run. A journal that cannot be read shows nothing
    /// (the worker reports the damage itself).
    pub fn read_back(&mut self, file: usize, name: &str, journal: &Path) {
        if self.last.is_some_and(|(shown, _)| shown == file) {
            return;
        }
        let Ok(Some(load)) = JournalLoad::read(journal) else {
            return;
        };
        for segment in &load.segments {
            self.push(file, name, segment);
        }
    }

    /// Adds `segment` unless it is already shown; whether it was added.
    fn push(&mut self, file: usize, name: &str, segment: &Segment) -> bool {
        match self.last {
            Some((shown, end_ms)) if shown == file && segment.end_ms <= end_ms => {
                return false;
            }
            Some((shown, _)) if shown == file => {}
            _ => self.lines.push_back(TranscriptLine::File {
                index: file,
                name: name.to_owned(),
            }),
        }
        self.lines.push_back(TranscriptLine::Segment {
            start_ms: segment.start_ms,
            text: segment.text.trim().to_owned(),
        });
        self.last = Some((file, segment.end_ms));
        while self.lines.len() > theme::TRANSCRIPT_TAIL_LINES {
            self.lines.pop_front();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start_ms: u64, end_ms: u64, text: &str) -> Segment {
        Segment {
            start_ms,
            end_ms,
            text: format!(" {text}"),
            confidence: 0.9,
            words: Vec::new(),
        }
    }

    #[test]
    fn each_file_starts_with_its_name_and_segments_keep_their_times() {
        let mut tail = TranscriptTail::default();
        tail.heard_segment(0, "a.mp3", &segment(0, 2000, "One."));
        tail.heard_segment(0, "a.mp3", &segment(2000, 4000, "Two."));
        tail.heard_segment(1, "b.mp3", &segment(0, 1500, "Three."));
        let lines: Vec<_> = tail.lines().cloned().collect();
        assert_eq!(
            lines,
            vec![
                TranscriptLine::File {
                    index: 0,
                    name: "a.mp3".into()
                },
                TranscriptLine::Segment {
                    start_ms: 0,
                    text: "One.".into()
                },
                TranscriptLine::Segment {
                    start_ms: 2000,
                    text: "Two.".into()
                },
                TranscriptLine::File {
                    index: 1,
                    name: "b.mp3".into()
                },
                TranscriptLine::Segment {
                    start_ms: 0,
                    text: "Three.".into()
                },
            ]
        );
        assert_eq!(tail.heard(), 3);
    }

    #[test]
    fn segments_read_back_from_the_journal_are_not_shown_twice() {
        let mut tail = TranscriptTail::default();
        tail.push(0, "a.mp3", &segment(0, 2000, "One."));
        tail.push(0, "a.mp3", &segment(2000, 4000, "Two."));
        // The worker repeats nothing it committed, but should it, the pane keeps one copy.
        tail.heard_segment(0, "a.mp3", &segment(2000, 4000, "Two."));
        tail.heard_segment(0, "a.mp3", &segment(4000, 6000, "Three."));
        assert_eq!(tail.lines().count(), 4);
        assert_eq!(tail.heard(), 1);
    }

    #[test]
    fn the_tail_is_bounded() {
        let mut tail = TranscriptTail::default();
        for i in 0..(theme::TRANSCRIPT_TAIL_LINES as u64 * 2) {
            tail.heard_segment(0, "a.mp3", &segment(i * 1000, i * 1000 + 900, "word"));
        }
        assert_eq!(tail.lines().count(), theme::TRANSCRIPT_TAIL_LINES);
    }
}
