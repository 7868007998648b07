//! Events: ordered, past-tense facts produced by [`crate::Game::apply`].
//!
//! Domain facts say what happened (a square bought, a trade answered, a player eliminated), with
//! the data a client needs. View facts say how the common view (money, positions, phase, active
//! players) changed, so a client updates its [`View`] from the events alone ([`View::apply`]);
//! the protocol crate renders each domain fact as one response of docs/protocol.md.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::card::FantasyResult;
use crate::game::Game;
use crate::ids::{PlayerId, SquareId};
use crate::phase::PhaseName;
use crate::setup::StatField;

/// What the view facts last reported of one participant.
#[derive(Clone, Copy, Debug)]
struct Reported {
    money: i64,
    position: SquareId,
    in_game: bool,
}

impl Reported {
    /// An empty seat.
    const NONE: Reported = Reported {
        money: 0,
        position: SquareId(0),
        in_game: false,
    };
}

/// The most participants a game has (the log keeps their reports on the stack).
const MAX_PLAYERS: usize = *crate::setup::PLAYER_COUNT.end();

/// The events of one input as the rules produce them.
///
/// Every domain fact is pushed with [`EventLog::push`], which first reports as view facts what
/// changed in the common view since the last report (the log starts from the game's state when
/// it was created). Changes are found by comparing a few numbers per player, so no rule can
/// move money or tokens without a client hearing of it. The game-end event is held and closes
/// the input's events ([`EventLog::end_game`]). Events are never edited once pushed.
#[derive(Debug)]
pub(crate) struct EventLog {
    events: Vec<Event>,
    /// By seat (the turn order never changes).
    players: [Reported; MAX_PLAYERS],
    phase: PhaseName,
    active_phase: PlayerId,
    active_turn: PlayerId,
    /// Facts that come right after the next domain fact (its consequences).
    follow: Vec<Event>,
    game_end: Option<Event>,
}

impl EventLog {
    /// An empty log; the view facts start from `game` as it is now.
    pub(crate) fn new(game: &Game) -> EventLog {
        let mut players = [Reported::NONE; MAX_PLAYERS];
        debug_assert!(game.participants().len() <= MAX_PLAYERS);
        for (reported, p) in players.iter_mut().zip(game.participants()) {
            *reported = Reported {
                money: p.money,
                position: p.position,
                in_game: p.in_game,
            };
        }
        EventLog {
            // Room for a typical input (a few view facts and a domain fact or two).
            events: Vec::with_capacity(8),
            players,
            phase: game.phase().name(),
            active_phase: game.active_phase_player(),
            active_turn: game.active_turn_player(),
            follow: Vec::new(),
            game_end: None,
        }
    }

    /// Reports what changed in the view of `game`, then adds the domain fact `event` and the
    /// consequences waiting for it ([`EventLog::follow`]).
    pub(crate) fn push(&mut self, game: &Game, event: Event) {
        self.report(game);
        self.events.push(event);
        self.events.append(&mut self.follow);
    }

    /// Adds `event`, a consequence already applied to the game (rent paid on arrival, a
    /// player jailed by a card), right after the next domain fact, the one that caused it.
    pub(crate) fn follow(&mut self, event: Event) {
        self.follow.push(event);
    }

    /// Holds the game-end event: it is added last, after what changed in the view since and
    /// after the facts of this input pushed later (the phase end or timeout that ended the
    /// game), so those are read before it.
    pub(crate) fn end_game(&mut self, event: Event) {
        self.game_end = Some(event);
    }

    /// The domain facts pushed so far, view facts included.
    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    /// The events from index `from` on.
    pub(crate) fn since(&self, from: usize) -> &[Event] {
        &self.events[from..]
    }

    /// The events, ending with the changes of the view not yet reported (so that folding them
    /// gives `game`'s view) and the game-end event if the game ended.
    pub(crate) fn finish(mut self, game: &Game) -> Vec<Event> {
        self.report(game);
        self.events.append(&mut self.follow);
        self.events.extend(self.game_end.take());
        self.events
    }

    /// Adds view facts for what changed since the last report: players who left, then money and
    /// squares in turn order, then the phase and active players.
    fn report(&mut self, game: &Game) {
        for (state, reported) in game.participants().iter().zip(&mut self.players) {
            let id = &state.id;
            if reported.in_game && !state.in_game {
                reported.in_game = false;
                self.events.push(Event::LeftGame { player: *id });
            }
            if !state.in_game {
                continue;
            }
            if reported.money != state.money {
                reported.money = state.money;
                self.events.push(Event::MoneyChanged {
                    player: *id,
                    money: state.money,
                });
            }
            if reported.position != state.position {
                reported.position = state.position;
                self.events.push(Event::Moved {
                    player: *id,
                    square: state.position,
                });
            }
        }
        let (phase, active_phase, active_turn) = (
            game.phase().name(),
            game.active_phase_player(),
            game.active_turn_player(),
        );
        if (phase, active_phase, active_turn) != (self.phase, self.active_phase, self.active_turn) {
            self.phase = phase;
            self.active_phase = active_phase;
            self.active_turn = active_turn;
            self.events.push(Event::PhaseChanged {
                phase,
                active_phase_player: active_phase,
                active_turn_player: active_turn,
            });
        }
    }
}

/// One fact: what happened (a domain fact, such as [`Event::SquareBought`]) or how the common
/// view changed (a view fact: [`Event::MoneyChanged`], [`Event::Moved`], [`Event::LeftGame`],
/// [`Event::PhaseChanged`]).
///
/// The view facts of a domain fact come right before it: when a domain fact is read, the view
/// folded so far ([`View::apply`]) is the view right after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
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
    /// A trade proposal was answered by its recipient (`proposal.destination_user`); when
    /// accepted, the proposal's money and squares changed hands as it says.
    TradeAnswered {
        /// The proposal answered: who traded what with whom.
        proposal: crate::phase::TradeProposal,
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
    /// Rent was paid on arrival (it follows the move's fact).
    RentPaid {
        /// Who paid.
        player: PlayerId,
        /// Who received it.
        owner: PlayerId,
        /// The square.
        square: SquareId,
        /// How much.
        amount: i64,
    },
    /// The start salary was paid (passing or landing on the start, or a card; it follows the
    /// move's or the card's fact).
    SalaryCollected {
        /// Who received it.
        player: PlayerId,
        /// How much.
        amount: i64,
    },
    /// A player was sent to jail (a walk onto the go-to-jail square, a third double, a card; it
    /// follows the throw's, the move's or the card's fact).
    Jailed {
        /// Who.
        player: PlayerId,
    },
    /// A bot's wake-up deadline passed: the driver should ask that bot for an action now.
    /// Drivers do not forward it to clients.
    BotWoken {
        /// The bot to prompt.
        player: PlayerId,
    },
    /// View fact: a player's cash changed (by one or more payments since the last fact).
    MoneyChanged {
        /// The player, still in the game.
        player: PlayerId,
        /// The balance now.
        money: i64,
    },
    /// View fact: a player's token now stands on another square.
    Moved {
        /// The player, still in the game.
        player: PlayerId,
        /// The square now.
        square: SquareId,
    },
    /// View fact: a player is out of the game (bankrupt, surrendered or kicked out); the view
    /// no longer lists them.
    LeftGame {
        /// Who left.
        player: PlayerId,
    },
    /// View fact: the phase changed, or who must act, or whose turn it is.
    PhaseChanged {
        /// The phase now.
        phase: PhaseName,
        /// Who must act now.
        active_phase_player: PlayerId,
        /// Whose turn it is now.
        active_turn_player: PlayerId,
    },
}

impl Event {
    /// True for the view facts, which only update a [`View`]; false for domain facts.
    pub fn is_view_fact(&self) -> bool {
        matches!(
            self,
            Event::MoneyChanged { .. }
                | Event::Moved { .. }
                | Event::LeftGame { .. }
                | Event::PhaseChanged { .. }
        )
    }
}

/// The common view of a game (the common fields of every response of docs/protocol.md): built
/// by [`crate::Game::view`], kept up to date from events alone by [`View::apply`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// Money of every player still in the game.
    pub money: BTreeMap<PlayerId, i64>,
    /// Square of every player still in the game.
    pub positions: BTreeMap<PlayerId, SquareId>,
    /// The phase.
    pub phase: PhaseName,
    /// Who must act now.
    pub active_phase_player: PlayerId,
    /// Whose turn it is.
    pub active_turn_player: PlayerId,
}

impl View {
    /// Folds one event into the view. Starting from [`crate::Game::view`] and applying every
    /// event [`crate::Game::apply`] returns gives the game's view after each input; while
    /// folding, the view after a domain fact is the view right after that fact happened.
    pub fn apply(&mut self, event: &Event) {
        match *event {
            Event::MoneyChanged { player, money } => {
                self.money.insert(player, money);
            }
            Event::Moved { player, square } => {
                self.positions.insert(player, square);
            }
            Event::LeftGame { player } => {
                self.money.remove(&player);
                self.positions.remove(&player);
            }
            Event::PhaseChanged {
                phase,
                active_phase_player,
                active_turn_player,
            } => {
                self.phase = phase;
                self.active_phase_player = active_phase_player;
                self.active_turn_player = active_turn_player;
            }
            _ => {}
        }
    }
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
