//! libFuzzer driver for the `job_spec` check (castmill-fuzz-checks says what it asserts).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| castmill_fuzz_checks::job_spec(data));
