//! The management phase: buy, decline, tram, move on; and the end of a turn (docs/rules.md).

use crate::action::ActionKind;
use crate::board::SquareKind;
use crate::error::RuleError;
use crate::event::{Event, EventLog};
use crate::game::{Game, Holding};
use crate::ids::{PlayerId, SquareId};
use crate::phase::{Phase, PhaseName};
use crate::time::Timestamp;
use crate::Invalid;

impl Game {
    /// `Action::BuySquare`.
    pub(crate) fn buy_square(
        &mut self,
        player: PlayerId,
        square: SquareId,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        let price = self.check_buy(player, square)?;
        self.cancel_phase_timer();
        self.debit(player, price);
        self.give_square(square, player);
        self.resume(now);
        self.push_event(
            events,
            Event::SquareBought {
                player,
                square,
                price,
            },
        );
        Ok(())
    }

    /// Checks a purchase; returns the price.
    pub(crate) fn check_buy(&self, player: PlayerId, square: SquareId) -> Result<i64, RuleError> {
        let here = self.p(player).position;
        let price =
            self.board
                .square(here)
                .and_then(|s| s.buy_price())
                .ok_or(RuleError::WrongPhase {
                    action: ActionKind::BuySquare,
                    phase: PhaseName::Management,
                })?;
        if square != here {
            return Err(Invalid::NotCurrentSquare.into());
        }
        if self.holding(here).is_some() {
            return Err(Invalid::AlreadyOwned.into());
        }
        let available = self.money(player);
        if available < price {
            return Err(RuleError::InsufficientFunds {
                needed: price,
                available,
            });
        }
        Ok(price)
    }

    /// `Action::DropPurchase`: decline the current square and auction it. Also the management
    /// timeout on an unowned square.
    pub(crate) fn drop_purchase(
        &mut self,
        player: PlayerId,
        square: SquareId,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        self.check_drop(player, square)?;
        self.decline_and_auction(player, square, now);
        self.push_event(events, Event::PurchaseDeclined { player, square });
        Ok(())
    }

    /// Marks `square` declined by `player` and starts its auction (a checked decline, or the
    /// management timeout on an unowned square).
    pub(crate) fn decline_and_auction(
        &mut self,
        player: PlayerId,
        square: SquareId,
        now: Timestamp,
    ) {
        if let (Some(seat), Some(state)) = (self.seat(player), self.board.index_of(square)) {
            self.squares[state].declined |= 1 << seat;
        }
        self.start_auction(player, square, now);
    }

    pub(crate) fn check_drop(&self, player: PlayerId, square: SquareId) -> Result<(), RuleError> {
        if !self.board.square(square).is_some_and(|s| s.is_ownable()) {
            return Err(RuleError::WrongPhase {
                action: ActionKind::DropPurchase,
                phase: PhaseName::Management,
            });
        }
        if square != self.p(player).position {
            return Err(Invalid::NotCurrentSquare.into());
        }
        if self.holding(square).is_some() {
            return Err(Invalid::AlreadyOwned.into());
        }
        Ok(())
    }

    /// `Action::TakeTram`.
    pub(crate) fn take_tram(
        &mut self,
        player: PlayerId,
        square: SquareId,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        let fare = self.check_tram(player, square)?;
        self.cancel_phase_timer();
        if let Some(fare) = fare {
            self.debit(player, fare);
            self.p_mut(player).position = square;
        }
        self.resume(now);
        let square = self.p(player).position;
        let fare = fare.unwrap_or(0);
        self.push_event(
            events,
            Event::TramTaken {
                player,
                square,
                fare,
            },
        );
        Ok(())
    }

    /// Checks a tram ride; returns the fare, or `None` to stay for free.
    pub(crate) fn check_tram(
        &self,
        player: PlayerId,
        square: SquareId,
    ) -> Result<Option<i64>, RuleError> {
        let here = self.p(player).position;
        if !matches!(
            self.board.square(here).map(|s| &s.kind),
            Some(SquareKind::Tram { .. })
        ) {
            return Err(RuleError::WrongPhase {
                action: ActionKind::TakeTram,
                phase: PhaseName::Management,
            });
        }
        if square == here {
            return Ok(None);
        }
        match self.board.square(square).map(|s| &s.kind) {
            Some(SquareKind::Tram { fare }) => {
                if self.money(player) < *fare {
                    Err(Invalid::FareUnaffordable.into())
                } else {
                    Ok(Some(*fare))
                }
            }
            _ => Err(Invalid::NotATram.into()),
        }
    }

    /// `Action::NextPhase` in management, business or liquidation.
    pub(crate) fn next_phase(
        &mut self,
        player: PlayerId,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        let negative = self.money(player) < 0;
        let ended = self.phase.name();
        match self.phase {
            Phase::Management => {
                self.cancel_phase_timer();
                self.resume(now);
            }
            Phase::Business if negative => {
                self.cancel_phase_timer();
                self.phase = Phase::Liquidation;
                self.arm_phase_timer(player, now);
            }
            Phase::Liquidation if negative => return Err(Invalid::NegativeBalance.into()),
            _ => self.next_turn(now, events),
        }
        self.push_event(
            events,
            Event::PhaseEnded {
                player,
                phase: ended,
            },
        );
        Ok(())
    }

    /// The "after resolution" rule (docs/rules.md): business, or another roll after a double.
    pub(crate) fn resume(&mut self, now: Timestamp) {
        self.active_phase = self.active_turn;
        if self.streak == 0 {
            self.phase = Phase::Business;
            self.arm_phase_timer(self.active_turn, now);
        } else {
            self.phase = Phase::RollTheDices;
        }
    }

    /// Gives an unowned square to `owner` (purchase, auction) and recomputes full sets.
    pub(crate) fn give_square(&mut self, square: SquareId, owner: PlayerId) {
        self.set_holding(
            square,
            Some(Holding {
                owner,
                houses: -1,
                mortgaged: false,
            }),
        );
        self.normalize_square_group(square);
    }

    /// Full-set normalization (docs/rules.md) of the colour group of `square`.
    pub(crate) fn normalize_square_group(&mut self, square: SquareId) {
        let Some(group) = self.board.square(square).and_then(|s| s.group()) else {
            return;
        };
        let members = self.board.group_squares(group);
        for &member in members {
            let Some(holding) = self.holding(member) else {
                continue;
            };
            let owns_all = members
                .iter()
                .all(|&m| self.holding(m).is_some_and(|h| h.owner == holding.owner));
            let houses = if owns_all { holding.houses.max(0) } else { -1 };
            self.set_holding(member, Some(Holding { houses, ..holding }));
        }
    }
}
