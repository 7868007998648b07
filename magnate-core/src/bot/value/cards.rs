//! The value of fantasy cards to the bot (bots spec D12).

use crate::board::Square;
use crate::ids::SquareId;
use crate::rules::cards::{FantasyCard, FantasyType};

use super::Valuer;

impl Valuer<'_> {
    /// The value of a card to the bot (D12): money cards by their amount, jail by the bail,
    /// house cards by the build price they move; moves are valued 0. Cards are free (rules
    /// D-34), so no cost is subtracted.
    pub(crate) fn card_value(&self, card: FantasyCard) -> f64 {
        use FantasyType::*;
        let value = card.value.unwrap_or(0) as f64;
        let m = self.money(self.me).max(0) as f64;
        let others = self.k.min((self.n.saturating_sub(1)) as f64);
        let bail = self.game.board().bail() as f64;
        let mine = || self.game.holdings().filter(|(_, h)| h.owner == self.me);
        let build = |s: SquareId| self.square(s).and_then(Square::build_price).unwrap_or(0) as f64;
        let mean = |values: Vec<f64>| {
            if values.is_empty() {
                0.0
            } else {
                values.iter().sum::<f64>() / values.len() as f64
            }
        };
        match card.fantasy_type {
            WinPlainMoney => value,
            LosePlainMoney => -value,
            WinRatioMoney => m * value / 100.0,
            LoseRatioMoney => -m * value / 100.0,
            ShareMoneyAll => -value * others,
            EverybodySendsYouMoney => value * others,
            GetParkingMoney => self.game.parking_money() as f64,
            GoToJail | EverybodyToJail => -bail,
            GoToStart => self.game.board().salary() as f64,
            BreakOwnHouse => -mean(
                mine()
                    .filter(|(_, h)| h.houses >= 1)
                    .map(|(s, _)| build(s))
                    .collect(),
            ),
            Earthquake => -mine()
                .filter(|(_, h)| h.houses >= 1)
                .map(|(s, _)| build(s))
                .sum::<f64>(),
            FreeHouse => mean(
                mine()
                    .filter(|(_, h)| (0..5).contains(&h.houses))
                    .map(|(s, _)| build(s))
                    .collect(),
            ),
            ReviveProperty => mean(
                mine()
                    .filter(|(_, h)| h.mortgaged)
                    .map(|(s, _)| (self.price(s) / 2) as f64)
                    .collect(),
            ),
            BreakOpponentHouse
            | ShufflePositions
            | MoveAnywhereRandom
            | MoveOpponentAnywhereRandom
            | SendToJail
            | DoubleOrNothing
            | Magnetism => 0.0,
        }
    }

    /// The mean value of a blind draw: every type equally likely, then every value (D12).
    pub(crate) fn mean_card_value(&self) -> f64 {
        *self
            .mean_card
            .get_or_init(|| self.mean_card_value_uncached())
    }

    fn mean_card_value_uncached(&self) -> f64 {
        let mut total = 0.0;
        for fantasy_type in FantasyType::ALL {
            let options = fantasy_type.value_options();
            total += if options.is_empty() {
                self.card_value(FantasyCard::new(fantasy_type, None))
            } else {
                options
                    .iter()
                    .map(|v| self.card_value(FantasyCard::new(fantasy_type, Some(*v))))
                    .sum::<f64>()
                    / options.len() as f64
            };
        }
        total / FantasyType::ALL.len() as f64
    }
}
