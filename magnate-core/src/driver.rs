//! The one drive loop: every driver (the server's game actor, [`crate::sim`], the examples, the
//! fuzz checks) runs a game through a [`Driver`].
//!
//! A driver feeds the game two kinds of input: players' actions, and ticks when a deadline is
//! due. Around that, the [`Driver`] owns what every driver must do the same way:
//! - **bots**: a bot woken by the game (its `BotWoken` event) is asked for a move at once, in
//!   the order the game woke them, depth first (a bot woken by another bot's move acts before
//!   the next one woken earlier);
//! - **the bot fallback**: the bot's decision, else the core's safe default for its phase, else
//!   a surrender, so a bot never stalls a game; and one cap, [`MAX_BOT_MOVES_PER_TURN`], past
//!   which a bot only plays the safe default;
//! - **what gets recorded**: every accepted action and every tick that fired something, each
//!   with its index and state hash ([`RecordEntry`]); a tick with nothing due is not applied;
//! - **time**: [`Driver::run_virtual`] jumps the clock to the next deadline whenever nobody has
//!   anything to do (simulations, tests); a real-time driver sleeps until
//!   [`Driver::next_deadline`] and calls [`Driver::tick`].

use std::collections::BTreeMap;

use crate::action::{Action, Input};
use crate::bot::{bot_rng, BotMove, Policy};
use crate::error::RuleError;
use crate::event::Event;
use crate::game::Game;
use crate::ids::PlayerId;
use crate::record::{format_hash, RecordEntry};
use crate::rng::GameRng;
use crate::time::Timestamp;

/// Moves one bot may make in one turn before it is held to the safe default: a policy that
/// keeps acting without ending its turn (mortgaging and lifting the same square forever, say)
/// cannot hold a game up.
pub const MAX_BOT_MOVES_PER_TURN: u32 = 60;

/// One input the driver applied, in order.
#[derive(Debug)]
pub struct Applied {
    /// The input as applied.
    pub input: Input,
    /// Its time.
    pub now: Timestamp,
    /// Its events, in order.
    pub events: Vec<Event>,
    /// True when a bot's move (decided by the driver) rather than a caller's input.
    pub by_bot: bool,
    /// The record entry, when the driver records.
    pub entry: Option<RecordEntry>,
    /// For a bot's move: its own decision, and why it was refused, when a fallback was played
    /// instead (drivers log it; [`crate::sim`] treats it as a bot bug).
    pub refused: Option<(Action, RuleError)>,
}

/// A bot seat: its policy, its own random stream and its moves this turn.
struct BotSeat<'p> {
    policy: Box<dyn Policy + Send + 'p>,
    rng: GameRng,
    turn: u32,
    moves: u32,
}

/// Runs a game: applies inputs, plays bots, records (see the module docs). `'p` is the lifetime
/// of borrowed policies (`'static` for owned ones).
pub struct Driver<'p> {
    game: Game,
    bots: BTreeMap<PlayerId, BotSeat<'p>>,
    record: bool,
    next_index: u64,
    /// The stack of woken bots of `play_woken`, kept for its capacity.
    woken: Vec<PlayerId>,
}

impl std::fmt::Debug for Driver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("bots", &self.bots.keys().collect::<Vec<_>>())
            .field("record", &self.record)
            .field("next_index", &self.next_index)
            .finish_non_exhaustive()
    }
}

impl<'p> Driver<'p> {
    /// A driver of `game` that records nothing.
    pub fn new(game: Game) -> Driver<'p> {
        Driver {
            game,
            bots: BTreeMap::new(),
            record: false,
            next_index: 0,
            woken: Vec::new(),
        }
    }

    /// A driver that returns a [`RecordEntry`] for every input it applies, numbered from
    /// `next_index` (0 for a new game, the record's length for a restored one).
    pub fn recording(game: Game, next_index: u64) -> Driver<'p> {
        Driver {
            record: true,
            next_index,
            ..Driver::new(game)
        }
    }

    /// Seats `policy` as the bot playing `player`. `seat` seeds the bot's own random stream
    /// ([`bot_rng`] of the game's seed and the seat): the same game, seats and policies always
    /// play the same moves. Use one convention per driver, for example the player's index in
    /// the setup's joining order.
    pub fn with_bot(
        mut self,
        player: PlayerId,
        seat: usize,
        policy: impl Policy + Send + 'p,
    ) -> Driver<'p> {
        self.bots.insert(
            player,
            BotSeat {
                policy: Box::new(policy),
                rng: bot_rng(self.game.seed(), seat),
                turn: 0,
                moves: 0,
            },
        );
        self
    }

    /// The game.
    pub fn game(&self) -> &Game {
        &self.game
    }

    /// The game, for its owner.
    pub fn into_game(self) -> Game {
        self.game
    }

    /// The index the next record entry gets.
    pub fn next_index(&self) -> u64 {
        self.next_index
    }

    /// When the driver must next [`tick`](Driver::tick), if the game has a deadline.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.game.next_deadline().map(|deadline| deadline.at)
    }

    /// Applies `player`'s action at `now`, then the moves of every bot it woke. A refused action
    /// changes nothing and is returned as is.
    pub fn act(
        &mut self,
        player: PlayerId,
        action: Action,
        now: Timestamp,
    ) -> Result<Vec<Applied>, RuleError> {
        let mut applied = Vec::new();
        self.apply(Input::action(player, action), now, false, &mut applied)?;
        self.play_woken(now, &mut applied);
        Ok(applied)
    }

    /// Fires the deadlines due at `now` and plays the bots they woke; empty when nothing is due.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Applied> {
        let mut applied = Vec::new();
        self.tick_into(now, &mut applied);
        applied
    }

    /// [`Driver::tick`] into `applied`, which must be empty (a drive loop reuses one buffer).
    fn tick_into(&mut self, now: Timestamp, applied: &mut Vec<Applied>) {
        if self.next_deadline().is_some_and(|at| at <= now) {
            // A tick is never refused.
            let _ = self.apply(Input::Tick, now, false, applied);
            self.play_woken(now, applied);
        }
    }

    /// Plays the bots the game is waiting for that have no wake-up deadline of their own: after
    /// a restore, bots that were woken but had not acted yet.
    pub fn wake_waiting_bots(&mut self, now: Timestamp) -> Vec<Applied> {
        let mut applied = Vec::new();
        let waiting: Vec<PlayerId> = self
            .game
            .pending_actors()
            .into_iter()
            .filter(|player| self.bots.contains_key(player) && !self.has_wake_up(*player))
            .collect();
        for bot in waiting {
            self.play_bot(bot, now, &mut applied);
        }
        applied
    }

    /// Runs the game to its end on a virtual clock that starts at `now` and jumps to each next
    /// deadline; `on_applied` sees every input. Stops early, with `Err`, after `budget` inputs
    /// or when the game has no deadline left to wait for.
    pub fn run_virtual(
        &mut self,
        mut now: Timestamp,
        budget: u64,
        mut on_applied: impl FnMut(&Game, &Applied),
    ) -> Result<Timestamp, Stopped> {
        let mut inputs = 0u64;
        // One buffer for every tick's inputs.
        let mut buffer = Vec::new();
        while !self.game.is_finished() {
            let Some(at) = self.next_deadline() else {
                return Err(Stopped::Stalled { inputs });
            };
            now = now.max(at);
            self.tick_into(now, &mut buffer);
            for applied in &buffer {
                inputs += 1;
                on_applied(&self.game, applied);
            }
            buffer.clear();
            if inputs >= budget && !self.game.is_finished() {
                return Err(Stopped::Budget { inputs });
            }
        }
        Ok(now)
    }

    fn has_wake_up(&self, bot: PlayerId) -> bool {
        self.game.deadlines().iter().any(
            |deadline| matches!(deadline.timer, crate::Timer::BotWake { player } if player == bot),
        )
    }

    fn apply(
        &mut self,
        input: Input,
        now: Timestamp,
        by_bot: bool,
        applied: &mut Vec<Applied>,
    ) -> Result<(), RuleError> {
        let events = self.game.apply(input.clone(), now)?;
        let entry = self.record.then(|| {
            let entry = RecordEntry {
                index: self.next_index,
                now,
                input: input.clone(),
                hash: format_hash(self.game.state_hash()),
            };
            self.next_index += 1;
            entry
        });
        applied.push(Applied {
            input,
            now,
            events,
            by_bot,
            entry,
            refused: None,
        });
        Ok(())
    }

    /// Plays, depth first, the bots woken by the inputs from `applied[from..]`.
    fn play_woken(&mut self, now: Timestamp, applied: &mut Vec<Applied>) {
        let mut next = 0;
        // The driver's buffer, reused from call to call (empty between calls).
        let mut stack = std::mem::take(&mut self.woken);
        loop {
            // Bots woken by inputs not yet looked at go on top, the earliest woken first.
            while next < applied.len() {
                // Pushed last first, so the earliest woken is on top.
                stack.extend(
                    applied[next]
                        .events
                        .iter()
                        .rev()
                        .filter_map(|event| match *event {
                            Event::BotWoken { player } => Some(player),
                            _ => None,
                        }),
                );
                next += 1;
            }
            let Some(bot) = stack.pop() else {
                self.woken = stack;
                return;
            };
            self.play_bot(bot, now, applied);
        }
    }

    /// One bot move with the fallback: decision, safe default, surrender.
    fn play_bot(&mut self, bot: PlayerId, now: Timestamp, applied: &mut Vec<Applied>) {
        if !self.game.is_in_game(bot) {
            return;
        }
        let turn = self.game.current_turn();
        let Some(seat) = self.bots.get_mut(&bot) else {
            return;
        };
        if seat.turn != turn {
            seat.turn = turn;
            seat.moves = 0;
        }
        seat.moves += 1;
        let decision = if seat.moves > MAX_BOT_MOVES_PER_TURN {
            BotMove::Idle
        } else {
            seat.policy.decide(&self.game, bot, &mut seat.rng)
        };
        let decided = match decision {
            BotMove::Act(action) => Some(action),
            // A bot that must act but has no idea still moves, so the game never stalls.
            BotMove::Idle if self.game.is_pending_actor(bot) => None,
            BotMove::Idle => return,
        };
        let fallback = crate::bot::safe_default(&self.game, bot);
        let candidates = decided
            .into_iter()
            .chain(fallback)
            .chain([Action::Surrender]);
        let mut refused = None;
        for action in candidates {
            match self.apply(Input::action(bot, action.clone()), now, true, applied) {
                Ok(()) => {
                    if let Some(last) = applied.last_mut() {
                        last.refused = refused;
                    }
                    return;
                }
                Err(error) => {
                    refused.get_or_insert((action, error));
                }
            }
        }
    }
}

/// Why [`Driver::run_virtual`] stopped before the end of the game.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Stopped {
    /// No deadline left and nobody to act.
    #[error("the game stalled after {inputs} inputs")]
    Stalled {
        /// Inputs applied.
        inputs: u64,
    },
    /// The input budget ran out.
    #[error("the game did not end within {inputs} inputs")]
    Budget {
        /// Inputs applied.
        inputs: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::{EvBot, RandomBot};
    use crate::record::{replay, GameRecord, RecordHeader};
    use crate::{BotLevel, PlayerSpec, Seed, Setup};

    fn bots_game(seed: u64, players: u64) -> RecordHeader {
        let mut setup = Setup::new((1..=players).map(PlayerId));
        for spec in &mut setup.players {
            *spec = PlayerSpec {
                id: spec.id,
                is_bot: true,
            };
        }
        setup.rules.max_turns = Some(60);
        RecordHeader::new(setup, Seed(seed), Timestamp(0))
    }

    #[test]
    fn bots_finish_games_and_what_is_recorded_replays() {
        for seed in 0..6 {
            let header = bots_game(seed, 2 + seed % 3);
            let game = header.create_game().unwrap();
            let players: Vec<PlayerId> = game.participants().iter().map(|p| p.id).collect();
            let mut driver = Driver::recording(game, 0);
            for (n, player) in players.into_iter().enumerate() {
                driver = if n % 2 == 0 {
                    driver.with_bot(player, n, RandomBot)
                } else {
                    driver.with_bot(player, n, EvBot::new(BotLevel::Hard))
                };
            }
            let mut entries = Vec::new();
            driver
                .run_virtual(Timestamp(0), 200_000, |_, applied| {
                    assert!(applied.refused.is_none(), "{:?}", applied.refused);
                    entries.extend(applied.entry.clone());
                })
                .unwrap();
            assert!(driver.game().is_finished());
            assert_eq!(driver.next_index(), entries.len() as u64);
            let record = GameRecord { header, entries };
            let replayed = replay(&record).unwrap();
            assert!(replayed.game == *driver.game());
        }
    }

    /// A policy that always answers with an illegal move.
    struct Stubborn;

    impl Policy for Stubborn {
        fn decide(&self, _: &Game, _: PlayerId, _: &mut GameRng) -> BotMove {
            BotMove::Act(Action::PayBail)
        }
    }

    #[test]
    fn a_bot_whose_moves_are_refused_falls_back_and_the_game_still_ends() {
        let header = bots_game(3, 2);
        let game = header.create_game().unwrap();
        let mut driver = Driver::new(game)
            .with_bot(PlayerId(1), 0, Stubborn)
            .with_bot(PlayerId(2), 1, RandomBot);
        let mut fallbacks = 0;
        driver
            .run_virtual(Timestamp(0), 200_000, |_, applied| {
                if let Some((action, _)) = &applied.refused {
                    assert_eq!(*action, Action::PayBail);
                    fallbacks += 1;
                }
            })
            .unwrap();
        assert!(driver.game().is_finished());
        assert!(fallbacks > 0);
    }

    /// A policy that never ends its turn while it may mortgage or lift a mortgage.
    struct Restless;

    impl Policy for Restless {
        fn decide(&self, game: &Game, me: PlayerId, rng: &mut GameRng) -> BotMove {
            let flip = game
                .legal_actions(me)
                .into_iter()
                .find_map(|legal| match legal {
                    crate::LegalAction::Exact(
                        action @ (Action::MortgageSet { .. } | Action::MortgageUnset { .. }),
                    ) => Some(action),
                    _ => None,
                });
            match flip {
                Some(action) => BotMove::Act(action),
                None => RandomBot.decide(game, me, rng),
            }
        }
    }

    #[test]
    fn the_per_turn_cap_ends_a_restless_bot_s_turn() {
        let header = bots_game(8, 2);
        let game = header.create_game().unwrap();
        let mut driver = Driver::new(game)
            .with_bot(PlayerId(1), 0, Restless)
            .with_bot(PlayerId(2), 1, Restless);
        let mut longest = BTreeMap::<(PlayerId, u32), u32>::new();
        driver
            .run_virtual(Timestamp(0), 500_000, |game, applied| {
                if let Input::Action { player, .. } = applied.input {
                    *longest.entry((player, game.current_turn())).or_default() += 1;
                }
            })
            .unwrap();
        assert!(driver.game().is_finished());
        // Without the cap the game never ends; with it, a turn holds a bounded number of moves.
        let most = longest.values().copied().max().unwrap_or(0);
        assert!(
            most <= MAX_BOT_MOVES_PER_TURN + 8,
            "{most} moves in one turn"
        );
    }
}
