//! The protocol line reader: any bytes, fed in any chunking, give the same lines and never
//! panic; no kept line is longer than the cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared_ipc::{Incoming, LineDecoder};

const CAP: usize = 64;

fuzz_target!(|data: &[u8]| {
    let (split, bytes) = match data.split_first() {
        Some((s, rest)) => (*s as usize, rest),
        None => return,
    };
    let mut whole = Vec::new();
    let mut decoder = LineDecoder::new(CAP);
    decoder.feed(bytes, &mut whole);
    decoder.finish(&mut whole);

    let mut chunked = Vec::new();
    let mut decoder = LineDecoder::new(CAP);
    for chunk in bytes.chunks(split.max(1)) {
        decoder.feed(chunk, &mut chunked);
    }
    decoder.finish(&mut chunked);
    assert_eq!(whole, chunked, "chunking changed what was read");
    for item in &whole {
        if let Incoming::Malformed { excerpt, .. } = item {
            assert!(excerpt.len() <= CAP * 4 + 16);
        }
    }
});
