//! Error frames of the game socket: a stable machine-readable `code` and a message a person can
//! read (docs/protocol.md, "Errors").
//!
//! The reference's game errors read `[5] Potentially malicious input: cannot perform action
//! ActionThrowDices object (5) in phase business` for an ordinary wrong move; none of its three
//! clients match on those texts (they show or log `message`), so this server words them plainly
//! and adds `code`, which clients may match on. Field errors of malformed frames keep the
//! reference's `Invalid data: {...}` texts.

use magnate_core::{Invalid, LogicError, RuleError};

use crate::names::{action_type, phase_name};

/// The `code` of every error frame the game socket sends.
pub mod code {
    /// A text frame over the size limit.
    pub const TOO_LARGE: &str = "too_large";
    /// Not a JSON object (or a binary frame).
    pub const MALFORMED_JSON: &str = "malformed_json";
    /// A known action with missing or wrongly typed fields (the message lists them).
    pub const INVALID_DATA: &str = "invalid_data";
    /// A `type` that names no action.
    pub const UNKNOWN_ACTION: &str = "unknown_action";
    /// A chat message that is too long or of the wrong shape.
    pub const INVALID_CHAT: &str = "invalid_chat";
    /// Frames sent faster than the socket's rate limit.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The game stopped while the frame was handled; reconnect.
    pub const GAME_UNAVAILABLE: &str = "game_unavailable";
    /// The server failed (for example, it could not save the game); reconnect.
    pub const INTERNAL: &str = "internal";
    /// An action after the end of the game.
    pub const GAME_FINISHED: &str = "game_finished";
    /// An action from a player who left the game.
    pub const NOT_IN_GAME: &str = "not_in_game";
    /// Another player must act now.
    pub const NOT_YOUR_TURN: &str = "not_your_turn";
    /// The action is not one of the current phase's.
    pub const WRONG_PHASE: &str = "wrong_phase";
    /// The action costs more than the player has.
    pub const NOT_ENOUGH_MONEY: &str = "not_enough_money";
}

/// A refused frame or action: what the sender is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// Stable, machine-readable: one of [`code`]'s constants, or a rule's reason code
    /// (`already_owned`, `self_trade`, …; docs/protocol.md lists them).
    pub code: &'static str,
    /// For a person.
    pub message: String,
}

impl FrameError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// `{"event_type":"error","code":…,"message":…}`.
pub fn error_frame(error: &FrameError) -> String {
    /// Keys in byte order, as in every frame.
    #[derive(serde::Serialize)]
    struct Frame<'a> {
        code: &'static str,
        event_type: &'static str,
        message: &'a str,
    }
    serde_json::to_string(&Frame {
        code: error.code,
        event_type: "error",
        message: &error.message,
    })
    .unwrap_or_default()
}

/// What the sender of an action the rules refused is told.
pub fn rule_error(error: &RuleError) -> FrameError {
    match error {
        RuleError::GameFinished => FrameError::new(code::GAME_FINISHED, "The game has ended."),
        RuleError::NotInGame { .. } => {
            FrameError::new(code::NOT_IN_GAME, "You are no longer in this game.")
        }
        RuleError::NotActivePlayer { .. } => {
            FrameError::new(code::NOT_YOUR_TURN, "It is not your turn to act.")
        }
        RuleError::WrongPhase { action, phase } => FrameError::new(
            code::WRONG_PHASE,
            format!(
                "{} is not allowed now: the game is in phase {}.",
                action_type(*action),
                phase_name(*phase)
            ),
        ),
        RuleError::InsufficientFunds { needed, available } => FrameError::new(
            code::NOT_ENOUGH_MONEY,
            format!("Not enough money: that costs {needed} and you have {available}."),
        ),
        RuleError::Invalid(reason) => FrameError::new(reason.code(), invalid_text(*reason)),
        RuleError::Logic(reason) => FrameError::new(reason.code(), logic_text(*reason)),
    }
}

fn invalid_text(reason: Invalid) -> &'static str {
    match reason {
        Invalid::UnknownSquare => "That square does not exist.",
        Invalid::NotOnJailSquare => "You are not in jail.",
        Invalid::NotJailed => "You have no jail turns left to serve.",
        Invalid::IllegalDestination => "You cannot move to that square.",
        Invalid::NotCurrentSquare => "You are not on that square.",
        Invalid::AlreadyOwned => "That square already has an owner.",
        Invalid::FareUnaffordable => "You do not have enough money for the tram.",
        Invalid::NotATram => "There is no tram to that square.",
        Invalid::NotAProperty => "That square cannot be owned.",
        Invalid::UnownedSquare => "Nobody owns that square.",
        Invalid::NotOwner => "You do not own that square.",
        Invalid::GroupIncomplete => "You need the whole group to build there.",
        Invalid::GroupMortgaged => "You cannot build while a property of the group is mortgaged.",
        Invalid::UnevenBuild => "Build evenly: another property of the group has fewer houses.",
        Invalid::MaxLevel => "That property cannot be built any higher.",
        Invalid::BadHouseCount => "You can build or demolish only one level at a time.",
        Invalid::NotEnoughHouses => "There are not that many houses to demolish.",
        Invalid::UnevenDemolish => {
            "Demolish evenly: another property of the group has more houses."
        }
        Invalid::NotMortgageable => "That square cannot be mortgaged.",
        Invalid::AlreadyMortgaged => "That property is already mortgaged.",
        Invalid::NotMortgaged => "That property is not mortgaged.",
        Invalid::BadProposal => "That trade proposal is not valid.",
        Invalid::UnknownRecipient => "That player is not in the game.",
        Invalid::AskedNotOwned => "The other player does not own every property you asked for.",
        Invalid::OfferedNotOwned => "You do not own every property you offered.",
        Invalid::GroupHasHouses => "Properties of a group with buildings cannot be traded.",
        Invalid::SelfTrade => "You cannot trade with yourself.",
        Invalid::NotRecipient => "That proposal is not addressed to you.",
        Invalid::TradeUnaffordable => "The trade would leave a player with negative money.",
        Invalid::StaleProposal => "That proposal is no longer valid.",
        Invalid::NegativeBalance => {
            "You cannot go on with negative money: sell, mortgage or surrender."
        }
        Invalid::AlreadyBid => "You have already bid in this auction.",
        Invalid::DeclinedSquare => "You cannot bid in an auction you started.",
        Invalid::BidExceedsMoney => "You cannot bid more money than you have.",
    }
}

fn logic_text(reason: LogicError) -> &'static str {
    match reason {
        LogicError::BailUnaffordable => "You do not have enough money to pay the bail.",
        LogicError::GroupHasHouses => {
            "You cannot mortgage a property while its group has buildings."
        }
        LogicError::NoAuction => "There is no auction running.",
        LogicError::NoProposal => "There is no trade proposal to answer.",
        LogicError::JailedOffJailSquare => "The game is in an inconsistent state (jail).",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use magnate_core::{ActionKind, PhaseName, PlayerId};

    #[test]
    fn ordinary_refusals_are_plain_and_coded() {
        let player = PlayerId(7);
        let cases = [
            (
                RuleError::NotActivePlayer { player },
                code::NOT_YOUR_TURN,
                "It is not your turn to act.",
            ),
            (
                RuleError::WrongPhase {
                    action: ActionKind::BuySquare,
                    phase: PhaseName::RollTheDices,
                },
                code::WRONG_PHASE,
                "ActionBuySquare is not allowed now: the game is in phase roll_the_dices.",
            ),
            (
                RuleError::Invalid(Invalid::SelfTrade),
                "self_trade",
                "You cannot trade with yourself.",
            ),
            (
                RuleError::InsufficientFunds {
                    needed: 10,
                    available: 5,
                },
                code::NOT_ENOUGH_MONEY,
                "Not enough money: that costs 10 and you have 5.",
            ),
            (
                RuleError::NotInGame { player },
                code::NOT_IN_GAME,
                "You are no longer in this game.",
            ),
            (
                RuleError::Logic(LogicError::NoAuction),
                "no_auction",
                "There is no auction running.",
            ),
            (
                RuleError::GameFinished,
                code::GAME_FINISHED,
                "The game has ended.",
            ),
        ];
        for (error, code, message) in cases {
            assert_eq!(rule_error(&error), FrameError::new(code, message));
        }
    }

    #[test]
    fn the_frame_carries_code_and_message() {
        let frame = error_frame(&FrameError::new(
            code::NOT_YOUR_TURN,
            "It is not your turn.",
        ));
        assert_eq!(
            frame,
            r#"{"code":"not_your_turn","event_type":"error","message":"It is not your turn."}"#
        );
    }
}
