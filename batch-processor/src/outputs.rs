//! Output files: names derived from the inputs, and the `.txt`, `.srt`, `.vtt` and `.json`
//! renderings of a transcript, each written atomically.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use shared_ipc::atomic_file;
use shared_ipc::speaker_record::SpeakerRecord;
use shared_ipc::{FileKind, OutputFormats, Segment};

use crate::stage::plain_io::WriteError;

/// Longest stem kept, in bytes, so `stem (99).json` fits any file system's name limit.
const MAX_STEM_BYTES: usize = 180;

/// The input's stem made safe as a file name (no separators, controls, leading dots),
/// bounded in length; [`crate::output_names`] makes it unique.
pub fn sanitise_stem(input: &Path) -> String {
    let raw = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    // No hidden files, no "." or "..", no surrounding blanks.
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let mut stem = if trimmed.is_empty() {
        String::from("audio")
    } else {
        trimmed.to_owned()
    };
    if stem.len() > MAX_STEM_BYTES {
        let mut cut = MAX_STEM_BYTES;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
    }
    stem
}

/// Paths of the outputs for one input, in a fixed order.
pub fn output_paths(dir: &Path, stem: &str, formats: &OutputFormats) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for (on, ext) in [
        (formats.txt, "txt"),
        (formats.srt, "srt"),
        (formats.vtt, "vtt"),
        (formats.json, "json"),
    ] {
        if on {
            paths.push(dir.join(format!("{stem}.{ext}")));
        }
    }
    paths
}

/// A file's committed transcript, and who speaks each segment once the speakers stage has
/// run: what every rendering is made from.
pub struct Transcript<'a> {
    pub input: &'a Path,
    pub segments: &'a [Segment],
    pub audio_ms: u64,
    pub speakers: Option<&'a SpeakerRecord>,
}

impl Transcript<'_> {
    /// Each segment's speaker label, when there are speakers.
    fn labels(&self) -> Vec<Option<&str>> {
        self.segments
            .iter()
            .map(|s| {
                let record = self.speakers?;
                let speaker = record.speaker_during(s.start_ms, s.end_ms)?;
                Some(record.speakers[speaker].label.as_str())
            })
            .collect()
    }
}

/// Writes every enabled rendering; returns the paths written.
pub fn write_all(
    dir: &Path,
    stem: &str,
    formats: &OutputFormats,
    transcript: &Transcript<'_>,
) -> Result<Vec<PathBuf>, WriteError> {
    let paths = output_paths(dir, stem, formats);
    for path in &paths {
        let body = match path.extension().and_then(|e| e.to_str()) {
            Some("txt") => render_txt(transcript),
            Some("srt") => render_srt(transcript),
            Some("vtt") => render_vtt(transcript),
            _ => render_json(transcript),
        };
        atomic_file::write_atomic(path, body.as_bytes(), FileKind::Output).map_err(|e| WriteError::new(path, e))?;
    }
    Ok(paths)
}

/// One line per segment; with speakers, one paragraph per turn led by the speaker's label.
pub fn render_txt(transcript: &Transcript<'_>) -> String {
    let mut out = String::new();
    let labels = transcript.labels();
    let mut current: Option<&str> = None;
    for (s, label) in transcript.segments.iter().zip(labels) {
        match label {
            None => {
                out.push_str(s.text.trim());
                out.push('\n');
            }
            Some(label) if current == Some(label) => {
                out.push(' ');
                out.push_str(s.text.trim());
            }
            Some(label) => {
                if current.is_some() {
                    out.push_str("\n\n");
                }
                let _ = write!(out, "{label}: {}", s.text.trim());
                current = Some(label);
            }
        }
    }
    if current.is_some() {
        out.push('\n');
    }
    out
}

pub fn render_srt(transcript: &Transcript<'_>) -> String {
    let mut out = String::new();
    for (i, (s, label)) in transcript.segments.iter().zip(transcript.labels()).enumerate() {
        let lead = label.map(|l| format!("{l}: ")).unwrap_or_default();
        let _ = write!(
            out,
            "{}\n{} --> {}\n{lead}{}\n\n",
            i + 1,
            clock(s.start_ms, ','),
            clock(s.end_ms, ','),
            s.text.trim()
        );
    }
    out
}

/// WebVTT; with speakers, each cue is a voice span (`<v Speaker 1>`).
pub fn render_vtt(transcript: &Transcript<'_>) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (s, label) in transcript.segments.iter().zip(transcript.labels()) {
        let lead = label.map(|l| format!("<v {}>", vtt_escape(l))).unwrap_or_default();
        let _ = write!(
            out,
            "{} --> {}\n{lead}{}\n\n",
            clock(s.start_ms, '.'),
            clock(s.end_ms, '.'),
            s.text.trim()
        );
    }
    out
}

/// A voice's name may not hold what ends the span.
fn vtt_escape(label: &str) -> String {
    label.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Format version of the `.json` output: 2 added each segment's `speaker` and the
/// `speakers` list (both absent without speakers); 3 added each segment's `words` (start,
/// end, text, probability); everything earlier is unchanged.
pub const JSON_VERSION: u32 = 3;

#[derive(Serialize)]
struct JsonTranscript<'a> {
    format_version: u32,
    input: String,
    duration_ms: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    speakers: Vec<JsonSpeaker<'a>>,
    segments: Vec<JsonSegment<'a>>,
}

#[derive(Serialize)]
struct JsonSpeaker<'a> {
    label: &'a str,
    talk_ms: u64,
}

#[derive(Serialize)]
struct JsonSegment<'a> {
    start_ms: u64,
    end_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    speaker: Option<&'a str>,
    text: &'a str,
    confidence: f32,
    /// Each word with its time and probability (none in transcripts made before words were
    /// kept).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    words: Vec<JsonWord<'a>>,
}

#[derive(Serialize)]
struct JsonWord<'a> {
    start_ms: u64,
    end_ms: u64,
    text: &'a str,
    probability: f32,
}

pub fn render_json(transcript: &Transcript<'_>) -> String {
    let doc = JsonTranscript {
        format_version: JSON_VERSION,
        input: transcript.input.display().to_string(),
        duration_ms: transcript.audio_ms,
        speakers: transcript
            .speakers
            .map(|r| {
                r.speakers
                    .iter()
                    .map(|s| JsonSpeaker {
                        label: &s.label,
                        talk_ms: s.talk_ms,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        segments: transcript
            .segments
            .iter()
            .zip(transcript.labels())
            .map(|(s, speaker)| JsonSegment {
                start_ms: s.start_ms,
                end_ms: s.end_ms,
                speaker,
                text: s.text.trim(),
                confidence: s.confidence,
                words: s
                    .words
                    .iter()
                    .map(|w| JsonWord {
                        start_ms: w.start_ms.clamp(s.start_ms, s.end_ms),
                        end_ms: w.end_ms.clamp(s.start_ms, s.end_ms),
                        text: w.text.trim(),
                        probability: w.probability,
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn clock(ms: u64, sep: char) -> String {
    format!(
        "{:02}:{:02}:{:02}{sep}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_ipc::speaker_record::{SPEAKER_RECORD_VERSION, Speaker, SpeakerTurn};

    fn segment(start_ms: u64, end_ms: u64, text: &str) -> Segment {
        Segment {
            start_ms,
            end_ms,
            text: text.into(),
            confidence: 0.5,
            words: Vec::new(),
        }
    }

    fn plain(segments: &[Segment]) -> Transcript<'_> {
        Transcript {
            input: Path::new("/in/show.mp3"),
            segments,
            audio_ms: 9000,
            speakers: None,
        }
    }

    fn two_speakers() -> SpeakerRecord {
        let speaker = |label: &str| Speaker {
            label: label.into(),
            talk_ms: 4000,
            voiceprint: Vec::new(),
        };
        SpeakerRecord {
            format_version: SPEAKER_RECORD_VERSION,
            speakers: vec![speaker("Speaker 1"), speaker("Dana <host>")],
            turns: vec![
                SpeakerTurn {
                    start_ms: 0,
                    end_ms: 4000,
                    speaker: 0,
                },
                SpeakerTurn {
                    start_ms: 4500,
                    end_ms: 9000,
                    speaker: 1,
                },
            ],
        }
    }

    #[test]
    fn subtitle_clocks() {
        let segs = [segment(3_723_004, 3_724_500, " Hi.")];
        assert_eq!(render_srt(&plain(&segs)), "1\n01:02:03,004 --> 01:02:04,500\nHi.\n\n");
        assert!(render_vtt(&plain(&segs)).starts_with("WEBVTT\n\n01:02:03.004 --> 01:02:04.500\nHi.\n"));
    }

    #[test]
    fn every_rendering_says_who_speaks() {
        let segs = [
            segment(0, 2000, " Welcome."),
            segment(2000, 3900, " Today, bees."),
            segment(4600, 8000, " Thanks for having me."),
        ];
        let record = two_speakers();
        let t = Transcript {
            speakers: Some(&record),
            ..plain(&segs)
        };
        assert_eq!(
            render_txt(&t),
            "Speaker 1: Welcome. Today, bees.\n\nDana <host>: Thanks for having me.\n"
        );
        assert!(render_srt(&t).contains("00:00:04,600 --> 00:00:08,000\nDana <host>: Thanks for having me.\n"));
        assert!(render_vtt(&t).contains("\n<v Dana &lt;host&gt;>Thanks for having me.\n"));
        let json: serde_json::Value = serde_json::from_str(&render_json(&t)).expect("json");
        assert_eq!(json["format_version"], JSON_VERSION);
        assert_eq!(json["segments"][2]["speaker"], "Dana <host>");
        assert_eq!(json["speakers"][0]["label"], "Speaker 1");
        assert_eq!(json["speakers"][1]["talk_ms"], 4000);
    }

    #[test]
    fn without_speakers_the_renderings_are_as_before() {
        let segs = [segment(0, 2000, " Welcome."), segment(2000, 3900, " Today, bees.")];
        assert_eq!(render_txt(&plain(&segs)), "Welcome.\nToday, bees.\n");
        let json: serde_json::Value = serde_json::from_str(&render_json(&plain(&segs))).expect("json");
        assert!(json.get("speakers").is_none() && json["segments"][0].get("speaker").is_none());
        assert!(json["segments"][0].get("words").is_none(), "no words, no empty list");
    }

    #[test]
    fn each_word_is_written_with_its_time_inside_its_segment() {
        let mut seg = segment(1000, 2000, " Hello there.");
        seg.words = ["Hello", "there."]
            .iter()
            .enumerate()
            .map(|(i, w)| shared_ipc::Word {
                start_ms: 900 + i as u64 * 600,
                end_ms: 1500 + i as u64 * 600,
                text: format!(" {w}"),
                probability: 0.75,
            })
            .collect();
        let segs = [seg];
        let json: serde_json::Value = serde_json::from_str(&render_json(&plain(&segs))).expect("json");
        let words = json["segments"][0]["words"].as_array().expect("words");
        assert_eq!(words.len(), 2);
        assert_eq!(
            (words[0]["start_ms"].as_u64(), words[0]["text"].as_str()),
            (Some(1000), Some("Hello"))
        );
        assert_eq!(words[1]["end_ms"], 2000);
        assert_eq!(words[1]["probability"], 0.75);
    }
}
