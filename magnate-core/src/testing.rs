//! Scenario set-up for tests (feature `testing`): edit a game into any state and script the
//! random draws. Not for production use: edits bypass the rules.

mod invariants;

pub use invariants::{check_invariants, legal_move, money_total};

use crate::game::{Game, Holding};
use crate::ids::{PlayerId, SquareId};
use crate::phase::Phase;

/// Edits a game directly. Money edits flow through the bank so money stays conserved.
pub struct Editor<'a> {
    game: &'a mut Game,
}

impl Game {
    /// Starts editing this game (scenario tests only).
    pub fn edit(&mut self) -> Editor<'_> {
        Editor { game: self }
    }
}

impl Editor<'_> {
    /// Sets the turn order (and gives the turn to the first player).
    pub fn turn_order(self, order: &[PlayerId]) -> Self {
        let mut players = Vec::new();
        for id in order {
            if let Some(p) = self.game.players.iter().find(|p| p.id == *id) {
                players.push(p.clone());
            }
        }
        if players.len() == self.game.players.len() {
            self.game.players = players;
            self.game.active_turn = order[0];
            self.game.active_phase = order[0];
        }
        self
    }

    /// Sets a player's money (the difference comes from or goes to the bank).
    pub fn money(self, player: PlayerId, money: i64) -> Self {
        let old = self.game.money(player);
        self.game.bank -= money - old;
        self.game.p_mut(player).money = money;
        self
    }

    /// Puts a player on a square.
    pub fn position(self, player: PlayerId, square: SquareId) -> Self {
        self.game.p_mut(player).position = square;
        self
    }

    /// Jails a player with this counter (on the jail cell).
    pub fn jailed(self, player: PlayerId, turns: u8) -> Self {
        let jail = self.game.board.jail();
        let p = self.game.p_mut(player);
        p.position = jail;
        p.jail_turns = turns;
        self
    }

    /// Sets the doubles streak.
    pub fn streak(self, streak: u8) -> Self {
        self.game.streak = streak;
        self
    }

    /// Sets the phase and gives the turn and the phase to `player`.
    pub fn phase(self, phase: Phase, player: PlayerId) -> Self {
        self.game.phase = phase;
        self.game.active_turn = player;
        self.game.active_phase = player;
        self
    }

    /// Sets who must act (for example the trade recipient).
    pub fn phase_player(self, player: PlayerId) -> Self {
        self.game.active_phase = player;
        self
    }

    /// Gives a square to `owner` with exactly these houses and mortgage flag (no normalization).
    pub fn own(self, square: SquareId, owner: PlayerId, houses: i8, mortgaged: bool) -> Self {
        self.game.set_holding(
            square,
            Some(Holding {
                owner,
                houses,
                mortgaged,
            }),
        );
        self
    }

    /// Gives a square to `owner` the way a purchase would (with full-set normalization).
    pub fn buy(self, square: SquareId, owner: PlayerId) -> Self {
        self.game.give_square(square, owner);
        self
    }

    /// Preloads the parking jackpot (from the bank).
    pub fn parking(self, money: i64) -> Self {
        self.game.bank -= money - self.game.parking_money;
        self.game.parking_money = money;
        self
    }

    /// Scripts the next random draws (`below` results).
    pub fn draws(self, values: &[u32]) -> Self {
        self.game.rng.force(values);
        self
    }

    /// Scripts a throw: the dice `(dice1, dice2, dice_bus)`, each 1–6.
    pub fn dice(self, dice1: u8, dice2: u8, dice_bus: u8) -> Self {
        let values = [dice1, dice2, dice_bus].map(|d| u32::from(d.saturating_sub(1)));
        self.draws(&values)
    }

    /// Edits a player's statistics.
    pub fn stats(self, player: PlayerId, edit: impl FnOnce(&mut crate::game::Stats)) -> Self {
        edit(&mut self.game.p_mut(player).stats);
        self
    }

    /// Drops every pending deadline.
    pub fn clear_deadlines(self) -> Self {
        self.game.deadlines.clear();
        self
    }
}
