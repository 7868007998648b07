//! Simulation: bots in every seat, driven over a virtual clock that jumps to the next deadline, so
//! timers (and bot wake-ups) fire exactly as they would on a server.

use crate::action::Input;
use crate::bot::Policy;
use crate::driver::{Driver, Stopped};
use crate::event::EndReason;
use crate::game::Game;
use crate::ids::{PlayerId, Seed};
use crate::record::{GameRecord, RecordHeader, ReplayError};
use crate::setup::{PlayerSpec, Setup, TimerSettings};
use crate::time::Timestamp;

/// How to set up a simulated game.
#[derive(Clone, Debug)]
pub struct SimSetup {
    /// The game's seed (the bots' generators derive from it too).
    pub seed: Seed,
    /// Number of seats (players 1..=n, all bots).
    pub players: usize,
    /// The turn limit (a simulation should have one so that every game ends).
    pub max_turns: Option<u32>,
    /// Timer durations; bot delays model the server's reaction times.
    pub timers: TimerSettings,
    /// Keep the game record (costs time and memory).
    pub record: bool,
    /// The virtual start time.
    pub start: Timestamp,
    /// Give up after this many inputs (a safety net against a policy that never ends a game).
    pub max_inputs: u64,
}

impl SimSetup {
    /// `players` seats, the reference's timer durations, a turn limit, no record.
    pub fn new(seed: Seed, players: usize, max_turns: Option<u32>) -> SimSetup {
        SimSetup {
            seed,
            players,
            max_turns,
            timers: TimerSettings::default(),
            record: false,
            start: Timestamp(0),
            max_inputs: 2_000_000,
        }
    }

    /// The engine setup: players 1..=n, all bots.
    pub fn game_setup(&self) -> Setup {
        let mut setup = Setup::new((1..=self.players as u64).map(PlayerId));
        for spec in &mut setup.players {
            *spec = PlayerSpec {
                id: spec.id,
                is_bot: true,
            };
        }
        setup.rules.max_turns = self.max_turns;
        setup.timers = self.timers;
        setup
    }
}

/// The result of a simulated game.
#[derive(Clone, Debug)]
pub struct SimOutcome {
    /// The finished game.
    pub game: Game,
    /// Its record, if asked for.
    pub record: Option<GameRecord>,
    /// Accepted player actions.
    pub actions: u64,
    /// Ticks applied.
    pub ticks: u64,
    /// Why the game ended.
    pub reason: EndReason,
    /// The winner.
    pub winner: PlayerId,
    /// The winner's seat (index in joining order, 0-based).
    pub winner_seat: usize,
}

/// Why a simulation failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The setup was refused.
    #[error(transparent)]
    Setup(#[from] ReplayError),
    /// A policy returned an action the engine refused.
    #[error("seat {seat} (player {player}) chose a refused action {action}: {error}")]
    IllegalMove {
        /// The seat.
        seat: usize,
        /// The player.
        player: PlayerId,
        /// The action, as JSON.
        action: String,
        /// Why it was refused.
        error: crate::RuleError,
    },
    /// Nobody could act and no deadline was pending.
    #[error("the game stalled at input {inputs} in phase {phase:?}")]
    Stalled {
        /// Inputs applied so far.
        inputs: u64,
        /// The phase it stalled in.
        phase: crate::PhaseName,
    },
    /// The input budget ran out.
    #[error("the game did not end within {0} inputs")]
    TooLong(u64),
}

/// Plays one game with `policies[seat]` deciding for each seat (joining order = player id order;
/// the last policy plays the seats beyond the list).
///
/// The loop is the server's ([`Driver`]): the clock jumps to the next deadline and ticks; every
/// bot woken by the tick is asked for a move, which is applied at that same instant. A policy's
/// refused move is reported as [`SimError::IllegalMove`] (the game itself went on with the safe
/// default, as on a server).
pub fn play(setup: &SimSetup, policies: &[&(dyn Policy + Sync)]) -> Result<SimOutcome, SimError> {
    let header = RecordHeader::new(setup.game_setup(), setup.seed, setup.start);
    let game = header.create_game()?;
    // Seats in joining order (the turn order is shuffled by the seed).
    let seats: Vec<PlayerId> = header.setup.players.iter().map(|p| p.id).collect();
    let mut driver = if setup.record {
        Driver::recording(game, 0)
    } else {
        Driver::new(game)
    };
    for (seat, player) in seats.iter().enumerate() {
        if let Some(policy) = policies.get(seat).or(policies.last()) {
            driver = driver.with_bot(*player, seat, *policy);
        }
    }
    let (mut actions, mut ticks) = (0u64, 0u64);
    let mut entries = Vec::new();
    let mut illegal = None;
    let ran = driver.run_virtual(setup.start, setup.max_inputs, |_, applied| {
        match &applied.input {
            Input::Tick => ticks += 1,
            Input::Action { player, .. } => {
                actions += 1;
                if let (Some((action, error)), None) = (&applied.refused, &illegal) {
                    illegal = Some(SimError::IllegalMove {
                        seat: seats.iter().position(|p| p == player).unwrap_or(0),
                        player: *player,
                        action: serde_json::to_string(action).unwrap_or_default(),
                        error: error.clone(),
                    });
                }
            }
        }
        entries.extend(applied.entry.clone());
    });
    if let Some(illegal) = illegal {
        return Err(illegal);
    }
    match ran {
        Ok(_) => {}
        Err(Stopped::Stalled { inputs }) => {
            return Err(SimError::Stalled {
                inputs,
                phase: driver.game().phase().name(),
            })
        }
        Err(Stopped::Budget { .. }) => return Err(SimError::TooLong(setup.max_inputs)),
    }
    let game = driver.into_game();
    let record = setup.record.then_some(GameRecord { header, entries });
    let outcome = game
        .outcome()
        .cloned()
        .expect("invariant: the loop ends only when the game is finished");
    let winner_seat = seats.iter().position(|p| *p == outcome.winner).unwrap_or(0);
    Ok(SimOutcome {
        game,
        record,
        actions,
        ticks,
        reason: outcome.reason,
        winner: outcome.winner,
        winner_seat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::RandomBot;

    #[test]
    fn random_bots_finish_games_and_records_replay() {
        for seed in 0..20 {
            let mut setup = SimSetup::new(Seed(seed), 2 + (seed as usize % 3), Some(80));
            setup.record = true;
            let outcome = play(&setup, &[&RandomBot]).unwrap();
            assert!(outcome.game.is_finished());
            assert!(outcome.actions > 0);
            let record = outcome.record.unwrap();
            let replayed = crate::record::replay(&record).unwrap();
            assert_eq!(replayed.game.state_hash(), outcome.game.state_hash());
            let verified = crate::record::verify(&record).unwrap();
            assert!(verified == replayed.game);
            // A tampered hash is found at the same entry by both.
            let mut tampered = record.clone();
            let middle = tampered.entries.len() / 2;
            tampered.entries[middle].hash = "0000000000000000".into();
            let expected = crate::record::replay(&tampered).unwrap_err();
            assert_eq!(crate::record::verify(&tampered).unwrap_err(), expected);
            assert_eq!(expected.index(), Some(middle as u64));
        }
    }

    #[test]
    fn replayed_events_fold_into_the_view_after_every_input() {
        let mut setup = SimSetup::new(Seed(9), 3, Some(40));
        setup.record = true;
        let record = play(&setup, &[&RandomBot]).unwrap().record.unwrap();
        let replayed = crate::record::replay(&record).unwrap();
        let mut game = record.header.create_game().unwrap();
        let mut view = game.view();
        for (entry, events) in record.entries.iter().zip(&replayed.events) {
            game.apply(entry.input.clone(), entry.now).unwrap();
            for event in events {
                view.apply(event);
            }
            assert_eq!(view, game.view(), "after entry {}", entry.index);
        }
        assert!(game == replayed.game);
    }

    #[test]
    fn recording_does_not_change_the_game() {
        let mut setup = SimSetup::new(Seed(5), 3, Some(60));
        let plain = play(&setup, &[&RandomBot]).unwrap();
        setup.record = true;
        let recorded = play(&setup, &[&RandomBot]).unwrap();
        assert_eq!(plain.game.state_hash(), recorded.game.state_hash());
        assert_eq!(plain.actions, recorded.actions);
    }
}
