//! Why an input was refused. A refused input leaves the game exactly as it was.

use crate::action::ActionKind;
use crate::ids::PlayerId;
use crate::phase::PhaseName;

/// Why [`crate::Game::apply`] refused an input (docs/rules.md).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum RuleError {
    /// The game is over; nothing more can be done.
    #[error("game was already ended")]
    GameFinished,
    /// The sender is not (or no longer) a player of this game.
    #[error("[{player}] is not in the game")]
    NotInGame {
        /// The sender.
        player: PlayerId,
    },
    /// The sender is not the active phase player.
    #[error("[{player}] is not the active player")]
    NotActivePlayer {
        /// The sender.
        player: PlayerId,
    },
    /// The action is not allowed in this phase, or not on this kind of square.
    #[error("cannot perform action {action:?} in phase {phase:?}")]
    WrongPhase {
        /// The refused action.
        action: ActionKind,
        /// The current phase.
        phase: PhaseName,
    },
    /// The action breaks a rule.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The player lacks the money for this action.
    #[error("does not have enough money: needs {needed}, has {available}")]
    InsufficientFunds {
        /// Money the action needs.
        needed: i64,
        /// Money the player has.
        available: i64,
    },
    /// An internal-logic refusal of the reference, kept for wire compatibility.
    #[error("{0}")]
    Logic(#[from] LogicError),
}

/// A rule the action breaks (`InvalidInput(code)` in docs/rules.md; [`Invalid::code`] gives the code).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Invalid {
    /// The named square does not exist on the board.
    #[error("square does not exist")]
    UnknownSquare,
    /// Paying bail away from the jail cell.
    #[error("is not in jail")]
    NotOnJailSquare,
    /// Paying bail with no jail turns left.
    #[error("is not in jail (no turns remaining)")]
    NotJailed,
    /// The destination is not one of the offered ones.
    #[error("tried to move to an illegal square")]
    IllegalDestination,
    /// Buying or declining a square other than the current one.
    #[error("is not on that square")]
    NotCurrentSquare,
    /// Buying or declining a square that already has an owner.
    #[error("square is already owned")]
    AlreadyOwned,
    /// The tram fare is more than the player has.
    #[error("does not have enough money to take tram")]
    FareUnaffordable,
    /// The tram destination is not a tram stop.
    #[error("tried to take a tram to a non tram square")]
    NotATram,
    /// Building or demolishing on a square that is not a property.
    #[error("square is not a property")]
    NotAProperty,
    /// The square has no owner.
    #[error("no user owns this square")]
    UnownedSquare,
    /// The square belongs to someone else.
    #[error("does not own this square")]
    NotOwner,
    /// Building without owning the whole colour group.
    #[error("does not own the group")]
    GroupIncomplete,
    /// Building while a square of the group is mortgaged.
    #[error("cannot build while any property in the group is mortgaged")]
    GroupMortgaged,
    /// Building on a square that has more houses than another of its group.
    #[error("already owns more than other")]
    UnevenBuild,
    /// Building on a hotel.
    #[error("nothing more to build")]
    MaxLevel,
    /// Build and demolish take exactly one level.
    #[error("can only build or demolish one level at a time")]
    BadHouseCount,
    /// Demolishing more levels than are built.
    #[error("tried to demolish more houses than are built")]
    NotEnoughHouses,
    /// Demolishing a square that has fewer houses than another of its group.
    #[error("unable to demolish so many houses: violates the uniform building rule")]
    UnevenDemolish,
    /// Mortgaging a square that cannot be mortgaged.
    #[error("tried to mortgage an unmortgageable square")]
    NotMortgageable,
    /// Mortgaging a square twice.
    #[error("tried to mortgage an already mortgaged property")]
    AlreadyMortgaged,
    /// Lifting a mortgage that does not exist.
    #[error("tried to unset mortgage a not mortgaged property")]
    NotMortgaged,
    /// A malformed proposal (negative money).
    #[error("made an invalid proposal")]
    BadProposal,
    /// The recipient is not in the game.
    #[error("referenced a player that is not in game")]
    UnknownRecipient,
    /// An asked square does not belong to the recipient.
    #[error("destination does not have enough properties")]
    AskedNotOwned,
    /// An offered square does not belong to the proposer.
    #[error("offer does not have enough properties")]
    OfferedNotOwned,
    /// A traded property's colour group has buildings.
    #[error("cannot trade properties from a group with constructions")]
    GroupHasHouses,
    /// Proposing a trade to oneself.
    #[error("cannot trade with themselves")]
    SelfTrade,
    /// Answering a proposal addressed to someone else.
    #[error("is not the recipient of the proposal")]
    NotRecipient,
    /// Accepting would leave a party with negative money.
    #[error("cannot go to negative in trade")]
    TradeUnaffordable,
    /// The proposal no longer matches who owns what.
    #[error("the proposal is no longer valid")]
    StaleProposal,
    /// Ending the turn in liquidation with negative money.
    #[error("Cannot end in NEGATIVE")]
    NegativeBalance,
    /// A second bid in the same auction.
    #[error("User already placed a bid in this auction")]
    AlreadyBid,
    /// The bidder declined this square before.
    #[error("cannot bid in an auction they triggered")]
    DeclinedSquare,
    /// The bid is more than the bidder has.
    #[error("Bid amount exceeds current balance")]
    BidExceedsMoney,
}

impl Invalid {
    /// The rules spec's reason code (`not_on_jail_square`, …).
    pub fn code(self) -> &'static str {
        match self {
            Invalid::UnknownSquare => "unknown_square",
            Invalid::NotOnJailSquare => "not_on_jail_square",
            Invalid::NotJailed => "not_jailed",
            Invalid::IllegalDestination => "illegal_destination",
            Invalid::NotCurrentSquare => "not_current_square",
            Invalid::AlreadyOwned => "already_owned",
            Invalid::FareUnaffordable => "fare_unaffordable",
            Invalid::NotATram => "not_a_tram",
            Invalid::NotAProperty => "not_a_property",
            Invalid::UnownedSquare => "unowned_square",
            Invalid::NotOwner => "not_owner",
            Invalid::GroupIncomplete => "group_incomplete",
            Invalid::GroupMortgaged => "group_mortgaged",
            Invalid::UnevenBuild => "uneven_build",
            Invalid::MaxLevel => "max_level",
            Invalid::BadHouseCount => "bad_house_count",
            Invalid::NotEnoughHouses => "not_enough_houses",
            Invalid::UnevenDemolish => "uneven_demolish",
            Invalid::NotMortgageable => "not_mortgageable",
            Invalid::AlreadyMortgaged => "already_mortgaged",
            Invalid::NotMortgaged => "not_mortgaged",
            Invalid::BadProposal => "bad_proposal",
            Invalid::UnknownRecipient => "unknown_recipient",
            Invalid::AskedNotOwned => "asked_not_owned",
            Invalid::OfferedNotOwned => "offered_not_owned",
            Invalid::GroupHasHouses => "group_has_houses",
            Invalid::SelfTrade => "self_trade",
            Invalid::NotRecipient => "not_recipient",
            Invalid::TradeUnaffordable => "trade_unaffordable",
            Invalid::StaleProposal => "stale_proposal",
            Invalid::NegativeBalance => "negative_balance",
            Invalid::AlreadyBid => "already_bid",
            Invalid::DeclinedSquare => "declined_square",
            Invalid::BidExceedsMoney => "bid_exceeds_money",
        }
    }
}

/// Refusals the reference reports as internal-logic errors (`LogicError(code)` in docs/rules.md).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum LogicError {
    /// Paying bail with less than the bail in hand.
    #[error("not enough money to pay bail")]
    BailUnaffordable,
    /// Mortgaging a property whose group has buildings.
    #[error("cannot mortgage a property while there are houses in the group")]
    GroupHasHouses,
    /// A bid with no auction running.
    #[error("No active auction")]
    NoAuction,
    /// A trade answer with no proposal pending.
    #[error("No pending proposal")]
    NoProposal,
    /// A jailed player away from the jail cell (a broken invariant).
    #[error("jailed player is not on the jail square")]
    JailedOffJailSquare,
}

impl LogicError {
    /// The rules spec's reason code.
    pub fn code(self) -> &'static str {
        match self {
            LogicError::BailUnaffordable => "bail_unaffordable",
            LogicError::GroupHasHouses => "group_has_houses",
            LogicError::NoAuction => "no_auction",
            LogicError::NoProposal => "no_proposal",
            LogicError::JailedOffJailSquare => "jailed_off_jail_square",
        }
    }
}
