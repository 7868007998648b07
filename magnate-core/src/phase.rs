//! Phases of a turn; each variant carries only the data its phase needs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::card::FantasyCard;
use crate::ids::{PlayerId, SquareId};

/// The phase of the game (docs/rules.md), with its data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Start of a turn, or another roll after a double.
    RollTheDices,
    /// Pick one of several destinations (bus die) or any square (triple).
    ChooseSquare {
        /// Each selectable destination with the steps to reach it (0 for a triple teleport).
        destinations: BTreeMap<SquareId, u32>,
    },
    /// A card was revealed; take it or draw a blind one.
    ChooseFantasy {
        /// The revealed card.
        card: FantasyCard,
    },
    /// Buy, decline, ride the tram, or move on.
    Management,
    /// Build, demolish, mortgage, trade; then end the turn.
    Business,
    /// As business, but the turn only ends with money ≥ 0.
    Liquidation,
    /// A sealed-bid auction for a declined square.
    Auction(Auction),
    /// The recipient must answer a trade.
    ProposalAcceptance(TradeProposal),
    /// The game is over.
    EndGame,
}

/// The phase's name, without its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseName {
    /// `roll_the_dices`
    RollTheDices,
    /// `choose_square`
    ChooseSquare,
    /// `choose_fantasy`
    ChooseFantasy,
    /// `management`
    Management,
    /// `business`
    Business,
    /// `liquidation`
    Liquidation,
    /// `auction`
    Auction,
    /// `proposal_acceptance`
    ProposalAcceptance,
    /// `end_game`
    EndGame,
}

impl Phase {
    /// The phase's name.
    pub fn name(&self) -> PhaseName {
        match self {
            Phase::RollTheDices => PhaseName::RollTheDices,
            Phase::ChooseSquare { .. } => PhaseName::ChooseSquare,
            Phase::ChooseFantasy { .. } => PhaseName::ChooseFantasy,
            Phase::Management => PhaseName::Management,
            Phase::Business => PhaseName::Business,
            Phase::Liquidation => PhaseName::Liquidation,
            Phase::Auction(_) => PhaseName::Auction,
            Phase::ProposalAcceptance(_) => PhaseName::ProposalAcceptance,
            Phase::EndGame => PhaseName::EndGame,
        }
    }
}

/// A running auction (docs/rules.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auction {
    /// Sequence number of the auction within the game (1, 2, …).
    pub id: u32,
    /// The square for sale.
    pub square: SquareId,
    /// The player whose decline started it.
    pub dropper: PlayerId,
    /// Sealed bids so far, in the order they arrived.
    pub bids: Vec<(PlayerId, i64)>,
}

/// A pending trade (docs/rules.md), squares named by id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeProposal {
    /// Sequence number of the proposal within the game (1, 2, …).
    pub id: u32,
    /// The proposer (the turn player).
    pub player: PlayerId,
    /// The recipient.
    pub destination_user: PlayerId,
    /// Money the proposer gives.
    pub offered_money: i64,
    /// Money the proposer asks for.
    pub asked_money: i64,
    /// Squares the proposer gives, ascending.
    pub offered_properties: Vec<SquareId>,
    /// Squares the proposer asks for, ascending.
    pub asked_properties: Vec<SquareId>,
}
