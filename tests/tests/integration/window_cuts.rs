//! Speech at a window's edge is never lost: the same script, shifted by silences of
//! different lengths so the worker's 30-second windows cut it at different places, comes
//! out whole every time — every sentence heard, every stretch of speech covered by a
//! segment, timestamps that never run backwards. And where whisper does skip speech, the
//! coverage guard transcribes it again, the same way in a resumed run.

use castmill_e2e::coverage::{coverage, wav_samples};
use castmill_e2e::fixtures::{self, CLIPS};
use castmill_e2e::wer::{sentences_heard, word_errors};
use castmill_e2e::worker::{RunningWorker, TestJob, one_model_at_a_time, run_to_end};
use shared_ipc::{Segment, WorkerEvent, exit_code};

/// Seconds of silence before the script: each moves every later cut to another pause.
const OFFSETS_S: [f64; 4] = [0.0, 3.7, 8.3, 13.9];

#[test]
fn every_sentence_is_heard_wherever_the_window_cuts_fall() {
    let _guard = one_model_at_a_time();
    let dir = tempfile::tempdir().expect("tempdir");
    let speech: Vec<i16> = CLIPS.iter().flat_map(|c| fixtures::clip_samples(c)).collect();
    let inputs: Vec<_> = OFFSETS_S
        .iter()
        .map(|&offset| {
            let path = dir.path().join(format!("shifted {offset} s.wav"));
            let silence = std::iter::repeat_n(0i16, (offset * 16_000.0) as usize);
            fixtures::write_wav(&path, silence.chain(speech.iter().copied()));
            path
        })
        .collect();
    let job = TestJob::new(inputs.clone());
    let (status, events) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "events: {events:#?}");

    let sentences = fixtures::reference_sentences();
    for (input, offset) in inputs.iter().zip(OFFSETS_S) {
        let stem = input.file_stem().and_then(|s| s.to_str()).expect("stem");
        let text = job.output_text(&format!("{stem}.txt"));
        let lost = lost_sentences(&sentences, &text);
        assert!(
            lost.is_empty(),
            "after {offset} s of silence, sentences lost: {lost:#?}\ntranscript:\n{text}"
        );

        let segments = json_segments(&job.output(&format!("{stem}.json")));
        let mut end = 0;
        for segment in &segments {
            assert!(
                segment.start_ms >= end && segment.end_ms >= segment.start_ms,
                "after {offset} s of silence, timestamps run backwards at {segment:?}"
            );
            end = segment.end_ms;
        }
        let covered = coverage(&wav_samples(input), &segments);
        assert!(
            covered.uncovered.is_empty(),
            "after {offset} s of silence, speech no segment covers (seconds): {:?} of {} stretches",
            covered.uncovered,
            covered.intervals
        );
    }
}

/// The faults the skip test asks for: whisper's transcript of every window of the long
/// episode loses its middle segment.
const SKIP_SPEECH: (&str, &str) = ("CASTMILL_FAULT_SKIP_SPEECH", "long episode");

#[test]
fn speech_whisper_skipped_is_transcribed_again_and_a_resumed_run_does_the_same() {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let long = fixtures::long_clip(media.path());
    let sentences = fixtures::reference_sentences();

    // Without the guard the skipped segments are lost: the fault bites.
    let unguarded = TestJob::new(vec![long.clone()]);
    let (status, _) = RunningWorker::start_with_env(
        &unguarded,
        &[SKIP_SPEECH, ("CASTMILL_BENCH_LEVERS_OFF", "coverage-guard")],
    )
    .finish();
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    let reference_text = fixtures::long_clip_reference();
    let unguarded_lost = word_errors(&reference_text, &unguarded.output_text("long episode.txt")).deletions;
    assert!(
        unguarded_lost >= 20,
        "the fault should lose words without the guard: {unguarded_lost} deleted"
    );

    let reference = unguarded.twin();
    let (status, _) = RunningWorker::start_with_env(&reference, &[SKIP_SPEECH]).finish();
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    let text = reference.output_text("long episode.txt");
    let lost = lost_sentences(&sentences, &text);
    let log = reference.worker_log();
    let deleted = word_errors(&reference_text, &text).deletions;
    assert!(
        lost.is_empty() && deleted <= 3,
        "sentences lost: {lost:#?}, {deleted} words deleted (without the guard {unguarded_lost})\ntranscript:\n{text}\nlog:\n{log}"
    );
    // Each decision is in the job's log, with where and what came of it.
    let retried: Vec<&str> = log.lines().filter(|l| l.contains("uncovered ")).collect();
    assert!(
        retried
            .iter()
            .any(|l| l.contains(", retried in ") && l.contains(": covered")),
        "no retry logged: {retried:#?}"
    );
    assert!(
        retried.iter().any(|l| l.contains("too few words for its sound")),
        "the skipped words whose time the next segment took were not found: {retried:#?}"
    );

    // Killed after its first committed window and run again, the job writes the very same
    // bytes: the guard decides from the window alone.
    let job = reference.twin();
    let mut worker = RunningWorker::start_with_env(&job, &[SKIP_SPEECH]);
    worker.wait_for("a committed segment", |e| matches!(e, WorkerEvent::Segment { .. }));
    worker.kill_hard();
    let (status, _) = RunningWorker::start_with_env(&job, &[SKIP_SPEECH]).finish();
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    for ext in ["txt", "srt", "vtt", "json"] {
        let name = format!("long episode.{ext}");
        assert_eq!(
            job.output(&name),
            reference.output(&name),
            "{name} differs after a kill and resume"
        );
    }
}

/// The script's sentences that the transcript lost: fewer than half of their words given
/// any word of the transcript.
fn lost_sentences<'a>(sentences: &'a [String], text: &str) -> Vec<&'a String> {
    sentences_heard(sentences, text)
        .iter()
        .zip(sentences)
        .filter(|(heard, _)| **heard < 0.5)
        .map(|(_, sentence)| sentence)
        .collect()
}

fn json_segments(json: &[u8]) -> Vec<Segment> {
    let doc: serde_json::Value = serde_json::from_slice(json).expect("valid json");
    doc["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| Segment {
            start_ms: s["start_ms"].as_u64().expect("start"),
            end_ms: s["end_ms"].as_u64().expect("end"),
            text: s["text"].as_str().expect("text").to_owned(),
            confidence: s["confidence"].as_f64().unwrap_or(0.0) as f32,
            words: Vec::new(),
        })
        .collect()
}
