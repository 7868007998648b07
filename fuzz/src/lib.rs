//! Fuzz targets for Magnate. The checks live in `checks/`, which the corpus test of
//! `magnate-server` (`tests/corpus.rs`, test target `fuzz_corpus`) also includes, so CI replays
//! every corpus file through the same code without a fuzzer.
#![forbid(unsafe_code)]

mod checks;

pub use checks::{
    assert_invariants, check, check_apply_inputs, check_legal_sequences, check_record_replay,
    check_ws_messages, TARGETS,
};
