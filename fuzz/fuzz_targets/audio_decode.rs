//! libFuzzer driver for the `audio_decode` check (castmill-fuzz-checks says what it asserts).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| castmill_fuzz_checks::audio_decode(data));
