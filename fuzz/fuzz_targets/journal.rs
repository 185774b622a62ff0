//! The segment journal loader: any bytes load or are reported corrupt, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared_ipc::JournalLoad;

fuzz_target!(|data: &[u8]| {
    if let Ok(load) = JournalLoad::parse(data) {
        for segment in &load.segments {
            assert!(segment.text.len() <= data.len());
        }
    }
});
