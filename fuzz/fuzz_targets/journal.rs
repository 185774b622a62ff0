//! libFuzzer driver for the `journal` check (castmill-fuzz-checks says what it asserts).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| castmill_fuzz_checks::journal(data));
