//! The smallest complete driver of `magnate-core`: four expert bots play a game, with a virtual
//! clock that jumps to the next deadline whenever nobody has anything to do.
//!
//! Run it with `cargo run --example drive_loop [SEED]`.

use magnate_core::bot::EvBot;
use magnate_core::{
    bot_rng, BotLevel, BotMove, EventKind, Game, GameRng, Input, PlayerId, PlayerSpec, Policy,
    Seed, Setup, TimerSettings, Timestamp,
};

fn main() {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);

    // Four bots; the game ends after 500 turns at the latest (the richest player wins then).
    let mut setup = Setup::new((1..=4).map(PlayerId));
    for spec in &mut setup.players {
        *spec = PlayerSpec {
            id: spec.id,
            is_bot: true,
        };
    }
    setup.rules.max_turns = Some(500);
    setup.timers = TimerSettings::default();
    let mut game = Game::new(setup, Seed(seed), Timestamp(0)).expect("a valid setup");

    let bot = EvBot::new(BotLevel::Expert);
    let mut rngs: Vec<GameRng> = (0..4).map(|seat| bot_rng(Seed(seed), seat)).collect();
    let mut now = Timestamp(0);
    let mut woken: Vec<PlayerId> = Vec::new();
    let mut actions = 0u64;

    while !game.is_finished() {
        // A bot that was woken acts now; otherwise the clock jumps to the next deadline.
        let events = match woken.pop() {
            Some(player) => {
                let seat = (player.0 - 1) as usize;
                match bot.decide(&game, player, &mut rngs[seat]) {
                    BotMove::Act(action) => {
                        actions += 1;
                        game.apply(Input::action(player, action), now)
                            .expect("bots only choose legal actions")
                    }
                    BotMove::Idle => continue,
                }
            }
            None => {
                let deadline = game
                    .next_deadline()
                    .expect("a running game always has a deadline");
                now = now.max(deadline.at);
                game.apply(Input::Tick, now).expect("ticks never fail")
            }
        };
        for event in events.iter().rev() {
            if let EventKind::BotWoken { player } = event.kind {
                woken.push(player);
            }
        }
    }

    let outcome = game.outcome().expect("the game is finished");
    println!(
        "seed {seed}: player {} won ({:?}) after {} turns and {actions} actions, {:.1} virtual hours",
        outcome.winner,
        outcome.reason,
        game.current_turn(),
        now.0 as f64 / 3_600_000.0
    );
    for player in game.participants() {
        println!(
            "  player {}: net worth {}",
            player.id,
            game.net_worth(player.id)
        );
    }
}
