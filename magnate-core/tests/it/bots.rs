//! Bots (bots spec §12): golden values of §10, decisions, legality and liveness in self-play,
//! the exploration rate, and the strength tournament (ignored; run it in release).

use std::collections::HashSet;

use magnate_core::bot::score;
use magnate_core::{
    bot_rng, Action, BotLevel, BotMove, BotTuning, EvBot, Game, GameRng, Input, Phase, PlayerId,
    Policy, Seed, Setup, Timestamp, TradeProposal,
};

use crate::{sq, Table, P1, P2, P3, P4};

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
    let ids: Vec<PlayerId> = (1..=levels.len() as u64).map(PlayerId).collect();
    let mut setup = Setup::new(ids.iter().copied());
    setup.rules.max_turns = Some(max_turns);
    let mut game = Game::new(setup, Seed(seed), Timestamp(0)).expect("valid setup");
    let order: Vec<PlayerId> = game.participants().iter().map(|p| p.id).collect();
    let bots: Vec<EvBot> = ids
        .iter()
        .map(|id| EvBot::new(levels[(id.0 - 1) as usize]))
        .collect();
    let mut rngs: Vec<GameRng> = (0..ids.len()).map(|i| bot_rng(Seed(seed), i)).collect();
    let mut now = Timestamp(0);
    let mut actions = 0u64;
    let mut longest_turn = 0u64;
    let mut this_turn = 0u64;
    let mut turn = game.current_turn();
    let budget = 200_000u64;
    while !game.is_finished() {
        let mut acted = false;
        for player in game.pending_actors() {
            let seat = (player.0 - 1) as usize;
            match bots[seat].decide(&game, player, &mut rngs[seat]) {
                BotMove::Act(action) => {
                    if let Err(err) = game.apply(Input::action(player, action.clone()), now) {
                        panic!(
                            "seed {seed}: {action:?} by {player} ({:?}, phase {:?}) refused: {err:?}",
                            levels[seat],
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

/// A level mix for game `i`: 2 to 4 seats, levels cycling through all six.
fn mix(i: u64) -> Vec<BotLevel> {
    let seats = 2 + (i % 3) as usize;
    (0..seats)
        .map(|s| BotLevel::ALL[((i as usize) * 7 + s * 5) % 6])
        .collect()
}

#[test]
fn bots_only_play_legal_actions_and_every_game_ends() {
    // 200 games keep the debug run short; for more, run
    // `BOT_GAMES=2000 cargo test -p magnate-core --release --test it bots_only_play_legal`.
    let games: u64 = std::env::var("BOT_GAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut total_actions = 0;
    for i in 0..games {
        let levels = mix(i);
        let played = play(1000 + i, &levels, 150);
        assert!(played.game.is_finished());
        // Liveness (§12.2): a turn is bounded by the business cap plus the other phases.
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

// ----- strength ----------------------------------------------------------------------------

/// Plays `seeds` duplicate pairs (seats swapped) of `a` against `b`; returns `a`'s wins.
fn duel(a: BotLevel, b: BotLevel, seeds: u64, max_turns: u32) -> u64 {
    let mut wins = 0;
    for seed in 0..seeds {
        for swapped in [false, true] {
            let levels = if swapped { [b, a] } else { [a, b] };
            let played = play(50_000 + seed, &levels, max_turns);
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
    // 400 games per pairing; TOURNAMENT_PAIRS=50 gives a quicker, rougher table.
    let pairs: u64 = std::env::var("TOURNAMENT_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let only: Option<String> = std::env::var("TOURNAMENT_ONLY").ok();
    let levels = BotLevel::ALL;
    let mut table = vec![vec![f64::NAN; levels.len()]; levels.len()];
    for (i, a) in levels.iter().enumerate() {
        for (j, b) in levels.iter().enumerate().skip(i + 1) {
            if only.as_deref().is_some_and(|o| o != format!("{a}-{b}")) {
                continue;
            }
            let wins = duel(*a, *b, pairs, 300);
            let rate = wins as f64 / (2 * pairs) as f64;
            table[i][j] = rate;
            table[j][i] = 1.0 - rate;
        }
    }
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
