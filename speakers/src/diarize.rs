//! Who speaks when, over a whole file fed in 10 s chunks: the segmentation network finds, in
//! each chunk, the stretches where one voice speaks alone; each stretch long enough gets a
//! voiceprint; the prints are clustered into the file's speakers; stretches too short for a
//! print take the speaker of their chunk's same local voice, or of their nearest neighbour.
//! Memory holds the stretches (a few numbers each), their prints and the last chunk of audio.

use crate::clustering::{self, Print, SpeakerCount};
use crate::network_error::NetworkError;
use crate::segmentation::{CHUNK_SAMPLES, CLASS_SPEAKERS, FRAME_STEP, LOCAL_SPEAKERS, SegmentationNet};
use crate::voice_encoder::VoiceEncoder;

pub const SAMPLE_RATE: usize = 16_000;
/// Cosine above which two voiceprints are one voice, calibrated on the espeak-ng fixtures
/// (`tests/fixtures/speakers`, 1–6 voices): two stretches of one voice are at least 0.80
/// alike (a 2 s one against a 3 s one), stretches of different voices at most 0.76.
pub const SAME_VOICE: f32 = 0.78;
/// A stretch needs this much speech (frames) for a voiceprint of its own (0.8 s).
const MIN_PRINT_FRAMES: usize = 48;
/// A voice silent this long (frames) ends its stretch (0.3 s).
const GAP_FRAMES: usize = 18;
/// Shorter flickers of a class are not speech of their own (0.1 s).
const MIN_RUN_FRAMES: usize = 6;
/// Where frame `i`'s own 270 samples start, from the chunk's start: the middle of what it sees.
const FRAME_CENTRE_OFFSET: usize = 360;
/// Same-speaker turns closer than this are one turn.
const JOIN_GAP_MS: u64 = 500;
/// A stretch this close to a chunk's cut (samples) touches it.
const CUT_SLACK: u64 = 3 * FRAME_STEP as u64;
/// A cluster with less speech than this (seconds) is a stray print, not a speaker.
const MIN_SPEAKER_SECONDS: f32 = 2.0;

/// One speaker's turn in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    pub start_ms: u64,
    pub end_ms: u64,
    /// `0..speakers`, in order of first appearance.
    pub speaker: usize,
}

/// A file's speakers: their turns, in time order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diarization {
    pub speakers: usize,
    pub turns: Vec<Turn>,
    /// One voiceprint per speaker (the unit centroid of its stretches' prints).
    pub voiceprints: Vec<Vec<f32>>,
}

pub struct DiarizeOptions {
    pub count: SpeakerCount,
    /// Cosine above which two clusters are one voice.
    pub threshold: f32,
}

/// One local voice speaking alone in one chunk, between pauses.
struct Stretch {
    chunk: usize,
    local: usize,
    start_sample: u64,
    end_sample: u64,
    /// Index into `prints` when it had enough speech for one.
    print: Option<usize>,
    /// The stretch of the chunk before that this one carries on (a voice speaking across
    /// the 10 s cut).
    continues: Option<usize>,
}

pub struct Diarizer<'a> {
    segmentation: &'a SegmentationNet,
    encoder: &'a VoiceEncoder,
    options: DiarizeOptions,
    stretches: Vec<Stretch>,
    prints: Vec<Print>,
    chunks: usize,
    /// The last chunk's audio, to top up a short final chunk.
    previous: Vec<f32>,
}

impl<'a> Diarizer<'a> {
    pub fn new(segmentation: &'a SegmentationNet, encoder: &'a VoiceEncoder, options: DiarizeOptions) -> Self {
        Self {
            segmentation,
            encoder,
            options,
            stretches: Vec::new(),
            prints: Vec::new(),
            chunks: 0,
            previous: Vec::new(),
        }
    }

    /// The next 10 s of the file (the last chunk may be shorter).
    pub fn push_chunk(&mut self, samples: &[f32]) -> Result<(), NetworkError> {
        let chunk = self.chunks;
        self.chunks += 1;
        let start = (chunk * CHUNK_SAMPLES) as u64;
        // A short last chunk is topped up from the front with the end of the one before, so
        // the network sees 10 s of real audio rather than mostly padding; only its own part
        // is used.
        let borrowed = if samples.len() < CHUNK_SAMPLES {
            (CHUNK_SAMPLES - samples.len()).min(self.previous.len())
        } else {
            0
        };
        let mut window = self.previous[self.previous.len() - borrowed..].to_vec();
        window.extend_from_slice(samples);
        let frames = self
            .segmentation
            .log_probabilities(&[&window])?
            .pop()
            .unwrap_or_default();
        // Frames past the real audio (zero padding) or before this chunk are nobody's.
        let real_frames = window.len().saturating_sub(FRAME_CENTRE_OFFSET) / FRAME_STEP;
        let classes: Vec<usize> = frames
            .iter()
            .take(real_frames)
            .enumerate()
            .map(|(f, lp)| {
                if f * FRAME_STEP + FRAME_CENTRE_OFFSET < borrowed {
                    0
                } else {
                    (0..lp.len()).max_by(|&a, &b| lp[a].total_cmp(&lp[b])).unwrap_or(0)
                }
            })
            .collect();
        let result = self.take_stretches(chunk, start, &window, borrowed, &classes);
        self.previous = samples.to_vec();
        result
    }

    /// The stretches of one voice alone in a chunk's frame classes, with prints for the long
    /// ones. `window` starts `borrowed` samples before the chunk does.
    fn take_stretches(
        &mut self,
        chunk: usize,
        start: u64,
        window: &[f32],
        borrowed: usize,
        classes: &[usize],
    ) -> Result<(), NetworkError> {
        let mut found = Vec::new();
        for local in 0..LOCAL_SPEAKERS {
            let alone: Vec<bool> = classes.iter().map(|&c| CLASS_SPEAKERS[c] == [local]).collect();
            for (first, last) in runs(&alone) {
                found.push((local, first, last));
            }
        }
        found.sort_by_key(|&(_, first, _)| first);
        // Stretches of the chunk before that ran up to the cut.
        let at_cut: Vec<usize> = (0..self.stretches.len())
            .filter(|&i| self.stretches[i].chunk + 1 == chunk && self.stretches[i].end_sample + CUT_SLACK >= start)
            .collect();
        let mut pieces: Vec<&[f32]> = Vec::new();
        for (local, first, last) in found {
            let edge = |frame: usize| {
                (frame * FRAME_STEP + FRAME_CENTRE_OFFSET - FRAME_STEP / 2).clamp(borrowed, window.len())
            };
            let (from, to) = (edge(first), edge(last + 1));
            let print = if last + 1 - first >= MIN_PRINT_FRAMES {
                pieces.push(&window[from..to]);
                Some(self.prints.len() + pieces.len() - 1)
            } else {
                None
            };
            let (from, to) = (from - borrowed, to - borrowed);
            let continues = if from as u64 <= CUT_SLACK {
                at_cut.iter().copied().max_by_key(|&i| self.stretches[i].end_sample)
            } else {
                None
            };
            self.stretches.push(Stretch {
                chunk,
                local,
                start_sample: start + from as u64,
                end_sample: start + to as u64,
                print,
                continues,
            });
        }
        for (piece, vector) in pieces.iter().zip(self.encoder.embed(&pieces)?) {
            self.prints.push(Print {
                vector,
                weight: piece.len() as f32 / SAMPLE_RATE as f32,
            });
        }
        Ok(())
    }

    pub fn finish(self) -> Diarization {
        let mut labels = clustering::cluster(&self.prints, self.options.threshold, self.options.count);
        absorb_strays(&self.prints, &mut labels, self.options.count.min);
        let mut speaker_of: Vec<Option<usize>> = self.stretches.iter().map(|s| s.print.map(|p| labels[p])).collect();
        // A voice cut in two by the chunks is one stretch: both halves take the speaker of
        // the half with more speech.
        for i in 0..self.stretches.len() {
            let Some(prev) = self.stretches[i].continues else {
                continue;
            };
            let weight = |s: &Stretch| s.print.map_or(0.0, |p| self.prints[p].weight);
            let (keep, take) = if weight(&self.stretches[prev]) >= weight(&self.stretches[i]) {
                (prev, i)
            } else {
                (i, prev)
            };
            if speaker_of[keep].is_some() {
                speaker_of[take] = speaker_of[keep];
            }
        }
        // A stretch without a print: its chunk's same voice if that has one, else the
        // nearest stretch in time that has.
        for i in 0..self.stretches.len() {
            if speaker_of[i].is_some() {
                continue;
            }
            let s = &self.stretches[i];
            let same_voice = self
                .stretches
                .iter()
                .zip(&speaker_of)
                .filter(|(o, l)| o.chunk == s.chunk && o.local == s.local && l.is_some() && o.print.is_some())
                .min_by_key(|(o, _)| o.start_sample.abs_diff(s.start_sample))
                .and_then(|(_, l)| *l);
            let nearest = || {
                self.stretches
                    .iter()
                    .zip(&speaker_of)
                    .filter(|(o, _)| o.print.is_some())
                    .min_by_key(|(o, _)| o.start_sample.abs_diff(s.start_sample))
                    .and_then(|(_, l)| *l)
            };
            speaker_of[i] = same_voice.or_else(nearest);
        }
        let mut turns: Vec<Turn> = self
            .stretches
            .iter()
            .zip(&speaker_of)
            .map(|(s, l)| Turn {
                start_ms: s.start_sample * 1000 / SAMPLE_RATE as u64,
                end_ms: s.end_sample * 1000 / SAMPLE_RATE as u64,
                speaker: l.unwrap_or(0),
            })
            .collect();
        turns.sort_by_key(|t| (t.start_ms, t.end_ms));
        let turns = join_turns(turns);
        let order = clustering::first_appearance_order(&turns.iter().map(|t| t.speaker).collect::<Vec<_>>());
        let mut renumber = vec![usize::MAX; labels.iter().max().map_or(0, |m| m + 1).max(1)];
        for (t, &o) in turns.iter().zip(&order) {
            renumber[t.speaker] = o;
        }
        let speakers = order.iter().max().map_or(0, |m| m + 1);
        let turns: Vec<Turn> = turns
            .into_iter()
            .zip(order)
            .map(|(t, speaker)| Turn { speaker, ..t })
            .collect();
        let mut voiceprints = vec![vec![0.0f32; crate::voice_encoder::DIMENSIONS]; speakers];
        for (p, &l) in self.prints.iter().zip(&labels) {
            let Some(&s) = renumber.get(l).filter(|&&s| s < speakers) else {
                continue;
            };
            for (v, x) in voiceprints[s].iter_mut().zip(&p.vector) {
                *v += x * p.weight;
            }
        }
        for print in &mut voiceprints {
            crate::voice_encoder::unit_length(print);
        }
        Diarization {
            speakers,
            turns,
            voiceprints,
        }
    }
}

/// Prints of a cluster with too little speech to be a speaker join the nearest real one.
fn absorb_strays(prints: &[Print], labels: &mut [usize], min_speakers: usize) {
    let clusters = labels.iter().max().map_or(0, |m| m + 1);
    let mut seconds = vec![0.0f32; clusters];
    for (p, &l) in prints.iter().zip(labels.iter()) {
        seconds[l] += p.weight;
    }
    let real: Vec<usize> = (0..clusters).filter(|&c| seconds[c] >= MIN_SPEAKER_SECONDS).collect();
    if real.is_empty() || real.len() < min_speakers {
        return;
    }
    let centroids: Vec<Vec<f32>> = (0..clusters)
        .map(|c| {
            let mut v = vec![0.0f32; crate::voice_encoder::DIMENSIONS];
            for (p, _) in prints.iter().zip(labels.iter()).filter(|(_, l)| **l == c) {
                for (x, y) in v.iter_mut().zip(&p.vector) {
                    *x += y * p.weight;
                }
            }
            crate::voice_encoder::unit_length(&mut v);
            v
        })
        .collect();
    for (p, l) in prints.iter().zip(labels.iter_mut()) {
        if seconds[*l] < MIN_SPEAKER_SECONDS {
            let nearest = real.iter().copied().max_by(|&a, &b| {
                let sa = crate::voice_encoder::similarity(&p.vector, &centroids[a]);
                let sb = crate::voice_encoder::similarity(&p.vector, &centroids[b]);
                sa.total_cmp(&sb)
            });
            if let Some(n) = nearest {
                *l = n;
            }
        }
    }
}

/// `(first, last)` frame of each run of `true`, runs closer than the gap joined and flickers
/// dropped.
fn runs(active: &[bool]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < active.len() {
        if !active[i] {
            i += 1;
            continue;
        }
        let first = i;
        while i < active.len() && active[i] {
            i += 1;
        }
        let last = i - 1;
        if last + 1 - first < MIN_RUN_FRAMES {
            continue;
        }
        match out.last_mut() {
            Some(prev) if first - prev.1 <= GAP_FRAMES => prev.1 = last,
            _ => out.push((first, last)),
        }
    }
    out
}

/// Overlapping or nearly touching turns of one speaker become one; a turn never runs past
/// the next one's start.
fn join_turns(turns: Vec<Turn>) -> Vec<Turn> {
    let mut out: Vec<Turn> = Vec::new();
    for t in turns {
        match out.last_mut() {
            Some(prev) if prev.speaker == t.speaker && t.start_ms <= prev.end_ms + JOIN_GAP_MS => {
                prev.end_ms = prev.end_ms.max(t.end_ms);
            }
            Some(prev) => {
                prev.end_ms = prev.end_ms.min(t.start_ms);
                out.push(t);
            }
            None => out.push(t),
        }
    }
    out
}
