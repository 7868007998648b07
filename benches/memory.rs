//! The heap size of a mid-game state, measured with dhat. Run with
//! `cargo bench -p magnate-core --bench memory`; it asserts the 8 KiB target.

use magnate_core::bot::EvBot;
use magnate_core::record::replay_entries;
use magnate_core::sim::{play, SimSetup};
use magnate_core::{BotLevel, Game, Policy, Seed};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

fn main() {
    let mut setup = SimSetup::new(Seed(3), 4, Some(500));
    setup.record = true;
    let bot = EvBot::new(BotLevel::Expert);
    let record = play(&setup, &[&bot as &(dyn Policy + Sync)])
        .expect("bots finish")
        .record
        .expect("recorded");
    let mut worst = 0usize;
    let _profiler = dhat::Profiler::builder().testing().build();
    for fraction in [4, 2] {
        let game = replay_entries(
            &record.header,
            &record.entries[..record.entries.len() / fraction],
            false,
        )
        .expect("replays")
        .game;
        let before = dhat::HeapStats::get().curr_bytes;
        let copy: Game = game.clone();
        let heap = dhat::HeapStats::get().curr_bytes - before;
        let total = heap + std::mem::size_of::<Game>();
        println!(
            "game state after {} of {} inputs: {} bytes inline + {} bytes heap = {} bytes",
            record.entries.len() / fraction,
            record.entries.len(),
            std::mem::size_of::<Game>(),
            heap,
            total
        );
        worst = worst.max(total);
        drop(copy);
    }
    assert!(
        worst < 8 * 1024,
        "a game state takes {worst} bytes, over the 8 KiB target"
    );
    println!("largest: {worst} bytes (target < 8192)");
}
