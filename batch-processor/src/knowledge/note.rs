//! The episode's note, `<stem>.md`, for Obsidian: YAML front matter (title, source file,
//! duration, date processed, topics as tags), then the summary (each sentence links to its
//! moment in the transcript below), key topics, related episodes, and the timestamped
//! transcript, one sentence per line with a block id.

use std::fmt::Write;
use std::path::PathBuf;

use shared_ipc::speaker_record::is_default_label;

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
    /// Stems of related episodes, most related first; `None` until the whole batch is
    /// summarised and linked.
    pub related: Option<Vec<String>>,
    /// Who speaks: each speaker's label and talk time (ms), in order of first appearance;
    /// empty without speakers.
    pub speakers: Vec<(String, u64)>,
    /// Each transcript sentence's speaker (an index into `speakers`); empty without them.
    pub sentence_speakers: Vec<usize>,
}

/// `YYYY-MM-DD` (UTC) of a time in ms since the Unix epoch, for the `processed` field.
pub fn iso_date(unix_ms: u64) -> String {
    // Days → civil date (proleptic Gregorian), after Howard Hinnant's `civil_from_days`.
    let days = (unix_ms / 86_400_000) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
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
    if !note.speakers.is_empty() {
        let _ = writeln!(out, "\n## Speakers\n");
        let total: u64 = note.speakers.iter().map(|(_, ms)| ms).sum::<u64>().max(1);
        for (label, talk_ms) in &note.speakers {
            let share = (*talk_ms as f64 * 100.0 / total as f64).round();
            // A named speaker links to their note in People/, listing their other episodes.
            let shown = if is_default_label(label) {
                label.clone()
            } else {
                links::to_person(label)
            };
            let _ = writeln!(out, "- {shown}: {share}% ({})", links::clock(*talk_ms));
        }
    }
    let _ = writeln!(out, "\n## Related episodes\n");
    match &note.related {
        None => {
            let _ = writeln!(out, "Linked once every episode of the batch is summarised.");
        }
        Some(related) if related.is_empty() => {
            let _ = writeln!(out, "None yet.");
        }
        Some(related) => {
            for stem in related {
                let _ = writeln!(out, "- {}", links::to_note(stem));
            }
        }
    }
    let _ = writeln!(out, "\n## Transcript\n");
    let mut speaking: Option<usize> = None;
    for (i, s) in note.transcript.iter().enumerate() {
        // A line is led by its speaker where a turn begins.
        let speaker = note.sentence_speakers.get(i).copied();
        let lead = match speaker.and_then(|sp| note.speakers.get(sp).map(|(label, _)| (sp, label))) {
            Some((sp, label)) if speaking != Some(sp) => {
                speaking = Some(sp);
                format!("**{label}:** ")
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "[{}] {lead}{} ^{}\n", links::clock(s.start_ms), s.text, block(i));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc_dates() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(951_782_400_000), "2000-02-29");
        assert_eq!(iso_date(1_795_392_000_000 - 1), "2026-11-22");
        assert_eq!(iso_date(1_795_392_000_000), "2026-11-23");
    }
}
