//! Trades: proposal and answer (docs/rules.md).

use crate::error::RuleError;
use crate::event::{Event, EventLog};
use crate::game::{Game, Holding};
use crate::ids::{PlayerId, SquareId};
use crate::phase::{Phase, TradeProposal};
use crate::time::Timestamp;
use crate::Invalid;

impl Game {
    /// `Action::TradeProposal`: hands control to the recipient.
    pub(crate) fn propose_trade(
        &mut self,
        player: PlayerId,
        recipient: PlayerId,
        (offered_money, asked_money): (i64, i64),
        (mut offered, mut asked): (Vec<SquareId>, Vec<SquareId>),
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        offered.sort_unstable();
        offered.dedup();
        asked.sort_unstable();
        asked.dedup();
        let proposal = TradeProposal {
            id: self.proposals_made + 1,
            player,
            destination_user: recipient,
            offered_money,
            asked_money,
            offered_properties: offered,
            asked_properties: asked,
        };
        self.check_proposal(&proposal)?;
        self.cancel_phase_timer();
        self.proposals_made += 1;
        self.trade_proposed_this_turn = true;
        self.phase = Phase::ProposalAcceptance(proposal.clone());
        self.active_phase = recipient;
        self.arm_phase_timer(recipient, now);
        self.push_event(events, Event::TradeProposed { proposal });
        Ok(())
    }

    /// The proposal checks, in the reference's order plus the engine's.
    pub(crate) fn check_proposal(&self, proposal: &TradeProposal) -> Result<(), RuleError> {
        if proposal.offered_money < 0 || proposal.asked_money < 0 {
            return Err(Invalid::BadProposal.into());
        }
        if !self.is_in_game(proposal.destination_user) {
            return Err(Invalid::UnknownRecipient.into());
        }
        if proposal.destination_user == proposal.player {
            return Err(Invalid::SelfTrade.into());
        }
        self.check_trade_squares(proposal)
    }

    /// Ownership and the no-buildings rule; also re-checked on acceptance.
    pub(crate) fn check_trade_squares(&self, proposal: &TradeProposal) -> Result<(), RuleError> {
        let owned_by = |square: &SquareId, owner: PlayerId| {
            self.holding(*square).is_some_and(|h| h.owner == owner)
        };
        if !proposal
            .asked_properties
            .iter()
            .all(|s| owned_by(s, proposal.destination_user))
        {
            return Err(Invalid::AskedNotOwned.into());
        }
        if !proposal
            .offered_properties
            .iter()
            .all(|s| owned_by(s, proposal.player))
        {
            return Err(Invalid::OfferedNotOwned.into());
        }
        for square in proposal
            .offered_properties
            .iter()
            .chain(&proposal.asked_properties)
        {
            if self.group_has_houses(*square) {
                return Err(Invalid::GroupHasHouses.into());
            }
        }
        Ok(())
    }

    /// True if `square` is a street of a colour group with a building on any of its streets.
    pub(crate) fn group_has_houses(&self, square: SquareId) -> bool {
        let Some(index) = self.board.index_of(square) else {
            return false;
        };
        if self.board.squares()[index].group().is_none() {
            return false;
        }
        self.board
            .peers(index)
            .iter()
            .any(|&m| self.squares[m].holding.is_some_and(|h| h.houses > 0))
    }

    /// `Action::TradeAnswer`.
    pub(crate) fn answer_trade(
        &mut self,
        player: PlayerId,
        accept: bool,
        now: Timestamp,
        events: &mut EventLog,
    ) -> Result<(), RuleError> {
        let Phase::ProposalAcceptance(proposal) = &self.phase else {
            return Err(crate::LogicError::NoProposal.into());
        };
        let proposal = proposal.clone();
        self.check_answer(player, &proposal, accept)?;
        self.cancel_phase_timer();
        if accept {
            let diff = proposal.offered_money - proposal.asked_money;
            for square in &proposal.offered_properties {
                self.move_holding(*square, proposal.destination_user);
            }
            for square in &proposal.asked_properties {
                self.move_holding(*square, proposal.player);
            }
            if diff > 0 {
                self.transfer(proposal.player, proposal.destination_user, diff);
            } else if diff < 0 {
                self.transfer(proposal.destination_user, proposal.player, -diff);
            }
            self.p_mut(proposal.player).stats.num_trades += 1;
            self.p_mut(proposal.destination_user).stats.num_trades += 1;
            for square in proposal
                .offered_properties
                .iter()
                .chain(&proposal.asked_properties)
            {
                self.normalize_square_group(*square);
            }
        }
        self.end_proposal(proposal.player, now);
        self.push_event(
            events,
            Event::TradeAnswered {
                proposal,
                accepted: accept,
            },
        );
        Ok(())
    }

    /// Checks an answer; accepting also re-checks ownership and the net money.
    pub(crate) fn check_answer(
        &self,
        player: PlayerId,
        proposal: &TradeProposal,
        accept: bool,
    ) -> Result<(), RuleError> {
        if player != proposal.destination_user {
            return Err(Invalid::NotRecipient.into());
        }
        if accept {
            let diff = proposal.offered_money - proposal.asked_money;
            if self.money(proposal.destination_user).saturating_add(diff) < 0
                || self.money(proposal.player).saturating_sub(diff) < 0
            {
                return Err(Invalid::TradeUnaffordable.into());
            }
            self.check_trade_squares(proposal)
                .map_err(|_| Invalid::StaleProposal)?;
        }
        Ok(())
    }

    /// Ends a pending proposal: back to `business` with the proposer acting.
    pub(crate) fn end_proposal(&mut self, proposer: PlayerId, now: Timestamp) {
        self.phase = Phase::Business;
        self.active_phase = proposer;
        self.arm_phase_timer(proposer, now);
    }

    fn move_holding(&mut self, square: SquareId, owner: PlayerId) {
        if let Some(holding) = self.holding(square) {
            self.set_holding(
                square,
                Some(Holding {
                    owner,
                    houses: -1,
                    ..holding
                }),
            );
        }
    }
}
