//! Bots (bots spec §12): golden values of §10, decisions, legality and liveness in self-play,
//! the exploration rate, and the strength tournament (ignored; run it in release).

use std::collections::HashSet;

use magnate_core::bot::{expected_visits, score};
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
    while !game.is_finished() {
        let mut acted = false;
        for player in game.pending_actors() {
            let seat = (player.0 - 1) as usize;
            match bots[seat].decide(&game, player, &mut rngs[seat]) {
                BotMove::Act(action) => {
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
            let wins = duel(&EvBot::new(*a), &EvBot::new(*b), pairs, 300);
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

/// Tuning experiments: `PROBE="horizon_turns=800 min_horizon_rounds=20"` changes the expert's
/// tuning, which then plays `PROBE_PAIRS` duplicate pairs against `PROBE_VS` (very_easy).
#[test]
#[ignore = "tuning experiment, run by hand in release"]
fn tuning_probe() {
    let mut expert = EvBot::new(BotLevel::Expert);
    let spec = std::env::var("PROBE").unwrap_or_default();
    for pair in spec.split_whitespace() {
        let (key, value) = pair.split_once('=').expect("key=value");
        let t = &mut expert.tuning;
        match key {
            "horizon_turns" => t.horizon_turns = value.parse().unwrap(),
            "min_horizon_rounds" => t.min_horizon_rounds = value.parse().unwrap(),
            "respect_turn_limit" => t.respect_turn_limit = value.parse().unwrap(),
            "keep_reserve" => t.keep_reserve = value.parse().unwrap(),
            "auction_roi" => t.auction_roi = value.parse().unwrap(),
            "landing_prob" => t.landing_prob = value.parse().unwrap(),
            "reference" => {
                if value == "true" {
                    t.formulas = magnate_core::Formulas::Reference;
                }
            }
            other => panic!("unknown key {other}"),
        }
    }
    let vs: BotLevel = std::env::var("PROBE_VS")
        .unwrap_or_else(|_| "very_easy".into())
        .parse()
        .unwrap();
    let pairs: u64 = std::env::var("PROBE_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let wins = duel(&expert, &EvBot::new(vs), pairs, 300);
    println!(
        "PROBE {spec:?} vs {vs}: {wins}/{} = {:.1}%",
        2 * pairs,
        wins as f64 / (2 * pairs) as f64 * 100.0
    );
}

// ----- golden values of bots spec §10 (reference formulas) ---------------------------------

const TOL: f64 = 1e-9;

fn reference() -> BotTuning {
    BotTuning::reference(BotLevel::Expert)
}

fn expert_reference() -> EvBot {
    EvBot {
        level: BotLevel::Expert,
        tuning: reference(),
    }
}

/// `V` of the reference at `t = 1` for `n` players: `(n − 1) × 499 / 54`.
fn v_ref(n: u32) -> f64 {
    f64::from(n - 1) * 499.0 / 54.0
}

#[track_caller]
fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < TOL,
        "expected {expected}, got {actual}"
    );
}

/// The expert's move for `me`, from a fixed bot generator.
fn decide(bot: &EvBot, game: &Game, me: PlayerId) -> BotMove {
    bot.decide(game, me, &mut bot_rng(Seed(3), 0))
}

fn in_management_on(t: &mut Table, player: PlayerId, square: u16) {
    t.game
        .edit()
        .position(player, sq(square))
        .phase(Phase::Management, player);
}

#[test]
fn golden_expected_visits_two_and_four_players() {
    let two = Table::new(2);
    let v2 = expected_visits(&two.game, P1, &reference());
    assert_close(v2, 499.0 / 54.0);
    assert!((v2 - 9.2407).abs() < 1e-4);
    let four = Table::new(4);
    let v4 = expected_visits(&four.game, P1, &reference());
    assert_close(v4, 3.0 * 499.0 / 54.0);
    assert!((v4 - 27.722).abs() < 1e-3);
    // Corrected (D10): remaining rounds, not player-turns, so two players see half as many.
    let corrected = BotTuning::for_level(BotLevel::Expert);
    assert_close(
        expected_visits(&two.game, P1, &corrected),
        (500.0 - 1.0) / 2.0 / 54.0,
    );
}

#[test]
fn golden_expert_buys_street_3_and_declines_street_1_at_the_start() {
    let mut t = Table::new(2);
    in_management_on(&mut t, P1, 3);
    let buy3 = score(
        &t.game,
        P1,
        &reference(),
        &Action::BuySquare { square: sq(3) },
    );
    assert_close(buy3, 4.0 * v_ref(2) - 60.0 + 30.0);
    assert!((buy3 - 6.96).abs() < 0.01);
    assert_eq!(
        decide(&expert_reference(), &t.game, P1),
        BotMove::Act(Action::BuySquare { square: sq(3) })
    );

    in_management_on(&mut t, P1, 1);
    let buy1 = score(
        &t.game,
        P1,
        &reference(),
        &Action::BuySquare { square: sq(1) },
    );
    assert_close(buy1, 2.0 * v_ref(2) - 30.0);
    assert!((buy1 + 11.52).abs() < 0.01);
    assert_eq!(
        decide(&expert_reference(), &t.game, P1),
        BotMove::Act(Action::DropPurchase { square: sq(1) })
    );
}

#[test]
fn golden_blocking_value_makes_the_expert_buy_street_1() {
    let mut t = Table::new(2);
    t.game.edit().buy(sq(3), P2);
    in_management_on(&mut t, P1, 1);
    let buy1 = score(
        &t.game,
        P1,
        &reference(),
        &Action::BuySquare { square: sq(1) },
    );
    let block = 2.0 * 2.0 * v_ref(2) / 1.0;
    assert!((block - 36.96).abs() < 0.01);
    assert_close(buy1, 2.0 * v_ref(2) + block - 30.0);
    assert!((buy1 - 25.44).abs() < 0.01);
    assert_eq!(
        decide(&expert_reference(), &t.game, P1),
        BotMove::Act(Action::BuySquare { square: sq(1) })
    );
}

fn auction_of(t: &mut Table, square: u16, dropper: PlayerId) {
    let turn = t.game.active_turn_player();
    t.game.edit().phase(
        Phase::Auction(magnate_core::Auction {
            id: 1,
            square: sq(square),
            dropper,
            bids: Vec::new(),
        }),
        turn,
    );
}

#[test]
fn golden_max_bid_for_street_1_is_36() {
    let mut t = Table::new(2);
    auction_of(&mut t, 1, P2);
    assert_eq!(
        decide(&expert_reference(), &t.game, P1),
        BotMove::Act(Action::Bid { amount: 36 })
    );
    let worth = 2.0 * v_ref(2) + 30.0;
    assert_eq!((0.75 * worth).trunc(), 36.0);
    assert_close(
        score(&t.game, P1, &reference(), &Action::Bid { amount: 36 }),
        worth - 36.0,
    );
    assert_eq!(
        score(&t.game, P1, &reference(), &Action::Bid { amount: 0 }),
        0.0
    );
}

#[test]
fn golden_server_with_four_players_scores_404_44_and_bids_528() {
    let mut t = Table::new(4);
    in_management_on(&mut t, P1, 5);
    let buy = score(
        &t.game,
        P1,
        &reference(),
        &Action::BuySquare { square: sq(5) },
    );
    assert_close(buy, 20.0 * v_ref(4) - 300.0 + 150.0);
    assert!((buy - 404.44).abs() < 0.01);
    auction_of(&mut t, 5, P2);
    assert_eq!(
        decide(&expert_reference(), &t.game, P1),
        BotMove::Act(Action::Bid { amount: 528 })
    );
    // With less cash the budget caps the bid.
    t.game.edit().money(P1, 300);
    assert_eq!(
        decide(&expert_reference(), &t.game, P1),
        BotMove::Act(Action::Bid { amount: 300 })
    );
}

#[test]
fn golden_first_house_on_street_1_and_its_demolition() {
    let mut t = Table::new(2);
    t.game
        .edit()
        .own(sq(1), P1, 0, false)
        .own(sq(3), P1, 0, false)
        .phase(Phase::Business, P1);
    let build = score(
        &t.game,
        P1,
        &reference(),
        &Action::Build {
            square: sq(1),
            houses: 1,
        },
    );
    assert_close(build, 8.0 * v_ref(2) - 50.0);
    assert!((build - 23.93).abs() < 0.01);
    // The expert builds (street 3 first: its first house adds more rent).
    assert_eq!(
        decide(&expert_reference(), &t.game, P1),
        BotMove::Act(Action::Build {
            square: sq(3),
            houses: 1
        })
    );
    t.game.edit().own(sq(1), P1, 1, false);
    let demolish = score(
        &t.game,
        P1,
        &reference(),
        &Action::Demolish {
            square: sq(1),
            houses: 1,
        },
    );
    assert_close(demolish, 25.0 - 8.0 * v_ref(2));
    assert!((demolish + 48.93).abs() < 0.01);
}

fn cash_for_street_1() -> TradeProposal {
    TradeProposal {
        id: 1,
        player: P1,
        destination_user: P2,
        offered_money: 30,
        asked_money: 0,
        offered_properties: Vec::new(),
        asked_properties: vec![sq(1)],
    }
}

#[test]
fn golden_trade_idea_scores_55_44_and_the_recipient_rejects_it() {
    let mut t = Table::new(2);
    t.game
        .edit()
        .buy(sq(3), P1)
        .buy(sq(1), P2)
        .phase(Phase::Business, P1);
    let proposal = cash_for_street_1();
    let propose = Action::TradeProposal {
        destination_user: P2,
        offered_money: 30,
        asked_money: 0,
        offered_properties: Vec::new(),
        asked_properties: vec![sq(1)],
    };
    let net_me = 4.0 * v_ref(2) + 30.0 - 30.0;
    let net_opp = 30.0 - (2.0 * v_ref(2) + 30.0);
    assert!((net_me - 36.96).abs() < 0.01 && (net_opp + 18.48).abs() < 0.01);
    let ev = score(&t.game, P1, &reference(), &propose);
    assert_close(ev, net_me - net_opp);
    assert!((ev - 55.44).abs() < 0.01);

    t.game
        .edit()
        .phase(Phase::ProposalAcceptance(proposal), P1)
        .phase_player(P2);
    let accept = score(
        &t.game,
        P2,
        &reference(),
        &Action::TradeAnswer { choose: true },
    );
    assert_close(accept, -ev);
    assert_eq!(
        decide(&expert_reference(), &t.game, P2),
        BotMove::Act(Action::TradeAnswer { choose: false })
    );
}

#[test]
fn golden_mortgage_loop_scores_and_the_d7_fix_ends_the_turn() {
    let mut t = Table::new(2);
    t.game.edit().buy(sq(1), P1).phase(Phase::Business, P1);
    let mortgage = score(
        &t.game,
        P1,
        &reference(),
        &Action::MortgageSet { square: sq(1) },
    );
    assert_close(mortgage, 30.0 - 2.0 * v_ref(2));
    assert!((mortgage - 11.52).abs() < 0.01);
    let bot = expert_reference();
    let first = decide(&bot, &t.game, P1);
    assert_eq!(first, BotMove::Act(Action::MortgageSet { square: sq(1) }));
    t.act(P1, Action::MortgageSet { square: sq(1) });
    let unmortgage = score(
        &t.game,
        P1,
        &reference(),
        &Action::MortgageUnset { square: sq(1) },
    );
    assert_close(unmortgage, 4.0 * v_ref(2) - 30.0);
    assert!((unmortgage - 6.96).abs() < 0.01);
    // The reference would now unmortgage and loop forever [D7]; the fix (b) never undoes an
    // action of the same turn, so the expert ends its turn.
    assert_eq!(decide(&bot, &t.game, P1), BotMove::Act(Action::NextPhase));
}

#[test]
fn corrected_mortgage_and_unmortgage_score_exact_opposites() {
    // D7a: with the corrected formulas the inverse action scores the exact opposite, so even
    // without the no-undo rule the expert cannot alternate.
    let tuning = BotTuning::for_level(BotLevel::Expert);
    let mut t = Table::new(2);
    t.game.edit().buy(sq(1), P1).phase(Phase::Business, P1);
    let mortgage = score(&t.game, P1, &tuning, &Action::MortgageSet { square: sq(1) });
    t.act(P1, Action::MortgageSet { square: sq(1) });
    let unmortgage = score(
        &t.game,
        P1,
        &tuning,
        &Action::MortgageUnset { square: sq(1) },
    );
    assert_close(mortgage, -unmortgage);
    let v = expected_visits(&t.game, P1, &tuning);
    assert_close(mortgage, 30.0 - 2.0 * v);
}
