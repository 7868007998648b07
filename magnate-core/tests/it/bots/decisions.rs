//! Decisions and defect regressions (docs/rules.md ("Bots")), purity and the exploration
//! rate (docs/rules.md).

use std::collections::BTreeSet;

use magnate_core::bot::{expected_visits, score};
use magnate_core::{
    bot_rng, Action, BotLevel, BotMove, BotTuning, EvBot, Game, Phase, Policy, Seed, Setup,
    Timestamp, TradeProposal,
};

use super::golden::{
    assert_close, auction_of, decide, expert_reference, in_management_on, reference,
};
use super::play;
use crate::{sq, Table, P1, P2, P3};

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
    // Corrected: on the last jail turn the bail is charged anyway, so the expert rolls.
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

/// docs/rules.md: in a state with `c = 3` candidates and a unique best one, each level picks the best
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

#[test]
fn a_bot_in_debt_during_business_may_already_sell() {
    // Rent can leave the turn player in debt before business; selling is then a candidate
    // (the money checks only apply to spending).
    let mut t = Table::new(2);
    t.game
        .edit()
        .buy(sq(1), P1)
        .money(P1, -20)
        .phase(Phase::Business, P1);
    let bot = EvBot::new(BotLevel::VeryEasy);
    let mut rng = bot_rng(Seed(4), 0);
    let sells = (0..200)
        .filter(|_| {
            bot.decide(&t.game, P1, &mut rng) == BotMove::Act(Action::MortgageSet { square: sq(1) })
        })
        .count();
    assert!(sells > 0, "never offered the mortgage");
}
