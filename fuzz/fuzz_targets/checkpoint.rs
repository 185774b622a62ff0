//! libFuzzer driver for the `checkpoint` check (castmill-fuzz-checks says what it asserts).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| castmill_fuzz_checks::checkpoint(data));
