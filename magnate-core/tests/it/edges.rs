//! Edge cases beyond the worked examples: surrenders during auctions and trades, jail by move,
//! liquidation, timeouts, and the dispatch errors of docs/rules.md.

use magnate_core::{Action, Event, Invalid, LogicError, Phase, PhaseName, RuleError};

use crate::scenarios::{proposal, roll};
use crate::{kinds, sq, Table, P1, P2, P3, P4};

#[test]
fn surrender_leaving_one_player_ends_the_game_at_once() {
    let mut t = Table::new(2);
    let events = t.act_with_views(P1, Action::Surrender);
    let (facts, views): (Vec<_>, Vec<_>) = events.into_iter().unzip();
    assert_eq!(kinds(&facts), vec!["PlayerEliminated", "GameEnded"]);
    // The surrender's response already shows the finished game (docs/protocol.md).
    assert_eq!(views[0].phase, PhaseName::EndGame);
    assert_eq!(views[0].active_turn_player, P2);
    assert_eq!(views[0].money.keys().copied().collect::<Vec<_>>(), vec![P2]);
    assert_eq!(t.game.winner(), Some(P2));
    assert_eq!(
        (t.game.active_turn_player(), t.game.active_phase_player()),
        (P2, P2)
    );
    assert_eq!(t.refuse(P2, Action::ThrowDice), RuleError::GameFinished);
    assert_eq!(t.refuse(P2, Action::Surrender), RuleError::GameFinished);
    assert!(t.game.next_deadline().is_none());
}

#[test]
fn surrender_of_the_turn_player_mid_auction_closes_it_unsold() {
    let mut t = Table::new(3);
    t.game
        .edit()
        .position(P1, sq(1))
        .phase(Phase::Management, P1);
    t.act(P1, Action::DropPurchase { square: sq(1) });
    t.act(P2, Action::Bid { amount: 100 });
    let events = t.act(P1, Action::Surrender);
    let Event::AuctionClosed { auction } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!((auction.winner, auction.final_amount), (None, None));
    assert_eq!(
        (
            t.phase(),
            t.game.active_turn_player(),
            t.game.current_turn()
        ),
        (PhaseName::RollTheDices, P2, 1)
    );
    assert_eq!(t.money(P2), 1500);
    assert!(t
        .game
        .deadlines()
        .iter()
        .all(|d| !matches!(d.timer, magnate_core::Timer::AuctionClose { .. })));
}

#[test]
fn the_unsold_auction_of_a_surrendering_turn_player_shows_the_game_without_them() {
    // Three players: the turn passes to P2, and the auction result already says so.
    let mut t = Table::new(3);
    t.game
        .edit()
        .position(P1, sq(1))
        .phase(Phase::Management, P1);
    t.act(P1, Action::DropPurchase { square: sq(1) });
    t.act(P2, Action::Bid { amount: 100 });
    let events = t.act_with_views(P1, Action::Surrender);
    let facts: Vec<Event> = events.iter().map(|(event, _)| event.clone()).collect();
    assert_eq!(kinds(&facts), vec!["AuctionClosed", "PlayerEliminated"]);
    for (event, view) in &events {
        assert_eq!(view.phase, PhaseName::RollTheDices, "{event:?}");
        assert_eq!(
            (view.active_turn_player, view.active_phase_player),
            (P2, P2),
            "{event:?}"
        );
        assert_eq!(view.money.keys().copied().collect::<Vec<_>>(), vec![P2, P3]);
        assert!(!view.positions.contains_key(&P1));
    }
    // Two players: the auction result already shows the finished game.
    let mut t = Table::new(2);
    t.game
        .edit()
        .position(P1, sq(1))
        .phase(Phase::Management, P1);
    t.act(P1, Action::DropPurchase { square: sq(1) });
    let events = t.act_with_views(P1, Action::Surrender);
    let facts: Vec<Event> = events.iter().map(|(event, _)| event.clone()).collect();
    assert_eq!(
        kinds(&facts),
        vec!["AuctionClosed", "PlayerEliminated", "GameEnded"]
    );
    let view = &events[0].1;
    assert_eq!(view.phase, PhaseName::EndGame);
    assert_eq!(
        (view.active_turn_player, view.active_phase_player),
        (P2, P2)
    );
    assert_eq!(view.money.keys().copied().collect::<Vec<_>>(), vec![P2]);
}

#[test]
fn surrender_of_a_recipient_cancels_the_proposal() {
    let mut t = Table::new(3);
    t.game.edit().phase(Phase::Business, P1);
    t.act(P1, proposal(&[], 10, &[], 0));
    t.act(P2, Action::Surrender);
    assert_eq!(
        (t.phase(), t.game.active_phase_player()),
        (PhaseName::Business, P1)
    );
    assert!(!t.game.is_in_game(P2));
}

#[test]
fn auction_closes_when_the_last_missing_bidder_surrenders() {
    let mut t = Table::new(4);
    t.game
        .edit()
        .position(P1, sq(1))
        .phase(Phase::Management, P1);
    t.act(P1, Action::DropPurchase { square: sq(1) });
    t.act(P2, Action::Bid { amount: 500 });
    t.act(P3, Action::Bid { amount: 100 });
    let events = t.act(P4, Action::Surrender);
    let Event::AuctionClosed { auction } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (auction.winner, auction.final_amount),
        (Some(P2), Some(500))
    );
    assert_eq!(t.money(P2), 1000);
}

#[test]
fn a_surrendered_bidder_cannot_win() {
    let mut t = Table::new(4);
    t.game
        .edit()
        .position(P1, sq(1))
        .phase(Phase::Management, P1);
    t.act(P1, Action::DropPurchase { square: sq(1) });
    t.act(P2, Action::Bid { amount: 500 });
    t.act(P2, Action::Surrender);
    t.act(P3, Action::Bid { amount: 100 });
    let events = t.act(P4, Action::Bid { amount: 50 });
    let Event::AuctionClosed { auction } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (auction.winner, auction.final_amount),
        (Some(P3), Some(100))
    );
}

#[test]
fn going_to_jail_square_by_move_leads_to_liquidation() {
    let mut t = Table::new(3);
    t.game.edit().position(P1, sq(14));
    // 14 → bridge 15 → (even total 6 → outer) 16 … 20.
    let Event::DiceThrown { path: walked, .. } = roll(&mut t, (1, 2, 3)) else {
        unreachable!()
    };
    assert_eq!(walked.last(), Some(&sq(20)));
    assert_eq!(
        (t.position(P1), t.phase()),
        (sq(201), PhaseName::Liquidation)
    );
    assert_eq!(t.game.player(P1).unwrap().stats.walked_squares, 6);
}

#[test]
fn liquidation_refuses_to_end_the_turn_with_negative_money() {
    let mut t = Table::new(3);
    t.game.edit().money(P1, -10).phase(Phase::Business, P1);
    t.act(P1, Action::NextPhase);
    assert_eq!(t.phase(), PhaseName::Liquidation);
    assert!(
        t.game
            .deadlines()
            .iter()
            .any(|d| d.timer == magnate_core::Timer::PhaseTimeout { player: P1 }),
        "D-19"
    );
    assert_eq!(
        t.refuse(P1, Action::NextPhase),
        RuleError::Invalid(Invalid::NegativeBalance)
    );
}

#[test]
fn business_timeout_with_negative_money_kicks_the_player_out() {
    let mut t = Table::new(3);
    t.game
        .edit()
        .money(P1, -10)
        .phase(Phase::Business, P1)
        .buy(sq(1), P1);
    t.act(P1, Action::NextPhase);
    let events = t.tick_at(50_000_000);
    assert_eq!(kinds(&events), vec!["PlayerEliminated", "PhaseTimedOut"]);
    assert!(!t.game.is_in_game(P1));
    assert!(
        t.game.holding(sq(1)).is_none(),
        "the bankrupt player's squares go back to the bank"
    );
    assert_eq!(
        (t.game.active_turn_player(), t.phase()),
        (P2, PhaseName::RollTheDices)
    );
}

#[test]
fn errors_for_out_of_turn_wrong_phase_and_outsiders() {
    let mut t = Table::new(3);
    assert_eq!(
        t.refuse(P2, Action::ThrowDice),
        RuleError::NotActivePlayer { player: P2 }
    );
    assert!(matches!(
        t.refuse(P1, Action::NextPhase),
        RuleError::WrongPhase { .. }
    ));
    assert!(matches!(
        t.refuse(P1, Action::Bid { amount: 1 }),
        RuleError::WrongPhase { .. }
    ));
    assert_eq!(
        t.refuse(P4, Action::Surrender),
        RuleError::NotInGame { player: P4 }
    );
    assert_eq!(
        t.refuse(P1, Action::PayBail),
        RuleError::Invalid(Invalid::NotOnJailSquare)
    );
    t.game.edit().jailed(P1, 2).money(P1, 10);
    assert_eq!(
        t.refuse(P1, Action::PayBail),
        RuleError::Logic(LogicError::BailUnaffordable)
    );
}
