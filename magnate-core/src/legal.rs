//! What a player may do now: the base of bots, fuzzing, property tests and UIs.

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::board::SquareKind;
use crate::game::{Game, Holding};
use crate::ids::{PlayerId, SquareId};
use crate::phase::Phase;

/// One legal move, concrete where the choice is finite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LegalAction {
    /// This exact action is accepted.
    Exact(Action),
    /// Any `Action::Bid` with `0 <= amount <= max` is accepted (0 is a pass).
    Bid {
        /// The bidder's money.
        max: i64,
    },
    /// Any `Action::TradeProposal` to `recipient` offering a subset of `offerable` and asking a
    /// subset of `askable`, with any non-negative amounts, is accepted.
    TradeProposal {
        /// The recipient.
        recipient: PlayerId,
        /// The proposer's tradable squares.
        offerable: Vec<SquareId>,
        /// The recipient's tradable squares.
        askable: Vec<SquareId>,
    },
}

impl LegalAction {
    /// A concrete action, chosen deterministically by `choice` (used by fuzzing, property tests
    /// and the random bot). Every result is accepted by [`Game::apply`].
    pub fn instantiate(&self, choice: u64) -> Action {
        match self {
            LegalAction::Exact(action) => action.clone(),
            LegalAction::Bid { max } => {
                let amount = if *max <= 0 {
                    0
                } else {
                    (choice % (*max as u64 + 1)) as i64
                };
                Action::Bid { amount }
            }
            LegalAction::TradeProposal {
                recipient,
                offerable,
                askable,
            } => {
                let pick = |list: &[SquareId], bits: u64| {
                    list.iter()
                        .enumerate()
                        .filter(|(i, _)| bits >> (i % 64) & 1 == 1)
                        .map(|(_, s)| *s)
                        .collect()
                };
                Action::TradeProposal {
                    destination_user: *recipient,
                    offered_money: ((choice >> 8) % 4) as i64 * 50,
                    asked_money: ((choice >> 12) % 4) as i64 * 50,
                    offered_properties: pick(offerable, choice >> 16),
                    asked_properties: pick(askable, choice >> 40),
                }
            }
        }
    }
}

impl Game {
    /// Everything `player` may do now. Every [`LegalAction::Exact`] listed is accepted by
    /// [`Game::apply`], and so is every instance of the ranged entries. Surrender, always legal
    /// while the game runs, is listed last.
    pub fn legal_actions(&self, player: PlayerId) -> Vec<LegalAction> {
        if self.is_finished() || !self.is_in_game(player) {
            return Vec::new();
        }
        // Business and liquidation size the list once they know the holdings; the other
        // phases list at most a handful.
        let mut legal = if player == self.active_phase
            && matches!(self.phase, Phase::Business | Phase::Liquidation)
        {
            Vec::new()
        } else {
            Vec::with_capacity(8)
        };
        let exact =
            |legal: &mut Vec<LegalAction>, action: Action| legal.push(LegalAction::Exact(action));
        if let Phase::Auction(_) = self.phase {
            if self.check_bid(player, 0).is_ok() {
                legal.push(LegalAction::Bid {
                    max: self.money(player),
                });
            }
        }
        if player == self.active_phase {
            let here = self.p(player).position;
            match &self.phase {
                Phase::RollTheDices => {
                    exact(&mut legal, Action::ThrowDice);
                    if self.check_pay_bail(player).is_ok() {
                        exact(&mut legal, Action::PayBail);
                    }
                }
                Phase::ChooseSquare { destinations } => {
                    for &square in destinations.keys() {
                        exact(&mut legal, Action::MoveTo { square });
                    }
                }
                Phase::ChooseFantasy { .. } => {
                    exact(
                        &mut legal,
                        Action::ChooseCard {
                            chosen_revealed_card: true,
                        },
                    );
                    exact(
                        &mut legal,
                        Action::ChooseCard {
                            chosen_revealed_card: false,
                        },
                    );
                }
                Phase::Management => {
                    if self.check_buy(player, here).is_ok() {
                        exact(&mut legal, Action::BuySquare { square: here });
                    }
                    if self.check_drop(player, here).is_ok() {
                        exact(&mut legal, Action::DropPurchase { square: here });
                    }
                    if matches!(
                        self.board.square(here).map(|s| &s.kind),
                        Some(SquareKind::Tram { .. })
                    ) {
                        for &tram in self.board.trams() {
                            if self.check_tram(player, tram).is_ok() {
                                exact(&mut legal, Action::TakeTram { square: tram });
                            }
                        }
                    }
                    exact(&mut legal, Action::NextPhase);
                }
                Phase::Business | Phase::Liquidation => {
                    // Every holding once, in ascending square order, with its square index;
                    // and the squares whose colour group has a building (a bit per square
                    // index, ≤ 250), set from each built street's peers: `group_has_houses`
                    // of every square at once, for the tradable lists.
                    let mut held: Vec<(SquareId, Holding, usize)> =
                        Vec::with_capacity(self.board.len());
                    let mut built_groups = [0u64; 4];
                    let squares = self.board.squares().iter().zip(&self.squares);
                    for (index, (square, state)) in squares.enumerate() {
                        let Some(h) = state.holding else {
                            continue;
                        };
                        if h.houses > 0 && square.group().is_some() {
                            for &peer in self.board.peers(index) {
                                built_groups[peer / 64] |= 1 << (peer % 64);
                            }
                        }
                        held.push((square.id, h, index));
                    }
                    let tradable_index =
                        |index: usize| built_groups[index / 64] & 1 << (index % 64) == 0;
                    let holdings_of = |id: PlayerId| {
                        held.iter()
                            .filter(move |(_, h, _)| h.owner == id)
                            .map(|(square, h, _)| (*square, *h))
                    };
                    // One pass per list, into room for every holding (a short-lived list:
                    // the spare capacity costs nothing that a counting pass would not).
                    let tradable = |id: PlayerId| -> Vec<SquareId> {
                        let mut list = Vec::with_capacity(held.len());
                        list.extend(
                            held.iter()
                                .filter(|(_, h, index)| h.owner == id && tradable_index(*index))
                                .map(|(square, _, _)| *square),
                        );
                        list
                    };
                    // Next phase, four moves per holding, a proposal per opponent, surrender.
                    legal.reserve(4 * holdings_of(player).count() + self.players.len() + 1);
                    if matches!(self.phase, Phase::Business) || self.money(player) >= 0 {
                        exact(&mut legal, Action::NextPhase);
                    }
                    // Each check runs only when the holding passes the part of it that reads
                    // the holding alone (a check refuses a mortgaged street or a hotel for
                    // building, a street without houses for demolition, and a mortgaged or
                    // unmortgaged square for the mortgage it already has or has not): the
                    // same list, with fewer checks.
                    for (square, h) in holdings_of(player) {
                        if !h.mortgaged
                            && h.houses < 5
                            && self.check_build(player, square, 1).is_ok()
                        {
                            exact(&mut legal, Action::Build { square, houses: 1 });
                        }
                        if h.houses >= 1 && self.check_demolish(player, square, 1).is_ok() {
                            exact(&mut legal, Action::Demolish { square, houses: 1 });
                        }
                        if !h.mortgaged && self.check_mortgage(player, square, true).is_ok() {
                            exact(&mut legal, Action::MortgageSet { square });
                        }
                        if h.mortgaged && self.check_mortgage(player, square, false).is_ok() {
                            exact(&mut legal, Action::MortgageUnset { square });
                        }
                    }
                    // The same lists as `tradable_squares`.
                    let offerable = tradable(player);
                    for recipient in self.ordered_players().filter(|id| *id != player) {
                        legal.push(LegalAction::TradeProposal {
                            recipient,
                            offerable: offerable.clone(),
                            askable: tradable(recipient),
                        });
                    }
                }
                Phase::ProposalAcceptance(proposal) => {
                    exact(&mut legal, Action::TradeAnswer { choose: false });
                    if self.check_answer(player, proposal, true).is_ok() {
                        exact(&mut legal, Action::TradeAnswer { choose: true });
                    }
                }
                Phase::Auction(_) | Phase::EndGame => {}
            }
        }
        exact(&mut legal, Action::Surrender);
        legal
    }

    /// The squares of `player` that may be traded (no buildings in their colour group): those
    /// that the trade checks accept when offered alone.
    pub fn tradable_squares(&self, player: PlayerId) -> Vec<SquareId> {
        self.holdings()
            .filter(|(_, h)| h.owner == player)
            .map(|(s, _)| s)
            .filter(|&s| !self.group_has_houses(s))
            .collect()
    }
}
