//! Fuzz target `record_replay`: see `magnate_fuzz::check_record_replay`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| magnate_fuzz::check_record_replay(data));
