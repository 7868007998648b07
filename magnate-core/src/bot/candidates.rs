//! The candidate lists of docs/bots.md §6, phase by phase, taken from the rules crate's legal
//! actions (D3) and scored with docs/bots.md §5.10.

use crate::action::{Action, ActionKind};
use crate::board::SquareKind;
use crate::game::Game;
use crate::ids::{PlayerId, SquareId};
use crate::legal::LegalAction;
use crate::phase::Phase;
use crate::rng::GameRng;

use super::tuning::BotTuning;
use super::value::Valuer;

/// One scored candidate.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Candidate {
    pub(crate) action: Action,
    pub(crate) score: f64,
    /// Roll, Decline, Reject, Bid(0) and NextPhase: preferred on ties (D17).
    pub(crate) passive: bool,
}

/// Score of a sale whose cash is not positive, in liquidation (never preferred).
const USELESS_SALE: f64 = -1.0e9;

/// The score of `action` in the current phase (docs/bots.md §5.10 with D15 and D21).
pub(crate) fn score_action(valuer: &Valuer<'_>, action: &Action) -> f64 {
    let game = valuer.game;
    let me = valuer.me;
    let here = game.player(me).map(|p| p.position);
    let liquidating = matches!(game.phase(), Phase::Liquidation);
    match action {
        Action::ThrowDice | Action::DropPurchase { .. } => 0.0,
        Action::PayBail => valuer.pay_bail(),
        Action::MoveTo { square } => valuer.land(*square),
        Action::ChooseCard {
            chosen_revealed_card,
        } => match (valuer.tuning.formulas, game.phase()) {
            (super::tuning::Formulas::Reference, _) => valuer.tuning.unknown_card_value,
            (_, Phase::ChooseFantasy { card }) if *chosen_revealed_card => valuer.card_value(*card),
            _ => valuer.mean_card_value(),
        },
        Action::BuySquare { square } => valuer.ev_buy(*square),
        Action::TakeTram { square } => {
            let fare = if Some(*square) == here {
                0
            } else {
                valuer.price(*square)
            };
            valuer.ahead(*square) - fare as f64
        }
        Action::NextPhase => match (game.phase(), here) {
            (Phase::Management, Some(here)) if is_tram(game, here) => valuer.ahead(here),
            _ => 0.0,
        },
        Action::Build { square, .. } => valuer.build(*square),
        Action::Demolish { square, .. } => {
            let value = valuer.demolish(*square);
            if liquidating {
                let cash = game
                    .board()
                    .square(*square)
                    .and_then(|s| s.build_price())
                    .unwrap_or(0)
                    / 2;
                sale_ratio(value, cash)
            } else {
                value
            }
        }
        Action::MortgageSet { square } => {
            let value = valuer.mortgage(*square);
            if liquidating {
                sale_ratio(value, valuer.price(*square) / 2)
            } else {
                value
            }
        }
        Action::MortgageUnset { square } => valuer.unmortgage(*square),
        Action::TradeProposal {
            destination_user,
            offered_money,
            asked_money,
            offered_properties,
            asked_properties,
        } => valuer.trade_ev(
            me,
            *destination_user,
            asked_properties,
            offered_properties,
            *asked_money,
            *offered_money,
        ),
        Action::TradeAnswer { choose: false } => 0.0,
        Action::TradeAnswer { choose: true } => match game.phase() {
            Phase::ProposalAcceptance(p) => valuer.trade_ev(
                me,
                p.player,
                &p.offered_properties,
                &p.asked_properties,
                p.offered_money,
                p.asked_money,
            ),
            _ => 0.0,
        },
        Action::Bid { amount } => match game.phase() {
            Phase::Auction(auction) if *amount > 0 => valuer.worth(auction.square) - *amount as f64,
            _ => 0.0,
        },
        Action::Surrender => f64::NEG_INFINITY,
    }
}

/// A sale in liquidation scores minus the value it loses per unit of cash it raises (D21):
/// `value = cash − lost`, so the score is `value / cash − 1`.
fn sale_ratio(value: f64, cash: i64) -> f64 {
    if cash <= 0 {
        return USELESS_SALE + value;
    }
    value / cash as f64 - 1.0
}

fn is_tram(game: &Game, square: SquareId) -> bool {
    matches!(
        game.board().square(square).map(|s| &s.kind),
        Some(SquareKind::Tram { .. })
    )
}

/// The candidate list of `me` now (docs/bots.md §6, with the §11 fixes), scored. Empty when `me`
/// has
/// nothing to do. In business it draws the trade ideas from `rng` (docs/bots.md §7 step 1).
pub(crate) fn build(
    game: &Game,
    me: PlayerId,
    tuning: &BotTuning,
    rng: &mut GameRng,
) -> Vec<Candidate> {
    if !game.is_pending_actor(me) {
        return Vec::new();
    }
    // The legal moves, split without cloning: the exact actions but surrender, and the ranged
    // entries (a bid range, trade proposals).
    let legal = game.legal_actions(me);
    let mut exact: Vec<Action> = Vec::with_capacity(legal.len());
    let mut ranged: Vec<LegalAction> = Vec::new();
    for entry in legal {
        match entry {
            LegalAction::Exact(Action::Surrender) => {}
            LegalAction::Exact(action) => exact.push(action),
            other => ranged.push(other),
        }
    }
    let valuer = Valuer::new(game, me, tuning);
    let money = game.player(me).map_or(0, |p| p.money);
    // The reserve only when needed (it is cached, so this changes no result).
    let affordable = |cost: i64| {
        let reserve = if tuning.keep_reserve {
            valuer.reserve()
        } else {
            0
        };
        money - cost >= reserve
    };
    // Allocated (with room for every phase's list but business's and the choices', which
    // reuse `exact`) by the phases that push.
    let mut actions: Vec<Action> = Vec::new();
    let phase_pushes = !matches!(
        game.phase(),
        Phase::Business | Phase::ChooseSquare { .. } | Phase::ChooseFantasy { .. }
    );
    if phase_pushes {
        actions.reserve_exact(exact.len() + 2);
    }
    match game.phase() {
        Phase::RollTheDices => {
            actions.extend(exact.iter().filter(|a| **a == Action::PayBail).cloned());
            actions.push(Action::ThrowDice);
        }
        Phase::ChooseSquare { .. } | Phase::ChooseFantasy { .. } => actions = exact,
        Phase::Management => {
            let here = game.player(me).map(|p| p.position);
            let square = here.and_then(|h| game.board().square(h));
            match square {
                Some(s) if is_tram(game, s.id) => {
                    actions.push(Action::NextPhase);
                    for action in &exact {
                        if let Action::TakeTram { square } = action {
                            if *square != s.id && affordable(valuer.price(*square)) {
                                actions.push(action.clone());
                            }
                        }
                    }
                }
                Some(s) if s.is_ownable() && game.holding(s.id).is_none() => {
                    let buy = Action::BuySquare { square: s.id };
                    if exact.contains(&buy) && affordable(valuer.price(s.id)) {
                        actions.push(buy);
                    }
                    let decline = Action::DropPurchase { square: s.id };
                    if exact.contains(&decline) {
                        actions.push(decline);
                    }
                }
                _ => {}
            }
            if actions.is_empty() {
                actions.push(Action::NextPhase);
            }
        }
        Phase::Business => actions = business(game, me, tuning, &valuer, &ranged, exact, rng),
        Phase::Liquidation => liquidation(game, me, tuning, &exact, &mut actions),
        Phase::Auction(auction) => {
            if let Some(max) = ranged.iter().find_map(|l| match l {
                LegalAction::Bid { max } => Some(*max),
                _ => None,
            }) {
                actions.push(Action::Bid { amount: 0 });
                if money > 0 {
                    let bid = valuer.max_bid(auction.square).min(max);
                    if bid > 0 {
                        actions.push(Action::Bid { amount: bid });
                    }
                }
            }
        }
        Phase::ProposalAcceptance(_) => {
            let accept = Action::TradeAnswer { choose: true };
            if exact.contains(&accept) {
                actions.push(accept);
            }
            actions.push(Action::TradeAnswer { choose: false });
        }
        Phase::EndGame => {}
    }
    actions
        .into_iter()
        .map(|action| Candidate {
            score: score_action(&valuer, &action),
            passive: is_passive(&action),
            action,
        })
        .collect()
}

fn is_passive(action: &Action) -> bool {
    matches!(
        action,
        Action::ThrowDice
            | Action::DropPurchase { .. }
            | Action::TradeAnswer { choose: false }
            | Action::Bid { amount: 0 }
            | Action::NextPhase
    )
}

/// The action that undoes `kind`, if any.
fn inverse(kind: ActionKind) -> Option<ActionKind> {
    match kind {
        ActionKind::Build => Some(ActionKind::Demolish),
        ActionKind::Demolish => Some(ActionKind::Build),
        ActionKind::MortgageSet => Some(ActionKind::MortgageUnset),
        ActionKind::MortgageUnset => Some(ActionKind::MortgageSet),
        _ => None,
    }
}

fn square_of(action: &Action) -> Option<SquareId> {
    match action {
        Action::Build { square, .. }
        | Action::Demolish { square, .. }
        | Action::MortgageSet { square }
        | Action::MortgageUnset { square } => Some(*square),
        _ => None,
    }
}

/// True if `action` would undo a business action of this turn (D7b).
fn undoes_earlier(game: &Game, action: &Action) -> bool {
    let (Some(square), Some(undo)) = (square_of(action), inverse(action.kind())) else {
        return false;
    };
    game.business_actions_this_turn()
        .iter()
        .any(|done| done.square == square && done.kind == undo)
}

fn cap_reached(game: &Game, tuning: &BotTuning) -> bool {
    game.business_actions_this_turn().len() >= tuning.max_business_actions_per_turn as usize
}

/// The business candidates, in the order of `exact` (the legal exact actions): the
/// affordable, not undoing builds, demolitions and (un)mortgages, then the best trade idea,
/// then ending the phase. Filters `exact` in place.
fn business(
    game: &Game,
    me: PlayerId,
    tuning: &BotTuning,
    valuer: &Valuer<'_>,
    ranged: &[LegalAction],
    mut exact: Vec<Action>,
    rng: &mut GameRng,
) -> Vec<Action> {
    if cap_reached(game, tuning) {
        exact.clear();
    } else {
        let money = game.player(me).map_or(0, |p| p.money);
        let reserve = if tuning.keep_reserve {
            valuer.reserve()
        } else {
            0
        };
        exact.retain(|action| {
            let cost = match action {
                Action::Build { square, .. } => game
                    .board()
                    .square(*square)
                    .and_then(|s| s.build_price())
                    .unwrap_or(0),
                Action::MortgageUnset { square } => valuer.price(*square) / 2,
                Action::Demolish { .. } | Action::MortgageSet { .. } => 0,
                _ => return false,
            };
            // The reference's own money check (the engine lets a mortgage be lifted into
            // debt, rules D-14), then the reserve of D11.
            if cost > 0 && (cost > money || money - cost < reserve) {
                return false;
            }
            !undoes_earlier(game, action)
        });
        if !game.trade_proposed_this_turn() {
            if let Some(proposal) = super::trade::propose(game, me, tuning, valuer, ranged, rng) {
                exact.push(proposal);
            }
        }
    }
    exact.push(Action::NextPhase);
    exact
}

fn liquidation(
    game: &Game,
    me: PlayerId,
    tuning: &BotTuning,
    exact: &[Action],
    actions: &mut Vec<Action>,
) {
    let money = game.player(me).map_or(0, |p| p.money);
    if money >= 0 && cap_reached(game, tuning) {
        actions.push(Action::NextPhase);
        return;
    }
    let sales: Vec<&Action> = exact
        .iter()
        .filter(|a| matches!(a, Action::Demolish { .. } | Action::MortgageSet { .. }))
        .collect();
    let fresh: Vec<&Action> = sales
        .iter()
        .copied()
        .filter(|a| !undoes_earlier(game, a))
        .collect();
    // A required sale is never blocked by the no-undo rule.
    let chosen = if fresh.is_empty() && money < 0 {
        sales
    } else {
        fresh
    };
    if money < 0 && chosen.is_empty() {
        actions.push(Action::Surrender);
        return;
    }
    actions.extend(chosen.into_iter().cloned());
    if exact.contains(&Action::NextPhase) {
        actions.push(Action::NextPhase);
    }
}

/// The expected-value bot's last resort when its candidate list is unexpectedly empty while `me`
/// must act: the first legal non-surrender action, else a pass in an auction, else a surrender.
pub(crate) fn first_legal_move(game: &Game, me: PlayerId) -> Option<Action> {
    if !game.is_pending_actor(me) {
        return None;
    }
    game.legal_actions(me)
        .iter()
        .find_map(|l| match l {
            LegalAction::Exact(action) if *action != Action::Surrender => Some(action.clone()),
            LegalAction::Bid { .. } => Some(Action::Bid { amount: 0 }),
            _ => None,
        })
        .or(Some(Action::Surrender))
}

/// The safe default for `me` in the current phase: a move that keeps the game going without
/// judging the position (docs/rules.md, "Bots"). The [`crate::driver::Driver`] plays it when a
/// bot's own decision is refused or missing. `None` when `me` has nothing to do.
///
/// Roll → throw; choose a square → the first offered; fantasy → the hidden card; management →
/// decline an unowned buyable square (else end the phase); business → end the phase;
/// liquidation → end the phase with money ≥ 0, else surrender; auction → a pass (bid 0); a
/// trade proposal → reject.
pub(crate) fn safe_default(game: &Game, me: PlayerId) -> Option<Action> {
    if !game.is_pending_actor(me) {
        return None;
    }
    let player = game.player(me)?;
    Some(match game.phase() {
        Phase::RollTheDices => Action::ThrowDice,
        Phase::ChooseSquare { destinations } => Action::MoveTo {
            square: *destinations.keys().next()?,
        },
        Phase::ChooseFantasy { .. } => Action::ChooseCard {
            chosen_revealed_card: false,
        },
        Phase::Management => {
            let here = player.position;
            let buyable = game.board().square(here).is_some_and(|s| s.is_ownable());
            if buyable && game.holding(here).is_none() {
                Action::DropPurchase { square: here }
            } else {
                Action::NextPhase
            }
        }
        Phase::Business => Action::NextPhase,
        Phase::Liquidation if player.money >= 0 => Action::NextPhase,
        Phase::Liquidation => Action::Surrender,
        Phase::Auction(_) => Action::Bid { amount: 0 },
        Phase::ProposalAcceptance(_) => Action::TradeAnswer { choose: false },
        Phase::EndGame => return None,
    })
}
