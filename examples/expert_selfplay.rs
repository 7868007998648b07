//! The profiling driver of benches/README.md: plays the `game/` bench's seeded 4-player expert
//! game (seed 11, 500-turn limit, no record) a number of times and prints the actions played, so
//! callgrind's instruction count (collected in `sim::play`) divides into instructions per action.
//!
//! Run it with `cargo run --release --features sim --example expert_selfplay [GAMES] [SEED]`.

use magnate_core::bot::EvBot;
use magnate_core::sim::{play, SimSetup};
use magnate_core::{BotLevel, Policy, Seed, TimerSettings};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
    let games = args.next().flatten().unwrap_or(1);
    let seed = args.next().flatten().unwrap_or(11);
    let bot = EvBot::new(BotLevel::Expert);
    let mut actions = 0;
    let mut hash = 0;
    for _ in 0..games {
        let mut setup = SimSetup::new(Seed(seed), 4, Some(500));
        setup.timers = TimerSettings::default();
        let outcome = play(&setup, &[&bot as &(dyn Policy + Sync)]).expect("bots finish");
        actions += outcome.actions;
        hash = outcome.game.state_hash();
    }
    println!("{games} games, {actions} actions, final hash {hash:016x}");
}
