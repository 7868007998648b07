//! Table tests for the pure computations: rent, building, mortgage values, net worth.

use magnate_core::rules::rent::rent_for;
use magnate_core::Board;

use crate::{sq, Table, P1, P2};

#[test]
fn property_rent_by_level_matches_the_derived_table() {
    // (square, [incomplete, full set, 1, 2, 3, 4 houses, hotel]) from docs/rules.md.
    let rows: [(u16, [i64; 7]); 30] = [
        (1, [2, 4, 10, 30, 90, 160, 250]),
        (3, [4, 8, 20, 60, 180, 320, 450]),
        (6, [6, 12, 30, 90, 270, 400, 550]),
        (8, [6, 12, 30, 90, 270, 400, 550]),
        (9, [8, 16, 40, 100, 300, 450, 600]),
        (11, [10, 20, 50, 150, 450, 625, 750]),
        (13, [10, 20, 50, 150, 450, 625, 750]),
        (14, [12, 24, 60, 180, 500, 700, 900]),
        (16, [14, 28, 70, 200, 550, 750, 950]),
        (18, [14, 28, 70, 200, 550, 750, 950]),
        (19, [16, 32, 80, 220, 600, 800, 1000]),
        (21, [18, 36, 90, 250, 700, 875, 1050]),
        (23, [18, 36, 90, 250, 700, 875, 1050]),
        (24, [20, 40, 100, 300, 750, 925, 1100]),
        (26, [22, 44, 110, 330, 800, 975, 1150]),
        (27, [22, 44, 110, 330, 800, 975, 1150]),
        (29, [24, 48, 120, 360, 850, 1025, 1200]),
        (31, [26, 52, 130, 390, 900, 1100, 1275]),
        (32, [26, 52, 130, 390, 900, 1100, 1275]),
        (34, [28, 56, 150, 450, 1000, 1200, 1400]),
        (37, [35, 70, 175, 500, 1100, 1300, 1500]),
        (39, [50, 100, 200, 600, 1400, 1700, 2000]),
        (101, [7, 14, 35, 100, 250, 420, 560]),
        (103, [8, 16, 40, 100, 260, 460, 580]),
        (105, [15, 30, 75, 200, 550, 800, 950]),
        (106, [16, 32, 70, 210, 600, 840, 1000]),
        (108, [22, 44, 120, 350, 810, 1000, 1150]),
        (110, [23, 46, 150, 350, 820, 1050, 1175]),
        (112, [25, 50, 120, 360, 800, 950, 1100]),
        (113, [50, 100, 250, 700, 1600, 1950, 2500]),
    ];
    for (id, expected) in rows {
        let kind = &Board::standard().square(sq(id)).unwrap().kind;
        let actual: Vec<i64> = (-1..=5).map(|houses| rent_for(kind, houses, 1)).collect();
        assert_eq!(actual, expected, "square {id}");
    }
}

#[test]
fn bridge_server_and_tram_rent() {
    let board = Board::standard();
    let kind = |id| &board.square(sq(id)).unwrap().kind;
    // (square, owned of its kind, rent)
    for (id, owned, rent) in [
        (15, 1, 20),
        (35, 2, 40),
        (5, 1, 20),
        (25, 2, 60),
        (10, 1, 0),
        (2, 1, 0),
    ] {
        assert_eq!(
            rent_for(kind(id), -1, owned),
            rent,
            "square {id} with {owned}"
        );
    }
}

#[test]
fn mortgaged_squares_charge_no_rent_but_keep_the_full_set_bonus_on_the_others() {
    let mut t = Table::new(2);
    t.game
        .edit()
        .buy(sq(6), P1)
        .buy(sq(8), P1)
        .buy(sq(9), P1)
        .own(sq(8), P1, 0, true);
    assert_eq!(t.game.rent_due(P2, sq(8)), 0);
    assert_eq!(t.game.rent_due(P2, sq(6)), 12, "D-52");
    assert_eq!(t.game.rent_due(P1, sq(6)), 0, "no rent on your own square");
}

#[test]
fn mortgage_values_and_demolish_refunds_are_half_prices_rounded_down() {
    for square in Board::standard().squares() {
        let Some(buy) = square.buy_price() else {
            continue;
        };
        let mut t = Table::new(2);
        t.game
            .edit()
            .buy(square.id, P1)
            .phase(magnate_core::Phase::Business, P1);
        t.act(P1, magnate_core::Action::MortgageSet { square: square.id });
        assert_eq!(t.money(P1), 1500 + buy / 2, "square {}", square.id);
    }
    // Square 113 builds at 220: refund 110; square 1 at 50: refund 25.
    for (id, refund) in [(113u16, 110), (1, 25)] {
        let mut t = Table::new(2);
        let other = if id == 113 { 112 } else { 3 };
        t.game
            .edit()
            .own(sq(id), P1, 1, false)
            .own(sq(other), P1, 1, false)
            .phase(magnate_core::Phase::Business, P1);
        t.act(
            P1,
            magnate_core::Action::Demolish {
                square: sq(id),
                houses: 1,
            },
        );
        assert_eq!(t.money(P1), 1500 + refund);
    }
}

#[test]
fn building_costs_per_square_and_hotel_is_level_five() {
    let mut t = Table::new(2);
    t.game
        .edit()
        .buy(sq(112), P1)
        .buy(sq(113), P1)
        .phase(magnate_core::Phase::Business, P1);
    for _ in 0..5 {
        t.act(
            P1,
            magnate_core::Action::Build {
                square: sq(112),
                houses: 1,
            },
        );
        t.act(
            P1,
            magnate_core::Action::Build {
                square: sq(113),
                houses: 1,
            },
        );
    }
    assert_eq!(t.money(P1), 1500 - 5 * 200 - 5 * 220);
    assert_eq!(t.game.holding(sq(113)).unwrap().houses, 5);
    let err = t.refuse(
        P1,
        magnate_core::Action::Build {
            square: sq(113),
            houses: 1,
        },
    );
    assert_eq!(
        err,
        magnate_core::RuleError::Invalid(magnate_core::Invalid::MaxLevel)
    );
    assert_eq!(t.game.rent_due(P2, sq(113)), 2500);
    // Net worth counts the hotel as five levels.
    assert_eq!(
        t.game.net_worth(P1),
        t.money(P1) + 340 + 450 + 5 * 200 + 5 * 220
    );
    // Liquidation value: half of the buildings and half of the prices.
    assert_eq!(
        t.game.max_liquidation(P1),
        t.money(P1) + 5 * 100 + 5 * 110 + 170 + 225
    );
}

#[test]
fn net_worth_ignores_mortgaged_squares_and_counts_houses() {
    // (money, [(square, houses, mortgaged)], net worth)
    type Row = (i64, &'static [(u16, i8, bool)], i64);
    let rows: [Row; 4] = [
        (1000, &[(1, 2, false)], 1160),
        (1500, &[(5, -1, true)], 1500),
        (-50, &[(15, -1, false), (35, -1, false)], 450),
        (0, &[(101, 0, false), (103, 0, false)], 190),
    ];
    for (money, holdings, expected) in rows {
        let mut t = Table::new(2);
        t.game.edit().money(P1, money);
        for &(square, houses, mortgaged) in holdings {
            t.game.edit().own(sq(square), P1, houses, mortgaged);
        }
        assert_eq!(t.game.net_worth(P1), expected, "{holdings:?}");
    }
}
