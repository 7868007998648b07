//! The worked examples of rules.md docs/rules.md, with their exact numbers.

use std::collections::BTreeMap;

use magnate_core::{
    Action, BonusCategory, Event, FantasyCard, FantasyType, Invalid, Phase, PhaseName, RuleError,
    Setup, StatField,
};

use crate::{kinds, sq, thrown, Table, P1, P2, P3};

pub(crate) fn roll(table: &mut Table, dice: (u8, u8, u8)) -> Event {
    table.game.edit().dice(dice.0, dice.1, dice.2);
    let player = table.game.active_phase_player();
    let events = table.act(player, Action::ThrowDice);
    thrown(&events).clone()
}

fn path(ids: &[u16]) -> Vec<magnate_core::SquareId> {
    ids.iter().map(|&i| sq(i)).collect()
}

#[test]
fn w01_doubles_chain_purchase_deserted_auction_turn_change() {
    let mut t = Table::new(3);
    t.game.edit().position(P1, sq(1));
    let Event::DiceThrown {
        dice1,
        dice2,
        dice_bus,
        triple,
        streak,
        destinations,
        path: walked,
        ..
    } = roll(&mut t, (1, 1, 2))
    else {
        unreachable!()
    };
    assert_eq!(
        (dice1, dice2, dice_bus, triple, streak),
        (1, 1, 2, false, 1)
    );
    assert_eq!(destinations, vec![sq(5)]);
    assert_eq!(walked, path(&[1, 2, 3, 4, 5]));
    assert_eq!(t.phase(), PhaseName::Management);

    t.act(P1, Action::BuySquare { square: sq(5) });
    assert_eq!(t.money(P1), 1200);
    assert_eq!(t.game.holding(sq(5)).unwrap().houses, -1);
    assert_eq!(t.phase(), PhaseName::RollTheDices);
    assert_eq!(t.game.active_phase_player(), P1);

    let Event::DiceThrown {
        streak,
        path: walked,
        ..
    } = roll(&mut t, (1, 1, 2))
    else {
        unreachable!()
    };
    assert_eq!(streak, 2);
    assert_eq!(walked, path(&[5, 6, 7, 8, 9]));
    assert_eq!(t.phase(), PhaseName::Management);

    t.act(P1, Action::DropPurchase { square: sq(9) });
    assert_eq!(t.phase(), PhaseName::Auction);
    assert!(t.tick_at(19_999).is_empty(), "the auction runs 20 s");
    let events = t.tick_at(20_000);
    let Event::AuctionClosed { auction } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (auction.winner, auction.final_amount, auction.is_tie),
        (None, Some(0), false)
    );
    assert!(t.game.holding(sq(9)).is_none());
    assert_eq!(t.phase(), PhaseName::RollTheDices);

    let Event::DiceThrown {
        streak,
        path: walked,
        ..
    } = roll(&mut t, (1, 3, 2))
    else {
        unreachable!()
    };
    assert_eq!(streak, 0);
    assert_eq!(walked, path(&[9, 10, 11, 12, 13, 14, 15]));
    assert_eq!(t.phase(), PhaseName::Management);

    t.act(P1, Action::NextPhase);
    assert_eq!(t.phase(), PhaseName::Business);
    t.act(P1, Action::NextPhase);
    assert_eq!(
        (t.game.active_turn_player(), t.game.active_phase_player()),
        (P2, P2)
    );
    assert_eq!(
        (t.phase(), t.game.streak(), t.game.current_turn()),
        (PhaseName::RollTheDices, 0, 2)
    );
    let stats = &t.game.player(P1).unwrap().stats;
    assert_eq!((stats.walked_squares, stats.lost_money), (14, 300));
}

pub(crate) fn choose_square_phase(destinations: &[(u16, u32)]) -> Phase {
    Phase::ChooseSquare {
        destinations: destinations
            .iter()
            .map(|&(s, k)| (sq(s), k))
            .collect::<BTreeMap<_, _>>(),
    }
}

#[test]
fn w02_rent_on_a_property() {
    let mut t = Table::new(3);
    t.game
        .edit()
        .own(sq(1), P1, 1, false)
        .phase(choose_square_phase(&[(1, 0)]), P2);
    t.act(P2, Action::MoveTo { square: sq(1) });
    assert_eq!(
        (t.money(P2), t.money(P1), t.phase()),
        (1490, 1510, PhaseName::Business)
    );

    let mut t = Table::new(3);
    t.game
        .edit()
        .own(sq(1), P1, -1, false)
        .phase(choose_square_phase(&[(1, 0)]), P2);
    t.act(P2, Action::MoveTo { square: sq(1) });
    assert_eq!((t.money(P2), t.money(P1)), (1498, 1502));
    let p2 = &t.game.player(P2).unwrap().stats;
    assert_eq!((p2.lost_money, p2.num_paid_rents), (2, 1));
    assert_eq!(t.game.player(P1).unwrap().stats.won_money, 2);

    let mut t = Table::new(3);
    t.game.edit().buy(sq(1), P1).buy(sq(3), P1);
    assert_eq!(
        (t.game.rent_due(P2, sq(1)), t.game.rent_due(P2, sq(3))),
        (4, 8)
    );
    t.game.edit().own(sq(3), P1, 5, false);
    assert_eq!(t.game.rent_due(P2, sq(3)), 450);
}

#[test]
fn w03_bridge_and_server_rent_and_net_worth() {
    let mut t = Table::new(3);
    t.game.edit().buy(sq(15), P1);
    assert_eq!(t.game.rent_due(P2, sq(15)), 20);
    t.game.edit().buy(sq(35), P1);
    assert_eq!(t.game.rent_due(P2, sq(15)), 40);

    t.game.edit().buy(sq(5), P1);
    assert_eq!(t.game.rent_due(P2, sq(5)), 20);
    t.game.edit().buy(sq(25), P1).own(sq(25), P1, -1, true);
    assert_eq!(
        (t.game.rent_due(P2, sq(5)), t.game.rent_due(P2, sq(25))),
        (60, 0)
    );

    let mut t = Table::new(3);
    t.game.edit().money(P1, 1000).own(sq(1), P1, 2, false);
    assert_eq!(t.game.net_worth(P1), 1160);
}

#[test]
fn w04_building_demolishing_mortgaging() {
    let mut t = Table::new(3);
    t.game
        .edit()
        .buy(sq(1), P1)
        .buy(sq(3), P1)
        .phase(Phase::Business, P1);
    t.act(
        P1,
        Action::Build {
            square: sq(1),
            houses: 1,
        },
    );
    assert_eq!(
        (t.game.holding(sq(1)).unwrap().houses, t.money(P1)),
        (1, 1450)
    );
    assert_eq!(t.game.player(P1).unwrap().stats.built_houses, 1);
    assert_eq!(
        t.refuse(
            P1,
            Action::Build {
                square: sq(1),
                houses: 1
            }
        ),
        RuleError::Invalid(Invalid::UnevenBuild)
    );
    t.act(
        P1,
        Action::Demolish {
            square: sq(1),
            houses: 1,
        },
    );
    assert_eq!(
        (t.game.holding(sq(1)).unwrap().houses, t.money(P1)),
        (0, 1475)
    );
    assert_eq!(t.game.player(P1).unwrap().stats.demolished_houses, 1);
    assert_eq!(
        t.refuse(
            P1,
            Action::Build {
                square: sq(1),
                houses: 2
            }
        ),
        RuleError::Invalid(Invalid::BadHouseCount)
    );

    let mut t = Table::new(3);
    t.game.edit().buy(sq(1), P1).phase(Phase::Business, P1);
    t.act(P1, Action::MortgageSet { square: sq(1) });
    assert!(t.game.holding(sq(1)).unwrap().mortgaged);
    assert_eq!(t.money(P1), 1530);
    assert_eq!(t.game.player(P1).unwrap().stats.num_mortgages, 1);
    t.act(P1, Action::MortgageUnset { square: sq(1) });
    assert!(!t.game.holding(sq(1)).unwrap().mortgaged);
    assert_eq!(t.money(P1), 1500);
    let stats = &t.game.player(P1).unwrap().stats;
    assert_eq!((stats.num_mortgages, stats.lost_money), (1, 30));
}

#[test]
fn w05a_third_double_jails() {
    let mut t = Table::new(3);
    t.game.edit().position(P1, sq(1)).streak(2);
    let Event::DiceThrown {
        destinations,
        path: walked,
        streak,
        ..
    } = roll(&mut t, (4, 4, 5))
    else {
        unreachable!()
    };
    assert_eq!(
        (destinations, walked, streak),
        (path(&[201]), path(&[1, 201]), 0)
    );
    let p1 = t.game.player(P1).unwrap();
    assert_eq!(
        (p1.position, p1.jail_turns, p1.stats.times_in_jail),
        (sq(201), 3, 1)
    );
    assert_eq!(
        (t.phase(), t.game.active_turn_player(), t.game.streak()),
        (PhaseName::Liquidation, P1, 0)
    );
}

#[test]
fn w05b_released_by_doubles() {
    let mut t = Table::new(3);
    t.game.edit().jailed(P1, 2);
    roll(&mut t, (2, 2, 6));
    assert_eq!(t.game.player(P1).unwrap().jail_turns, 0);
    assert_eq!(t.game.streak(), 0);
    assert_eq!(*t.game.phase(), choose_square_phase(&[(15, 2), (17, 4)]));
}

#[test]
fn w05c_stays_in_jail() {
    let mut t = Table::new(3);
    t.game.edit().jailed(P1, 2);
    let Event::DiceThrown {
        path: walked,
        destinations,
        ..
    } = roll(&mut t, (1, 2, 3))
    else {
        unreachable!()
    };
    assert_eq!((walked, destinations), (path(&[201]), vec![]));
    let p1 = t.game.player(P1).unwrap();
    assert_eq!(
        (p1.jail_turns, p1.position, p1.stats.turns_in_jail),
        (1, sq(201), 1)
    );
    assert_eq!(t.phase(), PhaseName::Business);
}

#[test]
fn w05d_forced_bail() {
    let mut t = Table::new(3);
    t.game.edit().jailed(P1, 1);
    let Event::DiceThrown { path: walked, .. } = roll(&mut t, (1, 2, 3)) else {
        unreachable!()
    };
    assert_eq!(walked, path(&[201, 105, 15, 16, 17, 18, 19]));
    let p1 = t.game.player(P1).unwrap();
    assert_eq!(
        (
            p1.money,
            p1.jail_turns,
            p1.stats.turns_in_jail,
            p1.stats.lost_money
        ),
        (1460, 0, 1, 40)
    );
    assert_eq!(t.phase(), PhaseName::Management);
}

#[test]
fn w05e_pays_bail() {
    let mut t = Table::new(3);
    t.game.edit().jailed(P1, 2);
    t.act(P1, Action::PayBail);
    let p1 = t.game.player(P1).unwrap();
    assert_eq!(
        (p1.money, p1.jail_turns, p1.stats.lost_money),
        (1460, 0, 40)
    );
    assert_eq!(t.phase(), PhaseName::RollTheDices);
    assert_eq!(
        t.refuse(P1, Action::PayBail),
        RuleError::Invalid(Invalid::NotJailed)
    );
}

#[test]
fn w06_bus_die_and_triple() {
    let mut t = Table::new(3);
    t.game.edit().position(P1, sq(1));
    let Event::DiceThrown {
        streak,
        destinations,
        ..
    } = roll(&mut t, (2, 3, 6))
    else {
        unreachable!()
    };
    assert_eq!((streak, destinations), (0, path(&[3, 4, 6])));
    assert_eq!(
        *t.game.phase(),
        choose_square_phase(&[(3, 2), (4, 3), (6, 5)])
    );
    assert_eq!(
        t.refuse(P1, Action::MoveTo { square: sq(7) }),
        RuleError::Invalid(Invalid::IllegalDestination)
    );
    let events = t.act(P1, Action::MoveTo { square: sq(6) });
    let Event::SquareChosen { path: walked, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(*walked, path(&[1, 2, 3, 4, 5, 6]));
    assert_eq!(t.phase(), PhaseName::Management);
    assert_eq!(t.game.player(P1).unwrap().stats.walked_squares, 5);

    let mut t = Table::new(3);
    t.game.edit().streak(1);
    let Event::DiceThrown {
        triple,
        destinations,
        streak,
        ..
    } = roll(&mut t, (2, 2, 2))
    else {
        unreachable!()
    };
    assert!(triple);
    assert_eq!((destinations.len(), streak), (54, 1));
    assert!(!destinations.contains(&sq(201)));
    let Phase::ChooseSquare { destinations } = t.game.phase() else {
        panic!()
    };
    assert!(destinations.values().all(|steps| *steps == 0));
}

#[test]
fn w07_tram() {
    let tram_table = || {
        let mut t = Table::new(3);
        t.game
            .edit()
            .position(P1, sq(10))
            .phase(Phase::Management, P1);
        t
    };
    let mut t = tram_table();
    t.act(P1, Action::TakeTram { square: sq(107) });
    assert_eq!(
        (t.position(P1), t.money(P1), t.phase()),
        (sq(107), 1470, PhaseName::Business)
    );
    let mut t = tram_table();
    t.act(P1, Action::TakeTram { square: sq(10) });
    assert_eq!(
        (t.position(P1), t.money(P1), t.phase()),
        (sq(10), 1500, PhaseName::Business)
    );
    let mut t = tram_table();
    assert!(matches!(
        t.refuse(P1, Action::BuySquare { square: sq(10) }),
        RuleError::WrongPhase { .. }
    ));
    assert_eq!(
        t.refuse(P1, Action::TakeTram { square: sq(11) }),
        RuleError::Invalid(Invalid::NotATram)
    );
}

fn trade_table() -> Table {
    let mut t = Table::new(3);
    t.game
        .edit()
        .own(sq(1), P1, -1, false)
        .own(sq(3), P1, -1, false)
        .own(sq(6), P2, -1, false)
        .own(sq(8), P2, -1, false);
    t.game.edit().phase(Phase::Business, P1);
    t
}

pub(crate) fn proposal(
    offered: &[u16],
    offered_money: i64,
    asked: &[u16],
    asked_money: i64,
) -> Action {
    Action::TradeProposal {
        destination_user: P2,
        offered_money,
        asked_money,
        offered_properties: offered.iter().map(|&s| sq(s)).collect(),
        asked_properties: asked.iter().map(|&s| sq(s)).collect(),
    }
}

#[test]
fn w08_accepted_trade_normalizes_full_sets() {
    let mut t = trade_table();
    t.act(P1, proposal(&[1, 3], 200, &[6, 8], 300));
    assert_eq!(
        (t.phase(), t.game.active_phase_player()),
        (PhaseName::ProposalAcceptance, P2)
    );
    t.act(P2, Action::TradeAnswer { choose: true });
    assert_eq!((t.money(P1), t.money(P2)), (1600, 1400));
    assert_eq!(t.game.holding(sq(1)).unwrap().owner, P2);
    assert_eq!(t.game.holding(sq(6)).unwrap().owner, P1);
    assert_eq!(
        (t.phase(), t.game.active_phase_player()),
        (PhaseName::Business, P1)
    );
    let (p1, p2) = (
        &t.game.player(P1).unwrap().stats,
        &t.game.player(P2).unwrap().stats,
    );
    assert_eq!(
        (p1.won_money, p2.lost_money, p1.num_trades, p2.num_trades),
        (100, 100, 1, 1)
    );
    assert_eq!(
        (
            t.game.holding(sq(1)).unwrap().houses,
            t.game.holding(sq(3)).unwrap().houses
        ),
        (0, 0)
    );
    assert_eq!(t.game.rent_due(P1, sq(1)), 4);
    assert_eq!(
        (
            t.game.holding(sq(6)).unwrap().houses,
            t.game.holding(sq(8)).unwrap().houses
        ),
        (-1, -1)
    );

    let mut t = trade_table();
    t.act(P1, proposal(&[], 10, &[], 50));
    t.act(P2, Action::TradeAnswer { choose: true });
    assert_eq!((t.money(P1), t.money(P2)), (1540, 1460));
    let (p1, p2) = (
        &t.game.player(P1).unwrap().stats,
        &t.game.player(P2).unwrap().stats,
    );
    assert_eq!((p1.won_money, p2.lost_money), (40, 40));
}

#[test]
fn w09_rejected_and_invalid_trades() {
    let mut t = Table::new(3);
    t.game
        .edit()
        .buy(sq(1), P1)
        .buy(sq(3), P2)
        .phase(Phase::Business, P1);
    t.act(P1, proposal(&[1], 100, &[3], 500));
    t.act(P2, Action::TradeAnswer { choose: false });
    assert_eq!((t.money(P1), t.money(P2)), (1500, 1500));
    assert_eq!(
        (
            t.game.holding(sq(1)).unwrap().owner,
            t.game.holding(sq(3)).unwrap().owner
        ),
        (P1, P2)
    );
    assert_eq!(
        (t.phase(), t.game.active_phase_player()),
        (PhaseName::Business, P1)
    );

    assert_eq!(
        t.refuse(P1, proposal(&[3], 0, &[], 0)),
        RuleError::Invalid(Invalid::OfferedNotOwned)
    );
    let mut self_trade = proposal(&[], 0, &[], 0);
    if let Action::TradeProposal {
        destination_user, ..
    } = &mut self_trade
    {
        *destination_user = P1;
    }
    assert_eq!(
        t.refuse(P1, self_trade),
        RuleError::Invalid(Invalid::SelfTrade)
    );

    let mut t = Table::new(3);
    t.game
        .edit()
        .own(sq(1), P1, 1, false)
        .own(sq(3), P1, 0, false)
        .buy(sq(6), P2)
        .phase(Phase::Business, P1);
    assert_eq!(
        t.refuse(P1, proposal(&[3], 0, &[6], 0)),
        RuleError::Invalid(Invalid::GroupHasHouses)
    );

    let mut t = Table::new(3);
    t.game.edit().money(P2, 100).phase(Phase::Business, P1);
    t.act(P1, proposal(&[], 0, &[], 150));
    assert_eq!(
        t.refuse(P2, Action::TradeAnswer { choose: true }),
        RuleError::Invalid(Invalid::TradeUnaffordable)
    );
    t.act(P2, Action::TradeAnswer { choose: false });
    assert_eq!(t.money(P2), 100);
}

fn auction_table(square: u16) -> Table {
    let mut t = Table::new(3);
    t.game
        .edit()
        .position(P1, sq(square))
        .phase(Phase::Management, P1);
    t.act(P1, Action::DropPurchase { square: sq(square) });
    t
}

#[test]
fn w10_auction_with_a_winner() {
    let mut t = auction_table(1);
    assert_eq!(
        t.refuse(P1, Action::Bid { amount: 100 }),
        RuleError::Invalid(Invalid::DeclinedSquare)
    );
    let events = t.act(P2, Action::Bid { amount: 300 });
    assert_eq!(kinds(&events), vec!["BidPlaced"]);
    let events = t.act(P3, Action::Bid { amount: 250 });
    let Event::AuctionClosed { auction } = &events[0] else {
        panic!()
    };
    assert_eq!(
        (auction.winner, auction.final_amount, auction.is_tie),
        (Some(P2), Some(300), false)
    );
    assert_eq!(auction.bids, [(P2, 300), (P3, 250)].into_iter().collect());
    assert_eq!(t.money(P2), 1200);
    assert_eq!(t.game.holding(sq(1)).unwrap().owner, P2);
    assert_eq!(t.game.holding(sq(1)).unwrap().houses, -1);
    assert_eq!(
        (t.phase(), t.game.active_phase_player()),
        (PhaseName::Business, P1)
    );
    assert!(t
        .game
        .deadlines()
        .iter()
        .all(|d| !matches!(d.timer, magnate_core::Timer::AuctionClose { .. })));
}

#[test]
fn w11_tie_no_bids_and_zero_bids() {
    let mut t = auction_table(1);
    t.act(P2, Action::Bid { amount: 300 });
    let events = t.act(P3, Action::Bid { amount: 300 });
    let Event::AuctionClosed { auction } = &events[0] else {
        panic!()
    };
    assert_eq!(
        (auction.winner, auction.final_amount, auction.is_tie),
        (None, Some(300), true)
    );
    assert!(t.game.holding(sq(1)).is_none());
    assert_eq!(
        (t.money(P2), t.money(P3), t.phase()),
        (1500, 1500, PhaseName::Business)
    );

    let mut t = auction_table(5);
    let events = t.tick_at(20_000);
    let Event::AuctionClosed { auction } = &events[0] else {
        panic!()
    };
    assert_eq!(
        (auction.winner, auction.final_amount, auction.is_tie),
        (None, Some(0), false)
    );
    assert!(t.game.holding(sq(5)).is_none());
    assert_eq!(t.phase(), PhaseName::Business);

    let mut t = auction_table(1);
    t.act(P2, Action::Bid { amount: 0 });
    assert_eq!(
        t.refuse(P2, Action::Bid { amount: 10 }),
        RuleError::Invalid(Invalid::AlreadyBid)
    );
    let events = t.act(P3, Action::Bid { amount: 0 });
    let Event::AuctionClosed { auction } = &events[0] else {
        panic!()
    };
    assert_eq!(
        (auction.winner, auction.final_amount, auction.is_tie),
        (None, Some(0), false)
    );
}

#[test]
fn w15_card_choice() {
    let mut t = Table::new(3);
    t.game.edit().phase(
        Phase::ChooseFantasy {
            card: FantasyCard::new(FantasyType::WinPlainMoney, Some(100)),
        },
        P1,
    );
    t.act(
        P1,
        Action::ChooseCard {
            chosen_revealed_card: true,
        },
    );
    assert_eq!((t.money(P1), t.phase()), (1600, PhaseName::Business));
    assert_eq!(t.game.player(P1).unwrap().stats.num_fantasy_events, 1);

    let mut t = Table::new(3);
    t.game.edit().phase(
        Phase::ChooseFantasy {
            card: FantasyCard::new(FantasyType::LosePlainMoney, Some(100)),
        },
        P1,
    );
    t.game.edit().draws(&[0, 4]);
    let events = t.act(
        P1,
        Action::ChooseCard {
            chosen_revealed_card: false,
        },
    );
    let Event::FantasyApplied { fantasy_result, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(
        fantasy_result.fantasy_event,
        FantasyCard::new(FantasyType::WinPlainMoney, Some(200))
    );
    assert_eq!((t.money(P1), t.phase()), (1700, PhaseName::Business));
}

/// Ends a three-player game by the turn limit with these categories and statistics.
fn end_with_bonuses(categories: &[(StatField, i64)], edit: impl Fn(&mut Table)) -> Table {
    let mut setup = Setup::new([P1, P2, P3]);
    setup.rules.max_turns = Some(1);
    setup.rules.bonus_categories = categories
        .iter()
        .map(|&(stat_field, bonus_amount)| BonusCategory {
            stat_field,
            bonus_amount,
        })
        .collect();
    let mut t = Table::with_setup(setup);
    edit(&mut t);
    t.game.edit().phase(Phase::Business, P1);
    let events = t.act(P1, Action::NextPhase);
    assert_eq!(kinds(&events), vec!["PhaseEnded", "GameEnded"]);
    assert!(t.game.is_finished());
    t
}

#[test]
fn w15_end_of_game_bonuses() {
    let t = end_with_bonuses(&[(StatField::WalkedSquares, 200)], |t| {
        t.game
            .edit()
            .stats(P1, |s| s.walked_squares = 10)
            .stats(P2, |s| s.walked_squares = 5)
            .stats(P3, |s| s.walked_squares = 3);
    });
    assert_eq!([t.money(P1), t.money(P2), t.money(P3)], [1700, 1500, 1500]);

    let t = end_with_bonuses(&[(StatField::NumTrades, 300)], |t| {
        t.game
            .edit()
            .stats(P1, |s| s.num_trades = 4)
            .stats(P2, |s| s.num_trades = 4)
            .stats(P3, |s| s.num_trades = 1);
    });
    assert_eq!([t.money(P1), t.money(P2), t.money(P3)], [1800, 1800, 1500]);

    let t = end_with_bonuses(&[(StatField::BuiltHouses, 200)], |_| {});
    assert_eq!([t.money(P1), t.money(P2), t.money(P3)], [1500, 1500, 1500]);
    assert!(t.game.outcome().unwrap().bonuses[0].winners.is_empty());

    let t = end_with_bonuses(
        &[
            (StatField::WalkedSquares, 200),
            (StatField::NumTrades, 200),
            (StatField::BuiltHouses, 200),
        ],
        |t| {
            t.game.edit().stats(P1, |s| s.walked_squares = 15);
        },
    );
    assert_eq!([t.money(P1), t.money(P2), t.money(P3)], [1700, 1500, 1500]);
    let outcome = t.game.outcome().unwrap();
    assert_eq!(outcome.bonuses.len(), 3);
    assert_eq!(outcome.winner, P1);
    assert_eq!(t.phase(), PhaseName::EndGame);
}
