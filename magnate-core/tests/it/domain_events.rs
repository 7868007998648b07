//! Every action kind says what happened: over many driven games, each accepted action's events
//! carry the fact of that action, with its data (who, which square, how much), and every kind
//! is seen at least once.

use std::collections::BTreeSet;

use magnate_core::{
    Action, ActionKind, Driver, Event, Game, Input, PlayerId, PlayerSpec, RandomBot, Seed, Setup,
    Timestamp,
};

/// Checks that `events` (from `player`'s `action` on `before`) hold the action's fact.
fn assert_fact(before: &Game, player: PlayerId, action: &Action, events: &[Event]) {
    let has = |wanted: &dyn Fn(&Event) -> bool| events.iter().any(wanted);
    let ok = match action {
        Action::ThrowDice => {
            has(&|e| matches!(e, Event::DiceThrown { player: p, .. } if *p == player))
        }
        Action::MoveTo { .. } => {
            has(&|e| matches!(e, Event::SquareChosen { player: p, .. } if *p == player))
        }
        Action::ChooseCard { .. } => {
            has(&|e| matches!(e, Event::FantasyApplied { player: p, .. } if *p == player))
        }
        Action::BuySquare { square } => {
            let price = before.board().square(*square).and_then(|s| s.buy_price());
            has(&|e| {
                matches!(e, Event::SquareBought { player: p, square: s, price: paid }
                    if *p == player && s == square && Some(*paid) == price)
            })
        }
        Action::DropPurchase { square } => has(
            &|e| matches!(e, Event::PurchaseDeclined { player: p, square: s } if *p == player && s == square),
        ),
        Action::TakeTram { .. } => {
            has(&|e| matches!(e, Event::TramTaken { player: p, .. } if *p == player))
        }
        Action::Build { square, .. } => {
            let level = before.holding(*square).map_or(0, |h| h.houses);
            has(&|e| {
                matches!(e, Event::HouseBuilt { player: p, square: s, houses }
                    if *p == player && s == square && *houses == level + 1)
            })
        }
        Action::Demolish { square, .. } => {
            let level = before.holding(*square).map_or(0, |h| h.houses);
            has(&|e| {
                matches!(e, Event::HouseDemolished { player: p, square: s, houses }
                    if *p == player && s == square && *houses == level - 1)
            })
        }
        Action::MortgageSet { square } => has(
            &|e| matches!(e, Event::Mortgaged { player: p, square: s } if *p == player && s == square),
        ),
        Action::MortgageUnset { square } => has(
            &|e| matches!(e, Event::Unmortgaged { player: p, square: s } if *p == player && s == square),
        ),
        Action::TradeProposal {
            destination_user, ..
        } => has(&|e| {
            matches!(e, Event::TradeProposed { proposal }
                if proposal.player == player && proposal.destination_user == *destination_user)
        }),
        Action::TradeAnswer { choose } => has(&|e| {
            matches!(e, Event::TradeAnswered { proposal, accepted }
                if proposal.destination_user == player && accepted == choose)
        }),
        Action::PayBail => {
            let bail = before.board().bail();
            has(
                &|e| matches!(e, Event::BailPaid { player: p, amount } if *p == player && *amount == bail),
            )
        }
        Action::Bid { amount } => has(&|e| match e {
            Event::BidPlaced {
                player: p,
                amount: a,
            } => *p == player && a == amount,
            Event::AuctionClosed { auction } => auction.bids.get(&player) == Some(amount),
            _ => false,
        }),
        Action::NextPhase => {
            let phase = before.phase().name();
            has(&|e| {
                matches!(e, Event::PhaseEnded { player: p, phase: ended }
                    if *p == player && *ended == phase)
            })
        }
        Action::Surrender => has(
            &|e| matches!(e, Event::PlayerEliminated { player: p, kicked_out: false } if *p == player),
        ),
    };
    assert!(ok, "{player} {action:?} gave {events:?}");
}

#[test]
fn every_action_reports_its_own_fact() {
    let mut seen = BTreeSet::new();
    for seed in 0..40u64 {
        let players = 2 + (seed % 3);
        let mut setup = Setup::new((1..=players).map(PlayerId));
        for spec in &mut setup.players {
            *spec = PlayerSpec {
                id: spec.id,
                is_bot: true,
            };
        }
        setup.rules.max_turns = Some(60);
        let game = Game::new(setup, Seed(seed), Timestamp(0)).unwrap();
        let mut driver = Driver::new(game);
        for id in 1..=players {
            driver = driver.with_bot(PlayerId(id), id as usize, RandomBot);
        }
        // Replay each applied action on a copy of the game before it, to know the state it
        // acted on.
        let mut shadow = driver.game().clone();
        driver
            .run_virtual(Timestamp(0), 500_000, |_, applied| {
                let before = shadow.clone();
                shadow
                    .apply(applied.input.clone(), applied.now)
                    .expect("the shadow follows the driver");
                if let Input::Action { player, action } = &applied.input {
                    assert_fact(&before, *player, action, &applied.events);
                    seen.insert(action.kind());
                }
            })
            .unwrap();
    }
    let all: BTreeSet<ActionKind> = [
        ActionKind::ThrowDice,
        ActionKind::MoveTo,
        ActionKind::ChooseCard,
        ActionKind::BuySquare,
        ActionKind::DropPurchase,
        ActionKind::TakeTram,
        ActionKind::Build,
        ActionKind::Demolish,
        ActionKind::MortgageSet,
        ActionKind::MortgageUnset,
        ActionKind::TradeProposal,
        ActionKind::TradeAnswer,
        ActionKind::PayBail,
        ActionKind::Bid,
        ActionKind::NextPhase,
        ActionKind::Surrender,
    ]
    .into();
    let missing: Vec<_> = all.difference(&seen).collect();
    assert!(missing.is_empty(), "never played: {missing:?}");
}
