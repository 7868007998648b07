//! The expected-value bot of docs/bots.md §3: one algorithm, six levels that differ only in ε.

use crate::action::Action;
use crate::game::Game;
use crate::ids::PlayerId;
use crate::phase::Phase;
use crate::rng::GameRng;

use super::candidates::{self, Candidate};
use super::tuning::BotTuning;
use super::value::Valuer;
use super::{BotLevel, BotMove, Policy};

/// The expected-value bot: ranks the candidates of docs/bots.md §6 by the scores of §5.10 and
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
    /// One decision (docs/bots.md §3.2 and §7):
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

/// The score the bot gives `action` for `me` in the current state (docs/bots.md §5.10, with the
/// §11 fixes: NextPhase scores the tram look-ahead only in management (D15); in liquidation a
/// sale scores minus its value lost per unit of cash raised (D21)). Exposed for tests, logs and
/// benchmarks; actions that make no sense now score as docs/bots.md §5.10 would anyway.
pub fn score(game: &Game, me: PlayerId, tuning: &BotTuning, action: &Action) -> f64 {
    let valuer = Valuer::new(game, me, tuning);
    candidates::score_action(&valuer, action)
}

/// Expected visits `V` (docs/bots.md §5.1, or its D10 correction): how often opponents are
/// expected to land on one given square from now on. Exposed for tests and logs.
pub fn expected_visits(game: &Game, me: PlayerId, tuning: &BotTuning) -> f64 {
    Valuer::new(game, me, tuning).v
}
