//! The golden values of docs/rules.md ("Bots"), with the reference formulas (exact numbers, 1e-9).

use magnate_core::bot::{expected_visits, score};
use magnate_core::{
    bot_rng, Action, BotLevel, BotMove, BotTuning, EvBot, Game, Phase, PlayerId, Policy, Seed,
    TradeProposal,
};

use crate::{sq, Table, P1, P2};

const TOL: f64 = 1e-9;

pub(super) fn reference() -> BotTuning {
    BotTuning::reference(BotLevel::Expert)
}

pub(super) fn expert_reference() -> EvBot {
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
pub(super) fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < TOL,
        "expected {expected}, got {actual}"
    );
}

/// The expert's move for `me`, from a fixed bot generator.
pub(super) fn decide(bot: &EvBot, game: &Game, me: PlayerId) -> BotMove {
    bot.decide(game, me, &mut bot_rng(Seed(3), 0))
}

pub(super) fn in_management_on(t: &mut Table, player: PlayerId, square: u16) {
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
    // Corrected: remaining rounds, not player-turns, so two players see half as many.
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

pub(super) fn auction_of(t: &mut Table, square: u16, dropper: PlayerId) {
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
