//! Streaming decode of one input: symphonia demuxes and decodes, channels are mixed down to
//! mono and rubato resamples to 16 kHz. Audio comes out in small chunks, so memory does not
//! depend on the length of the file.

use std::fs::File;
use std::io::{self, Seek};
use std::path::Path;

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use thiserror::Error;

use crate::input_file::open_input;
use crate::resample::MonoResampler;

/// Whisper's sample rate.
pub const SAMPLE_RATE: u32 = 16_000;

/// Why an input could not be decoded, in words for the user.
#[derive(Debug, Error)]
pub enum DecodeError {
    #[error("file not found")]
    NotFound,
    #[error("permission denied")]
    PermissionDenied,
    #[error("is a folder, not an audio file")]
    IsDirectory,
    #[error("file is empty (0 bytes)")]
    Empty,
    #[error("is {0}, not an audio file")]
    NotAFile(&'static str),
    #[error("is a symbolic link that points back to itself (a link loop)")]
    LinkLoop,
    #[error("failed to read the file: {0}")]
    Io(io::Error),
    #[error("not a recognised audio format ({0})")]
    NotAudio(String),
    #[error("no audio track in the file")]
    NoAudioTrack,
    #[error("unsupported codec ({0})")]
    UnsupportedCodec(String),
    #[error("audio stream is corrupt at {} ({detail})", clock(*at_s))]
    Corrupt { at_s: f64, detail: String },
    #[error("audio stream is truncated: it ends at {} of a declared {}", clock(*at_s), clock(*declared_s))]
    Truncated { at_s: f64, declared_s: f64 },
    #[error("the audio decoder failed on this file, which is probably damaged ({0})")]
    DecoderFailed(String),
    #[error("file is truncated or damaged: {0}")]
    Cut(String),
    #[error("cannot resample from {0} Hz")]
    Resample(u32),
    #[error("unsupported sample rate {0} Hz (Castmill takes {MIN_RATE} Hz to {MAX_RATE} Hz)")]
    SampleRate(u32),
}

/// Runs decoder code, turning a panic inside it into an error for this file. Demuxers have
/// panicked on crafted headers (a WAV channel mask shifted past its width; found by
/// fuzzing), and one damaged file must not take the worker, and the batch, down with it.
fn contain_panic<T>(f: impl FnOnce() -> T) -> Result<T, DecodeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no detail".into());
        DecodeError::DecoderFailed(detail)
    })
}

/// A position in the audio as people read it: `14.9 s` below a minute, else `m:ss` or
/// `h:mm:ss` (a header may claim days).
fn clock(seconds: f64) -> String {
    if seconds < 60.0 {
        return format!("{seconds:.1} s");
    }
    let total = seconds as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The sample rates taken: telephone audio to the highest studio rate.
const MIN_RATE: u32 = 1_000;
const MAX_RATE: u32 = 768_000;

/// Consecutive undecodable packets after which the stream counts as corrupt.
const MAX_BAD_PACKETS_IN_A_ROW: u32 = 50;

/// An open input producing 16 kHz mono samples.
pub struct AudioSource {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    channels: usize,
    source_rate: u32,
    declared_frames: Option<u64>,
    decoded_frames: u64,
    interleaved: Vec<f32>,
    mono: Vec<f32>,
    resampler: Option<MonoResampler>,
    finished: bool,
}

impl AudioSource {
    pub fn open(path: &Path) -> Result<Self, DecodeError> {
        Self::from_file(open_input(path)?, path)
    }

    /// Decodes an input opened with [`open_input`], from its start wherever its position
    /// is (opening a source always rewinds it); `path` gives the format hint.
    pub fn from_file(file: File, path: &Path) -> Result<Self, DecodeError> {
        Self::from_media(Box::new(file), path.extension().and_then(|e| e.to_str()))
    }

    /// Decodes audio already in memory; `extension` is a hint to the format, as a file's
    /// would be.
    pub fn from_bytes(bytes: Vec<u8>, extension: Option<&str>) -> Result<Self, DecodeError> {
        if bytes.is_empty() {
            return Err(DecodeError::Empty);
        }
        Self::from_media(Box::new(io::Cursor::new(bytes)), extension)
    }

    fn from_media(media: Box<dyn MediaSource>, extension: Option<&str>) -> Result<Self, DecodeError> {
        contain_panic(move || Self::open_media(media, extension))?
    }

    fn open_media(mut media: Box<dyn MediaSource>, extension: Option<&str>) -> Result<Self, DecodeError> {
        if let Some(why) = crate::ogg_end::cut_short(&mut media).map_err(|e| DecodeError::from_io(&e))? {
            return Err(DecodeError::Cut(why));
        }
        // The Ogg check moved the position, and a file may come in anywhere (fingerprinted).
        media.rewind().map_err(|e| DecodeError::from_io(&e))?;
        let mss = MediaSourceStream::new(media, Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = extension {
            hint.with_extension(ext);
        }
        let format = symphonia::default::get_probe()
            .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
            .map_err(|e| match e {
                SymphoniaError::IoError(io) if io.kind() != io::ErrorKind::UnexpectedEof => DecodeError::Io(io),
                // MP4/M4A keep their index (the moov atom) at the end unless made for
                // streaming, so a cut-off recording or download has none.
                other if other.to_string().contains("missing moov atom") => DecodeError::Cut(
                    "its MP4 index (moov atom) is missing, as when a download or recording stops early".into(),
                ),
                other => DecodeError::NotAudio(other.to_string()),
            })?;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or(DecodeError::NoAudioTrack)?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or(DecodeError::NoAudioTrack)?
            .clone();
        let track_id = track.id;
        let declared_frames = track.num_frames;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| DecodeError::UnsupportedCodec(e.to_string()))?;
        let source_rate = params
            .sample_rate
            .ok_or_else(|| DecodeError::UnsupportedCodec("the stream does not state its sample rate".into()))?;
        // A header can claim any rate; an absurd one would make the resampler take minutes
        // and gigabytes to set up (found by fuzzing: a WAV claiming 285 MHz).
        if !(MIN_RATE..=MAX_RATE).contains(&source_rate) {
            return Err(DecodeError::SampleRate(source_rate));
        }
        let channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(1).max(1);
        let resampler = if source_rate == SAMPLE_RATE {
            None
        } else {
            Some(MonoResampler::new(source_rate, SAMPLE_RATE).ok_or(DecodeError::Resample(source_rate))?)
        };
        Ok(Self {
            format,
            decoder,
            track_id,
            channels,
            source_rate,
            declared_frames,
            decoded_frames: 0,
            interleaved: Vec::new(),
            mono: Vec::new(),
            resampler,
            finished: false,
        })
    }

    /// Length of the audio in seconds, when the container says.
    pub fn duration_s(&self) -> Option<f64> {
        self.declared_frames.map(|n| n as f64 / self.source_rate as f64)
    }

    fn decoded_s(&self) -> f64 {
        self.decoded_frames as f64 / self.source_rate as f64
    }

    /// Appends the next decoded 16 kHz mono samples to `out`. Returns `false` once the stream
    /// is exhausted (after appending the resampler's tail).
    pub fn next_chunk(&mut self, out: &mut Vec<f32>) -> Result<bool, DecodeError> {
        let result = contain_panic(|| self.decode_next(out));
        if result.is_err() {
            // The decoder's state is unknown after a panic: the stream ends here.
            self.finished = true;
        }
        result?
    }

    fn decode_next(&mut self, out: &mut Vec<f32>) -> Result<bool, DecodeError> {
        if self.finished {
            return Ok(false);
        }
        let mut bad_in_a_row = 0u32;
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => return self.finish(out),
                Err(SymphoniaError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return self.finish(out);
                }
                Err(SymphoniaError::ResetRequired) => return self.finish(out),
                // A read that failed is the drive's trouble, not the stream's.
                Err(SymphoniaError::IoError(e)) => return Err(DecodeError::from_io(&e)),
                Err(e) => {
                    return Err(DecodeError::Corrupt {
                        at_s: self.decoded_s(),
                        detail: e.to_string(),
                    });
                }
            };
            if packet.track_id != self.track_id {
                continue;
            }
            match self.decoder.decode(&packet) {
                Ok(buf) => {
                    let frames = buf.frames();
                    buf.copy_to_vec_interleaved::<f32>(&mut self.interleaved);
                    self.decoded_frames += frames as u64;
                    downmix(&self.interleaved, self.channels, &mut self.mono);
                    match self.resampler.as_mut() {
                        Some(r) => r.push(&self.mono, out),
                        None => out.extend_from_slice(&self.mono),
                    }
                    return Ok(true);
                }
                // One bad packet is skipped (as players do); a run of them is a corrupt stream.
                Err(SymphoniaError::DecodeError(detail)) => {
                    bad_in_a_row += 1;
                    tracing::debug!("skipping undecodable packet: {detail}");
                    if bad_in_a_row >= MAX_BAD_PACKETS_IN_A_ROW {
                        return Err(DecodeError::Corrupt {
                            at_s: self.decoded_s(),
                            detail: detail.into(),
                        });
                    }
                }
                Err(SymphoniaError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return self.finish(out);
                }
                Err(e) => {
                    return Err(DecodeError::Corrupt {
                        at_s: self.decoded_s(),
                        detail: e.to_string(),
                    });
                }
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<f32>) -> Result<bool, DecodeError> {
        self.finished = true;
        if let Some(declared) = self.declared_frames {
            // Containers round their lengths; only a real shortfall counts as truncation.
            let tolerance = (declared / 100).max(self.source_rate as u64 / 2);
            if self.decoded_frames + tolerance < declared {
                return Err(DecodeError::Truncated {
                    at_s: self.decoded_s(),
                    declared_s: declared as f64 / self.source_rate as f64,
                });
            }
        }
        if let Some(r) = self.resampler.as_mut() {
            r.flush(out);
        }
        Ok(false)
    }
}

/// Mixes to mono. A float stream can carry NaN, infinity or huge values (a damaged or
/// hostile file); one such sample would poison whisper's whole window (and the resampler's
/// arithmetic), so non-finite samples count as silence and the rest are clipped to full
/// scale, as a sound card would.
fn downmix(interleaved: &[f32], channels: usize, mono: &mut Vec<f32>) {
    mono.clear();
    let finite = |s: f32| if s.is_finite() { s.clamp(-1.0, 1.0) } else { 0.0 };
    if channels == 1 {
        mono.extend(interleaved.iter().map(|&s| finite(s)));
        return;
    }
    let scale = 1.0 / channels as f32;
    mono.extend(
        interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().map(|&s| finite(s)).sum::<f32>() * scale),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_like_a_player_shows_them() {
        assert_eq!(clock(14.94), "14.9 s");
        assert_eq!(clock(90.0), "1:30");
        assert_eq!(clock(134_217.7), "37:16:57");
        let cut = DecodeError::Truncated {
            at_s: 3.0,
            declared_s: 134_217.7,
        };
        assert_eq!(
            cut.to_string(),
            "audio stream is truncated: it ends at 3.0 s of a declared 37:16:57"
        );
    }
}
