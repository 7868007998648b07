//! Tests of the valuation formulas, golden values included (docs/bots.md §10).

use super::*;
use crate::bot::BotLevel;
use crate::card::{FantasyCard, FantasyType};
use crate::ids::Seed;
use crate::rules::step_options;
use crate::setup::Setup;
use crate::time::Timestamp;

fn game() -> Game {
    Game::new(
        Setup::new([PlayerId(1), PlayerId(2)]),
        Seed(1),
        Timestamp(0),
    )
    .expect("valid setup")
}

#[test]
fn the_throw_table_lists_every_throw_in_order() {
    let mut i = 0;
    for d1 in 1..=6u8 {
        for d2 in 1..=6u8 {
            for bus in 1..=6u8 {
                let expected = if bus <= 3 && d1 == d2 && d2 == bus {
                    ([0; 3], 0)
                } else {
                    throw_options(d1, d2, bus)
                };
                assert_eq!(THROWS[i], expected, "{d1} {d2} {bus}");
                i += 1;
            }
        }
    }
}

#[test]
fn throw_options_are_the_step_options() {
    for d1 in 1..=6u8 {
        for d2 in 1..=6u8 {
            for bus in 1..=6u8 {
                let (options, count) = throw_options(d1, d2, bus);
                assert_eq!(options[..count], step_options(d1, d2, bus)[..]);
                assert!(options[..count]
                    .iter()
                    .all(|&steps| (1..=MAX_THROW_STEPS as u32).contains(&steps)));
            }
        }
    }
}

#[test]
fn a_double_that_is_not_a_triple_has_33_chances_in_216() {
    assert_eq!(Valuer::free_exit_probability(), 33.0 / 216.0);
}

#[test]
fn income_follows_the_engine_rent_of_the_whole_holding() {
    let game = game();
    let tuning = BotTuning::for_level(BotLevel::Expert);
    let valuer = Valuer::new(&game, PlayerId(1), &tuning);
    let me = PlayerId(1);
    let own = |mut table: Table, square: SquareId, mortgaged: bool| {
        let index = game.board().index_of(square).expect("the square exists");
        table[index] = Some(Holding {
            owner: me,
            houses: -1,
            mortgaged,
        });
        table
    };
    let mut table: Table = game.squares.iter().map(|s| s.holding).collect();
    table = own(table, SquareId(1), false);
    // A lone street charges its base rent.
    assert_eq!(valuer.income(&table, me), 2);
    table = own(table, SquareId(3), false);
    // The full group without houses charges double: 2 × 2 + 2 × 4.
    assert_eq!(valuer.income(&table, me), 12);
    // A house on street 1 charges R[1] = 10 there.
    let mut built = table.clone();
    let index = game.board().index_of(SquareId(1)).expect("street 1 exists");
    built[index] = built[index].map(|h| Holding { houses: 1, ..h });
    assert_eq!(valuer.income(&built, me), 10 + 8);
    // Mortgaged squares charge nothing but still complete the group.
    let mortgaged = own(table, SquareId(1), true);
    assert_eq!(valuer.income(&mortgaged, me), 8);
    // So acquiring street 3 next to street 1 is worth the group bonus (D9), not R[0] × 2.
    let mut game = game.clone();
    game.edit().buy(SquareId(1), me);
    let valuer = Valuer::new(&game, me, &tuning);
    assert_eq!(valuer.gain(SquareId(3), me), 10.0);
    assert_eq!(valuer.loss(SquareId(1), me), 2.0);
}

#[test]
fn a_blind_card_is_worth_the_mean_of_the_card_table() {
    let game = game();
    let tuning = BotTuning::for_level(BotLevel::Expert);
    let valuer = Valuer::new(&game, PlayerId(1), &tuning);
    let mean = valuer.mean_card_value();
    let win = valuer.card_value(FantasyCard::new(FantasyType::WinPlainMoney, Some(200)));
    let jail = valuer.card_value(FantasyCard::new(FantasyType::GoToJail, None));
    assert_eq!(win, 200.0);
    assert_eq!(jail, -40.0);
    assert!(jail < mean && mean < win, "{mean}");
}
