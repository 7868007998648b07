//! The expected-value bot's constants, as data: [`BotTuning`] and [`Formulas`] (docs/rules.md,
//! "Bots"). Kept apart from `ev.rs` and `candidates.rs`, which both read them.

use super::BotLevel;

/// Which variant of the valuation formulas of docs/bots.md §5 a bot uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Formulas {
    /// The reference implementation's formulas, kept for comparison (the golden values of
    /// docs/bots.md §10 use them).
    Reference,
    /// The corrected formulas of docs/bots.md §11: the engine's rents (D8), income deltas over
    /// the whole holding (D7a, D9), visits over remaining rounds (D10), card values
    /// (D12) and a one-roll look-ahead for jail and trams (D13, D14). The default of every level.
    Engine,
}

/// Every constant of docs/bots.md §4 (and of the docs/bots.md §11 fixes), overridable for
/// experiments.
#[derive(Clone, Debug, PartialEq)]
pub struct BotTuning {
    /// Exploration probability ε (from [`BotLevel::epsilon`]).
    pub epsilon: f64,
    /// Which valuation formulas to use.
    pub formulas: Formulas,
    /// Chance that one opponent move ends on a given square (1/54).
    pub landing_prob: f64,
    /// Assumed total game length, in turns `t` (500).
    pub horizon_turns: u32,
    /// Floor of the remaining rounds in `V` (D10; corrected formulas only): 20.
    pub min_horizon_rounds: f64,
    /// Shorten the horizon to the game's `max_turns` when it has one (corrected formulas only).
    /// Off: with a 300-turn limit it made the expert decline almost every purchase, and its
    /// win rate against `very_easy` fell from 99 % to 72.5 % (200 duplicate games).
    pub respect_turn_limit: bool,
    /// Maximum auction bid as a fraction of the square's worth (0.75).
    pub auction_roi: f64,
    /// Score of any fantasy card with the reference formulas (0.0).
    pub unknown_card_value: f64,
    /// Random trade ideas tried per business decision (5).
    pub trade_samples: u32,
    /// Cap on cash offered, as a fraction of the wanted squares' worth (0.8).
    pub trade_money_factor: f64,
    /// Squares averaged by the reference tram heuristic (12).
    pub lookahead_squares: u32,
    /// Voluntary business actions per turn after which only ending the turn (or a required
    /// sale) is offered (D7c): 32.
    pub max_business_actions_per_turn: u32,
    /// Keep `Reserve` in cash when buying, building, unmortgaging, riding a tram or offering
    /// cash (D11).
    pub keep_reserve: bool,
    /// Exploration never accepts a trade scoring below this fraction of the bot's net worth,
    /// negated (D18): 0.1.
    pub accept_floor: f64,
    /// When exploring in business or liquidation, the chance of ending the phase if that is a
    /// candidate (D19): 0.5.
    pub explore_next_phase: f64,
}

impl BotTuning {
    /// The tuning of a level: every constant of docs/bots.md §4, the corrected formulas and the
    /// docs/bots.md §11 fixes.
    pub fn for_level(level: BotLevel) -> BotTuning {
        BotTuning {
            epsilon: level.epsilon(),
            formulas: Formulas::Engine,
            landing_prob: 1.0 / 54.0,
            horizon_turns: 500,
            min_horizon_rounds: 20.0,
            respect_turn_limit: false,
            auction_roi: 0.75,
            unknown_card_value: 0.0,
            trade_samples: 5,
            trade_money_factor: 0.8,
            lookahead_squares: 12,
            max_business_actions_per_turn: 32,
            keep_reserve: true,
            accept_floor: 0.1,
            explore_next_phase: 0.5,
        }
    }

    /// As [`BotTuning::for_level`] but with the reference's valuation formulas of docs/bots.md §5
    /// (the
    /// decision-procedure fixes of docs/bots.md §11 stay on).
    pub fn reference(level: BotLevel) -> BotTuning {
        BotTuning {
            formulas: Formulas::Reference,
            ..BotTuning::for_level(level)
        }
    }
}
