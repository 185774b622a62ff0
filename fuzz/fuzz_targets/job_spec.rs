//! The job spec loader: any bytes are a spec or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared_ipc::JobSpec;

fuzz_target!(|data: &[u8]| {
    let _ = JobSpec::parse(data, std::path::Path::new("job.json"));
});
