//! # magnate-core
//!
//! The complete rules of Magnate, a Monopoly-like board game, as a deterministic, I/O-free state
//! machine. The clock and the randomness are injected: [`Game::apply`] takes `now` with every
//! input, and every random draw comes from a seeded generator held in the game, so the same seed
//! and the same inputs always give the same events and the same state.
//!
//! ```
//! use magnate_core::{Action, Game, Input, PlayerId, Seed, Setup, Timestamp};
//!
//! let setup = Setup::new([PlayerId(1), PlayerId(2)]);
//! let mut game = Game::new(setup, Seed(42), Timestamp(0)).unwrap();
//! let mut now = Timestamp(0);
//! // The drive loop: act, then tick whenever a deadline is due.
//! let first = game.active_turn_player();
//! let events = game.apply(Input::action(first, Action::ThrowDice), now).unwrap();
//! assert!(!events.is_empty());
//! if let Some(deadline) = game.next_deadline() {
//!     now = deadline.at;
//!     game.apply(Input::Tick, now).unwrap();
//! }
//! // Acting out of turn is a typed error and changes nothing.
//! let hash = game.state_hash();
//! let other = game.ordered_players().find(|p| *p != game.active_phase_player()).unwrap();
//! assert!(game.apply(Input::action(other, Action::ThrowDice), now).is_err());
//! assert_eq!(hash, game.state_hash());
//! ```
//!
//! ## Contract
//!
//! * [`Game::new`] validates a [`Setup`]; [`Game::apply`] is the only mutator and is atomic.
//! * [`Game::next_deadline`] tells the adapter when to send [`Input::Tick`]; ticks that find
//!   nothing due do nothing. Re-read it after every `apply`.
//! * [`Game::legal_actions`] lists what a player may do; everything it lists is accepted.
//! * [`Game::state_hash`] is a stable hash of the full state (documented algorithm).
//! * Events ([`Event`]) say what happened (domain facts) and how the common [`View`] changed
//!   (view facts): start from [`Game::view`] and fold them with [`View::apply`] to follow a game
//!   from its events alone.
//! * [`Driver`] is the one drive loop around [`Game::apply`]: it plays the bots the game wakes
//!   (with a safe fallback and a per-turn cap), makes the record entries, and runs on a virtual
//!   clock for simulations. The rules for players are in the repository's `docs/rules.md`.
//!
//! ## Feature flags
//!
//! * `sim`: [`sim::play`], whole games with a policy in every seat over a virtual clock, with
//!   their records and statistics (the CLI's `selfplay` and `tournament`).
//! * `testing`: `Game::edit` and scripted random draws, to set up scenarios in tests, and the
//!   invariant checker the property tests and fuzz targets share. Never for production: edits
//!   bypass the rules.
//! * `arbitrary`: `arbitrary::Arbitrary` for actions, inputs and ids (fuzzing).
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod action;
mod board;
pub mod bot;
mod card;
pub mod driver;
mod error;
mod event;
mod game;
mod hash;
mod ids;
mod legal;
mod phase;
pub mod record;
mod rng;
pub mod rules;
mod setup;
#[cfg(feature = "sim")]
pub mod sim;
#[cfg(feature = "testing")]
pub mod testing;
mod time;
mod timer;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub use action::{Action, ActionKind, Input};
pub use board::{Board, BoardError, Square, SquareKind};
pub use bot::{
    bot_rng, BotLevel, BotMove, BotTuning, EvBot, Formulas, Policy, RandomBot, UnknownBotLevel,
};
pub use card::{CardOutcome, FantasyCard, FantasyResult, FantasyType};
pub use driver::{Applied, Driver, Stopped, MAX_BOT_MOVES_PER_TURN};
pub use error::{Invalid, LogicError, RuleError};
pub use event::{AuctionOutcome, BonusAward, EndReason, Event, View};
pub use game::{BusinessAction, Game, Holding, Outcome, PlayerState, Stats};
pub use hash::HashFormat;
pub use ids::{PlayerId, Seed, SquareId};
pub use legal::LegalAction;
pub use phase::{Auction, Phase, PhaseName, TradeProposal};
pub use record::{replay, GameRecord, RecordEntry, RecordHeader, Recorder, ReplayError, Replayed};
pub use rng::{GameRng, RNG_ALGORITHM};
pub use setup::{
    BonusCategory, HouseRules, PlayerSpec, Setup, SetupError, StatField, TimerSettings,
    PLAYER_COUNT,
};
pub use time::{Millis, Timestamp};
pub use timer::{Deadline, Timer};
