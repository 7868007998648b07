//! Fuzz target `apply_inputs`: see `magnate_fuzz::check_apply_inputs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| magnate_fuzz::check_apply_inputs(data));
