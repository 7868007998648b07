//! Bots (docs/rules.md ("Bots")): golden values of docs/rules.md, decisions, legality and liveness in self-play,
//! the exploration rate, and the strength tournament (ignored; run it in release).

use std::collections::BTreeSet;

use magnate_core::{
    bot_rng, Action, BotLevel, BotMove, EvBot, Game, GameRng, Input, PlayerId, Policy, Seed, Setup,
    Timestamp,
};

use crate::{P1, P2};

mod decisions;
mod golden;

// ----- self-play driver ------------------------------------------------------------------

/// What one self-play game did.
struct Played {
    game: Game,
    /// Bot actions applied.
    actions: u64,
    /// The most bot actions inside one turn.
    longest_turn: u64,
}

/// Plays a whole game with `levels[i]` in seat `i` (turn order as created), bots deciding for
/// every pending actor, and a virtual clock that jumps to the next deadline when nobody moves.
/// Every bot action must be accepted; the game must end.
fn play(seed: u64, levels: &[BotLevel], max_turns: u32) -> Played {
    let bots: Vec<EvBot> = levels.iter().map(|l| EvBot::new(*l)).collect();
    play_bots(seed, &bots, max_turns)
}

/// As [`play`], with explicit bots (for tuning experiments).
fn play_bots(seed: u64, bots: &[EvBot], max_turns: u32) -> Played {
    let ids: Vec<PlayerId> = (1..=bots.len() as u64).map(PlayerId).collect();
    let mut setup = Setup::new(ids.iter().copied());
    setup.rules.max_turns = Some(max_turns);
    let mut game = Game::new(setup, Seed(seed), Timestamp(0)).expect("valid setup");
    let order: Vec<PlayerId> = game.participants().iter().map(|p| p.id).collect();
    let mut rngs: Vec<GameRng> = (0..ids.len()).map(|i| bot_rng(Seed(seed), i)).collect();
    let mut now = Timestamp(0);
    let mut actions = 0u64;
    let mut longest_turn = 0u64;
    let mut this_turn = 0u64;
    let mut turn = game.current_turn();
    let budget = 200_000u64;
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    while !game.is_finished() {
        let mut acted = false;
        for player in game.pending_actors() {
            let seat = (player.0 - 1) as usize;
            let hash = game.state_hash();
            match bots[seat].decide(&game, player, &mut rngs[seat]) {
                BotMove::Act(action) => {
                    check_sensible(&game, player, &action, seed);
                    // docs/rules.md: an expert never sees the same state twice inside one turn.
                    if bots[seat].level == BotLevel::Expert && !seen.insert(hash) {
                        panic!("seed {seed}: expert {player} revisited a state ({action:?})");
                    }
                    if let Err(err) = game.apply(Input::action(player, action.clone()), now) {
                        panic!(
                            "seed {seed}: {action:?} by {player} ({:?}, phase {:?}) refused: {err:?}",
                            bots[seat].level,
                            game.phase().name()
                        );
                    }
                    actions += 1;
                    this_turn += 1;
                    acted = true;
                    break;
                }
                BotMove::Idle => {}
            }
        }
        if game.current_turn() != turn {
            seen.clear();
            turn = game.current_turn();
            longest_turn = longest_turn.max(this_turn);
            this_turn = 0;
        }
        if !acted {
            let deadline = game
                .next_deadline()
                .unwrap_or_else(|| panic!("seed {seed}: nobody can move and no deadline"));
            now = now.max(deadline.at);
            game.apply(Input::Tick, now).expect("ticks never fail");
        }
        assert!(
            actions < budget,
            "seed {seed}: game did not end ({order:?})"
        );
    }
    longest_turn = longest_turn.max(this_turn);
    Played {
        game,
        actions,
        longest_turn,
    }
}

/// docs/rules.md: never surrender with money or while a sale is possible; bids within cash.
fn check_sensible(game: &Game, player: PlayerId, action: &Action, seed: u64) {
    let money = game.player(player).map_or(0, |p| p.money);
    match action {
        Action::Surrender => {
            let can_sell = game.legal_actions(player).iter().any(|l| {
                matches!(
                    l,
                    magnate_core::LegalAction::Exact(
                        Action::Demolish { .. } | Action::MortgageSet { .. }
                    )
                )
            });
            assert!(
                money < 0 && !can_sell,
                "seed {seed}: {player} surrendered with {money} (can sell: {can_sell})"
            );
        }
        Action::Bid { amount } => assert!(*amount <= money.max(0), "seed {seed}: bid over cash"),
        _ => {}
    }
}

/// A level mix for game `i`: 2 to 4 seats, levels cycling through all six.
fn mix(i: u64) -> Vec<BotLevel> {
    let seats = 2 + (i % 3) as usize;
    (0..seats)
        .map(|s| BotLevel::ALL[((i as usize) * 7 + s * 5) % 6])
        .collect()
}

/// Plays `games` seeded games with mixed levels (2–4 seats, 150 turns) and checks legality,
/// sensible behaviour, liveness and that each game ends.
fn self_play(games: u64) {
    let mut total_actions = 0;
    for i in 0..games {
        let levels = mix(i);
        let played = play(1000 + i, &levels, 150);
        assert!(played.game.is_finished());
        // Liveness (docs/rules.md): a turn is bounded by the business cap plus the other phases.
        assert!(
            played.longest_turn <= 32 + 80,
            "seed {}: a turn took {} bot actions",
            1000 + i,
            played.longest_turn
        );
        total_actions += played.actions;
    }
    assert!(total_actions > games * 50, "games are suspiciously short");
}

#[test]
fn bots_only_play_legal_actions_and_every_game_ends() {
    self_play(200);
}

/// The docs/rules.md volume: `cargo test -p magnate-core --release --test it -- --ignored
/// bots_only_play_legal_actions_in_2000_games`.
#[test]
#[ignore = "2,000 games: run in release"]
fn bots_only_play_legal_actions_in_2000_games() {
    self_play(2000);
}

// ----- strength ----------------------------------------------------------------------------

/// Plays `seeds` duplicate pairs (seats swapped) of `a` against `b`; returns `a`'s wins.
fn duel(a: &EvBot, b: &EvBot, seeds: u64, max_turns: u32) -> u64 {
    let mut wins = 0;
    for seed in 0..seeds {
        for swapped in [false, true] {
            let bots = if swapped {
                [b.clone(), a.clone()]
            } else {
                [a.clone(), b.clone()]
            };
            let played = play_bots(50_000 + seed, &bots, max_turns);
            let a_seat = if swapped { P2 } else { P1 };
            if played.game.winner() == Some(a_seat) {
                wins += 1;
            }
        }
    }
    wins
}

#[test]
#[ignore = "strength tournament: run in release, see the module docs"]
fn tournament() {
    // cargo test -p magnate-core --release --test it -- --ignored tournament --nocapture
    // 400 games per pairing: 200 seeds, each played with the seats swapped.
    let pairs: u64 = 200;
    let levels = BotLevel::ALL;
    let mut table = vec![vec![f64::NAN; levels.len()]; levels.len()];
    for (i, a) in levels.iter().enumerate() {
        for (j, b) in levels.iter().enumerate().skip(i + 1) {
            let wins = duel(&EvBot::new(*a), &EvBot::new(*b), pairs, 300);
            let rate = wins as f64 / (2 * pairs) as f64;
            let (low, high) = wilson(wins, 2 * pairs);
            println!(
                "{a} beats {b}: {wins}/{} = {:.1}% (95% Wilson {:.1}–{:.1}%)",
                2 * pairs,
                rate * 100.0,
                low * 100.0,
                high * 100.0
            );
            table[i][j] = rate;
            table[j][i] = 1.0 - rate;
        }
    }
    // Seat fairness (docs/rules.md): expert against expert, first seat to move.
    let mut first_seat_wins = 0;
    for seed in 0..pairs {
        let played = play(90_000 + seed, &[BotLevel::Expert, BotLevel::Expert], 300);
        if played.game.winner() == Some(played.game.participants()[0].id) {
            first_seat_wins += 1;
        }
    }
    let (low, high) = wilson(first_seat_wins, pairs);
    println!(
        "expert vs expert: the first seat won {first_seat_wins}/{pairs} (95% Wilson {:.1}–{:.1}%)",
        low * 100.0,
        high * 100.0
    );
    print!("{:>10}", "row beats");
    for level in levels {
        print!("{:>10}", level.as_str());
    }
    println!();
    for (i, row) in table.iter().enumerate() {
        print!("{:>10}", levels[i].as_str());
        for rate in row {
            if rate.is_nan() {
                print!("{:>10}", "-");
            } else {
                print!("{:>9.1}%", rate * 100.0);
            }
        }
        println!();
    }
    assert!(
        table[5][0] >= 0.70,
        "expert beats very_easy {}",
        table[5][0]
    );
    for i in 2..levels.len() {
        assert!(
            table[i][i - 2] >= 0.55,
            "{} beats {} only {}",
            levels[i],
            levels[i - 2],
            table[i][i - 2]
        );
    }
}

/// The 95 % Wilson score interval of `wins` successes in `games`.
fn wilson(wins: u64, games: u64) -> (f64, f64) {
    let n = games as f64;
    let p = wins as f64 / n;
    let z: f64 = 1.96;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    (centre - half, centre + half)
}
