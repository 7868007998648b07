//! Fantasy cards' effects on a game (docs/rules.md, "Fantasy cards"); the cards themselves are
//! data in `card.rs`.

use std::collections::BTreeMap;

pub use crate::card::{CardOutcome, FantasyCard, FantasyResult, FantasyType};
use crate::event::{Event, EventLog};
use crate::game::{Game, Holding};
use crate::ids::{PlayerId, SquareId};
use crate::phase::Phase;
use crate::time::Timestamp;

impl Game {
    pub(crate) fn draw_card(&mut self) -> FantasyCard {
        FantasyCard::draw(&mut self.rng)
    }

    /// `Action::ChooseCard` (and the choose-fantasy timeout, D-43).
    pub(crate) fn choose_card(
        &mut self,
        player: PlayerId,
        take_revealed: bool,
        now: Timestamp,
        events: &mut EventLog,
    ) {
        let Phase::ChooseFantasy { card } = self.phase else {
            return;
        };
        self.cancel_phase_timer();
        let card = if take_revealed {
            card
        } else {
            self.draw_card()
        };
        let result = self.apply_card(player, card, events);
        self.p_mut(player).stats.num_fantasy_events += 1;
        self.resume(now);
        let fantasy_result = FantasyResult {
            fantasy_event: card,
            result,
        };
        self.push_event(
            events,
            Event::FantasyApplied {
                player,
                fantasy_result,
            },
        );
    }

    /// Applies a card to the player who drew it (docs/rules.md).
    pub(crate) fn apply_card(
        &mut self,
        player: PlayerId,
        card: FantasyCard,
        events: &mut EventLog,
    ) -> Option<CardOutcome> {
        use FantasyType::*;
        let value = card.value.unwrap_or(0);
        let opponents: Vec<PlayerId> = self.ordered_players().filter(|id| *id != player).collect();
        match card.fantasy_type {
            WinPlainMoney => self.credit(player, value),
            LosePlainMoney => self.debit(player, value),
            WinRatioMoney => {
                let delta = self.money(player).max(0).saturating_mul(value) / 100;
                self.credit(player, delta);
            }
            LoseRatioMoney => {
                let delta = self.money(player).max(0).saturating_mul(value) / 100;
                self.debit(player, delta);
            }
            ShareMoneyAll => {
                for &opponent in &opponents {
                    self.transfer(player, opponent, value);
                }
            }
            EverybodySendsYouMoney => {
                for &opponent in &opponents {
                    self.transfer(opponent, player, value);
                }
            }
            DoubleOrNothing => {
                let doubled = self.rng.below(2) == 0;
                let money = self.money(player);
                self.set_money(player, if doubled { money.saturating_mul(2) } else { 0 });
                return Some(CardOutcome::Doubled { doubled });
            }
            GetParkingMoney => self.collect_parking(player),
            GoToJail => self.send_to_jail(player, events),
            SendToJail => {
                let target = self.rng.choose(&opponents)?;
                self.send_to_jail(target, events);
                return Some(CardOutcome::TargetPlayer {
                    target_player: target,
                });
            }
            EverybodyToJail => {
                let everyone: Vec<PlayerId> = self.ordered_players().collect();
                for id in everyone {
                    self.send_to_jail(id, events);
                }
            }
            ShufflePositions => {
                let everyone: Vec<PlayerId> = self.ordered_players().collect();
                for id in everyone {
                    self.move_randomly(id);
                }
            }
            MoveAnywhereRandom => self.move_randomly(player),
            MoveOpponentAnywhereRandom => {
                let target = self.rng.choose(&opponents)?;
                self.move_randomly(target);
                return Some(CardOutcome::TargetPlayer {
                    target_player: target,
                });
            }
            Magnetism => {
                let here = self.p(player).position;
                let jail = self.board.jail();
                for p in self
                    .players
                    .iter_mut()
                    .filter(|p| p.in_game && p.position != jail)
                {
                    p.position = here;
                }
            }
            GoToStart => {
                if self.p(player).position != self.board.jail() {
                    self.p_mut(player).position = self.board.exit();
                    self.collect_salary(player, events);
                }
            }
            BreakOwnHouse => {
                let candidates =
                    self.house_candidates(|h| h.owner == player && h.houses >= 1, true);
                let square = self.rng.choose(&candidates)?;
                self.remove_level(square);
                return Some(CardOutcome::Square { square });
            }
            BreakOpponentHouse => {
                let candidates =
                    self.house_candidates(|h| h.owner != player && h.houses >= 1, true);
                let square = self.rng.choose(&candidates)?;
                self.remove_level(square);
                return Some(CardOutcome::Square { square });
            }
            FreeHouse => {
                let candidates = self.free_house_candidates(player);
                let square = self.rng.choose(&candidates)?;
                if let Some(holding) = self.holding(square) {
                    self.set_holding(
                        square,
                        Some(Holding {
                            houses: holding.houses + 1,
                            ..holding
                        }),
                    );
                    self.p_mut(player).stats.built_houses += 1;
                }
                return Some(CardOutcome::Square { square });
            }
            ReviveProperty => {
                let mortgaged: Vec<SquareId> = self
                    .holdings()
                    .filter(|(_, h)| h.owner == player && h.mortgaged)
                    .map(|(s, _)| s)
                    .collect();
                let square = self.rng.choose(&mortgaged)?;
                if let Some(holding) = self.holding(square) {
                    self.set_holding(
                        square,
                        Some(Holding {
                            mortgaged: false,
                            ..holding
                        }),
                    );
                }
                return Some(CardOutcome::Square { square });
            }
            Earthquake => {
                let hit: Vec<SquareId> = self
                    .holdings()
                    .filter(|(s, h)| {
                        h.houses >= 1 && self.board.square(*s).is_some_and(|i| i.group().is_some())
                    })
                    .map(|(s, _)| s)
                    .collect();
                for &square in &hit {
                    self.remove_level(square);
                }
                return if hit.is_empty() {
                    None
                } else {
                    Some(CardOutcome::Squares { squares: hit })
                };
            }
        }
        None
    }

    /// Moves a player not in jail to a random square other than the jail and their own.
    fn move_randomly(&mut self, player: PlayerId) {
        let here = self.p(player).position;
        let jail = self.board.jail();
        if here == jail {
            return;
        }
        let candidates: Vec<SquareId> = self
            .board
            .squares()
            .iter()
            .map(|s| s.id)
            .filter(|&s| s != jail && s != here)
            .collect();
        if let Some(target) = self.rng.choose(&candidates) {
            self.p_mut(player).position = target;
        }
    }

    /// Squares passing `filter`, grouped by (owner, colour group), keeping in each group those
    /// with the highest (`highest`) or lowest count; ascending square id.
    fn house_candidates(&self, filter: impl Fn(&Holding) -> bool, highest: bool) -> Vec<SquareId> {
        let mut groups: BTreeMap<(PlayerId, u8), Vec<(SquareId, i8)>> = BTreeMap::new();
        for (square, holding) in self.holdings().filter(|(_, h)| filter(h)) {
            if let Some(group) = self.board.square(square).and_then(|s| s.group()) {
                groups
                    .entry((holding.owner, group))
                    .or_default()
                    .push((square, holding.houses));
            }
        }
        let mut candidates = Vec::new();
        for members in groups.values() {
            let best = if highest {
                members.iter().map(|m| m.1).max()
            } else {
                members.iter().map(|m| m.1).min()
            };
            candidates.extend(members.iter().filter(|m| Some(m.1) == best).map(|m| m.0));
        }
        candidates.sort_unstable();
        candidates
    }

    /// freeHouse candidates: complete, unmortgaged groups of the player below a hotel.
    fn free_house_candidates(&self, player: PlayerId) -> Vec<SquareId> {
        let eligible_group = |group: u8| {
            self.board.group_squares(group).iter().all(|&m| {
                self.holding(m)
                    .is_some_and(|h| h.owner == player && !h.mortgaged)
            })
        };
        self.house_candidates(|h| h.owner == player && (0..5).contains(&h.houses), false)
            .into_iter()
            .filter(|&s| {
                self.board
                    .square(s)
                    .and_then(|i| i.group())
                    .is_some_and(eligible_group)
            })
            .collect()
    }

    /// Removes one level with no refund, counted for the owner.
    fn remove_level(&mut self, square: SquareId) {
        if let Some(holding) = self.holding(square) {
            self.set_holding(
                square,
                Some(Holding {
                    houses: holding.houses - 1,
                    ..holding
                }),
            );
            self.p_mut(holding.owner).stats.demolished_houses += 1;
        }
    }
}
