//! The valuation formulas of docs/bots.md §5, in two variants: the reference's formulas verbatim
//! ([`Formulas::Reference`], used by the golden values of docs/bots.md §10) and the corrected ones
//! that the
//! defect fixes of docs/bots.md §11 ask for ([`Formulas::Engine`], the default of every level).
//!
//! Corrected variant, in short:
//!
//! * rents come from the rules engine ([`Game::rent_due`],
//!   [`rent_for`](crate::rules::rent::rent_for)) [D8];
//! * every acquisition, loss, build, demolition and (un)mortgage is valued as the change of the
//!   owner's whole rent income, computed by one function ([`Valuer::income_change`]), so an
//!   action and its inverse score exact opposites [D7a, D9];
//! * expected visits count remaining rounds with a floor [D10];
//! * leaving jail, tram rides and fantasy cards use a one-roll look-ahead over the real dice and
//!   the card table [D12, D13, D14].

use std::cell::OnceCell;

use crate::board::{Square, SquareKind};
use crate::game::{Game, Holding};
use crate::ids::{PlayerId, SquareId};
use crate::rules::walk;

use super::tuning::{BotTuning, Formulas};

mod cards;
mod income;

use income::Change;

/// An ownership table indexed like [`crate::Board::squares`].
#[cfg(test)]
pub(crate) type Table = Vec<Option<Holding>>;

/// Everything a decision values, for one (game, player, tuning); caches the landing values.
pub(crate) struct Valuer<'a> {
    pub(crate) game: &'a Game,
    pub(crate) me: PlayerId,
    pub(crate) tuning: &'a BotTuning,
    /// Players still in the game.
    pub(crate) n: usize,
    /// `max(1, n − 1)`.
    pub(crate) k: f64,
    /// Expected visits `V` (docs/bots.md §5.1, D10).
    pub(crate) v: f64,
    /// `Land` per square index, computed on first use (the table too).
    land: OnceCell<Vec<OnceCell<f64>>>,
    /// `EV_exit`, computed on first use.
    exit: OnceCell<f64>,
    /// `Reserve`, computed on first use.
    reserve: OnceCell<i64>,
    /// The mean value of a blind card draw, computed on first use.
    mean_card: OnceCell<f64>,
    /// What the house cards are worth, computed on first use.
    house_cards: OnceCell<cards::HouseCards>,
}

impl<'a> Valuer<'a> {
    pub(crate) fn new(game: &'a Game, me: PlayerId, tuning: &'a BotTuning) -> Valuer<'a> {
        let n = game.ordered_players().count();
        let k = n.saturating_sub(1).max(1) as f64;
        let mut valuer = Valuer {
            game,
            me,
            tuning,
            n,
            k,
            v: 0.0,
            land: OnceCell::new(),
            exit: OnceCell::new(),
            reserve: OnceCell::new(),
            mean_card: OnceCell::new(),
            house_cards: OnceCell::new(),
        };
        valuer.v = valuer.visits();
        valuer
    }

    fn reference(&self) -> bool {
        self.tuning.formulas == Formulas::Reference
    }

    fn square(&self, id: SquareId) -> Option<&'static Square> {
        self.game.board().square(id)
    }

    fn index(&self, id: SquareId) -> Option<usize> {
        self.game.board().index_of(id)
    }

    fn money(&self, player: PlayerId) -> i64 {
        self.game.player(player).map_or(0, |p| p.money)
    }

    /// `P(s)`: purchase price of a buyable, fare of a tram, else 0.
    pub(crate) fn price(&self, id: SquareId) -> i64 {
        match self.square(id).map(|s| &s.kind) {
            Some(SquareKind::Tram { fare }) => *fare,
            Some(_) => self.square(id).and_then(Square::buy_price).unwrap_or(0),
            None => 0,
        }
    }

    /// `V` (docs/bots.md §5.1): reference `landing × k × max(1, H − t)`; corrected (D10)
    /// `landing × k × max(min_rounds, (H − t) / n)`, where `H` is the horizon, shortened to the
    /// game's turn limit when it has one and `respect_turn_limit` is set.
    fn visits(&self) -> f64 {
        let t = f64::from(self.game.current_turn());
        let tuning = self.tuning;
        if self.reference() {
            let left = (f64::from(tuning.horizon_turns) - t).max(1.0);
            return tuning.landing_prob * self.k * left;
        }
        let mut horizon = tuning.horizon_turns;
        if tuning.respect_turn_limit {
            if let Some(limit) = self.game.rules().max_turns {
                horizon = horizon.min(limit);
            }
        }
        let rounds = (f64::from(horizon) - t) / self.n.max(1) as f64;
        tuning.landing_prob * self.k * rounds.max(tuning.min_horizon_rounds)
    }

    // ----- rents and income --------------------------------------------------------------

    /// How many squares of the kind of the bridge or server at `index` `owner` holds in `table`.
    fn owned_of_kind(&self, owner: PlayerId, index: usize) -> usize {
        self.game
            .board()
            .peers(index)
            .iter()
            .filter(|&&i| self.held(i).is_some_and(|h| h.owner == owner))
            .count()
    }

    /// The current holding of the square at `index` (a square index of the board).
    fn held(&self, index: usize) -> Option<Holding> {
        self.game.squares[index].holding
    }

    /// `Rent(s)` (docs/bots.md §5.2): what the bot expects to pay on `s`. Corrected: the engine's
    /// rent (D8).
    pub(crate) fn rent(&self, id: SquareId) -> i64 {
        if !self.reference() {
            return self.game.rent_due(self.me, id);
        }
        let (Some(square), Some(holding)) = (self.square(id), self.game.holding(id)) else {
            return 0;
        };
        match &square.kind {
            SquareKind::Property { rents, .. } => {
                if holding.houses < 0 || holding.mortgaged {
                    0
                } else {
                    rents[usize::from(holding.houses.unsigned_abs()).min(rents.len() - 1)]
                }
            }
            SquareKind::Bridge { .. } | SquareKind::Server { .. } => {
                let rents = rent_table(square);
                let c = self
                    .index(id)
                    .map_or(0, |i| self.owned_of_kind(holding.owner, i));
                if c >= 1 && !rents.is_empty() {
                    rents[(c - 1).min(rents.len() - 1)]
                } else {
                    0
                }
            }
            _ => 0,
        }
    }

    /// `Gain(s, p)` (docs/bots.md §5.3): income change if `p` acquires `s`.
    pub(crate) fn gain(&self, id: SquareId, p: PlayerId) -> f64 {
        let Some(square) = self.square(id) else {
            return 0.0;
        };
        if !self.reference() {
            let Some(i) = self.index(id) else {
                return 0.0;
            };
            // The potential income: as if unmortgaged.
            let acquired = Holding {
                owner: p,
                houses: -1,
                mortgaged: false,
            };
            return self.income_change(p, &[(i, Some(acquired))]) as f64;
        }
        match &square.kind {
            SquareKind::Property { group, rents, .. } => {
                let members = self.game.board().group_squares(*group);
                let o = self.owned_in(members, p);
                let b = rents[0] as f64;
                if o + 1 == members.len() {
                    b * (o + 1) as f64
                } else {
                    b
                }
            }
            SquareKind::Bridge { .. } | SquareKind::Server { .. } => {
                let rents = rent_table(square);
                if rents.is_empty() {
                    return 0.0;
                }
                let c = self.index(id).map_or(0, |i| self.owned_of_kind(p, i));
                let after = rents[c.min(rents.len() - 1)];
                let before = if c > 0 { rents[c - 1] } else { 0 };
                (after - before) as f64
            }
            _ => 0.0,
        }
    }

    /// `Loss(s, p)` (docs/bots.md §5.3): income change if `p` gives up `s`.
    pub(crate) fn loss(&self, id: SquareId, p: PlayerId) -> f64 {
        let Some(square) = self.square(id) else {
            return 0.0;
        };
        if !self.reference() {
            let Some(i) = self.index(id) else {
                return 0.0;
            };
            return (-self.income_change(p, &[(i, None)])) as f64;
        }
        match &square.kind {
            SquareKind::Property { group, rents, .. } => {
                let members = self.game.board().group_squares(*group);
                let o = self.owned_in(members, p);
                let b = rents[0] as f64;
                if o == members.len() {
                    b * (o + 1) as f64
                } else {
                    b
                }
            }
            SquareKind::Bridge { .. } | SquareKind::Server { .. } => {
                let rents = rent_table(square);
                if rents.is_empty() {
                    return 0.0;
                }
                let c = self.index(id).map_or(0, |i| self.owned_of_kind(p, i));
                let now = if c > 0 {
                    rents[(c - 1).min(rents.len() - 1)]
                } else {
                    0
                };
                let after = if c > 1 { rents[c - 2] } else { 0 };
                (now - after) as f64
            }
            _ => 0.0,
        }
    }

    fn owned_in(&self, members: &[SquareId], p: PlayerId) -> usize {
        members
            .iter()
            .filter(|m| self.game.holding(**m).is_some_and(|h| h.owner == p))
            .count()
    }

    fn has_foothold(&self, id: SquareId, q: PlayerId) -> bool {
        let Some(square) = self.square(id) else {
            return false;
        };
        match &square.kind {
            SquareKind::Property { group, .. } => {
                self.owned_in(self.game.board().group_squares(*group), q) > 0
            }
            SquareKind::Bridge { .. } | SquareKind::Server { .. } => {
                self.index(id).is_some_and(|i| self.owned_of_kind(q, i) > 0)
            }
            kind => self.game.holdings().any(|(s, h)| {
                h.owner == q
                    && self.square(s).is_some_and(|s| {
                        std::mem::discriminant(&s.kind) == std::mem::discriminant(kind)
                    })
            }),
        }
    }

    // ----- buying, worth, reserve -------------------------------------------------------

    /// `EV_buy(s)` (docs/bots.md §5.4). `exclude` leaves one opponent out of the blocking term
    /// (the current
    /// owner, when valuing a trade, D16).
    pub(crate) fn ev_buy_excluding(&self, id: SquareId, exclude: Option<PlayerId>) -> f64 {
        let price = self.price(id);
        if price <= 0 || !self.square(id).is_some_and(Square::is_ownable) {
            return 0.0;
        }
        let own = self.gain(id, self.me) * self.v;
        let best = self
            .game
            .ordered_players()
            .filter(|q| *q != self.me && Some(*q) != exclude && self.has_foothold(id, *q))
            .map(|q| self.gain(id, q))
            .fold(f64::NEG_INFINITY, f64::max);
        let block = if best > 0.0 {
            best * self.v / self.k
        } else {
            0.0
        };
        own + block - price as f64 + (price / 2) as f64
    }

    /// `EV_buy(s)` (docs/bots.md §5.4).
    pub(crate) fn ev_buy(&self, id: SquareId) -> f64 {
        self.ev_buy_excluding(id, None)
    }

    /// `W(s) = EV_buy(s) + P(s)` (docs/bots.md §5.4).
    pub(crate) fn worth(&self, id: SquareId) -> f64 {
        self.ev_buy(id) + self.price(id) as f64
    }

    /// `Reserve` (docs/bots.md §5.5): the highest rent the bot could be charged on one landing.
    pub(crate) fn reserve(&self) -> i64 {
        *self.reserve.get_or_init(|| {
            self.game
                .holdings()
                .filter(|(_, h)| h.owner != self.me)
                .map(|(s, _)| self.rent(s))
                .max()
                .unwrap_or(0)
                .max(0)
        })
    }

    /// `MaxBid(s)` (docs/bots.md §5.5).
    pub(crate) fn max_bid(&self, id: SquareId) -> i64 {
        let budget = (self.money(self.me) - self.reserve()).max(0);
        let cap = (self.tuning.auction_roi * self.worth(id)).trunc();
        // Saturating conversion: the cap is a finite real of board magnitude.
        budget.min(cap as i64)
    }

    // ----- jail, landing, look-ahead ----------------------------------------------------

    /// `EV_exit` (docs/bots.md §5.6), the whole-board sum of the reference.
    pub(crate) fn ev_exit(&self) -> f64 {
        let board = self.game.board();
        let unowned: f64 = board
            .squares()
            .iter()
            .filter(|s| s.is_ownable() && self.game.holding(s.id).is_none())
            .map(|s| self.ev_buy(s.id))
            .sum();
        let rents: f64 = self
            .game
            .holdings()
            .filter(|(_, h)| h.owner != self.me)
            .map(|(s, _)| self.rent(s) as f64 * self.v)
            .sum();
        unowned - rents
    }

    /// `Land(s)` (docs/bots.md §5.7), cached per square.
    pub(crate) fn land(&self, id: SquareId) -> f64 {
        self.index(id).map_or(0.0, |index| self.land_at(index))
    }

    /// `Land` of the square at `index` (which must be a square index of the board).
    fn land_at(&self, index: usize) -> f64 {
        let cells = self
            .land
            .get_or_init(|| vec![OnceCell::new(); self.game.board().len()]);
        *cells[index].get_or_init(|| self.land_uncached(&self.game.board().squares()[index]))
    }

    fn land_uncached(&self, square: &Square) -> f64 {
        match &square.kind {
            _ if square.is_ownable() => match self.game.holding(square.id) {
                None => self.ev_buy(square.id),
                Some(h) if h.owner == self.me || h.mortgaged => 0.0,
                Some(_) => -(self.rent(square.id) as f64),
            },
            SquareKind::GoToJail => {
                if self.reference() {
                    -*self.exit.get_or_init(|| self.ev_exit())
                } else {
                    // Corrected: the bail the bot will end up paying (D13).
                    -(self.game.board().bail() as f64)
                }
            }
            SquareKind::Parking => self.game.parking_money() as f64,
            SquareKind::Exit { salary } => *salary as f64,
            SquareKind::Fantasy if !self.reference() => self.mean_card_value(),
            SquareKind::Fantasy => self.tuning.unknown_card_value,
            _ => 0.0,
        }
    }

    /// `Ahead(s)` (docs/bots.md §5.8): reference, the mean `Land` of the next 12 squares on the
    /// main path;
    /// corrected, the one-roll look-ahead [`Valuer::roll_value`] (D14).
    pub(crate) fn ahead(&self, id: SquareId) -> f64 {
        if !self.reference() {
            return self.roll_value(id);
        }
        let board = self.game.board();
        let mut sum = 0.0;
        let mut current = id;
        for _ in 0..self.tuning.lookahead_squares {
            let Some(square) = board.square(current) else {
                break;
            };
            current = square.successor;
            sum += self.land(current);
        }
        sum / f64::from(self.tuning.lookahead_squares.max(1))
    }

    /// The expected `Land` of the square one throw from `from` leads to, over the 216 throws,
    /// assuming the bot picks its best destination (bus die 4–6: `d1`, `d2` or `d1 + d2`;
    /// 1–3: the sum of all three; a triple of faces ≤ 3: any square but the jail). Extra rolls
    /// after doubles are not followed.
    pub(crate) fn roll_value(&self, from: SquareId) -> f64 {
        let board = self.game.board();
        let jail = board.jail();
        let anywhere = board
            .squares()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.id != jail)
            .map(|(index, _)| self.land_at(index))
            .fold(f64::NEG_INFINITY, f64::max);
        let from_index = self.index(from);
        // `Land` where a walk of `steps` from `from` ends.
        let land_after = |steps: u32| match from_index.and_then(|i| board.destination(i, steps)) {
            Some(index) => self.land_at(index),
            None => self.land(walk(board, from, steps).last),
        };
        // A throw that is not a triple walks 1 to 18 squares (`throw_options`): look each of
        // those landings up once instead of once per throw. The same values are summed in the
        // same order below, so the result is bit-identical.
        let mut after = [0.0; MAX_THROW_STEPS + 1];
        for (steps, value) in (0u32..).zip(after.iter_mut()).skip(1) {
            *value = land_after(steps);
        }
        let mut total = 0.0;
        for &(options, count) in &THROWS {
            total += if count == 0 {
                anywhere
            } else {
                options[..count]
                    .iter()
                    .map(|&steps| after[steps as usize])
                    .fold(f64::NEG_INFINITY, f64::max)
            };
        }
        total / 216.0
    }

    /// Probability that a throw is a double that is not a triple (a free exit from jail).
    pub(crate) fn free_exit_probability() -> f64 {
        let mut count = 0;
        for d1 in 1..=6u8 {
            for bus in 1..=6u8 {
                if !(bus <= 3 && bus == d1) {
                    count += 1;
                }
            }
        }
        f64::from(count) / 216.0
    }

    /// Score of paying bail (docs/bots.md §5.10). Reference `EV_exit − bail`. Corrected (D13):
    /// paying buys a
    /// roll now instead of the free exit a double gives; on the last jail turn the bail is
    /// charged anyway, so paying gains nothing.
    pub(crate) fn pay_bail(&self) -> f64 {
        let bail = self.game.board().bail() as f64;
        if self.reference() {
            return self.ev_exit() - bail;
        }
        let turns = self.game.player(self.me).map_or(0, |p| p.jail_turns);
        if turns <= 1 {
            return 0.0;
        }
        let roll = self.roll_value(self.game.board().jail());
        (1.0 - Valuer::free_exit_probability()) * roll - bail
    }

    // ----- business ---------------------------------------------------------------------

    fn rents_of(&self, id: SquareId) -> &'static [i64] {
        self.square(id).map_or(&[], rent_table)
    }

    /// The change of the bot's income when `edit` is applied to its holding of `id`.
    fn income_delta(&self, id: SquareId, edit: impl FnOnce(Holding) -> Holding) -> f64 {
        let delta = match self.index(id) {
            Some(i) => self.income_change(self.me, &[(i, self.held(i).map(edit))]),
            None => 0,
        };
        delta as f64
    }

    fn houses(&self, id: SquareId) -> i8 {
        self.game.holding(id).map_or(-1, |h| h.houses)
    }

    /// Score of building one level on `s` (docs/bots.md §5.10).
    pub(crate) fn build(&self, id: SquareId) -> f64 {
        let cost = self.square(id).and_then(Square::build_price).unwrap_or(0) as f64;
        if !self.reference() {
            let added = |h: Holding| Holding {
                houses: h.houses.saturating_add(1),
                ..h
            };
            return self.income_delta(id, added) * self.v - cost;
        }
        let rents = self.rents_of(id);
        let h = usize::from(self.houses(id).max(0).unsigned_abs());
        if h + 1 >= rents.len() {
            return 0.0;
        }
        (rents[h + 1] - rents[h]) as f64 * self.v - cost
    }

    /// Score of demolishing one level on `s` (docs/bots.md §5.10).
    pub(crate) fn demolish(&self, id: SquareId) -> f64 {
        let refund = (self.square(id).and_then(Square::build_price).unwrap_or(0) / 2) as f64;
        if !self.reference() {
            let removed = |h: Holding| Holding {
                houses: h.houses.saturating_add(-1),
                ..h
            };
            return refund + self.income_delta(id, removed) * self.v;
        }
        let rents = self.rents_of(id);
        let h = usize::from(self.houses(id).max(0).unsigned_abs());
        if h == 0 || h >= rents.len() {
            return refund;
        }
        refund - (rents[h] - rents[h - 1]) as f64 * self.v
    }

    /// Score of mortgaging `s` (docs/bots.md §5.10).
    pub(crate) fn mortgage(&self, id: SquareId) -> f64 {
        let half = (self.price(id) / 2) as f64;
        if !self.reference() {
            let mortgaged = |h: Holding| Holding {
                mortgaged: true,
                ..h
            };
            return half + self.income_delta(id, mortgaged) * self.v;
        }
        half - self.loss(id, self.me) * self.v
    }

    /// Score of lifting the mortgage on `s` (docs/bots.md §5.10): corrected, the exact opposite of
    /// [`Valuer::mortgage`] in the state it leads to (D7a).
    pub(crate) fn unmortgage(&self, id: SquareId) -> f64 {
        let half = (self.price(id) / 2) as f64;
        if !self.reference() {
            let lifted = |h: Holding| Holding {
                mortgaged: false,
                ..h
            };
            return self.income_delta(id, lifted) * self.v - half;
        }
        self.gain(id, self.me) * self.v - half
    }

    // ----- trades -----------------------------------------------------------------------

    /// `Net(p, G, L, in, out)` (docs/bots.md §5.9). Reference: each square valued alone.
    /// Corrected: the
    /// income change of the whole exchange at once (so bundles that complete a group count,
    /// D16), plus the mortgage value of unmortgaged squares.
    pub(crate) fn net(
        &self,
        p: PlayerId,
        gained: &[SquareId],
        lost: &[SquareId],
        cash_in: i64,
        cash_out: i64,
    ) -> f64 {
        let half = |s: &SquareId| (self.price(*s) / 2) as f64;
        let cash = (cash_in - cash_out) as f64;
        if self.reference() {
            let plus: f64 = gained
                .iter()
                .map(|g| self.gain(*g, p) * self.v + half(g))
                .sum();
            let minus: f64 = lost
                .iter()
                .map(|l| self.loss(*l, p) * self.v + half(l))
                .sum();
            return cash + plus - minus;
        }
        // Losses first, then gains (a gained square keeps the mortgage flag it has by then);
        // a few changes are listed on the stack.
        let mut buffer: [Change; 8] = [(0, None); 8];
        let mut spilled: Vec<Change> = Vec::new();
        let changes = match buffer.get_mut(..lost.len() + gained.len()) {
            Some(slice) => slice,
            None => {
                spilled.resize(lost.len() + gained.len(), (0, None));
                &mut spilled[..]
            }
        };
        let mut count = 0;
        for i in lost.iter().filter_map(|l| self.index(*l)) {
            changes[count] = (i, None);
            count += 1;
        }
        for i in gained.iter().filter_map(|g| self.index(*g)) {
            let mortgaged = self
                .holding_after(&changes[..count], i)
                .is_some_and(|h| h.mortgaged);
            let holding = Holding {
                owner: p,
                houses: -1,
                mortgaged,
            };
            changes[count] = (i, Some(holding));
            count += 1;
        }
        let changes = &changes[..count];
        let residual = |s: &SquareId| {
            if self.game.holding(*s).is_some_and(|h| h.mortgaged) {
                0.0
            } else {
                half(s)
            }
        };
        let income = self.income_change(p, changes) as f64 * self.v;
        cash + income + gained.iter().map(residual).sum::<f64>()
            - lost.iter().map(residual).sum::<f64>()
    }

    /// `TradeEV` (docs/bots.md §5.9) of a proposal from `proposer` to `recipient`, from the side
    /// of `from`
    /// (one of the two): `Net(from) − Net(other) / k`.
    pub(crate) fn trade_ev(
        &self,
        from: PlayerId,
        other: PlayerId,
        gained: &[SquareId],
        lost: &[SquareId],
        cash_in: i64,
        cash_out: i64,
    ) -> f64 {
        self.net(from, gained, lost, cash_in, cash_out)
            - self.net(other, lost, gained, cash_out, cash_in) / self.k
    }
}

/// The longest walk of one throw: all three dice on six.
const MAX_THROW_STEPS: usize = 18;

/// The step options of a throw that is not a triple, ascending, as the first `count` entries of
/// the array: [`crate::rules::step_options`] without the allocation.
const fn throw_options(d1: u8, d2: u8, bus: u8) -> ([u32; 3], usize) {
    let (a, b, c) = (d1 as u32, d2 as u32, bus as u32);
    if c <= 3 {
        ([a + b + c, 0, 0], 1)
    } else if a == b {
        ([a, a + b, 0], 2)
    } else if a < b {
        ([a, b, a + b], 3)
    } else {
        ([b, a, a + b], 3)
    }
}

/// The 216 throws in the order [`Valuer::roll_value`] sums them (`d1`, then `d2`, then the bus
/// die, each 1 to 6): the step options of each, and a count of 0 for a triple of faces ≤ 3 (a
/// move anywhere). Tabulated at compile time.
const THROWS: [([u32; 3], usize); 216] = {
    let mut table = [([0; 3], 0); 216];
    let mut i = 0;
    while i < 216 {
        let (d1, d2, bus) = ((i / 36 + 1) as u8, (i / 6 % 6 + 1) as u8, (i % 6 + 1) as u8);
        table[i] = if bus <= 3 && d1 == d2 && d2 == bus {
            ([0; 3], 0)
        } else {
            throw_options(d1, d2, bus)
        };
        i += 1;
    }
    table
};

/// The rent table of a square (empty for squares without rent).
fn rent_table(square: &Square) -> &[i64] {
    match &square.kind {
        SquareKind::Property { rents, .. } => rents,
        SquareKind::Bridge { rents, .. } => rents,
        SquareKind::Server { rents, .. } => rents,
        _ => &[],
    }
}

#[cfg(test)]
mod tests;
