//! Output files: names derived from the inputs, and the `.txt`, `.srt`, `.vtt` and `.json`
//! renderings of a transcript, each written atomically.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use shared_ipc::atomic_file;
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

/// Writes every enabled rendering; returns the paths written.
pub fn write_all(
    dir: &Path,
    stem: &str,
    formats: &OutputFormats,
    input: &Path,
    segments: &[Segment],
    audio_ms: u64,
) -> Result<Vec<PathBuf>, WriteError> {
    let paths = output_paths(dir, stem, formats);
    for path in &paths {
        let body = match path.extension().and_then(|e| e.to_str()) {
            Some("txt") => render_txt(segments),
            Some("srt") => render_srt(segments),
            Some("vtt") => render_vtt(segments),
            _ => render_json(input, segments, audio_ms),
        };
        atomic_file::write_atomic(path, body.as_bytes(), FileKind::Output).map_err(|e| WriteError::new(path, e))?;
    }
    Ok(paths)
}

pub fn render_txt(segments: &[Segment]) -> String {
    let mut out = String::new();
    for s in segments {
        out.push_str(s.text.trim());
        out.push('\n');
    }
    out
}

pub fn render_srt(segments: &[Segment]) -> String {
    let mut out = String::new();
    for (i, s) in segments.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            clock(s.start_ms, ','),
            clock(s.end_ms, ','),
            s.text.trim()
        );
    }
    out
}

pub fn render_vtt(segments: &[Segment]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for s in segments {
        let _ = write!(
            out,
            "{} --> {}\n{}\n\n",
            clock(s.start_ms, '.'),
            clock(s.end_ms, '.'),
            s.text.trim()
        );
    }
    out
}

#[derive(Serialize)]
struct JsonTranscript<'a> {
    format_version: u32,
    input: String,
    duration_ms: u64,
    segments: Vec<JsonSegment<'a>>,
}

#[derive(Serialize)]
struct JsonSegment<'a> {
    start_ms: u64,
    end_ms: u64,
    text: &'a str,
    confidence: f32,
}

pub fn render_json(input: &Path, segments: &[Segment], audio_ms: u64) -> String {
    let doc = JsonTranscript {
        format_version: 1,
        input: input.display().to_string(),
        duration_ms: audio_ms,
        segments: segments
            .iter()
            .map(|s| JsonSegment {
                start_ms: s.start_ms,
                end_ms: s.end_ms,
                text: s.text.trim(),
                confidence: s.confidence,
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

    #[test]
    fn subtitle_clocks() {
        let segs = [Segment {
            start_ms: 3_723_004,
            end_ms: 3_724_500,
            text: " Hi.".into(),
            confidence: 0.5,
        }];
        assert_eq!(render_srt(&segs), "1\n01:02:03,004 --> 01:02:04,500\nHi.\n\n");
        assert!(render_vtt(&segs).starts_with("WEBVTT\n\n01:02:03.004 --> 01:02:04.500\nHi.\n"));
    }
}
