//! The smallest complete driver of `magnate-core`: four expert bots play a game, with a virtual
//! clock that jumps to the next deadline whenever nobody has anything to do.
//!
//! Run it with `cargo run --example drive_loop [SEED]`.

use magnate_core::bot::EvBot;
use magnate_core::{
    BotLevel, Driver, Game, Input, PlayerId, PlayerSpec, Seed, Setup, TimerSettings, Timestamp,
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
    let game = Game::new(setup, Seed(seed), Timestamp(0)).expect("a valid setup");

    // The driver plays the bots the game wakes (with their fallback if a move is refused) and
    // jumps the clock to the next deadline whenever nobody has anything to do. A real-time
    // driver would instead sleep until `driver.next_deadline()` and call `driver.tick(now)`,
    // and hand players' actions to `driver.act(player, action, now)`.
    let mut driver = Driver::new(game);
    for id in 1..=4 {
        let seat = (id - 1) as usize;
        driver = driver.with_bot(PlayerId(id), seat, EvBot::new(BotLevel::Expert));
    }
    let mut actions = 0u64;
    let now = driver
        .run_virtual(Timestamp(0), 1_000_000, |_, applied| {
            if matches!(applied.input, Input::Action { .. }) {
                actions += 1;
            }
        })
        .expect("bots finish their games");
    let game = driver.into_game();

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
