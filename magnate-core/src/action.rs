//! Inputs: player actions, in the JSON the reference's clients send, and timer ticks.

use serde::{Deserialize, Serialize};

use crate::ids::{lenient, PlayerId, SquareId};

/// What a player asks to do. Deserializes from the game-socket JSON of the reference (server spec
/// §4.4.4): the `type` tag names the action, `game` and `player` keys and unknown keys are ignored,
/// ids and integers may be numbers or decimal strings.
///
/// Trade proposals name squares by square id; a transport that speaks the reference's
/// ownership-record ids translates them first (rules D-17).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(tag = "type")]
pub enum Action {
    /// Throw the three dice.
    #[serde(rename = "ActionThrowDices")]
    ThrowDice,
    /// Pay bail while jailed.
    #[serde(rename = "ActionPayBail")]
    PayBail,
    /// Move to one of the offered destinations.
    #[serde(rename = "ActionMoveTo")]
    MoveTo {
        /// The destination.
        square: SquareId,
    },
    /// Take the revealed fantasy card (`true`) or a blind one (`false`).
    #[serde(rename = "ActionChooseCard")]
    ChooseCard {
        /// Take the revealed card.
        #[serde(default, deserialize_with = "lenient::boolean")]
        chosen_revealed_card: bool,
    },
    /// Buy the current square.
    #[serde(rename = "ActionBuySquare")]
    BuySquare {
        /// Must be the current square.
        square: SquareId,
    },
    /// Decline the current square: it goes to auction.
    #[serde(rename = "ActionDropPurchase")]
    DropPurchase {
        /// Must be the current square.
        square: SquareId,
    },
    /// Ride the tram to another stop (or stay, for free, by naming the current one).
    #[serde(rename = "ActionTakeTram")]
    TakeTram {
        /// The destination stop.
        square: SquareId,
    },
    /// Build one level on a property.
    #[serde(rename = "ActionBuild")]
    Build {
        /// The property.
        square: SquareId,
        /// Levels to add; only 1 is accepted (D-13).
        #[serde(default = "one", deserialize_with = "lenient::int")]
        houses: i64,
    },
    /// Remove one level from a property.
    #[serde(rename = "ActionDemolish")]
    Demolish {
        /// The property.
        square: SquareId,
        /// Levels to remove; only 1 is accepted (D-13). The reference's default is 0.
        #[serde(default, deserialize_with = "lenient::int")]
        houses: i64,
    },
    /// Mortgage a square.
    #[serde(rename = "ActionMortgageSet")]
    MortgageSet {
        /// The square.
        square: SquareId,
    },
    /// Lift a mortgage.
    #[serde(rename = "ActionMortgageUnset")]
    MortgageUnset {
        /// The square.
        square: SquareId,
    },
    /// Propose a trade to another player.
    #[serde(rename = "ActionTradeProposal")]
    TradeProposal {
        /// The recipient.
        destination_user: PlayerId,
        /// Money the proposer gives.
        #[serde(default, deserialize_with = "lenient::non_negative")]
        offered_money: i64,
        /// Money the proposer asks for.
        #[serde(default, deserialize_with = "lenient::non_negative")]
        asked_money: i64,
        /// Squares the proposer gives.
        #[serde(default)]
        offered_properties: Vec<SquareId>,
        /// Squares the proposer asks for.
        #[serde(default)]
        asked_properties: Vec<SquareId>,
    },
    /// Accept (`true`) or reject (`false`) the pending trade.
    #[serde(rename = "ActionTradeAnswer")]
    TradeAnswer {
        /// Accept the trade.
        #[serde(default, deserialize_with = "lenient::boolean")]
        choose: bool,
    },
    /// A sealed bid in the running auction; 0 is a pass.
    #[serde(rename = "ActionBid")]
    Bid {
        /// The bid.
        #[serde(default, deserialize_with = "lenient::non_negative")]
        amount: i64,
    },
    /// Move on: leave management, or end the turn.
    #[serde(rename = "ActionNextPhase")]
    NextPhase,
    /// Leave the game.
    #[serde(rename = "ActionSurrender")]
    Surrender,
}

fn one() -> i64 {
    1
}

/// The kind of an [`Action`], without its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

impl ActionKind {
    /// The reference's type name (`ActionThrowDices`, …).
    pub fn wire_name(self) -> &'static str {
        match self {
            ActionKind::ThrowDice => "ActionThrowDices",
            ActionKind::PayBail => "ActionPayBail",
            ActionKind::MoveTo => "ActionMoveTo",
            ActionKind::ChooseCard => "ActionChooseCard",
            ActionKind::BuySquare => "ActionBuySquare",
            ActionKind::DropPurchase => "ActionDropPurchase",
            ActionKind::TakeTram => "ActionTakeTram",
            ActionKind::Build => "ActionBuild",
            ActionKind::Demolish => "ActionDemolish",
            ActionKind::MortgageSet => "ActionMortgageSet",
            ActionKind::MortgageUnset => "ActionMortgageUnset",
            ActionKind::TradeProposal => "ActionTradeProposal",
            ActionKind::TradeAnswer => "ActionTradeAnswer",
            ActionKind::Bid => "ActionBid",
            ActionKind::NextPhase => "ActionNextPhase",
            ActionKind::Surrender => "ActionSurrender",
        }
    }
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

    /// Parses an action from the reference's game-socket JSON.
    pub fn from_json(text: &str) -> Result<Action, serde_json::Error> {
        serde_json::from_str(text)
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
    fn parses_every_reference_example_frame() {
        let frames = [
            (r#"{"type":"ActionThrowDices"}"#, Action::ThrowDice),
            (r#"{"type":"ActionPayBail"}"#, Action::PayBail),
            (
                r#"{"type":"ActionMoveTo","square":8}"#,
                Action::MoveTo {
                    square: SquareId(8),
                },
            ),
            (
                r#"{"type":"ActionChooseCard","chosen_revealed_card":true}"#,
                Action::ChooseCard {
                    chosen_revealed_card: true,
                },
            ),
            (
                r#"{"type":"ActionBuySquare","square":6}"#,
                Action::BuySquare {
                    square: SquareId(6),
                },
            ),
            (
                r#"{"type":"ActionDropPurchase","square":6}"#,
                Action::DropPurchase {
                    square: SquareId(6),
                },
            ),
            (
                r#"{"type":"ActionTakeTram","square":30}"#,
                Action::TakeTram {
                    square: SquareId(30),
                },
            ),
            (
                r#"{"type":"ActionBuild","square":8,"houses":1}"#,
                Action::Build {
                    square: SquareId(8),
                    houses: 1,
                },
            ),
            (
                r#"{"type":"ActionDemolish","square":8,"houses":1}"#,
                Action::Demolish {
                    square: SquareId(8),
                    houses: 1,
                },
            ),
            (
                r#"{"type":"ActionMortgageSet","square":15}"#,
                Action::MortgageSet {
                    square: SquareId(15),
                },
            ),
            (
                r#"{"type":"ActionMortgageUnset","square":15}"#,
                Action::MortgageUnset {
                    square: SquareId(15),
                },
            ),
            (
                r#"{"type":"ActionTradeProposal","destination_user":9,"offered_money":100,"asked_money":0,"offered_properties":[12],"asked_properties":[14]}"#,
                Action::TradeProposal {
                    destination_user: PlayerId(9),
                    offered_money: 100,
                    asked_money: 0,
                    offered_properties: vec![SquareId(12)],
                    asked_properties: vec![SquareId(14)],
                },
            ),
            (
                r#"{"type":"ActionTradeAnswer","choose":true}"#,
                Action::TradeAnswer { choose: true },
            ),
            (
                r#"{"type":"ActionBid","amount":120}"#,
                Action::Bid { amount: 120 },
            ),
            (r#"{"type":"ActionNextPhase"}"#, Action::NextPhase),
            (r#"{"type":"ActionSurrender"}"#, Action::Surrender),
        ];
        for (text, expected) in frames {
            assert_eq!(Action::from_json(text).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn tolerates_strings_padding_defaults_and_extra_keys() {
        let action = Action::from_json(
            r#"{"type":"ActionMoveTo","square":"006","game":3,"player":"7","x":1}"#,
        );
        assert_eq!(
            action.unwrap(),
            Action::MoveTo {
                square: SquareId(6)
            }
        );
        let bid = Action::from_json(r#"{"type":"ActionBid","amount":"12","auction":4}"#).unwrap();
        assert_eq!(bid, Action::Bid { amount: 12 });
        assert_eq!(
            Action::from_json(r#"{"type":"ActionBid"}"#).unwrap(),
            Action::Bid { amount: 0 }
        );
        let build = Action::from_json(r#"{"type":"ActionBuild","square":1}"#).unwrap();
        assert_eq!(
            build,
            Action::Build {
                square: SquareId(1),
                houses: 1
            }
        );
        let demolish = Action::from_json(r#"{"type":"ActionDemolish","square":1}"#).unwrap();
        assert_eq!(
            demolish,
            Action::Demolish {
                square: SquareId(1),
                houses: 0
            }
        );
        let card = Action::from_json(r#"{"type":"ActionChooseCard","chosen_card":1}"#).unwrap();
        assert_eq!(
            card,
            Action::ChooseCard {
                chosen_revealed_card: false
            }
        );
    }

    #[test]
    fn rejects_bad_payloads() {
        for text in [
            r#"{"type":"ActionFly"}"#,
            r#"{"square":3}"#,
            r#"{"type":"ActionMoveTo"}"#,
            r#"{"type":"ActionBid","amount":-5}"#,
            r#"{"type":"ActionBid","amount":"x"}"#,
            r#"{"type":"ActionTradeProposal","destination_user":2,"offered_money":-1}"#,
            r#"{"type":"ActionChooseCard","chosen_revealed_card":"maybe"}"#,
            r#"[1,2]"#,
            "not json",
        ] {
            assert!(
                Action::from_json(text).is_err(),
                "{text} should be rejected"
            );
        }
    }
}
