//! The trade proposal generator of docs/bots.md §6.5, with the fixes of D16.

use crate::action::Action;
use crate::game::Game;
use crate::ids::{PlayerId, SquareId};
use crate::legal::LegalAction;
use crate::rng::GameRng;

use super::tuning::BotTuning;
use super::value::Valuer;

/// One trade idea, from the bot's side. The squares asked are kept apart, in a buffer the
/// attempts share (only the best idea's are copied out).
struct Idea {
    recipient: PlayerId,
    offered: Option<SquareId>,
    asked_money: i64,
    offered_money: i64,
}

/// Tries `trade_samples` random ideas and returns the best one as a proposal, if it scores
/// above 0 (D16). Draws per attempt, in order: the opponent; the wanted square (skipped when
/// the opponent has no tradable square); when the bot has tradable squares, a three-way choice
/// (offer a square, offer cash, or sell a square for cash; the reference had a coin between the
/// first two); then the offered square's index, or a cash amount uniform over
/// `[half(M), M]`.
///
/// Fixes of D16: the cash offered is capped by `0.8 × W(wanted)` with the owner left out of the
/// blocking term, and by `m − Reserve`; a wanted street comes with the owner's other streets of
/// its group when that completes the bot's group; the bot may ask for cash for one of its
/// squares; ideas that score ≤ 0 are dropped.
pub(crate) fn propose(
    game: &Game,
    me: PlayerId,
    tuning: &BotTuning,
    valuer: &Valuer<'_>,
    legal: &[LegalAction],
    rng: &mut GameRng,
) -> Option<Action> {
    let options: Vec<(PlayerId, &[SquareId], &[SquareId])> = legal
        .iter()
        .filter_map(|l| match l {
            LegalAction::TradeProposal {
                recipient,
                offerable,
                askable,
            } => Some((*recipient, offerable.as_slice(), askable.as_slice())),
            _ => None,
        })
        .collect();
    if options.is_empty() {
        return None;
    }
    let money = game.player(me).map_or(0, |p| p.money);
    let reserve = if tuning.keep_reserve {
        valuer.reserve()
    } else {
        0
    };
    let budget = money - reserve;
    let mut best: Option<(f64, Idea, Vec<SquareId>)> = None;
    let mut asked: Vec<SquareId> = Vec::new();
    for _ in 0..tuning.trade_samples {
        let (recipient, mine, theirs) = options[draw_index(rng, options.len())];
        if theirs.is_empty() {
            continue;
        }
        let wanted = theirs[draw_index(rng, theirs.len())];
        let mode = if mine.is_empty() { 1 } else { rng.below(3) };
        bundle(game, me, recipient, wanted, theirs, &mut asked);
        let idea = match mode {
            0 => Idea {
                recipient,
                offered: Some(mine[draw_index(rng, mine.len())]),
                asked_money: 0,
                offered_money: 0,
            },
            1 => {
                let worth: f64 = asked
                    .iter()
                    .map(|s| valuer.ev_buy_excluding(*s, Some(recipient)) + valuer.price(*s) as f64)
                    .sum();
                let cap = (tuning.trade_money_factor * worth).trunc() as i64;
                let limit = cap.min(budget);
                Idea {
                    recipient,
                    offered: None,
                    asked_money: 0,
                    offered_money: draw_amount(rng, limit),
                }
            }
            _ => {
                let sold = mine[draw_index(rng, mine.len())];
                let their_worth =
                    valuer.gain(sold, recipient) * valuer.v + (valuer.price(sold) / 2) as f64;
                let cap = (tuning.trade_money_factor * their_worth).trunc() as i64;
                let limit = cap.min(game.player(recipient).map_or(0, |p| p.money));
                // Selling a square asks for no square.
                asked.clear();
                Idea {
                    recipient,
                    offered: Some(sold),
                    asked_money: draw_amount(rng, limit),
                    offered_money: 0,
                }
            }
        };
        let gives_something = idea.offered.is_some() || idea.offered_money > 0;
        let asks_something = !asked.is_empty() || idea.asked_money > 0;
        if !gives_something || !asks_something {
            continue;
        }
        let score = valuer.trade_ev(
            me,
            idea.recipient,
            &asked,
            idea.offered.as_slice(),
            idea.asked_money,
            idea.offered_money,
        );
        if best.as_ref().is_none_or(|(top, _, _)| score > *top) {
            best = Some((score, idea, asked.clone()));
        }
    }
    let (score, idea, mut asked_properties) = best?;
    if score <= 0.0 {
        return None;
    }
    asked_properties.sort();
    Some(Action::TradeProposal {
        destination_user: idea.recipient,
        offered_money: idea.offered_money,
        asked_money: idea.asked_money,
        offered_properties: idea.offered.into_iter().collect(),
        asked_properties,
    })
}

fn draw_index(rng: &mut GameRng, len: usize) -> usize {
    rng.below(u32::try_from(len).unwrap_or(u32::MAX)) as usize
}

/// A uniform whole amount in `[half(limit), limit]`, or 0 when `limit ≤ 0` (no draw then).
fn draw_amount(rng: &mut GameRng, limit: i64) -> i64 {
    if limit <= 0 {
        return 0;
    }
    let low = limit / 2;
    let span = u32::try_from(limit - low + 1).unwrap_or(u32::MAX);
    low + i64::from(rng.below(span))
}

/// Fills `asked` with the wanted street plus the owner's other tradable streets of its group,
/// when the bot owns every remaining street of the group; otherwise just the wanted square.
fn bundle(
    game: &Game,
    me: PlayerId,
    owner: PlayerId,
    wanted: SquareId,
    theirs: &[SquareId],
    asked: &mut Vec<SquareId>,
) {
    asked.clear();
    let Some(group) = game.board().square(wanted).and_then(|s| s.group()) else {
        asked.push(wanted);
        return;
    };
    for &member in game.board().group_squares(group) {
        match game.holding(member) {
            Some(h) if h.owner == me => {}
            Some(h) if h.owner == owner && theirs.contains(&member) => asked.push(member),
            _ => {
                asked.clear();
                asked.push(wanted);
                return;
            }
        }
    }
}
