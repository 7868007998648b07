//! Rent, net worth and liquidation value (docs/rules.md).

use crate::board::SquareKind;
use crate::game::Game;
use crate::ids::{PlayerId, SquareId};

/// Rent of a square of `kind` given the owner's `houses` on it (properties) or how many squares
/// of its kind the owner holds (bridges, servers). Trams and other squares charge nothing.
pub fn rent_for(kind: &SquareKind, houses: i8, owned_of_kind: usize) -> i64 {
    match kind {
        SquareKind::Property { rents, .. } => match houses {
            h if h < 0 => rents[0],
            0 => rents[0].saturating_mul(2),
            h => rents[usize::from(h.unsigned_abs()).min(5)],
        },
        SquareKind::Bridge { rents, .. } => {
            let index = owned_of_kind.clamp(1, rents.len()) - 1;
            rents.get(index).copied().unwrap_or(0)
        }
        SquareKind::Server { rents, .. } => {
            if owned_of_kind >= 2 {
                rents[1]
            } else {
                rents[0]
            }
        }
        _ => 0,
    }
}

impl Game {
    /// Rent `payer` owes on arrival at `square` (0 if unowned, own or mortgaged).
    pub fn rent_due(&self, payer: PlayerId, square: SquareId) -> i64 {
        let Some(index) = self.board.index_of(square) else {
            return 0;
        };
        let (Some(holding), info) = (self.squares[index].holding, &self.board.squares()[index])
        else {
            return 0;
        };
        if holding.owner == payer || holding.mortgaged {
            return 0;
        }
        // Squares of the same kind held by the owner; only bridges and servers count them, and
        // their peers are exactly the squares of their kind.
        let owned_of_kind = match info.kind {
            SquareKind::Bridge { .. } | SquareKind::Server { .. } => self
                .board
                .peers(index)
                .iter()
                .filter(|&&i| {
                    self.squares[i]
                        .holding
                        .is_some_and(|h| h.owner == holding.owner)
                })
                .count(),
            _ => 0,
        };
        rent_for(&info.kind, holding.houses, owned_of_kind)
    }

    /// Money plus the price of every unmortgaged square plus the cost of every building level
    /// (docs/rules.md). 0 for an eliminated player.
    pub fn net_worth(&self, player: PlayerId) -> i64 {
        if !self.is_in_game(player) {
            return 0;
        }
        let mut total = self.money(player);
        for (square, holding) in self.holdings().filter(|(_, h)| h.owner == player) {
            let Some(info) = self.board.square(square) else {
                continue;
            };
            if !holding.mortgaged {
                total += info.buy_price().unwrap_or(0);
            }
            if holding.houses > 0 {
                total += i64::from(holding.houses) * info.build_price().unwrap_or(0);
            }
        }
        total
    }

    /// The most money the player could raise by demolishing and mortgaging everything
    /// (docs/rules.md).
    pub fn max_liquidation(&self, player: PlayerId) -> i64 {
        if !self.is_in_game(player) {
            return 0;
        }
        let mut total = self.money(player);
        for (square, holding) in self.holdings().filter(|(_, h)| h.owner == player) {
            let Some(info) = self.board.square(square) else {
                continue;
            };
            if holding.houses > 0 {
                total += i64::from(holding.houses) * (info.build_price().unwrap_or(0) / 2);
            }
            if !holding.mortgaged {
                total += info.buy_price().unwrap_or(0) / 2;
            }
        }
        total
    }
}
