//! The GGML whisper model validator: any bytes validate or give an error, never a panic or
//! an allocation the file cannot back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared_ipc::model_file;

fuzz_target!(|data: &[u8]| {
    let _ = model_file::validate(std::io::Cursor::new(data));
});
