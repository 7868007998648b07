//! The expected-value bot of bots spec §3: one algorithm, six levels that differ only in ε.

use crate::action::Action;
use crate::game::Game;
use crate::ids::PlayerId;
use crate::phase::Phase;
use crate::rng::GameRng;

use super::candidates::{self, Candidate};
use super::value::Valuer;
use super::{BotLevel, BotMove, Policy};

/// Which variant of the valuation formulas of bots spec §5 a bot uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Formulas {
    /// The reference's formulas, exactly as §5 writes them (the golden values of §10 use them).
    Reference,
    /// The corrected formulas the defect fixes of §11 ask for: the engine's rents (D8), income
    /// deltas over the whole holding (D7a, D9), visits over remaining rounds (D10), card values
    /// (D12) and a one-roll look-ahead for jail and trams (D13, D14). The default of every level.
    Engine,
}

/// Every constant of bots spec §4 (and of the §11 fixes), overridable for experiments.
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
    /// The tuning of a level: every constant of §4, the corrected formulas and the §11 fixes.
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

    /// As [`BotTuning::for_level`] but with the reference's valuation formulas of §5 (the
    /// decision-procedure fixes of §11 stay on).
    pub fn reference(level: BotLevel) -> BotTuning {
        BotTuning {
            formulas: Formulas::Reference,
            ..BotTuning::for_level(level)
        }
    }
}

/// The expected-value bot: ranks the candidates of bots spec §6 by the scores of §5.10 and
/// explores with probability ε.
#[derive(Clone, Debug, PartialEq)]
pub struct EvBot {
    /// The level.
    pub level: BotLevel,
    /// The constants.
    pub tuning: BotTuning,
}

impl EvBot {
    /// A bot of `level` with its default tuning.
    pub fn new(level: BotLevel) -> EvBot {
        EvBot {
            level,
            tuning: BotTuning::for_level(level),
        }
    }
}

impl Policy for EvBot {
    /// One decision (bots spec §3.2 and §7):
    ///
    /// 1. build the candidates (in business this draws the trade ideas);
    /// 2. draw `u = below(2^24) / 2^24`, uniform on `[0, 1)` in steps of `2^-24`;
    /// 3. if `u < ε`, explore: in business or liquidation end the phase with probability
    ///    `explore_next_phase` (a second `u` draw, D19), else pick `below(c)` among the
    ///    candidates (a trade acceptance below the floor of D18 excluded);
    /// 4. otherwise the best score; ties go to the passive option, then to list order (D17).
    fn decide(&self, game: &Game, me: PlayerId, rng: &mut GameRng) -> BotMove {
        let list = candidates::build(game, me, &self.tuning, rng);
        if list.is_empty() {
            // This bot's own last resort (kept as it was tuned), not the driver's safe default.
            return match candidates::first_legal_move(game, me) {
                Some(action) => BotMove::Act(action),
                None => BotMove::Idle,
            };
        }
        let u = unit(rng);
        let chosen = if u < self.tuning.epsilon {
            explore(game, me, &self.tuning, &list, rng)
        } else {
            best(&list)
        };
        BotMove::Act(list[chosen].action.clone())
    }
}

/// A uniform real in `[0, 1)` from one `below(2^24)` draw.
fn unit(rng: &mut GameRng) -> f64 {
    f64::from(rng.below(1 << 24)) / f64::from(1u32 << 24)
}

/// The index of the best candidate: highest score, then passive, then first (D17).
pub(crate) fn best(list: &[Candidate]) -> usize {
    let mut best = 0;
    for (i, candidate) in list.iter().enumerate().skip(1) {
        let current = &list[best];
        if candidate.score > current.score
            || (candidate.score == current.score && candidate.passive && !current.passive)
        {
            best = i;
        }
    }
    best
}

fn explore(
    game: &Game,
    me: PlayerId,
    tuning: &BotTuning,
    list: &[Candidate],
    rng: &mut GameRng,
) -> usize {
    if matches!(game.phase(), Phase::Business | Phase::Liquidation) {
        if let Some(end) = list.iter().position(|c| c.action == Action::NextPhase) {
            if unit(rng) < tuning.explore_next_phase {
                return end;
            }
        }
    }
    let floor = -tuning.accept_floor * game.net_worth(me).max(0) as f64;
    let pool: Vec<usize> = (0..list.len())
        .filter(|&i| {
            list[i].action != Action::TradeAnswer { choose: true } || list[i].score >= floor
        })
        .collect();
    let pick = rng.below(u32::try_from(pool.len()).unwrap_or(u32::MAX)) as usize;
    pool.get(pick).copied().unwrap_or(0)
}

/// The score the bot gives `action` for `me` in the current state (bots spec §5.10, with the
/// §11 fixes: NextPhase scores the tram look-ahead only in management (D15); in liquidation a
/// sale scores minus its value lost per unit of cash raised (D21)). Exposed for tests, logs and
/// benchmarks; actions that make no sense now score as §5.10 would anyway.
pub fn score(game: &Game, me: PlayerId, tuning: &BotTuning, action: &Action) -> f64 {
    let valuer = Valuer::new(game, me, tuning);
    candidates::score_action(&valuer, action)
}

/// Expected visits `V` (bots spec §5.1, or its D10 correction): how often opponents are
/// expected to land on one given square from now on. Exposed for tests and logs.
pub fn expected_visits(game: &Game, me: PlayerId, tuning: &BotTuning) -> f64 {
    Valuer::new(game, me, tuning).v
}
