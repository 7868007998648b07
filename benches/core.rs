//! Criterion benches of the rules engine. Each asserts its result so it cannot quietly measure
//! broken code. Run with `cargo bench -p magnate-core --bench core`.
#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented functions"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use magnate_core::bot::EvBot;
use magnate_core::record::{replay_entries, verify};
use magnate_core::sim::{play, SimSetup};
use magnate_core::{replay, BotLevel, Game, GameRecord, HashFormat, Policy, Seed, TimerSettings};

/// A recorded 4-player expert game with a 500-turn limit.
fn expert_game(seed: u64, record: bool) -> magnate_core::sim::SimOutcome {
    let mut setup = SimSetup::new(Seed(seed), 4, Some(500));
    setup.timers = TimerSettings::default();
    setup.record = record;
    let bot = EvBot::new(BotLevel::Expert);
    play(&setup, &[&bot as &(dyn Policy + Sync)]).expect("bots finish their games")
}

fn long_record() -> GameRecord {
    // The longest of a few seeds, so replay measures a long game.
    (1..=4)
        .map(|seed| expert_game(seed, true).record.expect("recorded"))
        .max_by_key(|r| r.entries.len())
        .unwrap()
}

fn bench_apply(c: &mut Criterion) {
    let record = long_record();
    let half = record.entries.len() / 2;
    let batch = 200.min(record.entries.len() - half);
    let mid_game = replay_entries(&record.header, &record.entries[..half], false)
        .expect("replays")
        .game;
    let inputs: Vec<_> = record.entries[half..half + batch].to_vec();
    let expected = inputs.last().unwrap().hash.clone();
    let mut group = c.benchmark_group("apply");
    group.throughput(Throughput::Elements(batch as u64));
    group.bench_function("mid_game_inputs", |b| {
        b.iter_batched(
            || mid_game.clone(),
            |mut game: Game| {
                for entry in &inputs {
                    black_box(
                        game.apply(entry.input.clone(), entry.now)
                            .expect("recorded inputs are accepted"),
                    );
                }
                assert_eq!(format!("{:016x}", game.state_hash()), expected);
                game
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn bench_full_game(c: &mut Criterion) {
    let reference = expert_game(11, false);
    let (hash, actions) = (reference.game.state_hash(), reference.actions);
    let mut group = c.benchmark_group("game");
    group.sample_size(20);
    group.throughput(Throughput::Elements(actions));
    group.bench_function("expert_4p_max500_actions", |b| {
        b.iter(|| {
            let outcome = expert_game(11, false);
            assert_eq!(
                outcome.game.state_hash(),
                hash,
                "self-play is deterministic"
            );
            outcome
        })
    });
    group.finish();
}

fn bench_replay(c: &mut Criterion) {
    let record = long_record();
    let last = record.entries.last().unwrap().hash.clone();
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(record.entries.len() as u64));
    // Verification: every hash checked, no events kept (`record::verify`).
    group.bench_function("verify_long_record", |b| {
        b.iter(|| {
            let game = verify(black_box(&record)).expect("the record verifies");
            assert_eq!(format!("{:016x}", game.state_hash()), last);
            game
        })
    });
    // The same with every input's events kept (`replay`, as the CLI shows them).
    group.bench_function("replay_long_record_with_events", |b| {
        b.iter(|| {
            let replayed = replay(black_box(&record)).expect("the record verifies");
            assert_eq!(format!("{:016x}", replayed.game.state_hash()), last);
            assert_eq!(replayed.events.len(), record.entries.len());
            replayed
        })
    });
    group.finish();
}

/// The state hash alone, in both formats, on the same mid-game state.
fn bench_hash(c: &mut Criterion) {
    let record = long_record();
    let mid_game = replay_entries(
        &record.header,
        &record.entries[..record.entries.len() / 2],
        false,
    )
    .unwrap()
    .game;
    let mut group = c.benchmark_group("hash");
    group.throughput(Throughput::Elements(1));
    for (name, format) in [
        ("state_hash_v1", HashFormat::V1),
        ("state_hash_v2", HashFormat::V2),
    ] {
        let expected = mid_game.state_hash_in(format);
        group.bench_function(name, |b| {
            b.iter(|| {
                let hash = black_box(&mid_game).state_hash_in(format);
                assert_eq!(hash, expected);
                hash
            })
        });
    }
    group.finish();
}

fn bench_serde(c: &mut Criterion) {
    let record = long_record();
    let mid_game = replay_entries(
        &record.header,
        &record.entries[..record.entries.len() / 2],
        false,
    )
    .unwrap()
    .game;
    let json = serde_json::to_string(&mid_game).unwrap();
    let mut group = c.benchmark_group("serde");
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("snapshot_to_json", |b| {
        b.iter(|| serde_json::to_string(black_box(&mid_game)).unwrap())
    });
    group.bench_function("snapshot_from_json", |b| {
        b.iter(|| {
            let game: Game = serde_json::from_str(black_box(&json)).unwrap();
            assert_eq!(game.state_hash(), mid_game.state_hash());
            game
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_apply,
    bench_full_game,
    bench_replay,
    bench_hash,
    bench_serde
);
criterion_main!(benches);
