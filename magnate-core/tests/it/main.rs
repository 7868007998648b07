//! Integration tests of magnate-core through its public API.
#![allow(missing_docs, reason = "test helpers need no API docs")]

mod bots;
mod boundary;
mod cards;
mod domain_events;
mod edges;
mod properties;
mod scenarios;
mod snapshots;
mod tables;

use magnate_core::{
    Action, Event, EventKind, Game, Input, PhaseName, PlayerId, RuleError, Seed, Setup, SquareId,
    Timestamp,
};

pub const P1: PlayerId = PlayerId(1);
pub const P2: PlayerId = PlayerId(2);
pub const P3: PlayerId = PlayerId(3);
pub const P4: PlayerId = PlayerId(4);

pub fn sq(id: u16) -> SquareId {
    SquareId(id)
}

/// A game driven by a script of inputs, with a clock that only moves when told to.
pub struct Table {
    pub game: Game,
    pub now: Timestamp,
}

impl Table {
    /// Players 1..=n in turn order P1, P2, …, default rules and timers.
    pub fn new(n: u64) -> Table {
        Table::with_setup(Setup::new((1..=n).map(PlayerId)))
    }

    pub fn with_setup(setup: Setup) -> Table {
        let order: Vec<PlayerId> = setup.players.iter().map(|p| p.id).collect();
        let mut game = Game::new(setup, Seed(7), Timestamp(0)).expect("valid setup");
        game.edit().turn_order(&order);
        Table {
            game,
            now: Timestamp(0),
        }
    }

    /// Applies an action that must be accepted.
    #[track_caller]
    pub fn act(&mut self, player: PlayerId, action: Action) -> Vec<Event> {
        match self
            .game
            .apply(Input::action(player, action.clone()), self.now)
        {
            Ok(events) => events,
            Err(err) => panic!("{action:?} by {player} was refused: {err:?}"),
        }
    }

    /// Applies an action that must be refused, and checks that nothing changed.
    #[track_caller]
    pub fn refuse(&mut self, player: PlayerId, action: Action) -> RuleError {
        let before = self.game.clone();
        let hash = self.game.state_hash();
        let err = self
            .game
            .apply(Input::action(player, action.clone()), self.now)
            .expect_err("should be refused");
        assert_eq!(
            self.game.state_hash(),
            hash,
            "a refused {action:?} changed the state hash"
        );
        assert_eq!(self.game, before, "a refused {action:?} changed the state");
        err
    }

    /// Moves the clock to `at` and ticks.
    pub fn tick_at(&mut self, at: u64) -> Vec<Event> {
        self.now = Timestamp(at);
        self.game
            .apply(Input::Tick, self.now)
            .expect("ticks never fail")
    }

    pub fn money(&self, player: PlayerId) -> i64 {
        self.game.player(player).unwrap().money
    }

    pub fn position(&self, player: PlayerId) -> SquareId {
        self.game.player(player).unwrap().position
    }

    pub fn phase(&self) -> PhaseName {
        self.game.phase().name()
    }
}

/// The kinds of some events, for compact assertions.
pub fn kinds(events: &[Event]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e.kind {
            EventKind::SquareBought { .. } => "SquareBought",
            EventKind::PurchaseDeclined { .. } => "PurchaseDeclined",
            EventKind::TramTaken { .. } => "TramTaken",
            EventKind::HouseBuilt { .. } => "HouseBuilt",
            EventKind::HouseDemolished { .. } => "HouseDemolished",
            EventKind::Mortgaged { .. } => "Mortgaged",
            EventKind::Unmortgaged { .. } => "Unmortgaged",
            EventKind::TradeProposed { .. } => "TradeProposed",
            EventKind::TradeAnswered { .. } => "TradeAnswered",
            EventKind::BailPaid { .. } => "BailPaid",
            EventKind::BidPlaced { .. } => "BidPlaced",
            EventKind::PhaseEnded { .. } => "PhaseEnded",
            EventKind::PhaseTimedOut => "PhaseTimedOut",
            EventKind::DiceThrown { .. } => "DiceThrown",
            EventKind::SquareChosen { .. } => "SquareChosen",
            EventKind::FantasyApplied { .. } => "FantasyApplied",
            EventKind::AuctionClosed { .. } => "AuctionClosed",
            EventKind::PlayerEliminated { .. } => "PlayerEliminated",
            EventKind::GameEnded { .. } => "GameEnded",
            EventKind::BotWoken { .. } => "BotWoken",
        })
        .collect()
}

/// The `DiceThrown` event of a list.
pub fn thrown(events: &[Event]) -> &EventKind {
    events
        .iter()
        .map(|e| &e.kind)
        .find(|k| matches!(k, EventKind::DiceThrown { .. }))
        .expect("dice thrown")
}
