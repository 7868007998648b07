//! Square database ids and property-relationship ids: how the reference's clients name squares
//! in snapshots and trade proposals (docs/protocol.md#ids).

use magnate_core::SquareId;

/// The database ids of the squares of board1, by `custom_id` .
const SQUARE_DB_IDS: [(u16, i64); 55] = [
    (1, 1),
    (3, 2),
    (6, 3),
    (8, 4),
    (9, 5),
    (11, 6),
    (13, 7),
    (14, 8),
    (16, 9),
    (18, 10),
    (19, 11),
    (21, 12),
    (23, 13),
    (24, 14),
    (26, 15),
    (27, 16),
    (29, 17),
    (31, 18),
    (32, 19),
    (34, 20),
    (37, 21),
    (39, 22),
    (101, 23),
    (103, 24),
    (105, 25),
    (106, 26),
    (108, 27),
    (110, 28),
    (112, 29),
    (113, 30),
    (15, 31),
    (35, 32),
    (10, 33),
    (30, 34),
    (100, 35),
    (107, 36),
    (5, 37),
    (25, 38),
    (2, 39),
    (4, 40),
    (7, 41),
    (12, 42),
    (17, 43),
    (22, 44),
    (28, 45),
    (33, 46),
    (36, 47),
    (38, 48),
    (102, 49),
    (109, 50),
    (0, 51),
    (20, 52),
    (201, 53),
    (104, 54),
    (111, 55),
];

/// The database id of a square; 0 for a square the table does not know.
pub fn square_db_id(square: SquareId) -> i64 {
    SQUARE_DB_IDS
        .iter()
        .find(|(custom, _)| *custom == square.0)
        .map_or(0, |(_, db)| *db)
}

/// The property-relationship id of an ownership record: unique across games, stable while the
/// square has an owner. Clients only echo it back in trade proposals.
pub fn relationship_id(game_id: i64, square: SquareId) -> i64 {
    game_id
        .saturating_mul(100)
        .saturating_add(square_db_id(square))
}

/// The square named by a relationship id of `game_id`, if it names one of its squares.
pub fn relationship_square(game_id: i64, relationship: i64) -> Option<SquareId> {
    if relationship.checked_div(100)? != game_id {
        return None;
    }
    let db_id = relationship % 100;
    SQUARE_DB_IDS
        .iter()
        .find(|(_, db)| *db == db_id)
        .map(|(custom, _)| SquareId(*custom))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_ids_follow_appendix_a() {
        assert_eq!(square_db_id(SquareId(1)), 1);
        assert_eq!(square_db_id(SquareId(6)), 3);
        assert_eq!(square_db_id(SquareId(15)), 31);
        assert_eq!(square_db_id(SquareId(111)), 55);
        let mut db_ids: Vec<i64> = SQUARE_DB_IDS.iter().map(|(_, db)| *db).collect();
        db_ids.sort_unstable();
        assert_eq!(db_ids, (1..=55).collect::<Vec<_>>());
        for (custom, _) in SQUARE_DB_IDS {
            assert!(
                magnate_core::Board::standard()
                    .square(SquareId(custom))
                    .is_some(),
                "square {custom} is on the board"
            );
        }
        assert_eq!(relationship_id(42, SquareId(6)), 4203);
        assert_eq!(relationship_square(42, 4203), Some(SquareId(6)));
        assert_eq!(relationship_square(41, 4203), None);
        assert_eq!(relationship_square(42, 4299), None);
    }
}
