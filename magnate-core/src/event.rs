//! Events: ordered, past-tense facts produced by [`crate::Game::apply`].
//!
//! Each event corresponds to one response of the reference (docs/rules.md) and carries a [`View`] of
//! the common fields (money, positions, phase, active players) as they stood right after that
//! event, so a client can update its view from the events alone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::card::FantasyResult;
use crate::ids::{PlayerId, SquareId};
use crate::phase::PhaseName;
use crate::setup::StatField;

/// The events of one input as the rules produce them, and whether their views are filled in
/// (see [`crate::Game::apply_without_views`]). Reads as the list of events so far.
#[derive(Debug)]
pub(crate) struct EventLog {
    events: Vec<Event>,
    views: bool,
}

impl EventLog {
    /// An empty log; with `views` false, events get an empty view.
    pub(crate) fn new(views: bool) -> EventLog {
        EventLog {
            events: Vec::new(),
            views,
        }
    }

    /// True if events carry the common view.
    pub(crate) fn with_views(&self) -> bool {
        self.views
    }

    /// The events.
    pub(crate) fn into_vec(self) -> Vec<Event> {
        self.events
    }
}

impl std::ops::Deref for EventLog {
    type Target = Vec<Event>;

    fn deref(&self) -> &Vec<Event> {
        &self.events
    }
}

impl std::ops::DerefMut for EventLog {
    fn deref_mut(&mut self) -> &mut Vec<Event> {
        &mut self.events
    }
}

/// One event, with the common view after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// Money, positions, phase and active players right after it.
    pub view: View,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A square was bought at its price.
    SquareBought {
        /// The buyer.
        player: PlayerId,
        /// The square.
        square: SquareId,
        /// What it cost.
        price: i64,
    },
    /// The player declined to buy the square they stand on; its auction has started.
    PurchaseDeclined {
        /// Who declined.
        player: PlayerId,
        /// The square now auctioned.
        square: SquareId,
    },
    /// The player took the tram (or stayed at the stop: `fare` 0 and no move).
    TramTaken {
        /// The traveller.
        player: PlayerId,
        /// Where they are now.
        square: SquareId,
        /// The fare paid.
        fare: i64,
    },
    /// A house level was built on a square (`houses` is the level after: 1–4 houses, 5 a hotel).
    HouseBuilt {
        /// The owner.
        player: PlayerId,
        /// The square.
        square: SquareId,
        /// The level after.
        houses: i8,
    },
    /// A house level was demolished (`houses` is the level after).
    HouseDemolished {
        /// The owner.
        player: PlayerId,
        /// The square.
        square: SquareId,
        /// The level after.
        houses: i8,
    },
    /// A property was mortgaged.
    Mortgaged {
        /// The owner.
        player: PlayerId,
        /// The square.
        square: SquareId,
    },
    /// A mortgage was lifted.
    Unmortgaged {
        /// The owner.
        player: PlayerId,
        /// The square.
        square: SquareId,
    },
    /// A trade was proposed; the recipient must answer.
    TradeProposed {
        /// The proposal.
        proposal: crate::phase::TradeProposal,
    },
    /// A trade proposal was answered; when accepted, its money and squares changed hands.
    TradeAnswered {
        /// The proposal's id.
        id: u32,
        /// The proposer.
        proposer: PlayerId,
        /// The recipient, who answered.
        recipient: PlayerId,
        /// Whether it was accepted.
        accepted: bool,
    },
    /// Bail was paid; the player is out of jail.
    BailPaid {
        /// Who paid.
        player: PlayerId,
        /// How much.
        amount: i64,
    },
    /// A bid that did not close the auction (bids stay secret until the close).
    BidPlaced {
        /// The bidder.
        player: PlayerId,
        /// The bid (0 is a pass).
        amount: i64,
    },
    /// The player ended the phase (`NextPhase`): the game moved on to the next phase or turn.
    PhaseEnded {
        /// Who ended it.
        player: PlayerId,
        /// The phase that ended.
        phase: PhaseName,
    },
    /// A phase timeout moved the game on.
    PhaseTimedOut,
    /// Dice were thrown.
    DiceThrown {
        /// The thrower.
        player: PlayerId,
        /// First ordinary die.
        dice1: u8,
        /// Second ordinary die.
        dice2: u8,
        /// The bus die (4–6 are bus faces).
        dice_bus: u8,
        /// All three equal, bus die 1–3.
        triple: bool,
        /// The doubles streak after the throw.
        streak: u8,
        /// Reachable squares (one when the move was automatic).
        destinations: Vec<SquareId>,
        /// Squares walked, the start included.
        path: Vec<SquareId>,
        /// The card revealed if the move ended on a fantasy square.
        fantasy_event: Option<crate::card::FantasyCard>,
    },
    /// A destination was chosen and the token moved.
    SquareChosen {
        /// The mover.
        player: PlayerId,
        /// Squares walked, the start included.
        path: Vec<SquareId>,
        /// The card revealed if the move ended on a fantasy square.
        fantasy_event: Option<crate::card::FantasyCard>,
    },
    /// A fantasy card was applied.
    FantasyApplied {
        /// Who drew it.
        player: PlayerId,
        /// The card and its outcome.
        fantasy_result: FantasyResult,
    },
    /// An auction closed.
    AuctionClosed {
        /// The outcome.
        auction: AuctionOutcome,
    },
    /// A player left the game (surrender or kick-out).
    PlayerEliminated {
        /// Who left.
        player: PlayerId,
        /// True when a timeout kicked them out.
        kicked_out: bool,
    },
    /// The game ended.
    GameEnded {
        /// Why it ended.
        reason: EndReason,
        /// The winner.
        winner: PlayerId,
        /// The end bonuses, in the order they were drawn.
        bonuses: Vec<BonusAward>,
        /// Net worth of every participant (0 for eliminated players), after bonuses.
        final_net_worth: BTreeMap<PlayerId, i64>,
    },
    /// A bot's wake-up deadline passed: the driver should ask that bot for an action now.
    /// Drivers do not forward it to clients.
    BotWoken {
        /// The bot to prompt.
        player: PlayerId,
    },
}

/// The common fields of every response, right after an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// Money of every player still in the game.
    pub money: BTreeMap<PlayerId, i64>,
    /// Square of every player still in the game.
    pub positions: BTreeMap<PlayerId, SquareId>,
    /// The phase.
    pub phase: PhaseName,
    /// Who must act now.
    pub active_phase_player: Option<PlayerId>,
    /// Whose turn it is.
    pub active_turn_player: Option<PlayerId>,
}

/// How an auction ended (docs/rules.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuctionOutcome {
    /// The auction's sequence number in the game.
    pub id: u32,
    /// The square that was for sale.
    pub square: SquareId,
    /// The buyer, if any.
    pub winner: Option<PlayerId>,
    /// The top bid (0 with no real bid); `None` when closed with no sale by the turn player's exit.
    pub final_amount: Option<i64>,
    /// Two or more top bids above 0.
    pub is_tie: bool,
    /// Every bid, by bidder.
    pub bids: BTreeMap<PlayerId, i64>,
}

/// Why the game ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Everyone else went bankrupt or surrendered.
    LastPlayerStanding,
    /// The `max_turns` house rule ended it; the richest player won.
    TurnLimit,
}

/// One end-of-game bonus (docs/rules.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BonusAward {
    /// The category's statistic.
    pub stat_field: StatField,
    /// Money per winner.
    pub bonus_amount: i64,
    /// Every participant with the top value (eliminated ones listed but not paid).
    pub winners: Vec<PlayerId>,
}
