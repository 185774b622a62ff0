//! The episode's note, `<stem>.md`, for Obsidian: YAML front matter (title, source file,
//! duration, date processed, topics as tags), then the summary (each sentence links to its
//! moment in the transcript below), key topics, related episodes, and the timestamped
//! transcript, one sentence per line with a block id.

use std::fmt::Write;
use std::path::PathBuf;

use super::links;
use super::sentences::Sentence;

pub struct EpisodeNote {
    /// The note is `<stem>.md`, next to `<stem>.txt` and the others.
    pub stem: String,
    pub title: String,
    pub source: PathBuf,
    pub duration_ms: u64,
    /// `YYYY-MM-DD`.
    pub processed: String,
    pub transcript: Vec<Sentence>,
    /// Indices into `transcript`, in time order.
    pub summary: Vec<usize>,
    pub topics: Vec<String>,
    /// Stems of related episodes, most related first.
    pub related: Vec<String>,
}

/// The block id of transcript sentence `i`.
fn block(i: usize) -> String {
    format!("t{i}")
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

pub fn render(note: &EpisodeNote) -> String {
    let mut out = String::new();
    let tags: Vec<String> = note.topics.iter().filter_map(|t| links::tag(t)).collect();
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "title: {}", yaml_string(&note.title));
    let _ = writeln!(out, "source: {}", yaml_string(&note.source.display().to_string()));
    let _ = writeln!(out, "duration: {}", yaml_string(&links::clock(note.duration_ms)));
    let _ = writeln!(out, "processed: {}", note.processed);
    let _ = writeln!(out, "tags: [{}]", tags.join(", "));
    let _ = writeln!(out, "---\n");
    let _ = writeln!(out, "# {}\n", note.title);

    let _ = writeln!(out, "## Summary\n");
    for &i in &note.summary {
        let s = &note.transcript[i];
        let _ = writeln!(out, "- [[#^{}|{}]] {}", block(i), links::clock(s.start_ms), s.text);
    }
    let _ = writeln!(out, "\n## Key topics\n");
    for topic in &note.topics {
        let _ = writeln!(out, "- {topic}");
    }
    let _ = writeln!(out, "\n## Related episodes\n");
    if note.related.is_empty() {
        let _ = writeln!(out, "None in this batch.");
    }
    for stem in &note.related {
        let _ = writeln!(out, "- {}", links::to_note(stem));
    }
    let _ = writeln!(out, "\n## Transcript\n");
    for (i, s) in note.transcript.iter().enumerate() {
        let _ = writeln!(out, "[{}] {} ^{}\n", links::clock(s.start_ms), s.text, block(i));
    }
    out
}
