//! The board: squares, successors, colour groups, validated at load.
//!
//! The crate ships board1 (`data/board1.json`, the reference's board file) and validates it when it
//! is first used. [`Board::from_json`] loads any board in the same format and reports a malformed
//! one as a [`BoardError`], never a panic.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::ids::SquareId;

/// Highest square id a board may use (keeps the id → index table small).
const MAX_SQUARE_ID: u16 = 4095;
/// Marks an id without a square in the lookup table.
const NO_SQUARE: u8 = u8::MAX;
/// The longest move [`Board::destination`] tabulates: three dice of six.
const MAX_TABULATED_STEPS: u32 = 18;

/// What a square is and the data its kind carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SquareKind {
    /// The exit ("GO"); passing or landing on it pays `salary`.
    Exit {
        /// Salary paid for passing or landing on it.
        salary: i64,
    },
    /// A buildable property of a colour group.
    Property {
        /// Colour group number.
        group: u8,
        /// Purchase price.
        buy_price: i64,
        /// Price of one building level on this square.
        build_price: i64,
        /// `[base, 1 house, 2, 3, 4 houses, hotel]`.
        rents: [i64; 6],
    },
    /// A bridge: a switch between the outer ring and an inner segment.
    Bridge {
        /// Purchase price.
        buy_price: i64,
        /// Rent by number of bridges the owner holds (index = count − 1).
        rents: Vec<i64>,
        /// The outer-ring successor, taken by moves with an even total.
        out_successor: SquareId,
    },
    /// A server: flat rent by number of servers owned.
    Server {
        /// Purchase price.
        buy_price: i64,
        /// Rent with one and with two servers owned.
        rents: [i64; 2],
    },
    /// A tram stop: a paid teleport to another stop; cannot be owned.
    Tram {
        /// The fare to ride to this stop.
        fare: i64,
    },
    /// Draws a fantasy card.
    Fantasy,
    /// Pays out the parking jackpot.
    Parking,
    /// Sends a player who ends a dice move here to jail.
    GoToJail,
    /// The jail cell; never reached by movement.
    Jail {
        /// Bail to leave jail.
        bail: i64,
    },
    /// Just visiting.
    JailVisit,
}

/// One square of the board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Square {
    /// The square's id (`custom_id`).
    pub id: SquareId,
    /// The square's kind and data.
    pub kind: SquareKind,
    /// Next square for normal movement (`in_successor`).
    pub successor: SquareId,
}

impl Square {
    /// Purchase price if the square can be owned (property, bridge or server).
    pub fn buy_price(&self) -> Option<i64> {
        match &self.kind {
            SquareKind::Property { buy_price, .. }
            | SquareKind::Bridge { buy_price, .. }
            | SquareKind::Server { buy_price, .. } => Some(*buy_price),
            _ => None,
        }
    }

    /// True for squares that can be bought, mortgaged and traded.
    pub fn is_ownable(&self) -> bool {
        self.buy_price().is_some()
    }

    /// Colour group of a property.
    pub fn group(&self) -> Option<u8> {
        match self.kind {
            SquareKind::Property { group, .. } => Some(group),
            _ => None,
        }
    }

    /// Build price of a property.
    pub fn build_price(&self) -> Option<i64> {
        match self.kind {
            SquareKind::Property { build_price, .. } => Some(build_price),
            _ => None,
        }
    }
}

/// A validated board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    id: u32,
    squares: Vec<Square>,
    index: Vec<u8>,
    groups: BTreeMap<u8, Vec<SquareId>>,
    /// `groups` indexed by group number (256 entries), for constant-time lookups.
    group_table: Vec<Vec<SquareId>>,
    exit: SquareId,
    jail: SquareId,
    parking: Option<SquareId>,
    trams: Vec<SquareId>,
    /// Per square index: the indices whose ownership sets its rent (see [`Board::peers`]).
    peers: Vec<Vec<usize>>,
    /// Per square index, `MAX_TABULATED_STEPS + 1` destination indices (see
    /// [`Board::destination`]).
    destinations: Vec<u8>,
}

/// Why a board file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BoardError {
    /// The document is not valid JSON of the board format.
    #[error("malformed board file: {0}")]
    Malformed(String),
    /// Two squares share an id.
    #[error("square {0} is defined twice")]
    DuplicateSquare(u16),
    /// A square id is above the supported maximum.
    #[error("square id {0} is too large")]
    IdTooLarge(u16),
    /// A successor names a square that does not exist.
    #[error("square {square} has successor {successor}, which does not exist")]
    MissingSuccessor {
        /// The square whose successor is missing.
        square: u16,
        /// The missing successor.
        successor: u16,
    },
    /// A required single square (exit, jail, go-to-jail) is missing.
    #[error("the board has no {0} square")]
    MissingSquare(&'static str),
    /// A rent array has the wrong length.
    #[error("square {square} has {found} rents")]
    BadRents {
        /// The square with the bad rent array.
        square: u16,
        /// How many rents it has.
        found: usize,
    },
    /// A price or rent is negative.
    #[error("square {0} has a negative price or rent")]
    NegativeAmount(u16),
    /// The board has more squares than the engine supports.
    #[error("the board has {0} squares; at most 250 are supported")]
    TooManySquares(usize),
}

impl Board {
    /// The reference board ("board1"), shipped with the crate and validated on first use.
    pub fn standard() -> &'static Board {
        static BOARD: OnceLock<Board> = OnceLock::new();
        BOARD.get_or_init(|| {
            Board::from_json(include_str!("../data/board1.json"))
                .expect("invariant: the shipped board1.json is valid (checked by tests)")
        })
    }

    /// Loads and validates a board in the reference's board-file format (docs/rules.md).
    pub fn from_json(text: &str) -> Result<Board, BoardError> {
        let file: BoardFile =
            serde_json::from_str(text).map_err(|err| BoardError::Malformed(err.to_string()))?;
        file.build()
    }

    /// The board's id (0 for board1).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// All squares in ascending id order.
    pub fn squares(&self) -> &[Square] {
        &self.squares
    }

    /// The square with this id, if it exists.
    pub fn square(&self, id: SquareId) -> Option<&Square> {
        self.index_of(id).map(|index| &self.squares[index])
    }

    /// Dense index (0..len) of a square id; squares are indexed in ascending id order.
    pub fn index_of(&self, id: SquareId) -> Option<usize> {
        match self.index.get(usize::from(id.0)) {
            Some(&index) if index != NO_SQUARE => Some(usize::from(index)),
            _ => None,
        }
    }

    /// Number of squares.
    pub fn len(&self) -> usize {
        self.squares.len()
    }

    /// Always false for a validated board.
    pub fn is_empty(&self) -> bool {
        self.squares.is_empty()
    }

    /// The exit (GO) square.
    pub fn exit(&self) -> SquareId {
        self.exit
    }

    /// The jail cell.
    pub fn jail(&self) -> SquareId {
        self.jail
    }

    /// The parking square, if the board has one.
    pub fn parking(&self) -> Option<SquareId> {
        self.parking
    }

    /// Salary for passing GO.
    pub fn salary(&self) -> i64 {
        match self.square(self.exit).map(|s| &s.kind) {
            Some(SquareKind::Exit { salary }) => *salary,
            _ => 0,
        }
    }

    /// Bail to leave jail.
    pub fn bail(&self) -> i64 {
        match self.square(self.jail).map(|s| &s.kind) {
            Some(SquareKind::Jail { bail }) => *bail,
            _ => 0,
        }
    }

    /// Tram stops in ascending id order.
    pub fn trams(&self) -> &[SquareId] {
        &self.trams
    }

    /// Colour groups with their squares in ascending id order.
    pub fn groups(&self) -> &BTreeMap<u8, Vec<SquareId>> {
        &self.groups
    }

    /// The squares of a colour group (empty for an unknown group).
    pub fn group_squares(&self, group: u8) -> &[SquareId] {
        &self.group_table[usize::from(group)]
    }

    /// The indices of the squares whose ownership sets the rent of the square at `index`, in
    /// ascending order and itself included: its colour group for a property, every square of its
    /// kind for a bridge or a server, none otherwise. Precomputed at load.
    pub(crate) fn peers(&self, index: usize) -> &[usize] {
        self.peers.get(index).map_or(&[], Vec::as_slice)
    }

    /// The index of the square where a walk of `steps` from the square at index `from` ends
    /// (the `last` of [`crate::rules::walk`]), tabulated at load for up to 18 steps.
    pub(crate) fn destination(&self, from: usize, steps: u32) -> Option<usize> {
        if steps > MAX_TABULATED_STEPS {
            return None;
        }
        let row = usize::try_from(MAX_TABULATED_STEPS + 1).ok()?;
        let at = from.checked_mul(row)? + usize::try_from(steps).ok()?;
        self.destinations.get(at).map(|&i| usize::from(i))
    }

    fn compute_peers(&self) -> Vec<Vec<usize>> {
        let same_class = |a: &Square, b: &Square| match (&a.kind, &b.kind) {
            (SquareKind::Property { group: x, .. }, SquareKind::Property { group: y, .. }) => {
                x == y
            }
            (SquareKind::Bridge { .. }, SquareKind::Bridge { .. })
            | (SquareKind::Server { .. }, SquareKind::Server { .. }) => true,
            _ => false,
        };
        self.squares
            .iter()
            .map(|square| {
                (0..self.squares.len())
                    .filter(|&i| same_class(square, &self.squares[i]))
                    .collect()
            })
            .collect()
    }

    fn compute_destinations(&self) -> Vec<u8> {
        let mut table = Vec::new();
        for square in &self.squares {
            for total in 0..=MAX_TABULATED_STEPS {
                let mut current = square.id;
                for _ in 0..total {
                    current = self.next_square(current, total);
                }
                let index = self.index_of(current).unwrap_or(0);
                // Validated boards have at most 250 squares.
                table.push(u8::try_from(index).unwrap_or(u8::MAX));
            }
        }
        table
    }

    /// Where a token leaving `from` goes during a move of `total` steps (bridges switch by parity).
    pub fn next_square(&self, from: SquareId, total: u32) -> SquareId {
        match self.square(from) {
            Some(Square {
                kind: SquareKind::Bridge { out_successor, .. },
                ..
            }) if total % 2 == 0 => *out_successor,
            Some(square) => square.successor,
            None => from,
        }
    }
}

#[derive(Deserialize)]
struct BoardFile {
    #[serde(default)]
    id: u32,
    #[serde(default)]
    property_squares: Vec<PropertyEntry>,
    #[serde(default)]
    bridge_squares: Vec<BridgeEntry>,
    #[serde(default)]
    tram_squares: Vec<PricedEntry>,
    #[serde(default)]
    server_squares: Vec<ServerEntry>,
    #[serde(default)]
    fantasy_squares: Vec<PlainEntry>,
    exit_square: Option<ExitEntry>,
    go_to_jail_square: Option<PlainEntry>,
    jail_visit_square: Option<PlainEntry>,
    jail_square: Option<JailEntry>,
    parking_square: Option<PlainEntry>,
}

#[derive(Deserialize)]
struct PropertyEntry {
    id: u16,
    id_successor: u16,
    #[serde(default)]
    group: u8,
    #[serde(default)]
    buy_price: i64,
    #[serde(default)]
    rent_prices: Vec<i64>,
    #[serde(default)]
    build_price: i64,
}

#[derive(Deserialize)]
struct BridgeEntry {
    id: u16,
    in_successor: u16,
    out_successor: u16,
    #[serde(default)]
    buy_price: i64,
    #[serde(default)]
    rent_prices: Vec<i64>,
}

#[derive(Deserialize)]
struct PricedEntry {
    id: u16,
    id_successor: u16,
    #[serde(default)]
    buy_price: i64,
}

#[derive(Deserialize)]
struct ServerEntry {
    id: u16,
    id_successor: u16,
    #[serde(default)]
    buy_price: i64,
    #[serde(default)]
    rent_prices: Vec<i64>,
}

#[derive(Deserialize)]
struct PlainEntry {
    id: u16,
    id_successor: u16,
}

#[derive(Deserialize)]
struct ExitEntry {
    id: u16,
    id_successor: u16,
    #[serde(default)]
    init_money: i64,
}

#[derive(Deserialize)]
struct JailEntry {
    id: u16,
    id_successor: u16,
    #[serde(default)]
    bail_price: i64,
}

impl BoardFile {
    fn build(self) -> Result<Board, BoardError> {
        // Pass 1: create every square with its data.
        let mut squares = Vec::new();
        for p in self.property_squares {
            let rents: [i64; 6] =
                p.rent_prices
                    .as_slice()
                    .try_into()
                    .map_err(|_| BoardError::BadRents {
                        square: p.id,
                        found: p.rent_prices.len(),
                    })?;
            if p.buy_price < 0 || p.build_price < 0 || rents.iter().any(|r| *r < 0) {
                return Err(BoardError::NegativeAmount(p.id));
            }
            squares.push(square(
                p.id,
                p.id_successor,
                SquareKind::Property {
                    group: p.group,
                    buy_price: p.buy_price,
                    build_price: p.build_price,
                    rents,
                },
            ));
        }
        for b in self.bridge_squares {
            if b.rent_prices.len() < 2 {
                return Err(BoardError::BadRents {
                    square: b.id,
                    found: b.rent_prices.len(),
                });
            }
            if b.buy_price < 0 || b.rent_prices.iter().any(|r| *r < 0) {
                return Err(BoardError::NegativeAmount(b.id));
            }
            squares.push(square(
                b.id,
                b.in_successor,
                SquareKind::Bridge {
                    buy_price: b.buy_price,
                    rents: b.rent_prices,
                    out_successor: SquareId(b.out_successor),
                },
            ));
        }
        for t in self.tram_squares {
            if t.buy_price < 0 {
                return Err(BoardError::NegativeAmount(t.id));
            }
            squares.push(square(
                t.id,
                t.id_successor,
                SquareKind::Tram { fare: t.buy_price },
            ));
        }
        for s in self.server_squares {
            let rents: [i64; 2] =
                s.rent_prices
                    .as_slice()
                    .try_into()
                    .map_err(|_| BoardError::BadRents {
                        square: s.id,
                        found: s.rent_prices.len(),
                    })?;
            if s.buy_price < 0 || rents.iter().any(|r| *r < 0) {
                return Err(BoardError::NegativeAmount(s.id));
            }
            squares.push(square(
                s.id,
                s.id_successor,
                SquareKind::Server {
                    buy_price: s.buy_price,
                    rents,
                },
            ));
        }
        for f in self.fantasy_squares {
            squares.push(square(f.id, f.id_successor, SquareKind::Fantasy));
        }
        let exit = self.exit_square.ok_or(BoardError::MissingSquare("exit"))?;
        if exit.init_money < 0 {
            return Err(BoardError::NegativeAmount(exit.id));
        }
        squares.push(square(
            exit.id,
            exit.id_successor,
            SquareKind::Exit {
                salary: exit.init_money,
            },
        ));
        let go_to_jail = self
            .go_to_jail_square
            .ok_or(BoardError::MissingSquare("go-to-jail"))?;
        squares.push(square(
            go_to_jail.id,
            go_to_jail.id_successor,
            SquareKind::GoToJail,
        ));
        let jail = self.jail_square.ok_or(BoardError::MissingSquare("jail"))?;
        if jail.bail_price < 0 {
            return Err(BoardError::NegativeAmount(jail.id));
        }
        squares.push(square(
            jail.id,
            jail.id_successor,
            SquareKind::Jail {
                bail: jail.bail_price,
            },
        ));
        if let Some(visit) = self.jail_visit_square {
            squares.push(square(visit.id, visit.id_successor, SquareKind::JailVisit));
        }
        let parking = self.parking_square.map(|p| {
            squares.push(square(p.id, p.id_successor, SquareKind::Parking));
            SquareId(p.id)
        });

        // Pass 2: index the squares and resolve every successor.
        if squares.len() > 250 {
            return Err(BoardError::TooManySquares(squares.len()));
        }
        squares.sort_by_key(|s| s.id);
        let max_id = squares.last().map_or(0, |s| s.id.0);
        if max_id > MAX_SQUARE_ID {
            return Err(BoardError::IdTooLarge(max_id));
        }
        let mut index = vec![NO_SQUARE; usize::from(max_id) + 1];
        for (position, s) in squares.iter().enumerate() {
            let slot = &mut index[usize::from(s.id.0)];
            if *slot != NO_SQUARE {
                return Err(BoardError::DuplicateSquare(s.id.0));
            }
            *slot =
                u8::try_from(position).map_err(|_| BoardError::TooManySquares(squares.len()))?;
        }
        let exists = |id: SquareId| {
            index
                .get(usize::from(id.0))
                .is_some_and(|&i| i != NO_SQUARE)
        };
        for s in &squares {
            let mut successors = vec![s.successor];
            if let SquareKind::Bridge { out_successor, .. } = s.kind {
                successors.push(out_successor);
            }
            for successor in successors {
                if !exists(successor) {
                    return Err(BoardError::MissingSuccessor {
                        square: s.id.0,
                        successor: successor.0,
                    });
                }
            }
        }
        let mut groups: BTreeMap<u8, Vec<SquareId>> = BTreeMap::new();
        for s in &squares {
            if let Some(group) = s.group() {
                groups.entry(group).or_default().push(s.id);
            }
        }
        let trams = squares
            .iter()
            .filter(|s| matches!(s.kind, SquareKind::Tram { .. }))
            .map(|s| s.id)
            .collect();
        let mut board = Board {
            id: self.id,
            squares,
            index,
            groups,
            exit: SquareId(exit.id),
            jail: SquareId(jail.id),
            parking,
            trams,
            peers: Vec::new(),
            destinations: Vec::new(),
            group_table: Vec::new(),
        };
        board.group_table = (0..=u8::MAX)
            .map(|group| board.groups.get(&group).cloned().unwrap_or_default())
            .collect();
        board.peers = board.compute_peers();
        board.destinations = board.compute_destinations();
        Ok(board)
    }
}

fn square(id: u16, successor: u16, kind: SquareKind) -> Square {
    Square {
        id: SquareId(id),
        kind,
        successor: SquareId(successor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board1_has_the_documented_shape() {
        let board = Board::standard();
        assert_eq!(board.len(), 55);
        assert_eq!(board.groups().len(), 12);
        let count = |pred: fn(&SquareKind) -> bool| {
            board.squares().iter().filter(|s| pred(&s.kind)).count()
        };
        assert_eq!(count(|k| matches!(k, SquareKind::Property { .. })), 30);
        assert_eq!(count(|k| matches!(k, SquareKind::Bridge { .. })), 2);
        assert_eq!(count(|k| matches!(k, SquareKind::Server { .. })), 2);
        assert_eq!(count(|k| matches!(k, SquareKind::Tram { .. })), 4);
        assert_eq!(count(|k| matches!(k, SquareKind::Fantasy)), 12);
        assert_eq!(board.jail(), SquareId(201));
        assert_eq!(board.exit(), SquareId(0));
        assert_eq!(board.salary(), 200);
        assert_eq!(board.bail(), 40);
        assert_eq!(
            board.trams(),
            &[SquareId(10), SquareId(30), SquareId(100), SquareId(107)]
        );
        assert_eq!(board.group_squares(12), &[SquareId(112), SquareId(113)]);
    }

    #[test]
    fn tabulated_destinations_and_peers_match_the_definitions() {
        let board = Board::standard();
        for (i, square) in board.squares().iter().enumerate() {
            for steps in 0..=MAX_TABULATED_STEPS {
                let last = crate::rules::walk(board, square.id, steps).last;
                assert_eq!(board.destination(i, steps), board.index_of(last));
            }
            assert_eq!(board.destination(i, MAX_TABULATED_STEPS + 1), None);
            let peers = board.peers(i);
            match &square.kind {
                SquareKind::Property { group, .. } => {
                    let members: Vec<usize> = board
                        .group_squares(*group)
                        .iter()
                        .filter_map(|m| board.index_of(*m))
                        .collect();
                    assert_eq!(peers, members.as_slice());
                }
                SquareKind::Bridge { .. } | SquareKind::Server { .. } => {
                    assert_eq!(peers.len(), 2);
                    assert!(peers.contains(&i));
                }
                _ => assert!(peers.is_empty()),
            }
        }
    }

    #[test]
    fn bridges_switch_by_parity() {
        let board = Board::standard();
        assert_eq!(board.next_square(SquareId(15), 4), SquareId(16));
        assert_eq!(board.next_square(SquareId(15), 3), SquareId(106));
        assert_eq!(board.next_square(SquareId(35), 2), SquareId(36));
        assert_eq!(board.next_square(SquareId(35), 5), SquareId(113));
        assert_eq!(board.next_square(SquareId(201), 5), SquareId(105));
    }

    #[test]
    fn malformed_boards_are_typed_errors() {
        assert!(matches!(
            Board::from_json("{"),
            Err(BoardError::Malformed(_))
        ));
        let no_jail = r#"{"exit_square": {"id": 0, "id_successor": 0, "init_money": 200},
            "go_to_jail_square": {"id": 1, "id_successor": 0}}"#;
        assert_eq!(
            Board::from_json(no_jail).unwrap_err(),
            BoardError::MissingSquare("jail")
        );
        let dangling = r#"{"exit_square": {"id": 0, "id_successor": 9, "init_money": 200},
            "go_to_jail_square": {"id": 1, "id_successor": 0},
            "jail_square": {"id": 2, "id_successor": 0, "bail_price": 40}}"#;
        assert_eq!(
            Board::from_json(dangling).unwrap_err(),
            BoardError::MissingSuccessor {
                square: 0,
                successor: 9
            }
        );
        let short_rents = r#"{"exit_square": {"id": 0, "id_successor": 1, "init_money": 200},
            "go_to_jail_square": {"id": 1, "id_successor": 2},
            "jail_square": {"id": 2, "id_successor": 3, "bail_price": 40},
            "property_squares": [{"id": 3, "id_successor": 0, "group": 1, "buy_price": 1, "rent_prices": [1], "build_price": 1}]}"#;
        assert_eq!(
            Board::from_json(short_rents).unwrap_err(),
            BoardError::BadRents {
                square: 3,
                found: 1
            }
        );
        let duplicate = r#"{"exit_square": {"id": 0, "id_successor": 1, "init_money": 200},
            "go_to_jail_square": {"id": 1, "id_successor": 0},
            "jail_square": {"id": 1, "id_successor": 0, "bail_price": 40}}"#;
        assert_eq!(
            Board::from_json(duplicate).unwrap_err(),
            BoardError::DuplicateSquare(1)
        );
    }
}
