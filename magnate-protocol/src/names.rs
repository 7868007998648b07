//! The reference's names for the core's actions, phases and events: the `type` of a client
//! action frame, the `phase` string of every server frame and the `type` of a `game_response`.

use magnate_core::{ActionKind, Event, PhaseName};

/// Every action kind with its `type` on the wire, in the order the reference lists them.
pub const ACTION_TYPES: [(ActionKind, &str); 16] = [
    (ActionKind::ThrowDice, "ActionThrowDices"),
    (ActionKind::MoveTo, "ActionMoveTo"),
    (ActionKind::TakeTram, "ActionTakeTram"),
    (ActionKind::BuySquare, "ActionBuySquare"),
    (ActionKind::Build, "ActionBuild"),
    (ActionKind::Demolish, "ActionDemolish"),
    (ActionKind::ChooseCard, "ActionChooseCard"),
    (ActionKind::Surrender, "ActionSurrender"),
    (ActionKind::TradeProposal, "ActionTradeProposal"),
    (ActionKind::TradeAnswer, "ActionTradeAnswer"),
    (ActionKind::MortgageSet, "ActionMortgageSet"),
    (ActionKind::MortgageUnset, "ActionMortgageUnset"),
    (ActionKind::PayBail, "ActionPayBail"),
    (ActionKind::Bid, "ActionBid"),
    (ActionKind::DropPurchase, "ActionDropPurchase"),
    (ActionKind::NextPhase, "ActionNextPhase"),
];

/// The `type` of an action frame (`ActionThrowDices`, …).
pub fn action_type(kind: ActionKind) -> &'static str {
    ACTION_TYPES
        .iter()
        .find(|(listed, _)| *listed == kind)
        .map(|(_, name)| *name)
        .expect("ACTION_TYPES lists every ActionKind")
}

/// The action kind a `type` names, if any (exact spelling, as the reference's serializer).
pub fn action_kind(name: &str) -> Option<ActionKind> {
    ACTION_TYPES
        .iter()
        .find(|(_, listed)| *listed == name)
        .map(|(kind, _)| *kind)
}

/// The `phase` string (`roll_the_dices`, …).
pub fn phase_name(phase: PhaseName) -> &'static str {
    match phase {
        PhaseName::RollTheDices => "roll_the_dices",
        PhaseName::ChooseSquare => "choose_square",
        PhaseName::ChooseFantasy => "choose_fantasy",
        PhaseName::Management => "management",
        PhaseName::Business => "business",
        PhaseName::Liquidation => "liquidation",
        PhaseName::Auction => "auction",
        PhaseName::ProposalAcceptance => "proposal_acceptance",
        PhaseName::EndGame => "end_game",
    }
}

/// The `type` of the `game_response` an event becomes, or `None` for events no client hears
/// about (a bot's wake-up).
pub fn response_type(event: &Event) -> Option<&'static str> {
    Some(match event {
        Event::SquareBought { .. }
        | Event::PurchaseDeclined { .. }
        | Event::TramTaken { .. }
        | Event::HouseBuilt { .. }
        | Event::HouseDemolished { .. }
        | Event::Mortgaged { .. }
        | Event::Unmortgaged { .. }
        | Event::TradeProposed { .. }
        | Event::TradeAnswered { .. }
        | Event::BailPaid { .. }
        | Event::BidPlaced { .. }
        | Event::PhaseEnded { .. }
        | Event::PlayerEliminated { .. } => "Response",
        Event::PhaseTimedOut => "ResponseSkipPhase",
        Event::DiceThrown { .. } => "ResponseThrowDices",
        Event::SquareChosen { .. } => "ResponseChooseSquare",
        Event::FantasyApplied { .. } => "ResponseChooseFantasy",
        Event::AuctionClosed { .. } => "ResponseAuction",
        Event::GameEnded { .. } => "ResponseBonus",
        // Facts the reference had no response for: clients see their money and squares change.
        Event::RentPaid { .. }
        | Event::SalaryCollected { .. }
        | Event::Jailed { .. }
        | Event::BotWoken { .. }
        | Event::MoneyChanged { .. }
        | Event::Moved { .. }
        | Event::LeftGame { .. }
        | Event::PhaseChanged { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_types_round_trip_and_are_distinct() {
        for (kind, name) in ACTION_TYPES {
            assert_eq!(action_type(kind), name);
            assert_eq!(action_kind(name), Some(kind));
        }
        let mut kinds: Vec<ActionKind> = ACTION_TYPES.iter().map(|(kind, _)| *kind).collect();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), ACTION_TYPES.len());
        assert_eq!(action_kind("actionthrowdices"), None);
    }
}
