//! Inputs: player actions and timer ticks.

use serde::{Deserialize, Serialize};

use crate::ids::{PlayerId, SquareId};

/// What a player asks to do (docs/rules.md#actions).
///
/// Its serde form is the game record's (docs/record-format.md): `{"type": "throw_dice"}`,
/// `{"type": "buy_square", "square": 6}`, … with squares named by their board id everywhere,
/// trade proposals included. The reference clients' JSON is parsed by `magnate-protocol`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Throw the three dice.
    ThrowDice,
    /// Pay bail while jailed.
    PayBail,
    /// Move to one of the offered destinations.
    MoveTo {
        /// The destination.
        square: SquareId,
    },
    /// Take the revealed fantasy card (`true`) or a blind one (`false`).
    ChooseCard {
        /// Take the revealed card.
        chosen_revealed_card: bool,
    },
    /// Buy the current square.
    BuySquare {
        /// Must be the current square.
        square: SquareId,
    },
    /// Decline the current square: it goes to auction.
    DropPurchase {
        /// Must be the current square.
        square: SquareId,
    },
    /// Ride the tram to another stop (or stay, for free, by naming the current one).
    TakeTram {
        /// The destination stop.
        square: SquareId,
    },
    /// Build one level on a property.
    Build {
        /// The property.
        square: SquareId,
        /// Levels to add; only 1 is accepted.
        houses: i64,
    },
    /// Remove one level from a property.
    Demolish {
        /// The property.
        square: SquareId,
        /// Levels to remove; only 1 is accepted. The reference's default is 0.
        houses: i64,
    },
    /// Mortgage a square.
    MortgageSet {
        /// The square.
        square: SquareId,
    },
    /// Lift a mortgage.
    MortgageUnset {
        /// The square.
        square: SquareId,
    },
    /// Propose a trade to another player.
    TradeProposal {
        /// The recipient.
        destination_user: PlayerId,
        /// Money the proposer gives.
        offered_money: i64,
        /// Money the proposer asks for.
        asked_money: i64,
        /// Squares the proposer gives.
        #[serde(default)]
        offered_properties: Vec<SquareId>,
        /// Squares the proposer asks for.
        #[serde(default)]
        asked_properties: Vec<SquareId>,
    },
    /// Accept (`true`) or reject (`false`) the pending trade.
    TradeAnswer {
        /// Accept the trade.
        choose: bool,
    },
    /// A sealed bid in the running auction; 0 is a pass.
    Bid {
        /// The bid.
        amount: i64,
    },
    /// Move on: leave management, or end the turn.
    NextPhase,
    /// Leave the game.
    Surrender,
}

/// The kind of an [`Action`], without its data. Serializes as the action's `type` in records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// [`Action::ThrowDice`]
    ThrowDice,
    /// [`Action::PayBail`]
    PayBail,
    /// [`Action::MoveTo`]
    MoveTo,
    /// [`Action::ChooseCard`]
    ChooseCard,
    /// [`Action::BuySquare`]
    BuySquare,
    /// [`Action::DropPurchase`]
    DropPurchase,
    /// [`Action::TakeTram`]
    TakeTram,
    /// [`Action::Build`]
    Build,
    /// [`Action::Demolish`]
    Demolish,
    /// [`Action::MortgageSet`]
    MortgageSet,
    /// [`Action::MortgageUnset`]
    MortgageUnset,
    /// [`Action::TradeProposal`]
    TradeProposal,
    /// [`Action::TradeAnswer`]
    TradeAnswer,
    /// [`Action::Bid`]
    Bid,
    /// [`Action::NextPhase`]
    NextPhase,
    /// [`Action::Surrender`]
    Surrender,
}

impl Action {
    /// The action's kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::ThrowDice => ActionKind::ThrowDice,
            Action::PayBail => ActionKind::PayBail,
            Action::MoveTo { .. } => ActionKind::MoveTo,
            Action::ChooseCard { .. } => ActionKind::ChooseCard,
            Action::BuySquare { .. } => ActionKind::BuySquare,
            Action::DropPurchase { .. } => ActionKind::DropPurchase,
            Action::TakeTram { .. } => ActionKind::TakeTram,
            Action::Build { .. } => ActionKind::Build,
            Action::Demolish { .. } => ActionKind::Demolish,
            Action::MortgageSet { .. } => ActionKind::MortgageSet,
            Action::MortgageUnset { .. } => ActionKind::MortgageUnset,
            Action::TradeProposal { .. } => ActionKind::TradeProposal,
            Action::TradeAnswer { .. } => ActionKind::TradeAnswer,
            Action::Bid { .. } => ActionKind::Bid,
            Action::NextPhase => ActionKind::NextPhase,
            Action::Surrender => ActionKind::Surrender,
        }
    }
}

/// One input to [`crate::Game::apply`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// A player's action.
    Action {
        /// Who acts (filled in by the transport, never trusted from the client).
        player: PlayerId,
        /// What they do.
        action: Action,
    },
    /// Fire every deadline that is due at `now`. Early, late or duplicate ticks are harmless.
    Tick,
}

impl Input {
    /// A player's action.
    pub fn action(player: PlayerId, action: Action) -> Input {
        Input::Action { player, action }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_name_actions_in_snake_case_with_their_kind() {
        let action = Action::Build {
            square: SquareId(8),
            houses: 1,
        };
        let text = serde_json::to_string(&action).unwrap();
        assert_eq!(text, r#"{"type":"build","square":8,"houses":1}"#);
        assert_eq!(serde_json::from_str::<Action>(&text).unwrap(), action);
        assert_eq!(
            serde_json::to_value(ActionKind::ThrowDice).unwrap(),
            serde_json::to_value(Action::ThrowDice).unwrap()["type"]
        );
        assert!(serde_json::from_str::<Action>(r#"{"type":"fly"}"#).is_err());
    }
}
