//! Dice, movement, arrival and jail (docs/rules.md).

use std::collections::BTreeMap;

use crate::board::{Board, SquareKind};
use crate::card::FantasyCard;
use crate::error::{LogicError, RuleError};
use crate::event::{Event, EventLog};
use crate::game::Game;
use crate::ids::{PlayerId, SquareId};
use crate::phase::Phase;
use crate::time::Timestamp;
use crate::Invalid;

/// The result of walking a number of steps (docs/rules.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walk {
    /// Where the walk ends.
    pub last: SquareId,
    /// Squares walked, the start included.
    pub path: Vec<SquareId>,
    /// Passed or landed on GO.
    pub passed_go: bool,
    /// The walk ends on a go-to-jail square (for 0 steps: the start is one, D-05).
    pub jailed: bool,
}

/// Walks `total` steps from `start`; bridges switch by the parity of `total` (docs/rules.md).
pub fn walk(board: &Board, start: SquareId, total: u32) -> Walk {
    let mut current = start;
    let mut path = Vec::with_capacity(total as usize + 1);
    path.push(start);
    let mut passed_go = false;
    for _ in 0..total {
        current = board.next_square(current, total);
        if current == board.exit() {
            passed_go = true;
        }
        path.push(current);
    }
    let jailed = matches!(
        board.square(current).map(|s| &s.kind),
        Some(SquareKind::GoToJail)
    );
    Walk {
        last: current,
        path,
        passed_go,
        jailed,
    }
}

/// The step options of a throw that is not a triple, ascending (docs/rules.md).
pub fn step_options(dice1: u8, dice2: u8, dice_bus: u8) -> Vec<u32> {
    let (a, b, c) = (u32::from(dice1), u32::from(dice2), u32::from(dice_bus));
    if c <= 3 {
        return vec![a + b + c];
    }
    let mut options = vec![a, b, a + b];
    options.sort_unstable();
    options.dedup();
    options
}

impl Game {
    /// `Action::ThrowDice` (docs/rules.md). Also run by the roll timeout.
    pub(crate) fn throw_dice(
        &mut self,
        player: PlayerId,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        let here = self.p(player).position;
        let jail_turns = self.p(player).jail_turns;
        let was_jailed = jail_turns > 0;
        if was_jailed && here != self.board.jail() {
            return Err(LogicError::JailedOffJailSquare.into());
        }
        // Validation is over: from here on the throw happens.
        self.cancel_phase_timer();
        let dice1 = 1 + self.rng.below(6) as u8;
        let dice2 = 1 + self.rng.below(6) as u8;
        let dice_bus = 1 + self.rng.below(6) as u8;
        let triple = dice_bus <= 3 && dice1 == dice2 && dice2 == dice_bus;
        let double = dice1 == dice2 && !triple;
        let thrown = |game: &Game,
                      destinations: Vec<SquareId>,
                      path: Vec<SquareId>,
                      card: Option<FantasyCard>| {
            Event::DiceThrown {
                player,
                dice1,
                dice2,
                dice_bus,
                triple,
                streak: game.streak,
                destinations,
                path,
                fantasy_event: card,
            }
        };

        if was_jailed {
            if jail_turns == 1 {
                // Last jail turn: forced bail, even into debt; then move.
                let bail = self.board.bail();
                self.debit(player, bail);
                let p = self.p_mut(player);
                p.jail_turns = 0;
                p.stats.turns_in_jail += 1;
            } else if double {
                self.p_mut(player).jail_turns = 0;
                self.streak = 0;
            } else {
                let p = self.p_mut(player);
                p.jail_turns -= 1;
                p.stats.turns_in_jail += 1;
                self.phase = Phase::Business;
                let kind = thrown(self, Vec::new(), vec![here], None);
                self.push_event(events, kind);
                self.arm_phase_timer(player, now);
                return Ok(());
            }
        }

        if triple {
            let jail = self.board.jail();
            let destinations: BTreeMap<SquareId, u32> = self
                .board
                .squares()
                .iter()
                .filter(|s| s.id != jail)
                .map(|s| (s.id, 0))
                .collect();
            let list = destinations.keys().copied().collect();
            self.phase = Phase::ChooseSquare { destinations };
            let kind = thrown(self, list, vec![here], None);
            self.push_event(events, kind);
            self.arm_phase_timer(player, now);
            return Ok(());
        }

        if double {
            if self.streak >= 2 {
                self.streak = 0;
                self.send_to_jail(player, events);
                self.phase = Phase::Liquidation;
                let jail = self.board.jail();
                let kind = thrown(self, vec![jail], vec![here, jail], None);
                self.push_event(events, kind);
                self.arm_phase_timer(player, now);
                return Ok(());
            } else if !was_jailed {
                self.streak += 1;
            }
        } else {
            self.streak = 0;
        }

        let mut destinations: BTreeMap<SquareId, u32> = BTreeMap::new();
        let mut listed = Vec::new();
        for steps in step_options(dice1, dice2, dice_bus) {
            let last = walk(self.board, here, steps).last;
            if let std::collections::btree_map::Entry::Vacant(entry) = destinations.entry(last) {
                entry.insert(steps);
                listed.push(last);
            }
        }
        if destinations.len() > 1 {
            self.phase = Phase::ChooseSquare { destinations };
            let kind = thrown(self, listed, vec![here], None);
            self.push_event(events, kind);
        } else {
            let steps = destinations.values().copied().next().unwrap_or(0);
            let (path, card) = self.walk_and_arrive(player, None, steps, events);
            let kind = thrown(self, listed, path, card);
            self.push_event(events, kind);
        }
        self.arm_phase_timer(player, now);
        Ok(())
    }

    /// `Action::MoveTo` (docs/rules.md), also run by the choose-square timeout.
    pub(crate) fn move_to(
        &mut self,
        player: PlayerId,
        square: SquareId,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        let Phase::ChooseSquare { destinations } = &self.phase else {
            return Err(Invalid::IllegalDestination.into());
        };
        let steps = *destinations
            .get(&square)
            .ok_or(Invalid::IllegalDestination)?;
        self.cancel_phase_timer();
        let (path, card) = self.walk_and_arrive(player, Some(square), steps, events);
        self.push_event(
            events,
            Event::SquareChosen {
                player,
                path,
                fantasy_event: card,
            },
        );
        self.arm_phase_timer(player, now);
        Ok(())
    }

    /// Walks `steps`, then jails the player or places them (on `chosen`, or where the walk ends)
    /// and resolves the arrival. Returns the path and any revealed card; the salary, rent and
    /// jail facts follow the move's own fact in `events`.
    fn walk_and_arrive(
        &mut self,
        player: PlayerId,
        chosen: Option<SquareId>,
        steps: u32,
        events: &mut EventLog,
    ) -> (Vec<SquareId>, Option<FantasyCard>) {
        let here = self.p(player).position;
        let walked = walk(self.board, here, steps);
        let p = self.p_mut(player);
        p.stats.walked_squares += u64::from(steps);
        let mut card = None;
        if walked.jailed {
            self.send_to_jail(player, events);
            self.phase = Phase::Liquidation;
        } else {
            let target = chosen.unwrap_or(walked.last);
            self.p_mut(player).position = target;
            card = self.arrive(player, target, walked.passed_go, events);
        }
        (walked.path, card)
    }

    /// Arrival resolution (docs/rules.md). Sets the phase; returns the revealed card, if any.
    fn arrive(
        &mut self,
        player: PlayerId,
        square: SquareId,
        passed_go: bool,
        events: &mut EventLog,
    ) -> Option<FantasyCard> {
        if passed_go {
            self.collect_salary(player, events);
        }
        let rent = self.rent_due(player, square);
        if rent > 0 {
            if let Some(owner) = self.holding(square).map(|h| h.owner) {
                self.transfer(player, owner, rent);
                self.p_mut(player).stats.num_paid_rents += 1;
                events.follow(Event::RentPaid {
                    player,
                    owner,
                    square,
                    amount: rent,
                });
                self.phase = Phase::Business;
                return None;
            }
        }
        let kind = self.board.square(square).map(|s| s.kind.clone());
        match kind {
            Some(SquareKind::Parking) => {
                self.collect_parking(player);
                self.phase = Phase::Business;
                None
            }
            Some(SquareKind::Fantasy) => {
                let card = self.draw_card();
                self.phase = Phase::ChooseFantasy { card };
                Some(card)
            }
            // The jail cell is unreachable by movement; treat it as a plain square.
            _ => {
                self.phase = Phase::Management;
                None
            }
        }
    }

    /// Pays out the parking jackpot (it is not bank money, so the bank balance does not move).
    pub(crate) fn collect_parking(&mut self, player: PlayerId) {
        let jackpot = self.parking_money;
        self.parking_money = 0;
        let p = self.p_mut(player);
        p.money = p.money.saturating_add(jackpot);
        p.stats.won_money = p.stats.won_money.saturating_add(jackpot.unsigned_abs());
    }

    /// Jails a player: the jail cell, 3 turns, one more time in jail (docs/rules.md). The
    /// `Jailed` fact follows the next domain fact in `events`.
    pub(crate) fn send_to_jail(&mut self, player: PlayerId, events: &mut EventLog) {
        let jail = self.board.jail();
        let p = self.p_mut(player);
        p.position = jail;
        p.jail_turns = 3;
        p.stats.times_in_jail += 1;
        events.follow(Event::Jailed { player });
    }

    /// Pays the start salary from the bank (passing or landing on the start, or the card); the
    /// `SalaryCollected` fact follows the next domain fact in `events`.
    pub(crate) fn collect_salary(&mut self, player: PlayerId, events: &mut EventLog) {
        let amount = self.board.salary();
        self.credit(player, amount);
        events.follow(Event::SalaryCollected { player, amount });
    }

    /// `Action::PayBail` (docs/rules.md).
    pub(crate) fn pay_bail(
        &mut self,
        player: PlayerId,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        self.check_pay_bail(player)?;
        self.cancel_phase_timer();
        let bail = self.board.bail();
        self.debit(player, bail);
        self.p_mut(player).jail_turns = 0;
        self.arm_phase_timer(player, now);
        self.push_event(
            events,
            Event::BailPaid {
                player,
                amount: bail,
            },
        );
        Ok(())
    }

    pub(crate) fn check_pay_bail(&self, player: PlayerId) -> Result<(), RuleError> {
        let p = self.p(player);
        if p.position != self.board.jail() {
            return Err(Invalid::NotOnJailSquare.into());
        }
        if p.jail_turns == 0 {
            return Err(Invalid::NotJailed.into());
        }
        if p.money < self.board.bail() {
            return Err(LogicError::BailUnaffordable.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_options_follow_the_bus_die() {
        assert_eq!(step_options(1, 2, 3), vec![6]);
        assert_eq!(step_options(2, 3, 6), vec![2, 3, 5]);
        assert_eq!(step_options(2, 2, 5), vec![2, 4]);
    }

    #[test]
    fn walks_from_jail_and_over_bridges() {
        let board = Board::standard();
        let ids = |v: &[u16]| v.iter().map(|&i| SquareId(i)).collect::<Vec<_>>();
        assert_eq!(
            walk(board, SquareId(201), 6).path,
            ids(&[201, 105, 15, 16, 17, 18, 19])
        );
        assert_eq!(
            walk(board, SquareId(201), 3).path,
            ids(&[201, 105, 15, 106])
        );
        let around = walk(board, SquareId(38), 4);
        assert!(around.passed_go);
        assert_eq!(around.last, SquareId(2));
        assert!(!walk(board, SquareId(0), 0).passed_go);
        assert!(walk(board, SquareId(16), 4).jailed);
        assert!(!walk(board, SquareId(16), 5).jailed);
    }
}
