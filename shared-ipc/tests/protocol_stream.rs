//! The protocol reader against hostile and unlucky streams: cut at every byte, garbage,
//! oversized lines, and event types from a newer worker.

use shared_ipc::protocol::StopCause;
use shared_ipc::{EventReader, Incoming, LineDecoder, ModelRole, ModelState, Segment, Stage, WorkerEvent};

fn sample_events() -> Vec<WorkerEvent> {
    vec![
        WorkerEvent::Hello {
            protocol_version: 1,
            pid: 7,
            worker_version: "0.1.0".into(),
        },
        WorkerEvent::Stage {
            stage: Stage::Transcribing,
            file_index: Some(0),
        },
        WorkerEvent::Model {
            role: ModelRole::Embeddings,
            state: ModelState::Loading,
            name: "all-MiniLM-L6-v2".into(),
        },
        WorkerEvent::SummaryWritten {
            file_index: 0,
            note: "/out/ünï show.md".into(),
            topics: vec!["bread dough".into(), "yeast".into()],
        },
        WorkerEvent::KnowledgeFailed {
            file_index: None,
            reason: "the embedding model is missing".into(),
        },
        WorkerEvent::Segment {
            file_index: 0,
            segment: Segment {
                start_ms: 0,
                end_ms: 1500,
                text: " Grüße, \"quoted\" – ünïcödé ✓".into(),
                confidence: 0.875,
                words: Vec::new(),
            },
        },
        WorkerEvent::Progress {
            file_index: 0,
            file_done_s: 1.5,
            file_total_s: Some(30.0),
            batch_done_s: 1.5,
            batch_total_s: None,
        },
        WorkerEvent::Heartbeat {
            seq: 3,
            progress: Some(12),
        },
        WorkerEvent::Stopping {
            cause: StopCause::Requested,
        },
    ]
}

fn stream() -> Vec<u8> {
    sample_events().iter().flat_map(|e| e.to_line().into_bytes()).collect()
}

fn decode_in_two(bytes: &[u8], cut: usize) -> Vec<Incoming> {
    let mut decoder = LineDecoder::default();
    let mut out = Vec::new();
    decoder.feed(&bytes[..cut], &mut out);
    decoder.feed(&bytes[cut..], &mut out);
    decoder.finish(&mut out);
    out
}

#[test]
fn a_stream_cut_at_every_byte_boundary_decodes_the_same() {
    let bytes = stream();
    let expected: Vec<Incoming> = sample_events().into_iter().map(Incoming::Event).collect();
    for cut in 0..=bytes.len() {
        assert_eq!(decode_in_two(&bytes, cut), expected, "cut at byte {cut}");
    }
}

#[test]
fn byte_at_a_time_decodes_the_same() {
    let bytes = stream();
    let mut decoder = LineDecoder::default();
    let mut out = Vec::new();
    for b in &bytes {
        decoder.feed(std::slice::from_ref(b), &mut out);
    }
    assert_eq!(out.len(), sample_events().len());
}

#[test]
fn garbage_lines_are_reported_and_reading_goes_on() {
    let mut bytes = b"not json at all\n{\"type\":\"paused\"}\n\xff\xfe\x00binary\n{\"type\":\"heartbeat\"}\n[1,2,3]\n{\"type\":\"resumed\"}\r\n\n".to_vec();
    bytes.extend_from_slice(b"{\"type\":\"heartbeat\",\"seq\":9}");
    let items: Vec<Incoming> = EventReader::new(&bytes[..]).collect();
    assert!(matches!(&items[0], Incoming::Malformed { excerpt, .. } if excerpt == "not json at all"));
    assert_eq!(items[1], Incoming::Event(WorkerEvent::Paused));
    assert!(matches!(items[2], Incoming::Malformed { .. }));
    // A known type with missing fields is malformed, not unknown.
    assert!(matches!(items[3], Incoming::Malformed { .. }));
    assert!(matches!(items[4], Incoming::Malformed { .. }));
    assert_eq!(items[5], Incoming::Event(WorkerEvent::Resumed));
    // The last line had no newline: the end of the stream completes it.
    assert_eq!(
        items[6],
        Incoming::Event(WorkerEvent::Heartbeat { seq: 9, progress: None })
    );
    assert_eq!(items.len(), 7);
}

#[test]
fn very_long_lines_are_capped_reported_and_skipped() {
    let cap = 1024;
    let mut bytes = vec![b'x'; 10 * 1024 * 1024];
    bytes.push(b'\n');
    bytes.extend_from_slice(WorkerEvent::Paused.to_line().as_bytes());
    let mut long_json = String::from("{\"type\":\"notice\",\"file_index\":null,\"message\":\"");
    long_json.push_str(&"y".repeat(5000));
    long_json.push_str("\"}\n");
    bytes.extend_from_slice(long_json.as_bytes());
    bytes.extend_from_slice(WorkerEvent::Resumed.to_line().as_bytes());
    let items: Vec<Incoming> = EventReader::with_max_line(&bytes[..], cap).collect();
    assert_eq!(
        items,
        vec![
            Incoming::Oversized { len: 10 * 1024 * 1024 },
            Incoming::Event(WorkerEvent::Paused),
            Incoming::Oversized {
                len: long_json.len() - 1
            },
            Incoming::Event(WorkerEvent::Resumed),
        ]
    );
}

#[test]
fn event_types_from_a_newer_worker_are_reported_as_unknown() {
    let bytes =
        b"{\"type\":\"gpu_temperature\",\"celsius\":71}\n{\"type\":\"heartbeat\",\"seq\":1,\"added_later\":true}\n";
    let items: Vec<Incoming> = EventReader::new(&bytes[..]).collect();
    assert_eq!(
        items,
        vec![
            Incoming::Unknown {
                type_name: "gpu_temperature".into()
            },
            // New fields on a known event are ignored.
            Incoming::Event(WorkerEvent::Heartbeat { seq: 1, progress: None }),
        ]
    );
}
