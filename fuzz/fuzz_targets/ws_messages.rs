//! Fuzz target `ws_messages`: see `magnate_fuzz::check_ws_messages`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| magnate_fuzz::check_ws_messages(data));
