//! The value of fantasy cards to the bot (docs/bots.md D12).

use crate::board::Square;
use crate::card::{FantasyCard, FantasyType};
use crate::ids::SquareId;

use super::Valuer;

impl Valuer<'_> {
    /// The value of a card to the bot (D12): money cards by their amount, jail by the bail,
    /// house cards by the build price they move; moves are valued 0. Cards are free (rules
    /// D-34), so no cost is subtracted.
    pub(crate) fn card_value(&self, card: FantasyCard) -> f64 {
        self.card_value_in(&self.card_context(), card.fantasy_type, card.value)
    }

    /// What every card value reads from the game, read once for a whole card table.
    fn card_context(&self) -> CardContext {
        CardContext {
            m: self.money(self.me).max(0) as f64,
            others: self.k.min((self.n.saturating_sub(1)) as f64),
            bail: self.game.board().bail() as f64,
        }
    }

    /// [`Valuer::card_value`] of a card of `fantasy_type` and `value`, in `context`.
    fn card_value_in(
        &self,
        context: &CardContext,
        fantasy_type: FantasyType,
        value: Option<i64>,
    ) -> f64 {
        use FantasyType::*;
        let value = value.unwrap_or(0) as f64;
        let CardContext { m, others, bail } = *context;
        match fantasy_type {
            WinPlainMoney => value,
            LosePlainMoney => -value,
            WinRatioMoney => m * value / 100.0,
            LoseRatioMoney => -m * value / 100.0,
            ShareMoneyAll => -value * others,
            EverybodySendsYouMoney => value * others,
            GetParkingMoney => self.game.parking_money() as f64,
            GoToJail | EverybodyToJail => -bail,
            GoToStart => self.game.board().salary() as f64,
            BreakOwnHouse => -self.house_cards().built.mean(),
            Earthquake => -self.house_cards().built.sum,
            FreeHouse => self.house_cards().buildable.mean(),
            ReviveProperty => self.house_cards().mortgaged.mean(),
            BreakOpponentHouse
            | ShufflePositions
            | MoveAnywhereRandom
            | MoveOpponentAnywhereRandom
            | SendToJail
            | DoubleOrNothing
            | Magnetism => 0.0,
        }
    }

    /// The bot's holdings as the house cards see them, gathered in one pass on first use.
    fn house_cards(&self) -> &HouseCards {
        self.house_cards.get_or_init(|| {
            let build =
                |s: SquareId| self.square(s).and_then(Square::build_price).unwrap_or(0) as f64;
            let mut cards = HouseCards::default();
            for (s, h) in self.game.holdings().filter(|(_, h)| h.owner == self.me) {
                if h.houses >= 1 {
                    cards.built.add(build(s));
                }
                if (0..5).contains(&h.houses) {
                    cards.buildable.add(build(s));
                }
                if h.mortgaged {
                    cards.mortgaged.add((self.price(s) / 2) as f64);
                }
            }
            cards
        })
    }

    /// The mean value of a blind draw: every type equally likely, then every value (D12).
    pub(crate) fn mean_card_value(&self) -> f64 {
        *self
            .mean_card
            .get_or_init(|| self.mean_card_value_uncached())
    }

    fn mean_card_value_uncached(&self) -> f64 {
        let context = self.card_context();
        let mut total = 0.0;
        for fantasy_type in FantasyType::ALL {
            let options = fantasy_type.value_options();
            total += if options.is_empty() {
                self.card_value_in(&context, fantasy_type, None)
            } else {
                options
                    .iter()
                    .map(|v| self.card_value_in(&context, fantasy_type, Some(*v)))
                    .sum::<f64>()
                    / options.len() as f64
            };
        }
        total / FantasyType::ALL.len() as f64
    }
}

/// The money, opponent count and bail that card values use.
#[derive(Clone, Copy, Debug)]
struct CardContext {
    /// The bot's money, at least 0.
    m: f64,
    /// How many opponents pay or are paid.
    others: f64,
    /// The bail.
    bail: f64,
}

/// The amounts the house cards average or add up, over the bot's squares in ascending order.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct HouseCards {
    /// Build prices of the squares with at least one house (break-own-house, earthquake).
    built: Amounts,
    /// Build prices of the squares with 0 to 4 houses (free house).
    buildable: Amounts,
    /// Half prices of the mortgaged squares (revive property).
    mortgaged: Amounts,
}

/// A running sum of amounts, added in order, and their count.
#[derive(Clone, Copy, Debug)]
struct Amounts {
    /// The sum, started at −0.0 as `Iterator::sum` of `f64` starts (so even an empty sum is
    /// the same value, sign included).
    sum: f64,
    count: usize,
}

impl Default for Amounts {
    fn default() -> Amounts {
        Amounts {
            sum: -0.0,
            count: 0,
        }
    }
}

impl Amounts {
    fn add(&mut self, amount: f64) {
        self.sum += amount;
        self.count += 1;
    }

    /// The mean, 0 when there is none.
    fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }
}
