//! Surrender, bankruptcy, turn changes and the end of the game (docs/rules.md).

use std::collections::BTreeMap;

use crate::event::{BonusAward, EndReason, Event, EventLog};
use crate::game::{Game, Outcome, Stats};
use crate::ids::PlayerId;
use crate::phase::Phase;
use crate::setup::StatField;
use crate::time::Timestamp;
use crate::timer::Timer;

impl Game {
    /// `Action::Surrender`.
    pub(crate) fn surrender(&mut self, player: PlayerId, now: Timestamp, events: &mut EventLog) {
        self.bankrupt(player, false, now, events);
    }

    /// Removes a player from the game (docs/rules.md with the engine's additions, D-24).
    pub(crate) fn bankrupt(
        &mut self,
        player: PlayerId,
        kicked_out: bool,
        now: Timestamp,
        events: &mut EventLog,
    ) {
        let was_turn = player == self.active_turn;
        let next = self.next_in_game_after(player);

        // Steps 2 and 3: out of the game; cash vanishes into the bank, squares go back unowned.
        let cash = self.money(player);
        self.bank = self.bank.saturating_add(cash);
        let p = self.p_mut(player);
        p.money = 0;
        p.jail_turns = 0;
        p.in_game = false;
        for state in &mut self.squares {
            if state.holding.is_some_and(|h| h.owner == player) {
                state.holding = None;
            }
        }
        self.cancel_where(|t| t.player() == Some(player));

        // The open auction: drop the player's bid; close it if the turn player left or if every
        // remaining eligible player has now bid. When the turn player left, the unsold result
        // is sent once the turn has passed (or the game ended), so its view never names the
        // player who is gone.
        let mut unsold = None;
        if let Phase::Auction(auction) = &mut self.phase {
            auction.bids.retain(|(bidder, _)| *bidder != player);
            let (bids, square) = (auction.bids.len(), auction.square);
            if was_turn {
                unsold = self.take_auction_unsold();
            } else if bids
                >= self
                    .ordered_players()
                    .filter(|id| !self.has_declined(*id, square))
                    .count()
            {
                self.close_auction(now, events);
            }
        }
        // A pending proposal to or from the player is cancelled.
        if let Phase::ProposalAcceptance(proposal) = &self.phase {
            if !was_turn && proposal.destination_user == player {
                self.end_proposal(self.active_turn, now);
            }
        }

        if self.in_game_count() <= 1 {
            // The elimination's response already shows the finished game (docs/protocol.md):
            // phase `end_game` with the last player active; the bonuses follow in `GameEnded`.
            let last = self.ordered_players().next();
            if let Some(last) = last {
                self.active_turn = last;
                self.active_phase = last;
            }
            self.phase = Phase::EndGame;
            if let Some(auction) = unsold {
                self.push_event(events, Event::AuctionClosed { auction });
            }
            self.push_event(events, Event::PlayerEliminated { player, kicked_out });
            self.end_game(EndReason::LastPlayerStanding, now, events);
            return;
        }
        if was_turn {
            if let Some(next) = next {
                self.pass_turn_to(next, now);
            }
        }
        if let Some(auction) = unsold {
            self.push_event(events, Event::AuctionClosed { auction });
        }
        self.push_event(events, Event::PlayerEliminated { player, kicked_out });
    }

    /// Turn change (docs/rules.md), or the end of the game when `max_turns` is reached.
    pub(crate) fn next_turn(&mut self, now: Timestamp, events: &mut EventLog) {
        if self
            .rules
            .max_turns
            .is_some_and(|max| self.current_turn >= max)
        {
            self.end_game(EndReason::TurnLimit, now, events);
            return;
        }
        let Some(next) = self.next_in_game_after(self.active_turn) else {
            return;
        };
        self.current_turn += 1;
        self.pass_turn_to(next, now);
    }

    /// Hands the turn to `next`: `roll_the_dices`, streak 0, per-turn records cleared.
    fn pass_turn_to(&mut self, next: PlayerId, now: Timestamp) {
        self.active_turn = next;
        self.active_phase = next;
        self.phase = Phase::RollTheDices;
        self.streak = 0;
        self.trade_proposed_this_turn = false;
        self.business_actions_this_turn.clear();
        self.cancel_where(|t| matches!(t, Timer::PhaseTimeout { .. }));
        self.start_turn_timers(now);
    }

    /// End-of-game processing (docs/rules.md), run at once.
    pub(crate) fn end_game(&mut self, reason: EndReason, now: Timestamp, events: &mut EventLog) {
        self.deadlines.clear();
        self.phase = Phase::EndGame;
        let bonuses = self.award_bonuses();
        let winner = match reason {
            EndReason::LastPlayerStanding => self.ordered_players().next(),
            EndReason::TurnLimit => {
                // The richest by net worth; ties go to the earliest in turn order.
                let mut best: Option<(PlayerId, i64)> = None;
                for id in self.ordered_players() {
                    let worth = self.net_worth(id);
                    if best.is_none_or(|(_, top)| worth > top) {
                        best = Some((id, worth));
                    }
                }
                best.map(|(id, _)| id)
            }
        };
        let winner = winner.unwrap_or(self.active_turn);
        self.active_turn = winner;
        self.active_phase = winner;
        let final_net_worth: BTreeMap<PlayerId, i64> = self
            .players
            .iter()
            .map(|p| (p.id, self.net_worth(p.id)))
            .collect();
        self.outcome = Some(Outcome {
            winner,
            reason,
            bonuses: bonuses.clone(),
            ended_at: now,
        });
        events.end_game(Event::GameEnded {
            reason,
            winner,
            bonuses,
            final_net_worth,
        });
    }

    /// Draws up to `bonus_picks` categories (A.8) and pays their winners still in the game.
    fn award_bonuses(&mut self) -> Vec<BonusAward> {
        let mut remaining = self.rules.bonus_categories.clone();
        let picks = (self.rules.bonus_picks as usize).min(remaining.len());
        let mut awards = Vec::with_capacity(picks);
        for _ in 0..picks {
            let index = self.rng.below(remaining.len() as u32) as usize;
            let category = remaining.remove(index);
            let winners: Vec<PlayerId> = if category.stat_field == StatField::EndGame {
                self.ordered_players().collect()
            } else {
                let top = self
                    .players
                    .iter()
                    .map(|p| stat(&p.stats, category.stat_field))
                    .max()
                    .unwrap_or(0);
                if top == 0 {
                    Vec::new()
                } else {
                    self.players
                        .iter()
                        .filter(|p| stat(&p.stats, category.stat_field) == top)
                        .map(|p| p.id)
                        .collect()
                }
            };
            for &id in &winners {
                if self.is_in_game(id) {
                    // A bonus is bank money but not counted in the statistics (docs/rules.md).
                    self.bank = self.bank.saturating_sub(category.bonus_amount);
                    let p = self.p_mut(id);
                    p.money = p.money.saturating_add(category.bonus_amount);
                }
            }
            awards.push(BonusAward {
                stat_field: category.stat_field,
                bonus_amount: category.bonus_amount,
                winners,
            });
        }
        awards
    }
}

/// The value of a statistic.
pub(crate) fn stat(stats: &Stats, field: StatField) -> u64 {
    match field {
        StatField::WalkedSquares => stats.walked_squares,
        StatField::WonMoney => stats.won_money,
        StatField::LostMoney => stats.lost_money,
        StatField::NumFantasyEvents => stats.num_fantasy_events,
        StatField::BuiltHouses => stats.built_houses,
        StatField::DemolishedHouses => stats.demolished_houses,
        StatField::TimesInJail => stats.times_in_jail,
        StatField::TurnsInJail => stats.turns_in_jail,
        StatField::NumPaidRents => stats.num_paid_rents,
        StatField::NumTrades => stats.num_trades,
        StatField::NumMortgages => stats.num_mortgages,
        StatField::EndGame => 0,
    }
}
