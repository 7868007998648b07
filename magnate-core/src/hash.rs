//! A stable hash of the full game state, in two formats.
//!
//! # The words (both formats)
//!
//! The state is written as a sequence of unsigned 64-bit words in a fixed order (below; format 2
//! writes the squares differently).
//! Signed numbers are written as their two's-complement bit pattern, booleans as 0/1, absent
//! values as a distinct tag word. The order: board id; house rules; timer settings; start time;
//! every participant in turn order (id, money, position, jail turns, in game, bot, the eleven
//! statistics in docs/rules.md order); every square in ascending id order (owner seat + 1 or 0, houses,
//! mortgaged, declined mask); phase tag and data; turn and phase players; streak; turn counter;
//! parking; per-turn records; deadlines sorted by (time, timer); auction and proposal counters;
//! generator seed and position; bank; outcome. The last-seen `now` is not part of the state
//! hash, so an early tick leaves the hash unchanged.
//!
//! # Format version 1 (records of format version 2, docs/record-format.md)
//!
//! The words are folded into one 64-bit accumulator, one after the other:
//!
//! ```text
//! mix(h, w) = rotate_left((h ^ w) * 0x9E37_79B9_7F4A_7C15 (wrapping), 29)
//! h = 0x243F_6A88_85A3_08D3
//! for each word w:  h = mix(h, w)
//! result = splitmix64_finalize(h ^ word_count)
//! ```
//!
//! Each step waits for the previous multiplication, so the hash costs a multiplication's
//! latency per word.
//!
//! # Format version 2 (records of format version 3)
//!
//! The same words, except the squares': each square is one word `owned | houses (as u8) << 8 |
//! mortgaged << 16 | declined mask << 24` (`owned` is 1 for an owned square, else 0, and an
//! unowned square has no houses and no mortgage), followed, for an owned square, by its owner's
//! id. (Format 1 writes the owner's seat + 1 into the square's word, which costs a search of the
//! players per square.) The words are dealt round-robin to four independent accumulators (word
//! `i` goes to lane `i mod 4`), which the processor advances in parallel; the lanes are then
//! folded, in order, into one accumulator with the same step:
//!
//! ```text
//! lane = [0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89]
//! for each word w with index i:  lane[i mod 4] = mix(lane[i mod 4], w)
//! h = 0x4528_21E6_38D0_1377
//! for l in lane[0], lane[1], lane[2], lane[3]:  h = mix(h, l)
//! result = splitmix64_finalize(h ^ word_count)
//! ```
//!
//! No `HashMap`, no `std::hash` and no memory layout is involved, so the value is the same on
//! every platform and Rust version. A game hashes in its [`HashFormat`]: version 2 for a new
//! game, the record's for a game created from a record header.

use serde::{Deserialize, Serialize};

use crate::action::ActionKind;
use crate::event::EndReason;
use crate::game::Game;
use crate::phase::Phase;
use crate::setup::StatField;
use crate::time::Timestamp;
use crate::timer::{Deadline, Timer};

/// The state-hash algorithm of a game (see the module docs); records say which one their
/// entries use through their format version (docs/record-format.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashFormat {
    /// One serial accumulator: records of format version 2 (and 1).
    V1,
    /// Four interleaved accumulators: records of format version 3, and every new game.
    V2,
}

impl HashFormat {
    /// The format of new games and records.
    pub const CURRENT: HashFormat = HashFormat::V2;

    /// The format of a game snapshot written before games carried their format: such games all
    /// hashed with version 1.
    pub(crate) fn unrecorded() -> HashFormat {
        HashFormat::V1
    }
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(h: u64, w: u64) -> u64 {
    (h ^ w).wrapping_mul(K).rotate_left(29)
}

fn finalize(h: u64, count: u64) -> u64 {
    let mut z = h ^ count;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Where the state's words go.
trait Words {
    /// Format 2's squares: owners by id (format 1: by seat).
    const OWNER_IDS: bool;

    fn word(&mut self, w: u64);

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
}

/// Format version 1: one serial accumulator.
struct Serial {
    h: u64,
    count: u64,
}

impl Words for Serial {
    const OWNER_IDS: bool = false;

    #[inline(always)]
    fn word(&mut self, w: u64) {
        self.h = mix(self.h, w);
        self.count += 1;
    }
}

impl Serial {
    fn finish(self) -> u64 {
        finalize(self.h, self.count)
    }
}

/// Format version 2: four accumulators, word `i` into lane `i mod 4`. The lanes turn like a
/// queue: a word is mixed into the front lane, which then goes to the back, so each word waits
/// only for the word four places before it and the four chains run side by side (in registers,
/// since [`Game::hash_words`] is inlined into its caller).
struct Lanes {
    /// The lanes, front first: `queue[0]` is lane `count mod 4`.
    queue: [u64; 4],
    count: u64,
}

impl Words for Lanes {
    const OWNER_IDS: bool = true;

    #[inline(always)]
    fn word(&mut self, w: u64) {
        let [front, b, c, d] = self.queue;
        self.queue = [b, c, d, mix(front, w)];
        self.count += 1;
    }
}

/// The lanes' starting values.
const LANES: [u64; 4] = [
    0x243F_6A88_85A3_08D3,
    0x1319_8A2E_0370_7344,
    0xA409_3822_299F_31D0,
    0x082E_FA98_EC4E_6C89,
];

impl Lanes {
    fn new() -> Lanes {
        Lanes {
            queue: LANES,
            count: 0,
        }
    }

    fn finish(self) -> u64 {
        // Back in lane order: lane `count mod 4` is at the front.
        let [a, b, c, d] = self.queue;
        let lanes = match self.count % 4 {
            0 => [a, b, c, d],
            1 => [d, a, b, c],
            2 => [c, d, a, b],
            _ => [b, c, d, a],
        };
        let h = lanes.iter().fold(0x4528_21E6_38D0_1377, |h, &l| mix(h, l));
        finalize(h, self.count)
    }
}

fn stat_tag(field: StatField) -> u64 {
    field as u64
}

fn action_tag(kind: ActionKind) -> u64 {
    kind as u64
}

impl Game {
    /// A stable 64-bit hash of the full game state, in the game's [`HashFormat`] (see the
    /// module docs for the algorithms).
    pub fn state_hash(&self) -> u64 {
        self.state_hash_in(self.hash_format)
    }

    /// The state hash in `format`, whatever the game's own.
    pub fn state_hash_in(&self, format: HashFormat) -> u64 {
        match format {
            HashFormat::V1 => {
                let mut f = Serial {
                    h: 0x243F_6A88_85A3_08D3,
                    count: 0,
                };
                self.hash_words(&mut f);
                f.finish()
            }
            HashFormat::V2 => {
                let mut f = Lanes::new();
                self.hash_words(&mut f);
                f.finish()
            }
        }
    }

    /// The format [`Game::state_hash`] uses.
    pub fn hash_format(&self) -> HashFormat {
        self.hash_format
    }

    /// Writes the state's words, in the order of the module docs. Inlined into each format's
    /// caller, so the accumulators stay in registers.
    #[inline(always)]
    fn hash_words<F: Words>(&self, f: &mut F) {
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
        if F::OWNER_IDS {
            for state in &self.squares {
                let declined = u64::from(state.declined) << 24;
                match state.holding {
                    Some(h) => {
                        f.word(
                            1 | (u64::from(h.houses as u8) << 8)
                                | (u64::from(h.mortgaged) << 16)
                                | declined,
                        );
                        f.word(h.owner.0);
                    }
                    None => f.word(declined),
                }
            }
        } else {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{PlayerId, Seed};
    use crate::setup::Setup;

    /// Collects the words of format 1 (`false`) or 2, for the reference implementations below.
    struct Collect<const IDS: bool>(Vec<u64>);

    impl<const IDS: bool> Words for Collect<IDS> {
        const OWNER_IDS: bool = IDS;

        fn word(&mut self, w: u64) {
            self.0.push(w);
        }
    }

    /// Format 2 as the module docs state it, word by word.
    fn reference_v2(words: &[u64]) -> u64 {
        let mut lanes = LANES;
        for (i, &w) in words.iter().enumerate() {
            lanes[i % 4] = mix(lanes[i % 4], w);
        }
        let h = lanes.iter().fold(0x4528_21E6_38D0_1377, |h, &l| mix(h, l));
        finalize(h, words.len() as u64)
    }

    fn lanes_of(words: &[u64]) -> u64 {
        let mut lanes = Lanes::new();
        for &w in words {
            lanes.word(w);
        }
        lanes.finish()
    }

    #[test]
    fn turning_lanes_equal_the_documented_fold_for_every_length() {
        let words: Vec<u64> = (0..200u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i << 7))
            .collect();
        for len in 0..words.len() {
            assert_eq!(
                lanes_of(&words[..len]),
                reference_v2(&words[..len]),
                "{len}"
            );
        }
        // A word moved to another lane, or dropped, changes the hash.
        assert_ne!(lanes_of(&[1, 2, 3, 4, 5]), lanes_of(&[2, 1, 3, 4, 5]));
        assert_ne!(lanes_of(&[1, 0]), lanes_of(&[1]));
    }

    #[test]
    fn both_formats_fold_their_words_as_documented() {
        let mut game = Game::new(
            Setup::new([PlayerId(1), PlayerId(2), PlayerId(3)]),
            Seed(5),
            Timestamp(0),
        )
        .unwrap();
        // Some owned squares, so the formats' squares differ.
        game.squares[1].holding = Some(crate::game::Holding {
            owner: PlayerId(2),
            houses: 0,
            mortgaged: false,
        });
        game.squares[3].holding = Some(crate::game::Holding {
            owner: PlayerId(3),
            houses: -1,
            mortgaged: true,
        });
        game.squares[5].declined = 0b101;
        let mut words = Collect::<false>(Vec::new());
        game.hash_words(&mut words);
        let words = words.0;
        let mut words_v2 = Collect::<true>(Vec::new());
        game.hash_words(&mut words_v2);
        let words_v2 = words_v2.0;
        let mut serial = Serial {
            h: 0x243F_6A88_85A3_08D3,
            count: 0,
        };
        for &w in &words {
            serial.h = mix(serial.h, w);
            serial.count += 1;
        }
        assert_eq!(game.state_hash_in(HashFormat::V1), serial.finish());
        assert_eq!(game.state_hash_in(HashFormat::V2), reference_v2(&words_v2));
        assert_eq!(game.hash_format(), HashFormat::CURRENT);
        assert_eq!(game.state_hash(), game.state_hash_in(HashFormat::V2));
        // Known answers: a change of either format shows here.
        assert_eq!(
            format!(
                "{:016x} {:016x}",
                game.state_hash_in(HashFormat::V1),
                game.state_hash_in(HashFormat::V2)
            ),
            "7254b1d22032ead1 40f5ef4b8a02eac1"
        );
    }
}
