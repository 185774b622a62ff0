//! The committed speech fixtures and clips made from them.

use std::path::{Path, PathBuf};

use shared_ipc::Segment;

pub const CLIPS: &[&str] = &["astronomy", "bread", "garden"];
pub const CONTAINERS: &[&str] = &["wav", "mp3", "m4a", "flac", "ogg"];

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audio")
}

/// The speaker conversations (`scripts/make-speaker-audio.sh`).
pub fn speakers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/speakers")
}

/// `(start s, end s, speaker)` of each line of speaker conversation `name`, as it was made.
pub fn speaker_turns(name: &str) -> Vec<(f64, f64, usize)> {
    std::fs::read_to_string(speakers_dir().join(format!("{name}.turns")))
        .expect("turns file")
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let number = |i: usize| f[i].parse::<f64>().expect("a number in the turns file");
            (number(0), number(1), number(2) as usize)
        })
        .collect()
}

/// The espeak-ng voice of each speaker of a conversation (by the speaker numbers of its
/// turns), from its script: the voices are the people, so two conversations sharing a voice
/// share a speaker.
pub fn speaker_voices(name: &str) -> Vec<String> {
    let script = std::fs::read_to_string(speakers_dir().join(format!("{name}.script"))).expect("script file");
    let mut voices: Vec<String> = Vec::new();
    for (line, turn) in script.lines().filter(|l| l.contains('|')).zip(speaker_turns(name)) {
        let voice = line.split('|').next().unwrap_or_default().to_owned();
        if voices.len() <= turn.2 {
            voices.resize(turn.2 + 1, String::new());
        }
        voices[turn.2] = voice;
    }
    voices
}

pub fn clip(name: &str, ext: &str) -> PathBuf {
    dir().join(format!("{name}.{ext}"))
}

pub fn reference_text(name: &str) -> String {
    std::fs::read_to_string(dir().join(format!("{name}.ref.txt"))).expect("reference text")
}

/// The 16-bit samples of a clip's 16 kHz mono WAV.
pub fn clip_samples(name: &str) -> Vec<i16> {
    wav_samples(&clip(name, "wav"))
}

/// The 16-bit samples of a 16 kHz mono WAV, the format of the clips.
pub fn wav_samples(path: &Path) -> Vec<i16> {
    hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
        .samples::<i16>()
        .map(|s| s.expect("sample"))
        .collect()
}

/// Writes `samples` as a 16 kHz mono 16-bit WAV, the format of the clips.
pub fn write_wav(path: &Path, samples: impl IntoIterator<Item = i16>) {
    write_wav_as(path, 16_000, 1, samples);
}

/// Writes interleaved 16-bit `samples` as a WAV of `channels` channels at `sample_rate`.
pub fn write_wav_as(path: &Path, sample_rate: u32, channels: u16, samples: impl IntoIterator<Item = i16>) {
    let spec = hound::WavSpec {
        channels,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).expect("create wav");
    for sample in samples {
        writer.write_sample(sample).expect("write");
    }
    writer.finalize().expect("finalize");
}

/// All three clips one after another in one 16 kHz WAV (about 93 s, several windows).
pub fn long_clip(dest: &Path) -> PathBuf {
    let path = dest.join("long episode.wav");
    write_wav(&path, CLIPS.iter().flat_map(|name| clip_samples(name)));
    path
}

pub fn long_clip_reference() -> String {
    CLIPS.iter().map(|c| reference_text(c)).collect::<Vec<_>>().join("\n")
}

/// The clips' reference texts cut into sentences, in order.
pub fn reference_sentences() -> Vec<String> {
    long_clip_reference()
        .split_inclusive(['.', '?', '!'])
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A transcript of `hours` hours: the fixture scripts' sentences over and over, one
/// 5-second segment each, with a counter so no two are identical.
pub fn transcript(hours: u64) -> Vec<Segment> {
    let lines = reference_sentences();
    let count = hours * 3600 / 5;
    (0..count)
        .map(|i| Segment {
            start_ms: i * 5000,
            end_ms: (i + 1) * 5000,
            text: format!(" {} (part {})", lines[i as usize % lines.len()], i / lines.len() as u64),
            confidence: 1.0,
            words: Vec::new(),
        })
        .collect()
}
