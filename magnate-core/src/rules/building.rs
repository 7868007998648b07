//! Building, demolishing and mortgages (docs/rules.md).

use crate::action::ActionKind;
use crate::error::{LogicError, RuleError};
use crate::event::{Event, EventLog};
use crate::game::{BusinessAction, Game, Holding};
use crate::ids::{PlayerId, SquareId};
use crate::time::Timestamp;
use crate::Invalid;

impl Game {
    /// `Action::Build`: one level, evenly, on a complete unmortgaged group; no money check.
    pub(crate) fn build(
        &mut self,
        player: PlayerId,
        square: SquareId,
        houses: i64,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        let (holding, price) = self.check_build(player, square, houses)?;
        self.cancel_phase_timer();
        self.set_holding(
            square,
            Some(Holding {
                houses: holding.houses + 1,
                ..holding
            }),
        );
        self.p_mut(player).stats.built_houses += 1;
        self.debit(player, price);
        self.after_business_action(player, ActionKind::Build, square, now, events);
        Ok(())
    }

    /// Checks a build of `houses` levels; returns the holding and the price of one level.
    pub(crate) fn check_build(
        &self,
        player: PlayerId,
        square: SquareId,
        houses: i64,
    ) -> Result<(Holding, i64), RuleError> {
        let (holding, group, price) = self.own_property(player, square)?;
        let members = self.board.group_squares(group);
        if !members
            .iter()
            .all(|&m| self.holding(m).is_some_and(|h| h.owner == player))
        {
            return Err(Invalid::GroupIncomplete.into());
        }
        if houses != 1 {
            return Err(Invalid::BadHouseCount.into());
        }
        for &member in members {
            let Some(record) = self.holding(member) else {
                continue;
            };
            if record.mortgaged {
                return Err(Invalid::GroupMortgaged.into());
            }
            if holding.houses > record.houses {
                return Err(Invalid::UnevenBuild.into());
            }
        }
        if holding.houses >= 5 {
            return Err(Invalid::MaxLevel.into());
        }
        Ok((holding, price))
    }

    /// `Action::Demolish`: one level, evenly; refunds half the build price.
    pub(crate) fn demolish(
        &mut self,
        player: PlayerId,
        square: SquareId,
        houses: i64,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        let (holding, price) = self.check_demolish(player, square, houses)?;
        self.cancel_phase_timer();
        self.set_holding(
            square,
            Some(Holding {
                houses: holding.houses - 1,
                ..holding
            }),
        );
        self.p_mut(player).stats.demolished_houses += 1;
        self.credit(player, price / 2);
        self.after_business_action(player, ActionKind::Demolish, square, now, events);
        Ok(())
    }

    /// Checks a demolition; returns the holding and the build price.
    pub(crate) fn check_demolish(
        &self,
        player: PlayerId,
        square: SquareId,
        houses: i64,
    ) -> Result<(Holding, i64), RuleError> {
        let (holding, group, price) = self.own_property(player, square)?;
        if houses != 1 {
            return Err(Invalid::BadHouseCount.into());
        }
        if holding.houses < 1 {
            return Err(Invalid::NotEnoughHouses.into());
        }
        for &member in self.board.group_squares(group) {
            if let Some(record) = self.holding(member).filter(|h| h.owner == player) {
                if holding.houses < record.houses {
                    return Err(Invalid::UnevenDemolish.into());
                }
            }
        }
        Ok((holding, price))
    }

    /// The common checks of build and demolish: a property, owned, by the actor.
    fn own_property(
        &self,
        player: PlayerId,
        square: SquareId,
    ) -> Result<(Holding, u8, i64), RuleError> {
        let info = self.board.square(square).ok_or(Invalid::UnknownSquare)?;
        let (Some(group), Some(price)) = (info.group(), info.build_price()) else {
            return Err(Invalid::NotAProperty.into());
        };
        let holding = self.holding(square).ok_or(Invalid::UnownedSquare)?;
        if holding.owner != player {
            return Err(Invalid::NotOwner.into());
        }
        Ok((holding, group, price))
    }

    /// `Action::MortgageSet`: pays half the price; no building may stand in the group.
    pub(crate) fn mortgage_set(
        &mut self,
        player: PlayerId,
        square: SquareId,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        let (holding, value) = self.check_mortgage(player, square, true)?;
        self.cancel_phase_timer();
        self.set_holding(
            square,
            Some(Holding {
                mortgaged: true,
                ..holding
            }),
        );
        self.p_mut(player).stats.num_mortgages += 1;
        self.credit(player, value);
        self.after_business_action(player, ActionKind::MortgageSet, square, now, events);
        Ok(())
    }

    /// `Action::MortgageUnset`: costs half the price, no interest, no money check.
    pub(crate) fn mortgage_unset(
        &mut self,
        player: PlayerId,
        square: SquareId,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        let (holding, value) = self.check_mortgage(player, square, false)?;
        self.cancel_phase_timer();
        self.set_holding(
            square,
            Some(Holding {
                mortgaged: false,
                ..holding
            }),
        );
        self.debit(player, value);
        self.after_business_action(player, ActionKind::MortgageUnset, square, now, events);
        Ok(())
    }

    /// Checks setting (`set`) or lifting a mortgage; returns the holding and the mortgage value.
    pub(crate) fn check_mortgage(
        &self,
        player: PlayerId,
        square: SquareId,
        set: bool,
    ) -> Result<(Holding, i64), RuleError> {
        let info = self.board.square(square).ok_or(Invalid::UnknownSquare)?;
        let price = info.buy_price().ok_or(Invalid::NotMortgageable)?;
        let holding = self.holding(square).ok_or(Invalid::UnownedSquare)?;
        if holding.owner != player {
            return Err(Invalid::NotOwner.into());
        }
        if set {
            if holding.mortgaged {
                return Err(Invalid::AlreadyMortgaged.into());
            }
            if let Some(group) = info.group() {
                let built = self.board.group_squares(group).iter().any(|&m| {
                    self.holding(m)
                        .is_some_and(|h| h.owner == player && h.houses > 0)
                });
                if built {
                    return Err(LogicError::GroupHasHouses.into());
                }
            }
        } else if !holding.mortgaged {
            return Err(Invalid::NotMortgaged.into());
        }
        Ok((holding, price / 2))
    }

    fn after_business_action(
        &mut self,
        player: PlayerId,
        kind: ActionKind,
        square: SquareId,
        now: Timestamp,
        events: &mut EventLog,
    ) {
        self.business_actions_this_turn
            .push(BusinessAction { kind, square });
        self.arm_phase_timer(player, now);
        let houses = self.holding(square).map_or(0, |holding| holding.houses);
        let kind = match kind {
            ActionKind::Build => Event::HouseBuilt {
                player,
                square,
                houses,
            },
            ActionKind::Demolish => Event::HouseDemolished {
                player,
                square,
                houses,
            },
            ActionKind::MortgageSet => Event::Mortgaged { player, square },
            _ => Event::Unmortgaged { player, square },
        };
        self.push_event(events, kind);
    }
}
