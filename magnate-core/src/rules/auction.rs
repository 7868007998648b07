//! Auctions: start, sealed bids, close (docs/rules.md).

use std::collections::BTreeMap;

use crate::error::{LogicError, RuleError};
use crate::event::{AuctionOutcome, Event, EventLog};
use crate::game::Game;
use crate::ids::{PlayerId, SquareId};
use crate::phase::{Auction, Phase};
use crate::time::{Millis, Timestamp};
use crate::timer::Timer;
use crate::Invalid;

impl Game {
    /// Starts an auction for a declined square; wakes every bot after a random delay (A.7).
    pub(crate) fn start_auction(&mut self, dropper: PlayerId, square: SquareId, now: Timestamp) {
        self.cancel_phase_timer();
        self.auctions_started += 1;
        let id = self.auctions_started;
        self.phase = Phase::Auction(Auction {
            id,
            square,
            dropper,
            bids: Vec::new(),
        });
        self.arm(
            Timer::AuctionClose { auction: id },
            self.timer_settings.auction_timeout,
            now,
        );
        let bots: Vec<PlayerId> = self
            .players
            .iter()
            .filter(|p| p.in_game && p.is_bot)
            .map(|p| p.id)
            .collect();
        for bot in bots {
            let steps = u64::from(self.rng.below(5));
            let delay =
                Millis(self.timer_settings.bot_delay.0.saturating_add(
                    steps.saturating_mul(self.timer_settings.bot_auction_jitter.0),
                ));
            if self.may_bid(bot, square) {
                self.arm(Timer::BotWake { player: bot }, delay, now);
            }
        }
    }

    /// True if `player` may bid on `square` at all (in the game, never declined it).
    pub(crate) fn may_bid(&self, player: PlayerId, square: SquareId) -> bool {
        self.is_in_game(player) && !self.has_declined(player, square)
    }

    fn eligible_count(&self, square: SquareId) -> usize {
        self.ordered_players()
            .filter(|id| !self.has_declined(*id, square))
            .count()
    }

    /// `Action::Bid`.
    pub(crate) fn bid(
        &mut self,
        player: PlayerId,
        amount: i64,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        self.check_bid(player, amount)?;
        let Phase::Auction(auction) = &mut self.phase else {
            return Err(LogicError::NoAuction.into());
        };
        auction.bids.push((player, amount));
        let (bids, square) = (auction.bids.len(), auction.square);
        if bids >= self.eligible_count(square) {
            self.close_auction(now, events);
        } else {
            self.push_event(events, Event::BidPlaced { player, amount });
        }
        Ok(())
    }

    pub(crate) fn check_bid(&self, player: PlayerId, amount: i64) -> Result<(), RuleError> {
        let Phase::Auction(auction) = &self.phase else {
            return Err(LogicError::NoAuction.into());
        };
        if auction.bids.iter().any(|(bidder, _)| *bidder == player) {
            return Err(Invalid::AlreadyBid.into());
        }
        if self.has_declined(player, auction.square) {
            return Err(Invalid::DeclinedSquare.into());
        }
        if amount < 0 || amount > self.money(player) {
            return Err(Invalid::BidExceedsMoney.into());
        }
        Ok(())
    }

    /// Closes the running auction with its bids (docs/rules.md), then `resume()`.
    pub(crate) fn close_auction(&mut self, now: Timestamp, events: &mut EventLog) {
        let Phase::Auction(auction) = std::mem::replace(&mut self.phase, Phase::Business) else {
            return;
        };
        self.cancel_where(|t| matches!(t, Timer::AuctionClose { .. }));
        let top = auction
            .bids
            .iter()
            .map(|(_, amount)| *amount)
            .max()
            .unwrap_or(0);
        let leaders: Vec<PlayerId> = auction
            .bids
            .iter()
            .filter(|(_, a)| *a == top)
            .map(|(id, _)| *id)
            .collect();
        let (winner, final_amount, is_tie) = if top <= 0 {
            (None, Some(0), false)
        } else if leaders.len() > 1 {
            (None, Some(top), true)
        } else if !self.is_in_game(leaders[0]) {
            (None, None, false)
        } else {
            let leader = leaders[0];
            self.debit(leader, top);
            self.give_square(auction.square, leader);
            (Some(leader), Some(top), false)
        };
        self.resume(now);
        let outcome = AuctionOutcome {
            id: auction.id,
            square: auction.square,
            winner,
            final_amount,
            is_tie,
            bids: auction.bids.iter().copied().collect::<BTreeMap<_, _>>(),
        };
        self.push_event(events, Event::AuctionClosed { auction: outcome });
    }

    /// Closes the running auction with no sale, because the turn player left, and
    /// returns its result: the caller sends the `AuctionClosed` event once the turn has passed,
    /// so that the event's view shows the game without that player. Leaves the phase at
    /// `roll_the_dices`; the caller sets the next one.
    pub(crate) fn take_auction_unsold(&mut self) -> Option<AuctionOutcome> {
        let Phase::Auction(auction) = std::mem::replace(&mut self.phase, Phase::RollTheDices)
        else {
            return None;
        };
        self.cancel_where(|t| matches!(t, Timer::AuctionClose { .. } | Timer::BotWake { .. }));
        Some(AuctionOutcome {
            id: auction.id,
            square: auction.square,
            winner: None,
            final_amount: None,
            is_tie: false,
            bids: auction.bids.iter().copied().collect(),
        })
    }
}
