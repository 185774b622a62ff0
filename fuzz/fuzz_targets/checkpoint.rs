//! The checkpoint decoder: any bytes are a checkpoint or an error, never a panic; what
//! decodes encodes back to bytes that decode to the same checkpoint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared_ipc::Checkpoint;

fuzz_target!(|data: &[u8]| {
    if let Ok(checkpoint) = Checkpoint::decode(data) {
        let again = Checkpoint::decode(&checkpoint.encode()).expect("re-encoded checkpoint decodes");
        assert_eq!(again, checkpoint);
    }
});
