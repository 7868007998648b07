//! Bots: pure functions of (game, player, level, their own seeded generator) that pick one legal
//! action (docs/bots.md §1). The same code drives server games, self-play and benchmarks.
//!
//! [`EvBot`] is the bot of docs/bots.md §3–§7: it lists the candidates of the current phase from
//! [`Game::legal_actions`] (`candidates`, `trade`), scores them with the valuation formulas of
//! docs/bots.md §5
//! (`value`), and picks the best one, or a random one with probability ε of its [`BotLevel`].
//! Every constant lives in [`BotTuning`]; the defect fixes of docs/bots.md §11 are on for every
//! level, and
//! [`Formulas::Reference`] switches back to the reference's formulas (the golden values of
//! docs/bots.md §10).
//!
//! ```
//! use magnate_core::{bot_rng, BotLevel, BotMove, EvBot, Game, Input, PlayerId, Policy, Seed};
//! use magnate_core::{Setup, Timestamp};
//!
//! let mut game = Game::new(Setup::new([PlayerId(1), PlayerId(2)]), Seed(1),
//! Timestamp(0)).unwrap();
//! let bot = EvBot::new(BotLevel::Expert);
//! let mut rng = bot_rng(game.seed(), 0);
//! let me = game.active_phase_player();
//! if let BotMove::Act(action) = bot.decide(&game, me, &mut rng) {
//!     game.apply(Input::action(me, action), Timestamp(0)).unwrap();
//! }
//! ```

mod candidates;
mod ev;
mod trade;
mod tuning;
mod value;

pub(crate) use candidates::safe_default;

pub use ev::{expected_visits, score, EvBot};
pub use tuning::{BotTuning, Formulas};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::game::Game;
use crate::ids::{PlayerId, Seed};
use crate::legal::LegalAction;
use crate::phase::Phase;
use crate::rng::GameRng;

/// Difficulty, with the snake_case wire names rooms use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotLevel {
    /// Always a random candidate (ε = 1.0).
    VeryEasy,
    /// Random 80 % of the time.
    Easy,
    /// Random 60 % of the time (the rooms' default).
    Medium,
    /// Random 40 % of the time.
    Hard,
    /// Random 20 % of the time.
    VeryHard,
    /// Always the best-scoring candidate (ε = 0).
    Expert,
}

impl BotLevel {
    /// Every level, easiest first.
    pub const ALL: [BotLevel; 6] = [
        BotLevel::VeryEasy,
        BotLevel::Easy,
        BotLevel::Medium,
        BotLevel::Hard,
        BotLevel::VeryHard,
        BotLevel::Expert,
    ];

    /// The wire name (`very_easy`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            BotLevel::VeryEasy => "very_easy",
            BotLevel::Easy => "easy",
            BotLevel::Medium => "medium",
            BotLevel::Hard => "hard",
            BotLevel::VeryHard => "very_hard",
            BotLevel::Expert => "expert",
        }
    }

    /// The exploration probability ε of the level (docs/bots.md §3.1).
    pub fn epsilon(self) -> f64 {
        match self {
            BotLevel::VeryEasy => 1.0,
            BotLevel::Easy => 0.8,
            BotLevel::Medium => 0.6,
            BotLevel::Hard => 0.4,
            BotLevel::VeryHard => 0.2,
            BotLevel::Expert => 0.0,
        }
    }
}

impl fmt::Display for BotLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown bot level name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown bot level {0:?}; expected one of very_easy, easy, medium, hard, very_hard, expert"
)]
pub struct UnknownBotLevel(pub String);

impl FromStr for BotLevel {
    type Err = UnknownBotLevel;

    fn from_str(name: &str) -> Result<BotLevel, UnknownBotLevel> {
        BotLevel::ALL
            .into_iter()
            .find(|level| level.as_str() == name)
            .ok_or_else(|| UnknownBotLevel(name.to_owned()))
    }
}

/// What a bot decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BotMove {
    /// This action, which [`Game::apply`] accepts.
    Act(Action),
    /// Nothing to do: not this player's move, or the game is over.
    Idle,
}

/// A way of choosing actions.
pub trait Policy {
    /// Decides one move for `me`; draws only from `rng` (never from the game's generator).
    fn decide(&self, game: &Game, me: PlayerId, rng: &mut GameRng) -> BotMove;
}

impl<P: Policy + ?Sized> Policy for &P {
    fn decide(&self, game: &Game, me: PlayerId, rng: &mut GameRng) -> BotMove {
        (**self).decide(game, me, rng)
    }
}

/// Picks uniformly among the legal actions, with three guards so that its games end: it never
/// surrenders while anything else is legal, in liquidation with negative money it only raises
/// money (demolish, mortgage) and surrenders when it cannot, and it ends its turn after eight
/// business actions. A baseline for tests, fuzzing and load generation.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomBot;

impl Policy for RandomBot {
    fn decide(&self, game: &Game, me: PlayerId, rng: &mut GameRng) -> BotMove {
        let legal = game.legal_actions(me);
        let exact = |wanted: &dyn Fn(&Action) -> bool| -> Vec<&LegalAction> {
            legal
                .iter()
                .filter(|l| matches!(l, LegalAction::Exact(a) if wanted(a)))
                .collect()
        };
        let in_debt = matches!(game.phase(), Phase::Liquidation)
            && game.player(me).is_some_and(|p| p.money < 0);
        let candidates: Vec<&LegalAction> = if me == game.active_phase_player() && in_debt {
            let raise =
                exact(&|a| matches!(a, Action::Demolish { .. } | Action::MortgageSet { .. }));
            if raise.is_empty() {
                exact(&|a| matches!(a, Action::Surrender))
            } else {
                raise
            }
        } else if me == game.active_phase_player()
            && matches!(game.phase(), Phase::Business | Phase::Liquidation)
            && game.business_actions_this_turn().len() >= 8
        {
            exact(&|a| matches!(a, Action::NextPhase))
        } else {
            legal
                .iter()
                .filter(|l| !matches!(l, LegalAction::Exact(Action::Surrender)))
                .collect()
        };
        if candidates.is_empty() {
            return BotMove::Idle;
        }
        let index = rng.below(candidates.len() as u32) as usize;
        let choice = u64::from(rng.below(u32::MAX)) << 32 | u64::from(rng.below(u32::MAX));
        BotMove::Act(candidates[index].instantiate(choice))
    }
}

/// The generator of the bot in `seat`, derived from the game's seed (docs/bots.md §1.4).
pub fn bot_rng(game_seed: Seed, seat: usize) -> GameRng {
    let mixed = game_seed.0 ^ (seat as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
    GameRng::new(Seed(mixed.rotate_left(17) ^ 0x6A09_E667_F3BC_C908))
}

impl Game {
    /// Players who may act now: every eligible bidder who has not bid during an auction, else
    /// the active phase player; nobody once the game is over.
    pub fn pending_actors(&self) -> Vec<PlayerId> {
        if self.is_finished() {
            return Vec::new();
        }
        match &self.phase {
            Phase::Auction(_) => self
                .ordered_players()
                .filter(|id| self.check_bid(*id, 0).is_ok())
                .collect(),
            _ => vec![self.active_phase],
        }
    }

    /// True if `player` is one of [`Game::pending_actors`] (without building the list).
    pub(crate) fn is_pending_actor(&self, player: PlayerId) -> bool {
        if self.is_finished() {
            return false;
        }
        match &self.phase {
            Phase::Auction(_) => self.is_in_game(player) && self.check_bid(player, 0).is_ok(),
            _ => player == self.active_phase,
        }
    }
}
