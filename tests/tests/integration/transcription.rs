//! The worker transcribes real speech in every supported container, accurately.

use castmill_e2e::fixtures::{self, CLIPS, CONTAINERS};
use castmill_e2e::wer::word_error_rate;
use castmill_e2e::worker::{TestJob, one_model_at_a_time, run_to_end};
use shared_ipc::{WorkerEvent, exit_code};

#[test]
fn every_container_transcribes_with_low_word_error_rate() {
    let _guard = one_model_at_a_time();
    let inputs: Vec<_> = CLIPS
        .iter()
        .flat_map(|c| CONTAINERS.iter().map(move |ext| fixtures::clip(c, ext)))
        .collect();
    let job = TestJob::new(inputs.clone());
    let (status, events) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "events: {events:#?}");
    assert!(
        matches!(events.first(), Some(WorkerEvent::Hello { .. })),
        "first line must be hello"
    );
    let completed: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, WorkerEvent::FileCompleted { .. }))
        .collect();
    assert_eq!(completed.len(), inputs.len());

    let mut report = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        // Same stem in several containers: the first keeps the name, the others get " (n)".
        let stem = fixtures_stem(i);
        let text = job.output_text(&format!("{stem}.txt"));
        let clip = input.file_stem().and_then(|s| s.to_str()).expect("stem");
        let wer = word_error_rate(&fixtures::reference_text(clip), &text);
        report.push(format!("{}: WER {:.1}%", input.display(), wer * 100.0));
        assert!(
            wer < 0.15,
            "{}: word error rate {:.1}% ≥ 15%\n{text}",
            input.display(),
            wer * 100.0
        );
        for ext in ["srt", "vtt", "json"] {
            assert!(
                !job.output(&format!("{stem}.{ext}")).is_empty(),
                "{stem}.{ext} is empty"
            );
        }
    }
    eprintln!("{}", report.join("\n"));
}

fn fixtures_stem(index: usize) -> String {
    let clip = CLIPS[index / CONTAINERS.len()];
    match index % CONTAINERS.len() {
        0 => clip.to_owned(),
        n => format!("{clip} ({})", n + 1),
    }
}

#[test]
fn json_output_has_timed_segments_with_confidence() {
    let _guard = one_model_at_a_time();
    let job = TestJob::new(vec![fixtures::clip("bread", "flac")]);
    let (status, _) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED));
    let doc: serde_json::Value = serde_json::from_slice(&job.output("bread.json")).expect("valid json");
    let segments = doc["segments"].as_array().expect("segments");
    assert!(segments.len() >= 3);
    let mut last_end = 0;
    for s in segments {
        let (start, end) = (
            s["start_ms"].as_u64().expect("start"),
            s["end_ms"].as_u64().expect("end"),
        );
        assert!(
            start <= end && start >= last_end.min(start),
            "segments out of order: {s}"
        );
        last_end = end;
        let c = s["confidence"].as_f64().expect("confidence");
        assert!((0.0..=1.0).contains(&c));
    }
    assert!(doc["duration_ms"].as_u64().expect("duration") > 25_000);
    let srt = job.output_text("bread.srt");
    assert!(srt.starts_with("1\n00:00:0"), "{srt}");
    assert!(job.output_text("bread.vtt").starts_with("WEBVTT\n\n"));
}

#[test]
fn beam_search_decoding_works_as_an_option() {
    let _guard = one_model_at_a_time();
    let job = TestJob::new(vec![fixtures::clip("astronomy", "flac")]);
    let mut spec = job.spec.clone();
    spec.options.decoding = shared_ipc::Decoding::BeamSearch { beam_size: 5 };
    spec.save(&job.folder.spec()).expect("save spec");
    let (status, events) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{events:#?}");
    let text = job.output_text("astronomy.txt");
    let wer = word_error_rate(&fixtures::reference_text("astronomy"), &text);
    assert!(wer < 0.15, "beam search WER {:.1}%:\n{text}", wer * 100.0);
}
