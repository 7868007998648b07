//! Records of every hash format (docs/record-format.md): a committed record of format version
//! 2 (state hash format 1, written by main before format version 3) still replays and verifies,
//! a game continued from it keeps its format, and new records use format 2.

use magnate_core::record::{verify, RECORD_VERSION};
use magnate_core::{replay, Game, GameRecord, HashFormat, Recorder, ReplayError};

/// A 3-player bot game (seed 7, 12 turns, 153 inputs) recorded by main at 496f4fa.
const V2_RECORD: &str = include_str!("../fixtures/record-v2-hash-v1.json");
const V2_FINAL_HASH: &str = "ff6871c2e6cfdb21";

fn v2_record() -> GameRecord {
    serde_json::from_str(V2_RECORD).expect("the fixture parses")
}

#[test]
fn a_version_2_record_verifies_with_hash_format_1() {
    let record = v2_record();
    assert_eq!(record.header.version, 2);
    assert_eq!(record.header.hash_format(), Some(HashFormat::V1));
    let game = verify(&record).expect("the old record verifies");
    assert_eq!(game.hash_format(), HashFormat::V1);
    assert_eq!(format!("{:016x}", game.state_hash()), V2_FINAL_HASH);
    let replayed = replay(&record).expect("and replays");
    assert_eq!(replayed.game, game);
    assert_eq!(replayed.events.len(), record.entries.len());
}

#[test]
fn a_changed_hash_in_a_version_2_record_is_found() {
    let mut record = v2_record();
    let index = 77;
    let hash = &mut record.entries[index].hash;
    // Flip the last digit.
    let last = if hash.ends_with('0') { "1" } else { "0" };
    hash.replace_range(15.., last);
    match verify(&record) {
        Err(ReplayError::Diverged { index: at, .. }) => assert_eq!(at, index as u64),
        other => panic!("expected a divergence at {index}, got {other:?}"),
    }
}

#[test]
fn a_game_continued_from_a_version_2_record_keeps_hash_format_1() {
    let record = v2_record();
    let mut recorder = Recorder::new(record.header.clone()).unwrap();
    for entry in &record.entries {
        recorder.apply(entry.input.clone(), entry.now).unwrap();
    }
    assert_eq!(
        recorder.record(),
        &record,
        "the same entries, hashes included"
    );
}

#[test]
fn new_records_are_version_3_with_hash_format_2() {
    let old = v2_record();
    let mut header = old.header.clone();
    header.version = RECORD_VERSION;
    assert_eq!(RECORD_VERSION, 3);
    assert_eq!(header.hash_format(), Some(HashFormat::V2));
    let mut recorder = Recorder::new(header).unwrap();
    for entry in &old.entries {
        recorder.apply(entry.input.clone(), entry.now).unwrap();
        let game = recorder.game();
        assert_eq!(game.hash_format(), HashFormat::V2);
        let new_hash = &recorder.record().entries.last().unwrap().hash;
        assert_eq!(
            *new_hash,
            format!("{:016x}", game.state_hash_in(HashFormat::V2))
        );
        // The same state: its format-1 hash is the old record's.
        assert_eq!(
            format!("{:016x}", game.state_hash_in(HashFormat::V1)),
            entry.hash
        );
        assert_ne!(*new_hash, entry.hash);
    }
    let (_, new) = recorder.into_parts();
    let game = verify(&new).expect("the new record verifies");
    assert_eq!(game.hash_format(), HashFormat::V2);
    // A version-3 record does not verify as version 2, nor the reverse.
    let mut mislabelled = new.clone();
    mislabelled.header.version = 2;
    assert!(matches!(
        verify(&mislabelled),
        Err(ReplayError::Diverged { index: 0, .. })
    ));
    let mut mislabelled = old;
    mislabelled.header.version = 3;
    assert!(matches!(
        verify(&mislabelled),
        Err(ReplayError::Diverged { index: 0, .. })
    ));
}

#[test]
fn unknown_versions_are_refused() {
    for version in [0, 1, 4, u32::MAX] {
        let mut record = v2_record();
        record.header.version = version;
        assert!(
            matches!(
                verify(&record),
                Err(ReplayError::UnsupportedFormat { version: v, .. }) if v == version
            ),
            "version {version}"
        );
        assert_eq!(record.header.hash_format(), None);
    }
}

#[test]
fn snapshots_keep_the_hash_format_and_older_ones_read_as_format_1() {
    let old = verify(&v2_record()).unwrap();
    let mut header = v2_record().header;
    header.version = RECORD_VERSION;
    let new = header.create_game().unwrap();
    assert_eq!(
        (old.hash_format(), new.hash_format()),
        (HashFormat::V1, HashFormat::V2)
    );
    for game in [&old, &new] {
        let json = serde_json::to_value(game).unwrap();
        let back: Game = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(&back, game);
        assert_eq!(back.state_hash(), game.state_hash());
        // A snapshot written before games carried their format hashes as they all did then.
        let mut older = json;
        older.as_object_mut().unwrap().remove("hash_format");
        let back: Game = serde_json::from_value(older).unwrap();
        assert_eq!(back.hash_format(), HashFormat::V1);
        assert_eq!(back.state_hash(), game.state_hash_in(HashFormat::V1));
    }
}
