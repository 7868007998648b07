//! Worked examples W-12 to W-14 of rules.md docs/rules.md: money, movement, jail and house cards.

use magnate_core::{Action, CardOutcome, Event, FantasyCard, FantasyType, Phase};

use crate::{sq, Table, P1, P2, P3, P4};

/// Four players with money 100, 200, 300, 400 on squares 1, 2, 103, 104.
fn card_table() -> Table {
    let mut t = Table::new(4);
    t.game
        .edit()
        .money(P1, 100)
        .money(P2, 200)
        .money(P3, 300)
        .money(P4, 400)
        .position(P1, sq(1))
        .position(P2, sq(2))
        .position(P3, sq(103))
        .position(P4, sq(104));
    t
}

fn play_card(
    t: &mut Table,
    player: magnate_core::PlayerId,
    card: FantasyType,
    value: Option<i64>,
) -> Option<CardOutcome> {
    t.game.edit().phase(
        Phase::ChooseFantasy {
            card: FantasyCard::new(card, value),
        },
        player,
    );
    let events = t.act(
        player,
        Action::ChooseCard {
            chosen_revealed_card: true,
        },
    );
    let Event::FantasyApplied { fantasy_result, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(fantasy_result.fantasy_event.fantasy_type, card);
    fantasy_result.result.clone()
}

fn moneys(t: &Table) -> [i64; 4] {
    [t.money(P1), t.money(P2), t.money(P3), t.money(P4)]
}

#[test]
fn w12_money_cards() {
    use FantasyType::*;
    let cases: [(FantasyType, Option<i64>, magnate_core::PlayerId, [i64; 4]); 6] = [
        (WinPlainMoney, Some(60), P1, [160, 200, 300, 400]),
        (WinRatioMoney, Some(5), P2, [100, 210, 300, 400]),
        (LosePlainMoney, Some(60), P1, [40, 200, 300, 400]),
        (LoseRatioMoney, Some(5), P2, [100, 190, 300, 400]),
        (ShareMoneyAll, Some(30), P1, [10, 230, 330, 430]),
        (EverybodySendsYouMoney, Some(30), P1, [190, 170, 270, 370]),
    ];
    for (card, value, player, expected) in cases {
        let mut t = card_table();
        play_card(&mut t, player, card, value);
        assert_eq!(moneys(&t), expected, "{card:?}");
    }
    for (draw, doubled, money) in [(0, true, 200), (1, false, 0)] {
        let mut t = card_table();
        t.game.edit().draws(&[draw]);
        assert_eq!(
            play_card(&mut t, P1, DoubleOrNothing, None),
            Some(CardOutcome::Doubled { doubled })
        );
        assert_eq!(t.money(P1), money);
    }
    let mut t = card_table();
    t.game.edit().parking(1500);
    play_card(&mut t, P1, GetParkingMoney, None);
    assert_eq!((t.money(P1), t.game.parking_money()), (1600, 0));
}

#[test]
fn w12_ratio_cards_use_integer_arithmetic_on_positive_money() {
    let mut t = card_table();
    t.game.edit().money(P1, 333);
    play_card(&mut t, P1, FantasyType::WinRatioMoney, Some(1));
    assert_eq!(t.money(P1), 336);
    t.game.edit().money(P1, -100);
    play_card(&mut t, P1, FantasyType::LoseRatioMoney, Some(10));
    assert_eq!(t.money(P1), -100);
}

#[test]
fn w13_movement_and_jail_cards() {
    use FantasyType::*;
    let mut t = card_table();
    play_card(&mut t, P1, GoToJail, None);
    assert_eq!(
        (t.position(P1), t.game.player(P1).unwrap().jail_turns),
        (sq(201), 3)
    );

    let mut t = card_table();
    let Some(CardOutcome::TargetPlayer { target_player }) = play_card(&mut t, P1, SendToJail, None)
    else {
        panic!()
    };
    assert!([P2, P3, P4].contains(&target_player));
    assert_eq!(
        (
            t.position(target_player),
            t.game.player(target_player).unwrap().jail_turns
        ),
        (sq(201), 3)
    );

    let mut t = card_table();
    play_card(&mut t, P1, EverybodyToJail, None);
    for p in [P1, P2, P3, P4] {
        assert_eq!(
            (t.position(p), t.game.player(p).unwrap().jail_turns),
            (sq(201), 3)
        );
    }

    let mut t = card_table();
    t.game.edit().jailed(P4, 3);
    play_card(&mut t, P1, Magnetism, None);
    assert_eq!(
        [
            t.position(P1),
            t.position(P2),
            t.position(P3),
            t.position(P4)
        ],
        [sq(1), sq(1), sq(1), sq(201)]
    );

    let mut t = card_table();
    t.game.edit().jailed(P2, 3);
    play_card(&mut t, P1, GoToStart, None);
    play_card(&mut t, P2, GoToStart, None);
    assert_eq!((t.position(P1), t.money(P1)), (sq(0), 300));
    assert_eq!((t.position(P2), t.money(P2)), (sq(201), 200));

    let mut t = card_table();
    let Some(CardOutcome::TargetPlayer { target_player }) =
        play_card(&mut t, P1, MoveOpponentAnywhereRandom, None)
    else {
        panic!()
    };
    assert_ne!(target_player, P1);
}

/// P1 has 1 (2 houses), P2 has 6 (3), P3 has 11 (4), P4 has 16 (2), as in the reference fixture.
fn house_table() -> Table {
    let mut t = card_table();
    t.game
        .edit()
        .own(sq(1), P1, 2, false)
        .own(sq(6), P2, 3, false)
        .own(sq(11), P3, 4, false)
        .own(sq(16), P4, 2, false);
    t
}

fn houses(t: &Table, square: u16) -> i8 {
    t.game.holding(sq(square)).unwrap().houses
}

#[test]
fn w14_earthquake() {
    let mut t = house_table();
    t.game.edit().own(sq(19), P1, 0, false);
    let result = play_card(&mut t, P1, FantasyType::Earthquake, None);
    assert_eq!(
        result,
        Some(CardOutcome::Squares {
            squares: vec![sq(1), sq(6), sq(11), sq(16)]
        })
    );
    assert_eq!(
        [
            houses(&t, 1),
            houses(&t, 6),
            houses(&t, 11),
            houses(&t, 16),
            houses(&t, 19)
        ],
        [1, 2, 3, 1, 0]
    );
    assert_eq!(t.game.player(P3).unwrap().stats.demolished_houses, 1);
}

#[test]
fn w14_break_opponent_house() {
    for (draw, target) in [(0u32, 18u16), (1, 19), (2, 21)] {
        let mut t = card_table();
        t.game
            .edit()
            .own(sq(16), P4, 2, false)
            .own(sq(18), P4, 3, false)
            .own(sq(19), P4, 3, false)
            .own(sq(21), P4, 2, false)
            .draws(&[draw]);
        let before = moneys(&t);
        let result = play_card(&mut t, P1, FantasyType::BreakOpponentHouse, None);
        assert_eq!(result, Some(CardOutcome::Square { square: sq(target) }));
        let expected_before = match target {
            18 | 19 => 3,
            _ => 2,
        };
        assert_eq!(houses(&t, target), expected_before - 1);
        assert_eq!(houses(&t, 16), 2, "16 is never a candidate");
        assert_eq!(moneys(&t), before);
    }
    let mut t = card_table();
    t.game.edit().own(sq(6), P2, 0, false);
    assert_eq!(
        play_card(&mut t, P1, FantasyType::BreakOpponentHouse, None),
        None
    );
    assert_eq!(houses(&t, 6), 0);
}

#[test]
fn w14_break_own_house() {
    for (draw, target, after) in [(0u32, 3u16, 3i8), (1, 108, 0), (2, 110, 0)] {
        let mut t = card_table();
        t.game
            .edit()
            .own(sq(1), P1, 2, false)
            .own(sq(3), P1, 4, false)
            .own(sq(108), P1, 1, false)
            .own(sq(110), P1, 1, false);
        t.game.edit().draws(&[draw]);
        assert_eq!(
            play_card(&mut t, P1, FantasyType::BreakOwnHouse, None),
            Some(CardOutcome::Square { square: sq(target) })
        );
        assert_eq!(houses(&t, target), after);
        assert_eq!(houses(&t, 1), 2);
    }
}

#[test]
fn w14_free_house_and_revive_property() {
    let mut t = card_table();
    t.game
        .edit()
        .own(sq(16), P1, 2, false)
        .own(sq(18), P1, 2, false)
        .own(sq(19), P1, 2, false)
        .own(sq(21), P1, -1, false);
    let Some(CardOutcome::Square { square }) = play_card(&mut t, P1, FantasyType::FreeHouse, None)
    else {
        panic!()
    };
    assert!([sq(16), sq(18), sq(19)].contains(&square));
    assert_eq!(houses(&t, square.0), 3);
    assert_eq!(t.money(P1), 100, "a free house costs nothing");

    let mut t = card_table();
    t.game
        .edit()
        .own(sq(16), P1, 1, false)
        .own(sq(18), P1, 1, false)
        .own(sq(19), P1, 0, false);
    assert_eq!(
        play_card(&mut t, P1, FantasyType::FreeHouse, None),
        Some(CardOutcome::Square { square: sq(19) })
    );
    assert_eq!(houses(&t, 19), 1);

    let mut t = card_table();
    t.game.edit().own(sq(21), P1, -1, false);
    assert_eq!(play_card(&mut t, P1, FantasyType::FreeHouse, None), None);

    let mut t = card_table();
    t.game
        .edit()
        .own(sq(16), P1, 0, false)
        .own(sq(18), P1, 0, false)
        .own(sq(19), P1, 0, true);
    assert_eq!(
        play_card(&mut t, P1, FantasyType::ReviveProperty, None),
        Some(CardOutcome::Square { square: sq(19) })
    );
    assert!(!t.game.holding(sq(19)).unwrap().mortgaged);
    assert_eq!(
        play_card(&mut t, P1, FantasyType::ReviveProperty, None),
        None
    );
}
