//! Bots (bots spec §12): golden values of §10, decisions, legality and liveness in self-play,
//! the exploration rate, and the strength tournament (ignored; run it in release).

use std::collections::BTreeSet;

use magnate_core::bot::{expected_visits, score};
use magnate_core::{
    bot_rng, Action, BotLevel, BotMove, BotTuning, EvBot, Game, GameRng, Input, Phase, PlayerId,
    Policy, Seed, Setup, Timestamp, TradeProposal,
};

use crate::{sq, Table, P1, P2, P3};

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
                    // §12.2: an expert never sees the same state twice inside one turn.
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

/// §12.3: never surrender with money or while a sale is possible; bids within cash.
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

#[test]
fn bots_only_play_legal_actions_and_every_game_ends() {
    self_play(200);
}

/// The §12.1 volume: `cargo test -p magnate-core --release --test it -- --ignored
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
    // Seat fairness (§12.5): expert against expert, first seat to move.
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

// ----- decisions and defect regressions (bots spec §11, §12.3, §12.4) -----------------------

fn expert() -> EvBot {
    EvBot::new(BotLevel::Expert)
}

#[test]
fn d2_jailed_bot_with_money_ends_liquidation_instead_of_surrendering() {
    for level in BotLevel::ALL {
        let mut t = Table::new(2);
        t.game.edit().jailed(P1, 3).phase(Phase::Liquidation, P1);
        for seed in 0..20 {
            let mut rng = bot_rng(Seed(seed), 0);
            assert_eq!(
                EvBot::new(level).decide(&t.game, P1, &mut rng),
                BotMove::Act(Action::NextPhase),
                "{level}"
            );
        }
    }
}

#[test]
fn d2_bot_in_debt_sells_first_and_surrenders_only_when_nothing_is_left() {
    let mut t = Table::new(2);
    t.game
        .edit()
        .buy(sq(1), P1)
        .money(P1, -10)
        .phase(Phase::Liquidation, P1);
    for level in BotLevel::ALL {
        let mut rng = bot_rng(Seed(9), 0);
        assert_eq!(
            EvBot::new(level).decide(&t.game, P1, &mut rng),
            BotMove::Act(Action::MortgageSet { square: sq(1) }),
            "{level}"
        );
    }
    t.game.edit().money(P1, -40);
    t.act(P1, Action::MortgageSet { square: sq(1) });
    assert_eq!(t.money(P1), -10);
    assert_eq!(
        decide(&expert(), &t.game, P1),
        BotMove::Act(Action::Surrender)
    );
}

#[test]
fn d21_liquidation_sells_the_cheapest_value_per_unit_of_cash_first() {
    let mut t = Table::new(2);
    t.game
        .edit()
        .buy(sq(1), P1)
        .buy(sq(5), P1)
        .money(P1, -20)
        .phase(Phase::Liquidation, P1);
    let tuning = BotTuning::for_level(BotLevel::Expert);
    let v = expected_visits(&t.game, P1, &tuning);
    // Street 1 loses 2 of rent per 30 raised; the server 20 per 150.
    let street = score(&t.game, P1, &tuning, &Action::MortgageSet { square: sq(1) });
    let server = score(&t.game, P1, &tuning, &Action::MortgageSet { square: sq(5) });
    assert_close(street, -(2.0 * v) / 30.0);
    assert_close(server, -(20.0 * v) / 150.0);
    assert_eq!(
        decide(&expert(), &t.game, P1),
        BotMove::Act(Action::MortgageSet { square: sq(1) })
    );
    // Once the debt is paid, the expert ends the phase rather than selling more.
    t.act(P1, Action::MortgageSet { square: sq(1) });
    assert_eq!(
        decide(&expert(), &t.game, P1),
        BotMove::Act(Action::NextPhase)
    );
}

#[test]
fn d6_bot_passes_with_bid_0_when_its_budget_is_0() {
    let mut t = Table::new(2);
    t.game.edit().money(P1, 0);
    auction_of(&mut t, 3, P2);
    assert_eq!(
        decide(&expert(), &t.game, P1),
        BotMove::Act(Action::Bid { amount: 0 })
    );
    // A reserve that eats the whole budget also means a pass: P2's complete group of 3 streets
    // with hotels charges more than P1 has.
    let mut t = Table::new(2);
    t.game
        .edit()
        .own(sq(6), P2, 5, false)
        .own(sq(8), P2, 5, false)
        .own(sq(9), P2, 5, false)
        .money(P1, 500);
    auction_of(&mut t, 3, P2);
    assert_eq!(
        decide(&expert(), &t.game, P1),
        BotMove::Act(Action::Bid { amount: 0 })
    );
}

#[test]
fn d5_bot_never_bids_on_a_square_it_declined() {
    let mut t = Table::new(2);
    in_management_on(&mut t, P1, 3);
    t.act(P1, Action::DropPurchase { square: sq(3) });
    assert_eq!(t.phase(), magnate_core::PhaseName::Auction);
    for level in BotLevel::ALL {
        let mut rng = bot_rng(Seed(1), 0);
        assert_eq!(
            EvBot::new(level).decide(&t.game, P1, &mut rng),
            BotMove::Idle
        );
    }
    let BotMove::Act(Action::Bid { amount }) = decide(&expert(), &t.game, P2) else {
        panic!("the other player bids");
    };
    assert!(amount > 0 && amount <= 1500);
}

#[test]
fn bail_is_paid_exactly_when_ev_exit_beats_it() {
    // Reference: PayBail scores EV_exit − bail, EV_exit being the sum of every unowned
    // square's buy value minus the opponents' rents times V (nothing is owned here).
    let mut t = Table::new(2);
    t.game.edit().jailed(P1, 3).phase(Phase::RollTheDices, P1);
    let buys: f64 = t
        .game
        .board()
        .squares()
        .iter()
        .filter(|s| s.is_ownable())
        .map(|s| {
            score(
                &t.game,
                P1,
                &reference(),
                &Action::BuySquare { square: s.id },
            )
        })
        .sum();
    let pay = score(&t.game, P1, &reference(), &Action::PayBail);
    assert_close(pay, buys - 40.0);
    let expected = if pay > 0.0 {
        Action::PayBail
    } else {
        Action::ThrowDice
    };
    assert_eq!(
        decide(&expert_reference(), &t.game, P1),
        BotMove::Act(expected)
    );
    // Corrected (D13): on the last jail turn the bail is charged anyway, so the expert rolls.
    t.game.edit().jailed(P1, 1);
    assert_eq!(
        score(
            &t.game,
            P1,
            &BotTuning::for_level(BotLevel::Expert),
            &Action::PayBail
        ),
        0.0
    );
    assert_eq!(
        decide(&expert(), &t.game, P1),
        BotMove::Act(Action::ThrowDice)
    );
}

#[test]
fn d12_expert_takes_good_cards_and_draws_instead_of_bad_ones() {
    use magnate_core::{FantasyCard, FantasyType};
    let mut t = Table::new(2);
    let mut offer = |card: FantasyCard| {
        t.game.edit().phase(Phase::ChooseFantasy { card }, P1);
        decide(&expert(), &t.game, P1)
    };
    let take = BotMove::Act(Action::ChooseCard {
        chosen_revealed_card: true,
    });
    let draw = BotMove::Act(Action::ChooseCard {
        chosen_revealed_card: false,
    });
    assert_eq!(
        offer(FantasyCard::new(FantasyType::WinPlainMoney, Some(200))),
        take
    );
    assert_eq!(
        offer(FantasyCard::new(FantasyType::LosePlainMoney, Some(200))),
        draw
    );
    assert_eq!(offer(FantasyCard::new(FantasyType::GoToJail, None)), draw);
}

#[test]
fn decisions_are_pure_and_repeatable() {
    let played = play(
        77,
        &[BotLevel::Medium, BotLevel::Hard, BotLevel::Expert],
        40,
    );
    let game = played.game;
    // A finished game: nobody acts.
    for p in game.participants() {
        assert_eq!(decide(&expert(), &game, p.id), BotMove::Idle);
    }
    // Mid-game states along a seeded game: same state and seed give the same move, and
    // deciding never changes the game.
    let mut t = Table::new(3);
    let bots = [
        expert(),
        EvBot::new(BotLevel::Medium),
        EvBot::new(BotLevel::VeryEasy),
    ];
    let mut rng = bot_rng(Seed(5), 0);
    for _ in 0..300 {
        if t.game.is_finished() {
            break;
        }
        let Some(&actor) = t.game.pending_actors().first() else {
            let at = t.game.next_deadline().expect("a deadline").at;
            t.tick_at(at.0);
            continue;
        };
        let bot = &bots[(actor.0 - 1) as usize];
        let before = t.game.clone();
        let first = bot.decide(&t.game, actor, &mut rng.clone());
        let second = bot.decide(&t.game, actor, &mut rng.clone());
        assert_eq!(first, second);
        assert_eq!(t.game, before);
        for other in t.game.ordered_players().filter(|p| *p != actor) {
            if !t.game.pending_actors().contains(&other) {
                assert_eq!(bot.decide(&t.game, other, &mut rng.clone()), BotMove::Idle);
            }
        }
        let BotMove::Act(action) = bot.decide(&t.game, actor, &mut rng) else {
            panic!("a pending actor must act");
        };
        t.act(actor, action);
    }
}

/// §12.5: in a state with `c = 3` candidates and a unique best one, each level picks the best
/// with frequency `(1 − ε) + ε / 3` (±0.02 over 10,000 decisions).
#[test]
fn exploration_rate_matches_epsilon_for_every_level() {
    let mut t = Table::new(2);
    let destinations = [(1u16, 1u32), (3, 3), (111, 5)]
        .into_iter()
        .map(|(s, steps)| (sq(s), steps))
        .collect();
    t.game
        .edit()
        .parking(500)
        .phase(Phase::ChooseSquare { destinations }, P1);
    let best = BotMove::Act(Action::MoveTo { square: sq(111) });
    assert_eq!(decide(&expert(), &t.game, P1), best);
    for level in BotLevel::ALL {
        let bot = EvBot::new(level);
        let mut rng = bot_rng(Seed(2024), level as usize);
        let trials = 10_000;
        let hits = (0..trials)
            .filter(|_| bot.decide(&t.game, P1, &mut rng) == best)
            .count();
        let rate = hits as f64 / f64::from(trials);
        let eps = level.epsilon();
        let expected = (1.0 - eps) + eps / 3.0;
        assert!(
            (rate - expected).abs() <= 0.02,
            "{level}: best picked {rate}, expected {expected}"
        );
    }
}

#[test]
fn d18_exploring_bots_never_accept_a_lopsided_trade() {
    // P1 asks for all of P2's squares and offers nothing.
    let mut t = Table::new(2);
    t.game
        .edit()
        .buy(sq(5), P2)
        .buy(sq(25), P2)
        .buy(sq(11), P2)
        .phase(
            Phase::ProposalAcceptance(TradeProposal {
                id: 1,
                player: P1,
                destination_user: P2,
                offered_money: 0,
                asked_money: 0,
                offered_properties: Vec::new(),
                asked_properties: vec![sq(5), sq(11), sq(25)],
            }),
            P1,
        )
        .phase_player(P2);
    let tuning = BotTuning::for_level(BotLevel::VeryEasy);
    let accept = Action::TradeAnswer { choose: true };
    assert!(score(&t.game, P2, &tuning, &accept) < -0.1 * t.game.net_worth(P2) as f64);
    let bot = EvBot::new(BotLevel::VeryEasy);
    let mut rng = bot_rng(Seed(11), 1);
    for _ in 0..500 {
        assert_eq!(
            bot.decide(&t.game, P2, &mut rng),
            BotMove::Act(Action::TradeAnswer { choose: false })
        );
    }
    // A fair trade (cash for a lone cheap street) is still accepted sometimes when exploring.
    t.game.edit().phase(
        Phase::ProposalAcceptance(TradeProposal {
            id: 2,
            player: P1,
            destination_user: P2,
            offered_money: 100,
            asked_money: 0,
            offered_properties: Vec::new(),
            asked_properties: vec![sq(11)],
        }),
        P1,
    );
    t.game.edit().phase_player(P2);
    let accepted = (0..500)
        .filter(|_| bot.decide(&t.game, P2, &mut rng) == BotMove::Act(accept.clone()))
        .count();
    assert!((150..350).contains(&accepted), "accepted {accepted} of 500");
}

#[test]
fn d19_exploring_in_business_ends_the_turn_at_least_half_the_time() {
    let mut t = Table::new(2);
    t.game
        .edit()
        .buy(sq(1), P1)
        .buy(sq(3), P1)
        .buy(sq(5), P1)
        .buy(sq(25), P1)
        .phase(Phase::Business, P1);
    let bot = EvBot::new(BotLevel::VeryEasy);
    let mut rng = bot_rng(Seed(12), 0);
    let trials = 4000;
    let mut ended = 0;
    let mut sizes = BTreeSet::new();
    for _ in 0..trials {
        let BotMove::Act(action) = bot.decide(&t.game, P1, &mut rng) else {
            panic!("the bot must act");
        };
        sizes.insert(format!("{:?}", action.kind()));
        if action == Action::NextPhase {
            ended += 1;
        }
    }
    let rate = f64::from(ended) / f64::from(trials);
    assert!(rate >= 0.5, "ended the phase {rate} of the time");
    assert!(rate < 0.75, "the other candidates are explored too: {rate}");
    assert!(sizes.len() >= 3, "{sizes:?}");
}

#[test]
fn d11_expert_keeps_a_cash_reserve_for_the_worst_rent() {
    // P2's group 4 has hotels: landing there costs 950-1000. P1 with 1100 cannot buy a 140
    // street without dropping under that reserve, so it declines.
    let mut t = Table::new(2);
    t.game
        .edit()
        .own(sq(16), P2, 5, false)
        .own(sq(18), P2, 5, false)
        .own(sq(19), P2, 5, false)
        .money(P1, 1100);
    in_management_on(&mut t, P1, 11);
    assert_eq!(
        decide(&expert(), &t.game, P1),
        BotMove::Act(Action::DropPurchase { square: sq(11) })
    );
    t.game.edit().money(P1, 1500);
    let BotMove::Act(action) = decide(&expert(), &t.game, P1) else {
        panic!("the expert acts");
    };
    assert!(
        matches!(
            action,
            Action::BuySquare { .. } | Action::DropPurchase { .. }
        ),
        "{action:?}"
    );
}

#[test]
fn d15_ending_business_on_a_tram_scores_0() {
    let mut t = Table::new(2);
    t.game
        .edit()
        .position(P1, sq(10))
        .phase(Phase::Business, P1);
    let tuning = BotTuning::for_level(BotLevel::Expert);
    assert_eq!(score(&t.game, P1, &tuning, &Action::NextPhase), 0.0);
    // In management the same square scores its one-roll look-ahead instead.
    t.game.edit().phase(Phase::Management, P1);
    assert_ne!(score(&t.game, P1, &tuning, &Action::NextPhase), 0.0);
}

#[test]
fn d16_expert_proposes_only_trades_it_values_and_bundles_that_complete_a_group() {
    // P1 owns one street of group 2; P2 owns the other two; P3 owns a lone street elsewhere.
    let mut t = Table::new(3);
    t.game
        .edit()
        .buy(sq(6), P1)
        .buy(sq(8), P2)
        .buy(sq(9), P2)
        .buy(sq(11), P3)
        .phase(Phase::Business, P1);
    let tuning = BotTuning::for_level(BotLevel::Expert);
    let mut proposals = 0;
    let mut bundles = 0;
    for seed in 0..40 {
        let mut rng = bot_rng(Seed(seed), 0);
        let BotMove::Act(action) = expert().decide(&t.game, P1, &mut rng) else {
            panic!("the expert acts");
        };
        if let Action::TradeProposal {
            asked_properties, ..
        } = &action
        {
            assert!(score(&t.game, P1, &tuning, &action) > 0.0, "{action:?}");
            proposals += 1;
            if asked_properties == &vec![sq(8), sq(9)] {
                bundles += 1;
            }
        }
    }
    assert!(proposals > 0, "the expert never proposed a trade");
    assert!(
        bundles > 0,
        "the expert never asked for the group-completing pair"
    );
    // Once it has proposed this turn, it does not propose again.
    let mut rng = bot_rng(Seed(0), 0);
    let mut proposed = false;
    for _ in 0..40 {
        if t.game.phase().name() != magnate_core::PhaseName::Business {
            break;
        }
        let BotMove::Act(action) = expert().decide(&t.game, P1, &mut rng) else {
            panic!("the expert acts");
        };
        if matches!(action, Action::TradeProposal { .. }) {
            assert!(!proposed, "a second proposal in one turn");
            proposed = true;
            t.act(P1, action);
            let recipient = t.game.active_phase_player();
            let BotMove::Act(answer) = expert().decide(&t.game, recipient, &mut rng) else {
                panic!("the recipient answers");
            };
            t.act(recipient, answer);
        } else {
            t.act(P1, action);
        }
    }
}

#[test]
fn decisions_do_not_depend_on_the_engines_dice_seed() {
    let setup = || Setup::new([P1, P2]);
    let mut a = Game::new(setup(), Seed(1), Timestamp(0)).unwrap();
    let mut b = Game::new(setup(), Seed(999), Timestamp(0)).unwrap();
    for game in [&mut a, &mut b] {
        game.edit()
            .turn_order(&[P1, P2])
            .buy(sq(1), P1)
            .buy(sq(3), P1)
            .phase(Phase::Business, P1);
    }
    for level in BotLevel::ALL {
        for seed in 0..10 {
            let bot = EvBot::new(level);
            assert_eq!(
                bot.decide(&a, P1, &mut bot_rng(Seed(seed), 0)),
                bot.decide(&b, P1, &mut bot_rng(Seed(seed), 0))
            );
        }
    }
}
