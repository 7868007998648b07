//! Fantasy cards as data: the 21 types, a card, its drawing and the outcome of applying it
//! (docs/rules.md, "Fantasy cards"). Their effects on a game are in `rules/cards.rs`.

use serde::{Deserialize, Serialize};

use crate::ids::{PlayerId, SquareId};
use crate::rng::GameRng;

/// The 21 card types, in the canonical draw order of docs/rules.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    missing_docs,
    reason = "the variants are the card names of docs/rules.md (\"Fantasy cards\"), each described there"
)]
pub enum FantasyType {
    WinPlainMoney,
    WinRatioMoney,
    LosePlainMoney,
    LoseRatioMoney,
    BreakOpponentHouse,
    BreakOwnHouse,
    ShufflePositions,
    MoveAnywhereRandom,
    MoveOpponentAnywhereRandom,
    ShareMoneyAll,
    FreeHouse,
    GoToJail,
    SendToJail,
    EverybodyToJail,
    DoubleOrNothing,
    GetParkingMoney,
    ReviveProperty,
    Earthquake,
    EverybodySendsYouMoney,
    Magnetism,
    GoToStart,
}

impl FantasyType {
    /// Every type, in canonical order.
    pub const ALL: [FantasyType; 21] = [
        FantasyType::WinPlainMoney,
        FantasyType::WinRatioMoney,
        FantasyType::LosePlainMoney,
        FantasyType::LoseRatioMoney,
        FantasyType::BreakOpponentHouse,
        FantasyType::BreakOwnHouse,
        FantasyType::ShufflePositions,
        FantasyType::MoveAnywhereRandom,
        FantasyType::MoveOpponentAnywhereRandom,
        FantasyType::ShareMoneyAll,
        FantasyType::FreeHouse,
        FantasyType::GoToJail,
        FantasyType::SendToJail,
        FantasyType::EverybodyToJail,
        FantasyType::DoubleOrNothing,
        FantasyType::GetParkingMoney,
        FantasyType::ReviveProperty,
        FantasyType::Earthquake,
        FantasyType::EverybodySendsYouMoney,
        FantasyType::Magnetism,
        FantasyType::GoToStart,
    ];

    /// The informational card cost (never charged, D-34).
    pub fn card_cost(self) -> i64 {
        use FantasyType::*;
        match self {
            WinPlainMoney => 130,
            WinRatioMoney => 500,
            LosePlainMoney => 80,
            LoseRatioMoney => 30,
            BreakOpponentHouse => 150,
            BreakOwnHouse => 30,
            ShufflePositions => 50,
            MoveAnywhereRandom => 50,
            MoveOpponentAnywhereRandom => 60,
            ShareMoneyAll => 5,
            FreeHouse => 80,
            GoToJail => 25,
            SendToJail => 80,
            EverybodyToJail => 50,
            DoubleOrNothing => 50,
            GetParkingMoney => 500,
            ReviveProperty => 100,
            Earthquake => 200,
            EverybodySendsYouMoney => 120,
            Magnetism => 100,
            GoToStart => 90,
        }
    }

    /// The values the card may carry (empty: `value` is null).
    pub fn value_options(self) -> &'static [i64] {
        use FantasyType::*;
        match self {
            WinPlainMoney => &[20, 60, 120, 150, 200],
            WinRatioMoney | LoseRatioMoney => &[1, 2, 5, 10],
            LosePlainMoney => &[40, 80, 120, 150, 200],
            ShareMoneyAll | EverybodySendsYouMoney => &[20, 30, 50],
            _ => &[],
        }
    }
}

/// A card: type, value and informational cost (`FantasyEvent` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FantasyCard {
    /// The type.
    pub fantasy_type: FantasyType,
    /// The value, for types that have one.
    pub value: Option<i64>,
    /// Informational cost.
    pub card_cost: i64,
}

impl FantasyCard {
    /// A card of `fantasy_type` with `value`.
    pub fn new(fantasy_type: FantasyType, value: Option<i64>) -> FantasyCard {
        FantasyCard {
            fantasy_type,
            value,
            card_cost: fantasy_type.card_cost(),
        }
    }

    /// Draws a card: `below(21)` for the type, then `below(len)` for the value (A.3).
    pub fn draw(rng: &mut GameRng) -> FantasyCard {
        let fantasy_type = FantasyType::ALL[rng.below(21) as usize];
        let options = fantasy_type.value_options();
        let value = if options.is_empty() {
            None
        } else {
            Some(options[rng.below(options.len() as u32) as usize])
        };
        FantasyCard::new(fantasy_type, value)
    }
}

/// The applied card and its outcome (docs/rules.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FantasyResult {
    /// The applied card.
    pub fantasy_event: FantasyCard,
    /// What it did, for cards with a target.
    pub result: Option<CardOutcome>,
}

/// The `result` object of a fantasy result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CardOutcome {
    /// `{"square": id}`: the square a house card acted on.
    Square {
        /// The square.
        square: SquareId,
    },
    /// `{"squares": [ids]}`: the squares an earthquake hit.
    Squares {
        /// The squares, ascending.
        squares: Vec<SquareId>,
    },
    /// `{"target_player": id}`: the opponent a card picked.
    TargetPlayer {
        /// The opponent.
        target_player: PlayerId,
    },
    /// `{"doubled": bool}`: the coin of doubleOrNothing.
    Doubled {
        /// True if the money was doubled.
        doubled: bool,
    },
}
