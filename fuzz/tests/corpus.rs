//! Replays every file of the fuzz corpora (`fuzz/corpus/<target>/`) and the recorded crash
//! regressions (`fuzz/regressions/<target>/`) through the fuzz targets' checks, so CI exercises
//! them without a fuzzer. Built as the `fuzz_corpus` test of `magnate-server`, whose dependencies
//! cover every decoder the targets reach.

#[path = "../src/checks/mod.rs"]
mod checks;

use std::path::{Path, PathBuf};

/// The files of `fuzz/<kind>/<target>/`, sorted.
fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs the check of `target` over its corpus and regressions; the corpus must not be empty.
fn replay_target(target: &str) {
    let corpus = files("corpus", target);
    assert!(
        corpus.len() >= 3,
        "fuzz/corpus/{target} should hold a seed corpus, found {} files",
        corpus.len()
    );
    for path in corpus.iter().chain(&files("regressions", target)) {
        let data = std::fs::read(path).expect("a readable corpus file");
        let outcome = std::panic::catch_unwind(|| checks::check(target, &data));
        assert!(
            outcome.is_ok(),
            "{target}: {} fails its check",
            path.display()
        );
    }
}

#[test]
fn apply_inputs_corpus() {
    replay_target("apply_inputs");
}

#[test]
fn legal_sequences_corpus() {
    replay_target("legal_sequences");
}

#[test]
fn record_replay_corpus() {
    replay_target("record_replay");
}

#[test]
fn ws_messages_corpus() {
    replay_target("ws_messages");
}

#[test]
fn every_target_has_a_test() {
    assert_eq!(
        checks::TARGETS,
        [
            "apply_inputs",
            "legal_sequences",
            "record_replay",
            "ws_messages"
        ]
    );
}
