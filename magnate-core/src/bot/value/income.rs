//! The rent income of the corrected formulas (D7a, D9), and how a change of ownership moves it.
//!
//! The income of a player is the sum, over the squares they hold unmortgaged, of the engine's
//! rent for one landing. A square's rent depends only on the holdings of its peers (its colour
//! group, or every square of its kind: [`crate::Board`] tabulates them), so a change of a few
//! squares moves only the rents of their peer classes; [`Valuer::income_change`] sums just those.

use crate::board::SquareKind;
use crate::game::Holding;
use crate::ids::PlayerId;
use crate::rules::rent::rent_for;

use super::Valuer;

/// A change of the ownership table: a square index and its new holding.
pub(crate) type Change = (usize, Option<Holding>);

impl Valuer<'_> {
    /// The holding at `index` once `changes` are applied in order to the current table (a later
    /// change of the same square wins).
    pub(super) fn holding_after(&self, changes: &[Change], index: usize) -> Option<Holding> {
        changes
            .iter()
            .rev()
            .find(|(i, _)| *i == index)
            .map_or_else(|| self.held(index), |(_, holding)| *holding)
    }

    /// What `player` earns from one landing on the square at `index`, reading the ownership
    /// table through `holding`: the engine's rent if `player` holds the square unmortgaged, else
    /// 0. A street counts its houses (at least 0) only when its owner holds the whole group;
    /// bridges and servers charge by how many of their kind the owner holds. The reference
    /// that [`Valuer::income_change`] is tested against.
    #[cfg(test)]
    fn rent_term(
        &self,
        index: usize,
        player: PlayerId,
        holding: impl Fn(usize) -> Option<Holding>,
    ) -> i64 {
        let Some(held) = holding(index) else {
            return 0;
        };
        if held.owner != player || held.mortgaged {
            return 0;
        }
        let board = self.game.board();
        let owned = |i: usize| holding(i).is_some_and(|h| h.owner == player);
        let square = &board.squares()[index];
        match square.kind {
            SquareKind::Property { .. } => {
                let owns_all = board.peers(index).iter().all(|&i| owned(i));
                let level = if owns_all { held.houses.max(0) } else { -1 };
                rent_for(&square.kind, level, 0)
            }
            SquareKind::Bridge { .. } | SquareKind::Server { .. } => {
                let count = board.peers(index).iter().filter(|&&i| owned(i)).count();
                rent_for(&square.kind, -1, count)
            }
            _ => 0,
        }
    }

    /// The rent income of `player` in `table` (indexed like [`crate::Board::squares`]).
    #[cfg(test)]
    pub(crate) fn income(&self, table: &super::Table, player: PlayerId) -> i64 {
        (0..table.len())
            .map(|index| self.rent_term(index, player, |i| table[i]))
            .sum()
    }

    /// How much the rent income of `player` changes when `changes` are applied in order to the
    /// current table: the income after minus the income now, summed over the peer classes of
    /// the changed squares only (every other square's rent is the same on both sides).
    ///
    /// Peer classes partition the board (a square's peers are its colour group, or every square
    /// of its kind, itself included), so each class is summed once, by [`Valuer::class_income`].
    /// Squares without peers charge no rent and are skipped. Integer sums: the grouping changes
    /// no result (the test below checks it against whole incomes).
    pub(crate) fn income_change(&self, player: PlayerId, changes: &[Change]) -> i64 {
        let board = self.game.board();
        let mut delta = 0;
        for (n, (index, _)) in changes.iter().enumerate() {
            let class = board.peers(*index);
            // A class changed twice is summed at its first change.
            if class.is_empty() || changes[..n].iter().any(|(i, _)| class.contains(i)) {
                continue;
            }
            delta += self.class_income(class, player, |i| self.holding_after(changes, i))
                - self.class_income(class, player, |i| self.held(i));
        }
        delta
    }

    /// What `player` earns from one landing on each square of the peer class `class`, summed,
    /// reading the ownership table through `holding`: [`Valuer::rent_term`] of every member.
    ///
    /// One pass reads each holding once and sums the streets' rents both ways (group complete
    /// or not; which one applies is known once the pass has counted the owner's streets).
    /// Bridges and servers charge by that count, so their rents are summed in a second pass.
    fn class_income(
        &self,
        class: &[usize],
        player: PlayerId,
        holding: impl Fn(usize) -> Option<Holding>,
    ) -> i64 {
        let squares = self.game.board().squares();
        let mut owned = 0;
        let mut incomplete = 0;
        let mut complete = 0;
        let mut by_count = false;
        for &index in class {
            let Some(held) = holding(index) else {
                continue;
            };
            if held.owner != player {
                continue;
            }
            owned += 1;
            if held.mortgaged {
                continue;
            }
            let kind = &squares[index].kind;
            match kind {
                SquareKind::Property { .. } => {
                    incomplete += rent_for(kind, -1, 0);
                    complete += rent_for(kind, held.houses.max(0), 0);
                }
                SquareKind::Bridge { .. } | SquareKind::Server { .. } => by_count = true,
                _ => {}
            }
        }
        let mut total = if owned == class.len() {
            complete
        } else {
            incomplete
        };
        if by_count {
            for &index in class {
                let kind = &squares[index].kind;
                if matches!(kind, SquareKind::Bridge { .. } | SquareKind::Server { .. })
                    && holding(index).is_some_and(|h| h.owner == player && !h.mortgaged)
                {
                    total += rent_for(kind, -1, owned);
                }
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::{BotLevel, BotTuning};
    use crate::game::Game;
    use crate::ids::Seed;
    use crate::setup::Setup;
    use crate::time::Timestamp;

    /// A small deterministic generator for the test states.
    fn next(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *state >> 33
    }

    fn random_holding(state: &mut u64) -> Option<Holding> {
        match next(state) % 4 {
            0 => None,
            owner => Some(Holding {
                owner: PlayerId(owner),
                houses: (next(state) % 7) as i8 - 1,
                mortgaged: next(state) % 3 == 0,
            }),
        }
    }

    #[test]
    fn the_income_change_is_the_difference_of_whole_incomes() {
        let players = [PlayerId(1), PlayerId(2), PlayerId(3)];
        let mut game = Game::new(Setup::new(players), Seed(3), Timestamp(0)).expect("valid setup");
        let tuning = BotTuning::for_level(BotLevel::Expert);
        let mut state = 7;
        for _ in 0..300 {
            for square in &mut game.squares {
                square.holding = random_holding(&mut state);
            }
            let table: Vec<Option<Holding>> = game.squares.iter().map(|s| s.holding).collect();
            let len = table.len();
            let valuer = Valuer::new(&game, PlayerId(1), &tuning);
            let changes: Vec<Change> = (0..next(&mut state) % 5)
                .map(|_| {
                    (
                        (next(&mut state) as usize) % len,
                        random_holding(&mut state),
                    )
                })
                .collect();
            let mut after = table.clone();
            for (index, holding) in &changes {
                after[*index] = *holding;
            }
            for player in players {
                assert_eq!(
                    valuer.income_change(player, &changes),
                    valuer.income(&after, player) - valuer.income(&table, player),
                    "{changes:?}"
                );
            }
        }
    }
}
