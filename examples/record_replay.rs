//! Records a game between bots to a JSON file, reads it back and replays it, checking the state
//! hash after every input.
//!
//! Run it with `cargo run --example record_replay [FILE]` (default: a file in the temp directory).
#![allow(
    clippy::disallowed_methods,
    reason = "an example program may read and write files"
)]

use magnate_core::bot::EvBot;
use magnate_core::{
    replay, BotLevel, Driver, GameRecord, Input, PlayerId, PlayerSpec, RecordHeader, Seed, Setup,
    Timestamp,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("magnate-example-record.json"));

    let mut setup = Setup::new([PlayerId(1), PlayerId(2), PlayerId(3)]);
    for spec in &mut setup.players {
        *spec = PlayerSpec {
            id: spec.id,
            is_bot: true,
        };
    }
    setup.rules.max_turns = Some(200);
    let seed = Seed(2024);
    let mut header = RecordHeader::new(setup, seed, Timestamp(1_700_000_000_000));
    let levels = [BotLevel::Expert, BotLevel::Medium, BotLevel::VeryEasy];
    for (i, level) in levels.iter().enumerate() {
        header.bot_levels.insert(PlayerId(i as u64 + 1), *level);
    }

    // Play on a virtual clock, recording every input with its time and the state hash after it.
    let game = header.create_game()?;
    let start = game.started_at();
    let mut driver = Driver::recording(game, 0);
    for (i, level) in levels.iter().enumerate() {
        driver = driver.with_bot(PlayerId(i as u64 + 1), i, EvBot::new(*level));
    }
    let mut entries = Vec::new();
    driver.run_virtual(start, 1_000_000, |_, applied| {
        entries.extend(applied.entry.clone());
    })?;
    let game = driver.into_game();
    let record = GameRecord { header, entries };
    std::fs::write(&path, serde_json::to_vec(&record)?)?;
    println!(
        "recorded {} inputs to {}",
        record.entries.len(),
        path.display()
    );

    // Read it back and replay it: every hash is checked.
    let loaded: GameRecord = serde_json::from_slice(&std::fs::read(&path)?)?;
    let replayed = replay(&loaded)?;
    assert_eq!(replayed.game.state_hash(), game.state_hash());
    println!(
        "replayed: winner {} after {} turns, final hash {:016x}",
        replayed.game.winner().expect("finished"),
        replayed.game.current_turn(),
        replayed.game.state_hash()
    );

    // Tamper with one input: the replay names it.
    let mut tampered = loaded.clone();
    if let Some(entry) = tampered
        .entries
        .iter_mut()
        .find(|e| matches!(e.input, Input::Action { .. }))
    {
        entry.now = Timestamp(entry.now.0 + 1);
        entry.hash = "0000000000000000".into();
    }
    match replay(&tampered) {
        Err(err) => println!("a tampered record is refused: {err}"),
        Ok(_) => return Err("the tampered record was accepted".into()),
    }
    Ok(())
}
