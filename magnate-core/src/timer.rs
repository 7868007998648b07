//! Timers as data: a small table of deadlines, fired by [`crate::Input::Tick`].

use serde::{Deserialize, Serialize};

use crate::event::{Event, EventLog};
use crate::game::Game;
use crate::ids::PlayerId;
use crate::phase::Phase;
use crate::time::{Millis, Timestamp};

/// What expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "timer", rename_all = "snake_case")]
pub enum Timer {
    /// The phase ("next phase") timeout of `player` (docs/rules.md).
    PhaseTimeout {
        /// The player it was armed for.
        player: PlayerId,
    },
    /// The optional roll timeout: throws the dice for `player`.
    RollTimeout {
        /// The player it was armed for.
        player: PlayerId,
    },
    /// The optional kick-out of an idle turn player (docs/rules.md).
    KickOut {
        /// The player it was armed for.
        player: PlayerId,
    },
    /// The close of an auction (docs/rules.md).
    AuctionClose {
        /// The auction's sequence number.
        auction: u32,
    },
    /// A bot should be asked for an action (docs/rules.md).
    BotWake {
        /// The bot.
        player: PlayerId,
    },
}

impl Timer {
    /// The player the timer concerns, if any.
    pub fn player(&self) -> Option<PlayerId> {
        match *self {
            Timer::PhaseTimeout { player }
            | Timer::RollTimeout { player }
            | Timer::KickOut { player }
            | Timer::BotWake { player } => Some(player),
            Timer::AuctionClose { .. } => None,
        }
    }

    /// Two timers share a slot when at most one of them may be pending (bot wakes: one per bot).
    fn same_slot(&self, other: &Timer) -> bool {
        match (self, other) {
            (Timer::PhaseTimeout { .. }, Timer::PhaseTimeout { .. })
            | (Timer::RollTimeout { .. }, Timer::RollTimeout { .. })
            | (Timer::KickOut { .. }, Timer::KickOut { .. })
            | (Timer::AuctionClose { .. }, Timer::AuctionClose { .. }) => true,
            (Timer::BotWake { player: a }, Timer::BotWake { player: b }) => a == b,
            _ => false,
        }
    }
}

/// A timer and when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// What expires.
    pub timer: Timer,
    /// When.
    pub at: Timestamp,
}

impl Game {
    /// The earliest pending deadline: the adapter sleeps until then and sends a `Tick`.
    /// Re-read it after every `apply`, because deadlines move.
    pub fn next_deadline(&self) -> Option<Deadline> {
        self.deadlines
            .iter()
            .copied()
            .min_by_key(|d| (d.at, d.timer))
    }

    /// Every pending deadline.
    pub fn deadlines(&self) -> &[Deadline] {
        &self.deadlines
    }

    pub(crate) fn arm(&mut self, timer: Timer, after: Millis, now: Timestamp) {
        self.deadlines.retain(|d| !d.timer.same_slot(&timer));
        self.deadlines.push(Deadline {
            timer,
            at: now + after,
        });
    }

    pub(crate) fn cancel_where(&mut self, mut pred: impl FnMut(&Timer) -> bool) {
        self.deadlines.retain(|d| !pred(&d.timer));
    }

    pub(crate) fn arm_phase_timer(&mut self, player: PlayerId, now: Timestamp) {
        self.arm(
            Timer::PhaseTimeout { player },
            self.timer_settings.phase_timeout,
            now,
        );
    }

    pub(crate) fn cancel_phase_timer(&mut self) {
        self.cancel_where(|t| matches!(t, Timer::PhaseTimeout { .. }));
    }

    pub(crate) fn cancel_kick_out(&mut self, player: PlayerId) {
        self.cancel_where(|t| *t == Timer::KickOut { player });
    }

    /// Timers armed when a turn starts: the optional kick-out for the new turn player.
    pub(crate) fn start_turn_timers(&mut self, now: Timestamp) {
        self.cancel_where(|t| matches!(t, Timer::KickOut { .. }));
        if let Some(after) = self.timer_settings.kick_out_after {
            self.arm(
                Timer::KickOut {
                    player: self.active_turn,
                },
                after,
                now,
            );
        }
    }

    /// Re-derives the timers that follow from the phase alone, after every state change: the
    /// optional roll timeout while the active player must roll, and the bot wake-up of a bot that
    /// must act (auction wake-ups are armed when the auction starts).
    pub(crate) fn sync_timers(&mut self, now: Timestamp) {
        if self.is_finished() {
            self.deadlines.clear();
            return;
        }
        let active = self.active_phase;
        match (&self.phase, self.timer_settings.roll_timeout) {
            (Phase::RollTheDices, Some(after)) => {
                if !self
                    .deadlines
                    .iter()
                    .any(|d| d.timer == Timer::RollTimeout { player: active })
                {
                    self.arm(Timer::RollTimeout { player: active }, after, now);
                }
            }
            _ => self.cancel_where(|t| matches!(t, Timer::RollTimeout { .. })),
        }
        if !matches!(self.phase, Phase::Auction(_)) {
            self.cancel_where(|t| matches!(t, Timer::BotWake { player } if *player != active));
            if self.p(active).is_bot {
                self.arm(
                    Timer::BotWake { player: active },
                    self.timer_settings.bot_delay,
                    now,
                );
            }
        }
        let players = &self.players;
        self.deadlines.retain(|d| {
            d.timer
                .player()
                .is_none_or(|id| players.iter().any(|p| p.id == id && p.in_game))
        });
    }

    pub(crate) fn has_due(&self, now: Timestamp) -> bool {
        self.deadlines.iter().any(|d| d.at <= now)
    }

    /// Fires the deadlines that are due at `now`, in order of deadline. Deadlines armed while
    /// firing (even at `now`) wait for the next tick, so one tick always terminates.
    pub(crate) fn fire_due(&mut self, now: Timestamp) -> Vec<Event> {
        let mut due: Vec<Deadline> = self
            .deadlines
            .iter()
            .copied()
            .filter(|d| d.at <= now)
            .collect();
        due.sort_by_key(|d| (d.at, d.timer));
        let mut events = EventLog::new(self);
        for deadline in due {
            if self.is_finished() {
                break;
            }
            // Skip deadlines cancelled or re-armed by an earlier firing in this tick.
            let Some(index) = self.deadlines.iter().position(|d| *d == deadline) else {
                continue;
            };
            self.deadlines.remove(index);
            let before = events.len();
            self.fire(deadline.timer, now, &mut events);
            // A firing changed the game if it reported a fact other than a bot's wake-up (the
            // game-end event is held until the end, hence the second test).
            let changed = events
                .since(before)
                .iter()
                .any(|e| !e.is_view_fact() && !matches!(e, Event::BotWoken { .. }));
            if changed || self.is_finished() {
                self.sync_timers(now);
            }
        }
        events.finish(self)
    }

    fn fire(&mut self, timer: Timer, now: Timestamp, events: &mut EventLog) {
        match timer {
            Timer::PhaseTimeout { player } => {
                if player == self.active_phase && self.is_in_game(player) {
                    self.phase_timeout(player, now, events);
                }
            }
            Timer::RollTimeout { player } => {
                if player == self.active_phase && matches!(self.phase, Phase::RollTheDices) {
                    // Cannot fail: the phase and the player were just checked.
                    let _ = self.throw_dice(player, now, events);
                }
            }
            Timer::KickOut { player } => {
                if player == self.active_turn && self.is_in_game(player) {
                    self.bankrupt(player, true, now, events);
                }
            }
            Timer::AuctionClose { auction } => {
                if matches!(&self.phase, Phase::Auction(a) if a.id == auction) {
                    self.close_auction(now, events);
                }
            }
            Timer::BotWake { player } => {
                if self.is_in_game(player) {
                    self.push_event(events, Event::BotWoken { player });
                }
            }
        }
    }

    /// The phase timeout (docs/rules.md).
    fn phase_timeout(&mut self, player: PlayerId, now: Timestamp, events: &mut EventLog) {
        match &self.phase {
            Phase::ChooseSquare { destinations } => {
                let ids: Vec<_> = destinations.keys().copied().collect();
                if let Some(square) = self.rng.choose(&ids) {
                    let _ = self.move_to(player, square, now, events);
                }
            }
            Phase::Management => {
                let here = self.p(player).position;
                let can_auction = self.board.square(here).is_some_and(|s| s.is_ownable())
                    && self.holding(here).is_none();
                if can_auction {
                    // Declined as by `DropPurchase`, reported as a skipped phase.
                    self.decline_and_auction(player, here, now);
                } else {
                    self.next_turn(now, events);
                }
                self.push_event(events, Event::PhaseTimedOut);
            }
            Phase::Business | Phase::Liquidation => {
                if self.money(player) >= 0 {
                    self.next_turn(now, events);
                } else {
                    self.bankrupt(player, true, now, events);
                }
                self.push_event(events, Event::PhaseTimedOut);
            }
            Phase::ProposalAcceptance(proposal) => {
                let proposer = proposal.player;
                self.end_proposal(proposer, now);
                self.push_event(events, Event::PhaseTimedOut);
            }
            Phase::ChooseFantasy { .. } => {
                self.choose_card(player, false, now, events);
            }
            Phase::RollTheDices | Phase::Auction(_) | Phase::EndGame => {}
        }
    }
}
