//! The worker's speakers stage on espeak-ng conversations with known turns: every output
//! says who speaks, a kill during the stage resumes to the same bytes without transcribing
//! again, and without the networks the transcripts are still written.

use std::path::PathBuf;

use castmill_e2e::fixtures;
use castmill_e2e::headless::DataDir;
use castmill_e2e::worker::{RunningWorker, TestJob, one_model_at_a_time, run_to_end};
use shared_ipc::speaker_record::SpeakerRecord;
use shared_ipc::{Checkpoint, ModelRole, SpeakerModels, Stage, StageState, WorkerEvent, exit_code};

fn conversation(name: &str) -> PathBuf {
    fixtures::speakers_dir().join(format!("{name}.wav"))
}

/// Who leads each paragraph of a `.txt` with speakers.
fn paragraph_speakers(txt: &str) -> Vec<String> {
    txt.split("\n\n")
        .filter_map(|p| p.split_once(':').map(|(who, _)| who.to_owned()))
        .collect()
}

fn found_speakers(events: &[WorkerEvent]) -> Vec<(usize, Vec<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            WorkerEvent::SpeakersFound { file_index, speakers } => Some((*file_index, speakers.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn every_output_says_who_speaks() {
    let _guard = one_model_at_a_time();
    let job = TestJob::with_knowledge(vec![conversation("three-voices")]).with_speakers();
    let (status, events) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{events:#?}");
    let labels: Vec<String> = (1..=3).map(|n| format!("Speaker {n}")).collect();
    assert_eq!(found_speakers(&events), [(0, labels.clone())]);

    let txt = job.output_text("three-voices.txt");
    let order = [1, 2, 3, 1, 2, 3, 1, 2].map(|n| format!("Speaker {n}"));
    assert_eq!(paragraph_speakers(&txt), order, "{txt}");
    let vtt = job.output_text("three-voices.vtt");
    assert!(vtt.contains("<v Speaker 3>What is the first thing"), "{vtt}");
    let srt = job.output_text("three-voices.srt");
    assert!(srt.contains("\nSpeaker 2: "), "{srt}");
    let json: serde_json::Value = serde_json::from_slice(&job.output("three-voices.json")).expect("json");
    let speakers = json["speakers"].as_array().expect("speakers");
    assert_eq!(speakers.len(), 3);
    assert!(
        speakers
            .iter()
            .all(|s| s["talk_ms"].as_u64().is_some_and(|ms| ms > 3_000))
    );
    assert_eq!(json["segments"][0]["speaker"], "Speaker 1");
    // Every segment's words: its text word for word, each timed inside it, in order.
    for segment in json["segments"].as_array().expect("segments") {
        let words = segment["words"].as_array().expect("words");
        let joined: Vec<&str> = words.iter().filter_map(|w| w["text"].as_str()).collect();
        let text = segment["text"].as_str().expect("text");
        assert_eq!(joined.join(" "), text.split_whitespace().collect::<Vec<_>>().join(" "));
        let (start, end) = (segment["start_ms"].as_u64(), segment["end_ms"].as_u64());
        let mut previous = 0;
        for w in words {
            let (ws, we) = (w["start_ms"].as_u64(), w["end_ms"].as_u64());
            assert!(
                ws >= start && we <= end && ws <= we && ws >= Some(previous),
                "{segment}"
            );
            previous = ws.unwrap_or_default();
            assert!(w["probability"].as_f64().is_some_and(|p| (0.0..=1.0).contains(&p)));
        }
    }

    // The note: a Speakers section with each one's share, and turns led by the speaker.
    let note = job.output_text("three-voices.md");
    let section = note.split("## Speakers\n\n").nth(1).expect("a Speakers section");
    let listed: Vec<&str> = section.lines().take_while(|l| l.starts_with("- ")).collect();
    assert_eq!(listed.len(), 3, "{note}");
    assert!(
        listed[0].starts_with("- Speaker 1: ") && listed[0].contains('%'),
        "{note}"
    );
    assert!(note.contains("**Speaker 3:** What is the first thing"), "{note}");

    let record = SpeakerRecord::load(&job.folder.speaker_record(0)).expect("speaker record");
    assert_eq!(record.speakers.len(), 3);
    assert!(record.speakers.iter().all(|s| s.voiceprint.len() == 256));
}

#[test]
fn a_kill_during_the_speakers_stage_resumes_to_the_same_bytes() {
    let _guard = one_model_at_a_time();
    let inputs = vec![conversation("two-voices"), conversation("three-voices")];
    let reference = TestJob::new(inputs).with_speakers();
    let (status, _) = run_to_end(&reference);
    assert_eq!(status.code(), Some(exit_code::FINISHED));

    let job = reference.twin();
    let mut worker = RunningWorker::start(&job);
    worker.wait_for("the second file's speakers", |e| {
        matches!(
            e,
            WorkerEvent::Stage {
                stage: Stage::FindingSpeakers,
                file_index: Some(1)
            }
        )
    });
    worker.kill_hard();
    let checkpoint = Checkpoint::load(&job.folder.checkpoint())
        .expect("load")
        .expect("exists");
    assert!(checkpoint.files[0].speakers.is_done());
    assert_eq!(checkpoint.files[1].speakers, StageState::Pending);

    let (status, after) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{after:#?}");
    let whisper_loaded = after.iter().any(|e| {
        matches!(
            e,
            WorkerEvent::Model {
                role: ModelRole::Whisper,
                ..
            }
        )
    });
    assert!(!whisper_loaded, "the rerun transcribed again: {after:#?}");
    assert_eq!(found_speakers(&after).iter().map(|f| f.0).collect::<Vec<_>>(), [1]);
    for stem in ["two-voices", "three-voices"] {
        for ext in ["txt", "srt", "vtt", "json"] {
            let name = format!("{stem}.{ext}");
            assert_eq!(
                job.output(&name),
                reference.output(&name),
                "{name} differs after the kill"
            );
        }
    }
}

#[test]
fn without_the_speaker_networks_the_transcripts_are_still_written() {
    let _guard = one_model_at_a_time();
    let mut job = TestJob::new(vec![conversation("two-voices")]).with_speakers();
    let missing = job.dir.path().join("no-such-model.safetensors");
    job.spec.speaker_models = Some(SpeakerModels {
        segmentation: missing.clone(),
        voice_encoder: missing.clone(),
    });
    job.spec.save(&job.folder.spec()).expect("save spec");
    let (status, events) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{events:#?}");
    let told = events.iter().find_map(|e| match e {
        WorkerEvent::SpeakersFailed {
            file_index: None,
            reason,
        } => Some(reason.clone()),
        _ => None,
    });
    let told = told.expect("the missing model is told");
    assert!(told.contains(&missing.display().to_string()), "{told}");
    let txt = job.output_text("two-voices.txt");
    assert!(txt.contains("bees") && !txt.contains("Speaker"), "{txt}");
}

#[test]
fn no_speakers_on_the_command_line_gives_one_voice() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_speakers();
    let out = data.path().join("out");
    let with = data.run(&[
        "--headless",
        "--no-summaries",
        "--out",
        out.to_str().expect("utf8"),
        conversation("two-voices").to_str().expect("utf8"),
    ]);
    assert!(with.status.success(), "{}", String::from_utf8_lossy(&with.stderr));
    let txt = std::fs::read_to_string(out.join("two-voices.txt")).expect("txt");
    assert_eq!(paragraph_speakers(&txt)[..2], ["Speaker 1", "Speaker 2"], "{txt}");

    let plain_out = data.path().join("plain");
    let without = data.run(&[
        "--headless",
        "--no-summaries",
        "--no-speakers",
        "--out",
        plain_out.to_str().expect("utf8"),
        conversation("two-voices").to_str().expect("utf8"),
    ]);
    assert!(without.status.success(), "{}", String::from_utf8_lossy(&without.stderr));
    let plain = std::fs::read_to_string(plain_out.join("two-voices.txt")).expect("txt");
    assert!(!plain.contains("Speaker"), "{plain}");
    // One line a segment, as before speakers existed.
    assert!(plain.lines().count() >= 6 && plain.contains("bees"), "{plain}");
}

#[test]
fn a_file_too_short_or_too_quiet_for_speakers_gets_one_speaker_not_a_failure() {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    // A second and a half of the conversation (shorter than any voiceprint wants), and ten
    // seconds of near silence.
    let short = media.path().join("short.wav");
    let samples = fixtures::wav_samples(&conversation("two-voices"));
    fixtures::write_wav(&short, samples.into_iter().take(24_000));
    let quiet = media.path().join("quiet.wav");
    fixtures::write_wav(&quiet, (0..160_000).map(|i| if i % 7 == 0 { 2 } else { -1 }));
    let job = TestJob::new(vec![short, quiet]).with_speakers();
    let (status, events) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{events:#?}");
    let one = vec!["Speaker 1".to_owned()];
    assert_eq!(found_speakers(&events), [(0, one.clone()), (1, one)], "{events:#?}");
    assert!(
        !events.iter().any(|e| matches!(e, WorkerEvent::SpeakersFailed { .. })),
        "{events:#?}"
    );
    let checkpoint = Checkpoint::load(&job.folder.checkpoint())
        .expect("load")
        .expect("a checkpoint");
    assert!(checkpoint.files.iter().all(|f| f.speakers.is_done()), "{checkpoint:?}");
    for index in 0..2 {
        let record = SpeakerRecord::load(&job.folder.speaker_record(index)).expect("speaker record");
        assert_eq!(record.speakers.len(), 1);
    }
}
