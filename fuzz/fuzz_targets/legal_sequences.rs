//! Fuzz target `legal_sequences`: see `magnate_fuzz::check_legal_sequences`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| magnate_fuzz::check_legal_sequences(data));
