//! Who speaks when, with the real speaker networks the set-up installs, on espeak-ng
//! conversations whose turns are known from how they were made
//! (`scripts/make-speaker-audio.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;

use castmill_e2e::{castmill_bin, fixtures, model_path};
use castmill_speakers::clustering::SpeakerCount;
use castmill_speakers::diarize::{Diarization, DiarizeOptions, Diarizer, SAME_VOICE};
use castmill_speakers::segmentation::{CHUNK_SAMPLES, SegmentationNet};
use castmill_speakers::voice_encoder::VoiceEncoder;
use castmill_speakers::weights::SpeakerWeights;

fn models_dir() -> PathBuf {
    model_path().parent().expect("models folder").to_owned()
}

fn fixture(name: &str) -> PathBuf {
    fixtures::speakers_dir().join(name)
}

fn diarize(name: &str, count: SpeakerCount) -> Diarization {
    let dir = models_dir();
    let read = |file: &str| SpeakerWeights::read(&dir.join(file)).expect("speaker model installed by the set-up");
    let segmentation = SegmentationNet::new(read("segmentation-3.0.safetensors")).expect("segmentation network");
    let encoder = VoiceEncoder::new(read("resemblyzer.safetensors")).expect("voice encoder");
    let samples: Vec<f32> = fixtures::wav_samples(&fixture(&format!("{name}.wav")))
        .into_iter()
        .map(|s| s as f32 / 32768.0)
        .collect();
    let mut diarizer = Diarizer::new(
        &segmentation,
        &encoder,
        DiarizeOptions {
            count,
            threshold: SAME_VOICE,
        },
    );
    for chunk in samples.chunks(CHUNK_SAMPLES) {
        diarizer.push_chunk(chunk).expect("a chunk diarized");
    }
    diarizer.finish()
}

/// The speaker found at the middle of each line of the script.
fn speaker_at_each_line(found: &Diarization, truth: &[(f64, f64, usize)]) -> Vec<Option<usize>> {
    truth
        .iter()
        .map(|&(start, end, _)| {
            let middle = ((start + end) / 2.0 * 1000.0) as u64;
            found
                .turns
                .iter()
                .find(|t| t.start_ms <= middle && middle < t.end_ms)
                .map(|t| t.speaker)
        })
        .collect()
}

fn assert_every_line_has_its_speaker(name: &str, speakers: usize) {
    let truth = fixtures::speaker_turns(name);
    let found = diarize(name, SpeakerCount::AUTOMATIC);
    assert_eq!(found.speakers, speakers, "{name}: turns {:?}", found.turns);
    let expected: Vec<Option<usize>> = truth.iter().map(|t| Some(t.2)).collect();
    // Both are numbered by first appearance, so the labels themselves must agree.
    assert_eq!(
        speaker_at_each_line(&found, &truth),
        expected,
        "{name}: turns {:?}",
        found.turns
    );
    assert_eq!(found.voiceprints.len(), speakers);
}

#[test]
fn one_voice_is_one_speaker() {
    assert_every_line_has_its_speaker("one-voice", 1);
}

#[test]
fn four_voices_each_get_their_own_lines() {
    assert_every_line_has_its_speaker("four-voices", 4);
}

#[test]
fn six_voices_each_get_their_own_lines() {
    assert_every_line_has_its_speaker("six-voices", 6);
}

#[test]
fn two_voices_each_get_their_own_lines() {
    assert_every_line_has_its_speaker("two-voices", 2);
}

#[test]
fn three_voices_each_get_their_own_lines() {
    assert_every_line_has_its_speaker("three-voices", 3);
}

#[test]
fn a_wanted_number_of_speakers_is_what_comes_out() {
    let found = diarize("three-voices", SpeakerCount::exactly(2));
    assert_eq!(found.speakers, 2, "turns {:?}", found.turns);
}

#[test]
fn the_set_up_installs_both_speaker_models() {
    let out = Command::new(castmill_bin())
        .args(["models", "list"])
        .output()
        .expect("castmill runs");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("speaker segmentation (pyannote segmentation-3.0)"),
        "{listed}"
    );
    assert!(
        listed.contains("voice encoder (resemblyzer, 256 dimensions)"),
        "{listed}"
    );
}

#[test]
fn a_file_that_is_not_a_speaker_network_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let bogus = dir.path().join("segmentation.onnx");
    std::fs::write(&bogus, b"this is not a network").expect("write");
    let out = Command::new(castmill_bin())
        .args(["models", "import"])
        .arg(&bogus)
        .env("CASTMILL_DATA_DIR", dir.path())
        .output()
        .expect("castmill runs");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&bogus.display().to_string()) && said.contains("not an ONNX file"),
        "{said}"
    );
    assert!(!Path::new(&dir.path().join("models/segmentation-3.0.safetensors")).exists());
}
