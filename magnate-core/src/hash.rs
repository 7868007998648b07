//! A stable hash of the full game state.
//!
//! # Algorithm (format version 1)
//!
//! The state is written as a sequence of unsigned 64-bit words in a fixed order (below), and the
//! words are folded into a 64-bit accumulator:
//!
//! ```text
//! h = 0x243F_6A88_85A3_08D3
//! for each word w:  h = (h ^ w) * 0x9E37_79B9_7F4A_7C15 (wrapping);  h = rotate_left(h, 29)
//! result = splitmix64_finalize(h ^ word_count)
//! ```
//!
//! Signed numbers are written as their two's-complement bit pattern, booleans as 0/1, absent
//! values as a distinct tag word. The order: board id; house rules; timer settings; start time;
//! every participant in turn order (id, money, position, jail turns, in game, bot, the eleven
//! statistics in docs/rules.md order); every square in ascending id order (owner seat + 1 or 0, houses,
//! mortgaged, declined mask); phase tag and data; turn and phase players; streak; turn counter;
//! parking; per-turn records; deadlines sorted by (time, timer); auction and proposal counters;
//! generator seed and position; bank; outcome. The last-seen `now` is not part of the state
//! hash, so an early tick leaves the hash unchanged.
//!
//! No `HashMap`, no `std::hash` and no memory layout is involved, so the value is the same on
//! every platform and Rust version.

use crate::action::ActionKind;
use crate::event::EndReason;
use crate::game::Game;
use crate::phase::Phase;
use crate::setup::StatField;
use crate::time::Timestamp;
use crate::timer::{Deadline, Timer};

struct Fold {
    h: u64,
    count: u64,
}

impl Fold {
    fn word(&mut self, w: u64) {
        self.h = (self.h ^ w)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
        self.count += 1;
    }

    fn int(&mut self, v: i64) {
        self.word(v as u64);
    }

    fn opt(&mut self, v: Option<u64>) {
        match v {
            Some(v) => {
                self.word(1);
                self.word(v);
            }
            None => self.word(0),
        }
    }

    fn finish(self) -> u64 {
        let mut z = self.h ^ self.count;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn stat_tag(field: StatField) -> u64 {
    field as u64
}

fn action_tag(kind: ActionKind) -> u64 {
    kind as u64
}

impl Game {
    /// A stable 64-bit hash of the full game state (see the module docs for the algorithm).
    pub fn state_hash(&self) -> u64 {
        let mut f = Fold {
            h: 0x243F_6A88_85A3_08D3,
            count: 0,
        };
        f.word(u64::from(self.board.id()));
        f.int(self.rules.starting_money);
        f.opt(self.rules.max_turns.map(u64::from));
        f.word(u64::from(self.rules.bonus_picks));
        f.word(self.rules.bonus_categories.len() as u64);
        for c in &self.rules.bonus_categories {
            f.word(stat_tag(c.stat_field));
            f.int(c.bonus_amount);
        }
        let t = &self.timer_settings;
        f.word(t.phase_timeout.0);
        f.word(t.auction_timeout.0);
        f.opt(t.roll_timeout.map(|m| m.0));
        f.opt(t.kick_out_after.map(|m| m.0));
        f.word(t.bot_delay.0);
        f.word(t.bot_auction_jitter.0);
        f.word(self.started_at.0);
        f.word(self.players.len() as u64);
        for p in &self.players {
            f.word(p.id.0);
            f.int(p.money);
            f.word(u64::from(p.position.0));
            f.word(u64::from(p.jail_turns));
            f.word(u64::from(p.in_game) | (u64::from(p.is_bot) << 1));
            let s = &p.stats;
            for v in [
                s.walked_squares,
                s.won_money,
                s.lost_money,
                s.num_fantasy_events,
                s.built_houses,
                s.demolished_houses,
                s.times_in_jail,
                s.turns_in_jail,
                s.num_paid_rents,
                s.num_trades,
                s.num_mortgages,
            ] {
                f.word(v);
            }
        }
        for state in &self.squares {
            let (owner, houses, mortgaged) = match state.holding {
                Some(h) => (
                    self.seat(h.owner).map_or(u64::MAX, |s| s as u64 + 1),
                    h.houses,
                    h.mortgaged,
                ),
                None => (0, 0, false),
            };
            f.word(
                owner
                    | (u64::from(houses as u8) << 8)
                    | (u64::from(mortgaged) << 16)
                    | (u64::from(state.declined) << 24),
            );
        }
        f.word(self.phase.name() as u64);
        match &self.phase {
            Phase::ChooseSquare { destinations } => {
                f.word(destinations.len() as u64);
                for (square, steps) in destinations {
                    f.word(u64::from(square.0) | (u64::from(*steps) << 16));
                }
            }
            Phase::ChooseFantasy { card } => {
                f.word(card.fantasy_type as u64);
                f.opt(card.value.map(|v| v as u64));
            }
            Phase::Auction(a) => {
                f.word(u64::from(a.id));
                f.word(u64::from(a.square.0));
                f.word(a.dropper.0);
                f.word(a.bids.len() as u64);
                for (bidder, amount) in &a.bids {
                    f.word(bidder.0);
                    f.int(*amount);
                }
            }
            Phase::ProposalAcceptance(p) => {
                f.word(u64::from(p.id));
                f.word(p.player.0);
                f.word(p.destination_user.0);
                f.int(p.offered_money);
                f.int(p.asked_money);
                for list in [&p.offered_properties, &p.asked_properties] {
                    f.word(list.len() as u64);
                    for square in list {
                        f.word(u64::from(square.0));
                    }
                }
            }
            _ => {}
        }
        f.word(self.active_turn.0);
        f.word(self.active_phase.0);
        f.word(u64::from(self.streak));
        f.word(u64::from(self.current_turn));
        f.int(self.parking_money);
        f.word(u64::from(self.trade_proposed_this_turn));
        f.word(self.business_actions_this_turn.len() as u64);
        for action in &self.business_actions_this_turn {
            f.word(action_tag(action.kind) | (u64::from(action.square.0) << 8));
        }
        // Sorted by (time, timer), which is the whole deadline, so the order is the same for any
        // sort; a game has a handful of deadlines, sorted on the stack.
        let mut buffer = [Deadline {
            timer: Timer::AuctionClose { auction: 0 },
            at: Timestamp(0),
        }; 8];
        let mut spilled = Vec::new();
        let deadlines = match buffer.get_mut(..self.deadlines.len()) {
            Some(slice) => {
                slice.copy_from_slice(&self.deadlines);
                slice
            }
            None => {
                spilled.extend_from_slice(&self.deadlines);
                &mut spilled[..]
            }
        };
        deadlines.sort_unstable_by_key(|d| (d.at, d.timer));
        f.word(deadlines.len() as u64);
        for d in deadlines.iter() {
            f.word(d.at.0);
            let (tag, data) = match d.timer {
                Timer::PhaseTimeout { player } => (0, player.0),
                Timer::RollTimeout { player } => (1, player.0),
                Timer::KickOut { player } => (2, player.0),
                Timer::AuctionClose { auction } => (3, u64::from(auction)),
                Timer::BotWake { player } => (4, player.0),
            };
            f.word(tag);
            f.word(data);
        }
        f.word(u64::from(self.auctions_started));
        f.word(u64::from(self.proposals_made));
        f.word(self.rng.seed().0);
        f.word(self.rng.word_pos());
        f.int(self.bank);
        match &self.outcome {
            None => f.word(0),
            Some(o) => {
                f.word(1);
                f.word(o.winner.0);
                f.word(match o.reason {
                    EndReason::LastPlayerStanding => 0,
                    EndReason::TurnLimit => 1,
                });
                f.word(o.ended_at.0);
                for b in &o.bonuses {
                    f.word(stat_tag(b.stat_field));
                    f.int(b.bonus_amount);
                    f.word(b.winners.len() as u64);
                    for w in &b.winners {
                        f.word(w.0);
                    }
                }
            }
        }
        f.finish()
    }
}
