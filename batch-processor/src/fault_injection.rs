//! Test-build-only faults (feature `fault-injection`), each picked by an input whose path
//! contains TEXT:
//!
//! - `CASTMILL_FAULT_CRASH_ON=TEXT`: abort (SIGABRT, as a crashing decoder would) when
//!   transcription of the input begins; `CASTMILL_FAULT_CRASH_OPENING=TEXT` and
//!   `CASTMILL_FAULT_CRASH_PROBING=TEXT` do it while the input is opened or probed;
//! - `CASTMILL_FAULT_SPIN_ON=TEXT`: the working thread never comes back (an endless loop or
//!   a deadlock) when transcription of the input begins, while the heartbeat goes on;
//! - `CASTMILL_FAULT_HOG_ON=TEXT`: transcription of the input begins by taking (and
//!   touching) memory without end, as a decoder led astray by a hostile file would;
//! - `CASTMILL_FAULT_LEAK_ON=TEXT`: from when transcription of the input begins, a thread
//!   of the worker's takes (and touches) 32 MB more every quarter second and never gives it
//!   back, as a leaking decoder would — whether the work goes on or is paused;
//! - `CASTMILL_FAULT_ONCE=FILE`: each of those fires only while FILE does not exist, and
//!   makes it first — so the next run goes through;
//! - `CASTMILL_FAULT_SKIP_SPEECH=TEXT`: whisper's transcript of each window of the input
//!   loses its middle segment (of three or more), as when whisper jumps ahead in the audio:
//!   the next segment takes the lost one's start (words gone, time kept) in windows that
//!   start on an even second, a gap is left in the others — for the coverage guard to find;
//! - `CASTMILL_FAULT_PROTOCOL_VERSION=N`: `hello` announces protocol N (a mismatched build).

use std::path::Path;

use shared_ipc::Segment;

/// Where in a file's life a crash is asked for.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    Probing,
    Opening,
    Transcribing,
}

impl Place {
    fn variable(self) -> &'static str {
        match self {
            Place::Probing => "CASTMILL_FAULT_CRASH_PROBING",
            Place::Opening => "CASTMILL_FAULT_CRASH_OPENING",
            Place::Transcribing => "CASTMILL_FAULT_CRASH_ON",
        }
    }
}

pub fn crash_if_requested(place: Place, input: &Path) {
    if requested(place.variable(), input) {
        tracing::error!("fault injection: crashing on {} ({place:?})", input.display());
        std::process::abort();
    }
}

pub fn spin_if_requested(input: &Path) {
    if requested("CASTMILL_FAULT_SPIN_ON", input) {
        tracing::error!("fault injection: the working thread is stuck on {}", input.display());
        // Stands for an endless loop; it sleeps so the test does not burn a core meanwhile.
        loop {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

pub fn hog_if_requested(input: &Path) {
    if requested("CASTMILL_FAULT_HOG_ON", input) {
        tracing::error!("fault injection: taking all the memory there is on {}", input.display());
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            // Touched, so the pages are really taken.
            hoard.push(vec![1u8; 64 << 20]);
            std::hint::black_box(&hoard);
        }
    }
}

pub fn leak_if_requested(input: &Path) {
    if requested("CASTMILL_FAULT_LEAK_ON", input) {
        tracing::error!("fault injection: leaking memory from {} on", input.display());
        let _ = std::thread::Builder::new().name("leak".into()).spawn(|| {
            let mut lost: Vec<Vec<u8>> = Vec::new();
            loop {
                lost.push(vec![1u8; 32 << 20]);
                std::hint::black_box(&lost);
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
        });
    }
}

pub fn skip_speech_if_requested(input: &Path, start_sample: u64, segments: &mut Vec<Segment>) {
    let asked = std::env::var_os("CASTMILL_FAULT_SKIP_SPEECH")
        .is_some_and(|text| input.to_string_lossy().contains(&*text.to_string_lossy()));
    if !asked || segments.len() < 3 {
        return;
    }
    let middle = segments.len() / 2;
    let lost = segments.remove(middle);
    let jump = (start_sample / castmill_audio::SAMPLE_RATE as u64).is_multiple_of(2);
    if jump {
        segments[middle].start_ms = lost.start_ms;
    }
    tracing::warn!(
        "fault injection: whisper's transcript of the window at {:.1} s loses \"{}\"{}",
        start_sample as f64 / castmill_audio::SAMPLE_RATE as f64,
        lost.text.trim(),
        if jump { ", the next segment taking its time" } else { "" }
    );
}

/// The protocol version `hello` announces.
pub fn protocol_version(real: u32) -> u32 {
    std::env::var("CASTMILL_FAULT_PROTOCOL_VERSION")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(real)
}

fn requested(variable: &str, input: &Path) -> bool {
    let Some(text) = std::env::var_os(variable) else {
        return false;
    };
    if !input.to_string_lossy().contains(&*text.to_string_lossy()) {
        return false;
    }
    match std::env::var_os("CASTMILL_FAULT_ONCE") {
        // `create_new` makes the check and the marking one step.
        Some(marker) => std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(marker)
            .is_ok(),
        None => true,
    }
}
