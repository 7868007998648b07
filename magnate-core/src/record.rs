//! Game records: a versioned, self-describing log of a game (header + every input with its time
//! and the state hash after it), and their replay. The format is documented in
//! `docs/record-format.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::action::Input;
use crate::bot::BotLevel;
use crate::error::RuleError;
use crate::event::Event;
use crate::game::Game;
use crate::hash::HashFormat;
use crate::ids::{PlayerId, Seed};
use crate::rng::RNG_ALGORITHM;
use crate::setup::{Setup, SetupError};
use crate::time::Timestamp;

/// The `format` field of every record.
pub const RECORD_FORMAT: &str = "magnate-game-record";
/// The current record format version: entries hashed with [`HashFormat::V2`].
pub const RECORD_VERSION: u32 = 3;
/// The oldest record format version this crate reads: version 2, whose entries are hashed with
/// [`HashFormat::V1`] (version 1 is read through `magnate_protocol::record`, which hands it on as
/// version 2).
pub const OLDEST_RECORD_VERSION: u32 = 2;
/// The rules version: bumped whenever a rule change alters outcomes for the same inputs.
pub const RULES_VERSION: &str = "magnate-rules-1";

/// Everything needed to recreate a game before its first input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordHeader {
    /// Always [`RECORD_FORMAT`].
    pub format: String,
    /// The format version ([`RECORD_VERSION`]).
    pub version: u32,
    /// The rules version ([`RULES_VERSION`]).
    pub rules_version: String,
    /// The generator ([`RNG_ALGORITHM`]).
    pub rng: String,
    /// The game's seed.
    pub seed: Seed,
    /// Players (joining order), house rules and timers.
    pub setup: Setup,
    /// Levels of the bots, by player (informational: bot moves are recorded as inputs).
    #[serde(default)]
    pub bot_levels: BTreeMap<PlayerId, BotLevel>,
    /// Creation time.
    pub started_at: Timestamp,
}

/// One input of the game, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordEntry {
    /// Position in the record, from 0.
    pub index: u64,
    /// The time given with the input.
    pub now: Timestamp,
    /// The input.
    pub input: Input,
    /// [`Game::state_hash`] after the input, as 16 lowercase hex digits, in the hash format of
    /// the header's version ([`RecordHeader::hash_format`]).
    pub hash: String,
}

/// A complete record: the header and every accepted input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameRecord {
    /// How to create the game.
    pub header: RecordHeader,
    /// Every accepted input, in order.
    pub entries: Vec<RecordEntry>,
}

/// Why a record could not be replayed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReplayError {
    /// The header names another format or an unsupported version.
    #[error("unsupported record: format {format:?} version {version} (expected {RECORD_FORMAT:?} version {OLDEST_RECORD_VERSION} to {RECORD_VERSION})")]
    UnsupportedFormat {
        /// The format found.
        format: String,
        /// The version found.
        version: u32,
    },
    /// The record was made with other rules or another generator.
    #[error("record made with rules {rules:?} and generator {rng:?}; this build has {RULES_VERSION:?} and {RNG_ALGORITHM:?}")]
    IncompatibleRules {
        /// Rules version found.
        rules: String,
        /// Generator found.
        rng: String,
    },
    /// The setup is invalid.
    #[error("invalid setup: {0}")]
    Setup(#[from] SetupError),
    /// An entry is out of sequence.
    #[error("input {index}: expected index {expected}")]
    OutOfSequence {
        /// The entry's index.
        index: u64,
        /// The index it should have.
        expected: u64,
    },
    /// The engine refused an input.
    #[error("input {index} was refused: {error}")]
    Refused {
        /// The entry's index.
        index: u64,
        /// Why.
        error: RuleError,
    },
    /// The state after an input differs from the recorded hash.
    #[error("input {index}: state hash {actual} differs from the recorded {recorded}")]
    Diverged {
        /// The entry's index.
        index: u64,
        /// The recorded hash.
        recorded: String,
        /// The hash found on replay.
        actual: String,
    },
}

impl ReplayError {
    /// The index of the first bad input, if the error concerns one.
    pub fn index(&self) -> Option<u64> {
        match self {
            ReplayError::OutOfSequence { index, .. }
            | ReplayError::Refused { index, .. }
            | ReplayError::Diverged { index, .. } => Some(*index),
            _ => None,
        }
    }
}

/// Formats a state hash as written in records.
pub fn format_hash(hash: u64) -> String {
    format!("{hash:016x}")
}

/// Reads a hash written as [`format_hash`] writes it: exactly 16 lowercase hex digits. Any other
/// text is `None`, so `parse_hash(text) == Some(hash)` exactly when `text == format_hash(hash)`.
fn parse_hash(text: &str) -> Option<u64> {
    let canonical =
        text.len() == 16 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !canonical {
        return None;
    }
    u64::from_str_radix(text, 16).ok()
}

impl RecordHeader {
    /// A header for a new game with the current format, rules and generator.
    pub fn new(setup: Setup, seed: Seed, started_at: Timestamp) -> RecordHeader {
        RecordHeader {
            format: RECORD_FORMAT.to_owned(),
            version: RECORD_VERSION,
            rules_version: RULES_VERSION.to_owned(),
            rng: RNG_ALGORITHM.to_owned(),
            seed,
            setup,
            bot_levels: BTreeMap::new(),
            started_at,
        }
    }

    /// The state-hash format of the entries, by the format version: [`HashFormat::V1`] for
    /// version 2, [`HashFormat::V2`] for version 3; `None` for another format or version.
    pub fn hash_format(&self) -> Option<HashFormat> {
        if self.format != RECORD_FORMAT {
            return None;
        }
        match self.version {
            2 => Some(HashFormat::V1),
            3 => Some(HashFormat::V2),
            _ => None,
        }
    }

    /// Checks the header and creates the game it describes, hashing in the header's format
    /// ([`RecordHeader::hash_format`]): a game continued from an old record keeps adding entries
    /// its record can check.
    pub fn create_game(&self) -> Result<Game, ReplayError> {
        let Some(hash_format) = self.hash_format() else {
            return Err(ReplayError::UnsupportedFormat {
                format: self.format.clone(),
                version: self.version,
            });
        };
        if self.rules_version != RULES_VERSION || self.rng != RNG_ALGORITHM {
            return Err(ReplayError::IncompatibleRules {
                rules: self.rules_version.clone(),
                rng: self.rng.clone(),
            });
        }
        let mut game = Game::new(self.setup.clone(), self.seed, self.started_at)?;
        game.hash_format = hash_format;
        Ok(game)
    }
}

/// A game being recorded: applies inputs and keeps the record in step.
#[derive(Clone, Debug)]
pub struct Recorder {
    game: Game,
    record: GameRecord,
}

impl Recorder {
    /// Creates a game from a header and starts its record.
    pub fn new(header: RecordHeader) -> Result<Recorder, ReplayError> {
        let game = header.create_game()?;
        Ok(Recorder {
            game,
            record: GameRecord {
                header,
                entries: Vec::new(),
            },
        })
    }

    /// Applies an input; on success appends it to the record (refused inputs are not recorded).
    pub fn apply(&mut self, input: Input, now: Timestamp) -> Result<Vec<Event>, RuleError> {
        let events = self.game.apply(input.clone(), now)?;
        let index = self.record.entries.len() as u64;
        let hash = format_hash(self.game.state_hash());
        self.record.entries.push(RecordEntry {
            index,
            now,
            input,
            hash,
        });
        Ok(events)
    }

    /// The game.
    pub fn game(&self) -> &Game {
        &self.game
    }

    /// The record so far.
    pub fn record(&self) -> &GameRecord {
        &self.record
    }

    /// The game and its record.
    pub fn into_parts(self) -> (Game, GameRecord) {
        (self.game, self.record)
    }
}

/// A replayed game with the events of every input.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// The final game.
    pub game: Game,
    /// The events of each input, in order.
    pub events: Vec<Vec<Event>>,
}

/// Re-applies a record and checks the hash after every input; fails on the first input that is
/// refused or whose hash differs.
pub fn replay(record: &GameRecord) -> Result<Replayed, ReplayError> {
    replay_entries(&record.header, &record.entries, true)
}

/// As [`replay`], but keeps no events: checks every hash and returns the final game. The
/// cheaper way to verify a record.
pub fn verify(record: &GameRecord) -> Result<Game, ReplayError> {
    run(&record.header, &record.entries, true, None, &mut |_, _| {})
}

/// As [`verify`], but first shows `inspect` the game as it stands before each entry, with the
/// entry: for checks that need the state an input was applied to (resolving a client's frame
/// against it, for example).
pub fn verify_inspecting(
    record: &GameRecord,
    mut inspect: impl FnMut(&Game, &RecordEntry),
) -> Result<Game, ReplayError> {
    run(&record.header, &record.entries, true, None, &mut inspect)
}

/// Replays a header and entries; with `verify` the hash after each input is checked. Stops at the
/// first error.
pub fn replay_entries(
    header: &RecordHeader,
    entries: &[RecordEntry],
    verify: bool,
) -> Result<Replayed, ReplayError> {
    let mut events = Vec::with_capacity(entries.len());
    let game = run(header, entries, verify, Some(&mut events), &mut |_, _| {})?;
    Ok(Replayed { game, events })
}

/// The replay loop: applies every entry (checking its hash with `verify`) and, with `events`,
/// keeps the events of each input. `inspect` sees the game before each entry.
fn run(
    header: &RecordHeader,
    entries: &[RecordEntry],
    verify: bool,
    mut events: Option<&mut Vec<Vec<Event>>>,
    inspect: &mut dyn FnMut(&Game, &RecordEntry),
) -> Result<Game, ReplayError> {
    let mut game = header.create_game()?;
    for (expected, entry) in entries.iter().enumerate() {
        let expected = expected as u64;
        if entry.index != expected {
            return Err(ReplayError::OutOfSequence {
                index: entry.index,
                expected,
            });
        }
        inspect(&game, entry);
        let produced = game
            .apply(entry.input.clone(), entry.now)
            .map_err(|error| ReplayError::Refused {
                index: entry.index,
                error,
            })?;
        if verify {
            let actual = game.state_hash();
            if parse_hash(&entry.hash) != Some(actual) {
                return Err(ReplayError::Diverged {
                    index: entry.index,
                    recorded: entry.hash.clone(),
                    actual: format_hash(actual),
                });
            }
        }
        if let Some(events) = events.as_deref_mut() {
            events.push(produced);
        }
    }
    Ok(game)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_written_form_of_a_hash_parses() {
        for hash in [0, 1, 0xdead_beef, u64::MAX, 0x0123_4567_89ab_cdef] {
            assert_eq!(parse_hash(&format_hash(hash)), Some(hash));
        }
        for text in [
            "",
            "0",
            "0123456789ABCDEF",
            "+123456789abcdef",
            "0123456789abcdef0",
            " 123456789abcdef",
            "0x23456789abcdef",
        ] {
            assert_eq!(parse_hash(text), None, "{text:?}");
        }
    }
}
