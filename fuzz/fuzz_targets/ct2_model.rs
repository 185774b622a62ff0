//! libFuzzer driver for the `ct2_model` check (castmill-fuzz-checks says what it asserts).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| castmill_fuzz_checks::ct2_model(data));
