//! Integration tests of magnate-core through its public API.
#![allow(missing_docs, reason = "test helpers need no API docs")]

mod bots;
mod boundary;
mod cards;
mod domain_events;
mod edges;
mod properties;
mod records;
mod scenarios;
mod selfplay_golden;
mod snapshots;
mod tables;
mod view_facts;

use magnate_core::{
    Action, Event, Game, Input, PhaseName, PlayerId, RuleError, Seed, Setup, SquareId, Timestamp,
    View,
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

    /// Applies an action that must be accepted; returns its domain facts.
    #[track_caller]
    pub fn act(&mut self, player: PlayerId, action: Action) -> Vec<Event> {
        self.act_with_views(player, action)
            .into_iter()
            .map(|(event, _)| event)
            .collect()
    }

    /// Applies an action that must be accepted; returns each domain fact with the view right
    /// after it, folded from the events (which must end at the game's view).
    #[track_caller]
    pub fn act_with_views(&mut self, player: PlayerId, action: Action) -> Vec<(Event, View)> {
        let view = self.game.view();
        match self
            .game
            .apply(Input::action(player, action.clone()), self.now)
        {
            Ok(events) => fold(&self.game, view, events),
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

    /// Moves the clock to `at` and ticks; returns the tick's domain facts.
    #[track_caller]
    pub fn tick_at(&mut self, at: u64) -> Vec<Event> {
        self.now = Timestamp(at);
        let view = self.game.view();
        let events = self
            .game
            .apply(Input::Tick, self.now)
            .expect("ticks never fail");
        fold(&self.game, view, events)
            .into_iter()
            .map(|(event, _)| event)
            .collect()
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

/// Folds `events` into `view`: each domain fact with the view right after it. The fold must end
/// at `game`'s view.
#[track_caller]
pub fn fold(game: &Game, mut view: View, events: Vec<Event>) -> Vec<(Event, View)> {
    let mut facts = Vec::new();
    for event in events {
        view.apply(&event);
        if !event.is_view_fact() {
            facts.push((event, view.clone()));
        }
    }
    assert_eq!(view, game.view(), "the events do not fold into the view");
    facts
}

/// The kinds of some domain facts, for compact assertions (view facts are left out).
pub fn kinds(events: &[Event]) -> Vec<&'static str> {
    events
        .iter()
        .filter(|e| !e.is_view_fact())
        .map(|e| match e {
            Event::SquareBought { .. } => "SquareBought",
            Event::PurchaseDeclined { .. } => "PurchaseDeclined",
            Event::TramTaken { .. } => "TramTaken",
            Event::HouseBuilt { .. } => "HouseBuilt",
            Event::HouseDemolished { .. } => "HouseDemolished",
            Event::Mortgaged { .. } => "Mortgaged",
            Event::Unmortgaged { .. } => "Unmortgaged",
            Event::TradeProposed { .. } => "TradeProposed",
            Event::TradeAnswered { .. } => "TradeAnswered",
            Event::BailPaid { .. } => "BailPaid",
            Event::BidPlaced { .. } => "BidPlaced",
            Event::PhaseEnded { .. } => "PhaseEnded",
            Event::PhaseTimedOut => "PhaseTimedOut",
            Event::DiceThrown { .. } => "DiceThrown",
            Event::SquareChosen { .. } => "SquareChosen",
            Event::FantasyApplied { .. } => "FantasyApplied",
            Event::AuctionClosed { .. } => "AuctionClosed",
            Event::PlayerEliminated { .. } => "PlayerEliminated",
            Event::GameEnded { .. } => "GameEnded",
            Event::BotWoken { .. } => "BotWoken",
            Event::RentPaid { .. } => "RentPaid",
            Event::SalaryCollected { .. } => "SalaryCollected",
            Event::Jailed { .. } => "Jailed",
            Event::MoneyChanged { .. }
            | Event::Moved { .. }
            | Event::LeftGame { .. }
            | Event::PhaseChanged { .. } => unreachable!("view facts are filtered out"),
        })
        .collect()
}

/// The `DiceThrown` event of a list.
pub fn thrown(events: &[Event]) -> &Event {
    events
        .iter()
        .find(|k| matches!(k, Event::DiceThrown { .. }))
        .expect("dice thrown")
}
