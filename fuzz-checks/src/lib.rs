//! What must hold for any bytes fed to Castmill's parsers. Each check takes arbitrary bytes
//! and panics when a property breaks (a parser's own panic counts too); the fuzz targets in
//! `fuzz/` drive them with libFuzzer, and `tests/regressions.rs` replays the kept inputs in
//! the normal test suite, so a fixed crash stays fixed.

use std::io::Cursor;
use std::path::Path;

use castmill_audio::{AudioSource, SAMPLE_RATE};
use ct2_reader::Ct2Model;
use shared_ipc::{Checkpoint, Incoming, JobSpec, JournalLoad, LineDecoder, model_file};

/// A property of a parser, checked on arbitrary bytes; panics when it breaks.
pub type Check = fn(&[u8]);

/// Every check, by the name of its fuzz target and its folder of kept inputs.
pub const CHECKS: &[(&str, Check)] = &[
    ("line_reader", line_reader),
    ("checkpoint", checkpoint),
    ("journal", journal),
    ("ggml_header", ggml_header),
    ("ct2_model", ct2_model),
    ("job_spec", job_spec),
    ("audio_decode", audio_decode),
];

/// Longest kept protocol line in the line reader check (small, so caps are exercised).
const LINE_CAP: usize = 64;

/// The protocol line reader: any bytes, fed in any chunking (the first byte picks the chunk
/// size), give the same lines; a malformed line's excerpt stays bounded.
pub fn line_reader(data: &[u8]) {
    let Some((split, bytes)) = data.split_first() else {
        return;
    };
    let mut whole = Vec::new();
    let mut decoder = LineDecoder::new(LINE_CAP);
    decoder.feed(bytes, &mut whole);
    decoder.finish(&mut whole);

    let mut chunked = Vec::new();
    let mut decoder = LineDecoder::new(LINE_CAP);
    for chunk in bytes.chunks((*split as usize).max(1)) {
        decoder.feed(chunk, &mut chunked);
    }
    decoder.finish(&mut chunked);
    assert_eq!(whole, chunked, "chunking changed what was read");
    for item in &whole {
        if let Incoming::Malformed { excerpt, .. } = item {
            assert!(excerpt.len() <= LINE_CAP * 4 + 16, "excerpt of {} bytes", excerpt.len());
        }
    }
}

/// The checkpoint decoder: a checkpoint or an error; what decodes encodes back to bytes that
/// decode to the same checkpoint.
pub fn checkpoint(data: &[u8]) {
    if let Ok(checkpoint) = Checkpoint::decode(data) {
        let again = Checkpoint::decode(&checkpoint.encode()).expect("a re-encoded checkpoint decodes");
        assert_eq!(again, checkpoint);
    }
}

/// The segment journal loader: loads or is reported corrupt; no segment holds more text
/// than the journal had bytes.
pub fn journal(data: &[u8]) {
    if let Ok(load) = JournalLoad::parse(data) {
        for segment in &load.segments {
            assert!(segment.text.len() <= data.len());
        }
    }
}

/// The GGML whisper model validator: valid or an error, never an allocation the bytes
/// cannot back (libFuzzer's memory limit catches one).
pub fn ggml_header(data: &[u8]) {
    let _ = model_file::validate(Cursor::new(data));
}

/// The CTranslate2 model reader: a model or an error; every variable it returns holds
/// exactly the bytes its shape says, and converting one never panics.
pub fn ct2_model(data: &[u8]) {
    if let Ok(model) = Ct2Model::read(Cursor::new(data)) {
        for (name, variable) in &model.variables {
            let elements: usize = variable.dims.iter().product();
            if let Ok(values) = variable.to_f32() {
                assert_eq!(values.len(), elements, "{name}");
            }
            let _ = variable.as_int();
            assert!(model.get(name).is_ok());
        }
    }
}

/// The job spec loader: a spec or an error.
pub fn job_spec(data: &[u8]) {
    let _ = JobSpec::parse(data, Path::new("job.json"));
}

/// Decoding stops here: enough to cover any header trick, bounded so a file that claims
/// hours of audio cannot stall the fuzzer.
const MAX_DECODED_SAMPLES: usize = 60 * SAMPLE_RATE as usize;

/// Audio decoding of arbitrary bytes (the first byte picks the extension hint, as a file's
/// name would): it opens or fails, decodes to the end or fails, and every sample it hands to
/// whisper is a finite number.
pub fn audio_decode(data: &[u8]) {
    const HINTS: [Option<&str>; 7] = [
        None,
        Some("mp3"),
        Some("m4a"),
        Some("flac"),
        Some("ogg"),
        Some("wav"),
        Some("aac"),
    ];
    let Some((hint, bytes)) = data.split_first() else {
        return;
    };
    let Ok(mut source) = AudioSource::from_bytes(bytes.to_vec(), HINTS[*hint as usize % HINTS.len()]) else {
        return;
    };
    let mut samples = Vec::new();
    let mut total = 0usize;
    while total < MAX_DECODED_SAMPLES {
        samples.clear();
        match source.next_chunk(&mut samples) {
            Ok(more) => {
                assert!(samples.iter().all(|s| s.is_finite()), "a decoded sample is not finite");
                total += samples.len();
                if !more {
                    break;
                }
            }
            Err(_) => break,
        }
    }
}
