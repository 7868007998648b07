//! View facts: folding the events of each input into the view ([`View::apply`]) gives exactly
//! [`Game::view`] after every input, over many seeded bot games with trades, auctions,
//! bankruptcies, kick-outs, timeouts and both game ends; and the facts of single actions.

use std::collections::BTreeSet;

use proptest::prelude::*;

use magnate_core::{
    Action, BotLevel, Driver, EndReason, EvBot, Event, Game, Input, Millis, Phase, PhaseName,
    PlayerId, PlayerSpec, RandomBot, Seed, Setup, TimerSettings, Timestamp,
};

use crate::scenarios::{choose_square_phase, roll};
use crate::{kinds, sq, Table, P1, P2};

/// A game of `players`: seat `i` is a bot unless bit `i` of `absent` is set (those players
/// never act: their turns time out and they are kicked out), with fast timers.
fn game(seed: u64, players: u64, absent: u8, max_turns: Option<u32>) -> Game {
    let mut setup = Setup::new((1..=players).map(PlayerId));
    for (i, spec) in setup.players.iter_mut().enumerate() {
        *spec = PlayerSpec {
            id: spec.id,
            is_bot: absent & (1 << i) == 0,
        };
    }
    setup.rules.max_turns = max_turns;
    setup.timers = TimerSettings {
        phase_timeout: Millis(20_000),
        auction_timeout: Millis(5_000),
        roll_timeout: Some(Millis(10_000)),
        kick_out_after: Some(Millis(90_000)),
        bot_delay: Millis(500),
        bot_auction_jitter: Millis(250),
    };
    Game::new(setup, Seed(seed), Timestamp(0)).unwrap()
}

/// What a driven game showed, for coverage.
#[derive(Default)]
struct Seen {
    facts: BTreeSet<&'static str>,
    inputs: u64,
}

/// Drives `game` with bots (random ones on even seats, expert-valuation ones of `level` on odd
/// seats) and checks after every input that its events fold into the game's view.
fn drive(game: Game, level: BotLevel, seen: &mut Seen) -> Result<(), TestCaseError> {
    let bots: Vec<PlayerId> = game
        .participants()
        .iter()
        .filter(|p| p.is_bot)
        .map(|p| p.id)
        .collect();
    let mut shadow = game.clone();
    let mut view = shadow.view();
    let mut driver = Driver::new(game);
    for (seat, id) in bots.into_iter().enumerate() {
        driver = if seat % 2 == 0 {
            driver.with_bot(id, seat, RandomBot)
        } else {
            driver.with_bot(id, seat, EvBot::new(level))
        };
    }
    let mut failure = None;
    let _ = driver.run_virtual(Timestamp(0), 20_000, |_, applied| {
        if failure.is_some() {
            return;
        }
        shadow
            .apply(applied.input.clone(), applied.now)
            .expect("the shadow follows the driver");
        for event in &applied.events {
            view.apply(event);
            seen.facts.insert(name(event));
        }
        seen.inputs += 1;
        if view != shadow.view() {
            failure = Some(format!(
                "after {:?} at {:?}: folded {view:?}, game {:?}; events {:?}",
                applied.input,
                applied.now,
                shadow.view(),
                applied.events
            ));
        }
    });
    match failure {
        Some(failure) => Err(TestCaseError::fail(failure)),
        None => Ok(()),
    }
}

/// A short name of an event, with the variants coverage cares about told apart.
fn name(event: &Event) -> &'static str {
    match event {
        Event::MoneyChanged { .. } => "money_changed",
        Event::Moved { .. } => "moved",
        Event::LeftGame { .. } => "left_game",
        Event::PhaseChanged { .. } => "phase_changed",
        Event::TradeAnswered { accepted: true, .. } => "trade_accepted",
        Event::AuctionClosed { auction } if auction.winner.is_some() => "auction_sold",
        Event::PlayerEliminated {
            kicked_out: true, ..
        } => "kicked_out",
        Event::PlayerEliminated { .. } => "eliminated",
        Event::PhaseTimedOut => "phase_timed_out",
        Event::RentPaid { .. } => "rent_paid",
        Event::SalaryCollected { .. } => "salary_collected",
        Event::Jailed { .. } => "jailed",
        Event::GameEnded {
            reason: EndReason::TurnLimit,
            ..
        } => "turn_limit",
        Event::GameEnded { .. } => "last_player_standing",
        _ => "other",
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_events_of_every_input_fold_into_the_view(
        seed in any::<u64>(),
        players in 2u64..=4,
        absent in 0u8..16,
        max_turns in prop::option::of(5u32..80),
        level in prop::sample::select(vec![BotLevel::VeryEasy, BotLevel::Medium, BotLevel::Expert]),
    ) {
        let mut seen = Seen::default();
        drive(game(seed, players, absent, max_turns), level, &mut seen)?;
        prop_assert!(seen.inputs > 0);
    }
}

#[test]
fn seeded_bot_games_fold_into_the_view_and_show_every_kind_of_fact() {
    let mut seen = Seen::default();
    for seed in 0..24u64 {
        let players = 2 + seed % 3;
        // One absent player in every third game (kick-outs and timeouts), a turn limit in every
        // other one.
        let absent = if seed % 3 == 0 {
            1 << (seed % players)
        } else {
            0
        };
        let max_turns = (seed % 2 == 0).then_some(40);
        let level = [BotLevel::VeryEasy, BotLevel::Medium, BotLevel::Expert][seed as usize % 3];
        drive(game(seed, players, absent, max_turns), level, &mut seen).unwrap();
    }
    let wanted = [
        "money_changed",
        "moved",
        "left_game",
        "phase_changed",
        "trade_accepted",
        "auction_sold",
        "kicked_out",
        "eliminated",
        "phase_timed_out",
        "rent_paid",
        "salary_collected",
        "jailed",
        "turn_limit",
        "last_player_standing",
    ];
    let missing: Vec<_> = wanted.iter().filter(|f| !seen.facts.contains(*f)).collect();
    assert!(missing.is_empty(), "never seen: {missing:?}");
}

#[test]
fn a_purchase_reports_the_new_balance_before_the_fact() {
    let mut t = Table::new(2);
    t.game
        .edit()
        .position(P1, sq(1))
        .phase(Phase::Management, P1);
    let price = t.game.board().square(sq(1)).unwrap().buy_price().unwrap();
    let events = t
        .game
        .apply(
            Input::action(P1, Action::BuySquare { square: sq(1) }),
            t.now,
        )
        .unwrap();
    assert_eq!(
        events,
        vec![
            Event::MoneyChanged {
                player: P1,
                money: 1500 - price
            },
            Event::PhaseChanged {
                phase: PhaseName::Business,
                active_phase_player: P1,
                active_turn_player: P1,
            },
            Event::SquareBought {
                player: P1,
                square: sq(1),
                price
            },
        ]
    );
}

#[test]
fn a_fact_that_changes_no_view_has_no_view_facts() {
    let mut t = Table::new(3);
    t.game
        .edit()
        .position(P1, sq(1))
        .phase(Phase::Management, P1);
    t.act(P1, Action::DropPurchase { square: sq(1) });
    let events = t
        .game
        .apply(Input::action(P2, Action::Bid { amount: 100 }), t.now)
        .unwrap();
    assert_eq!(
        events,
        vec![Event::BidPlaced {
            player: P2,
            amount: 100
        }]
    );
}

#[test]
fn a_surrender_reports_the_player_leaving_before_the_elimination() {
    let mut t = Table::new(3);
    let events = t
        .game
        .apply(Input::action(P2, Action::Surrender), t.now)
        .unwrap();
    assert_eq!(
        events,
        vec![
            Event::LeftGame { player: P2 },
            Event::PlayerEliminated {
                player: P2,
                kicked_out: false
            },
        ]
    );
    let view = t.game.view();
    assert!(!view.money.contains_key(&P2) && !view.positions.contains_key(&P2));
}

#[test]
fn the_game_end_comes_last_after_the_phase_end_that_caused_it() {
    let mut setup = Setup::new([P1, P2]);
    setup.rules.max_turns = Some(1);
    let mut t = Table::with_setup(setup);
    t.game.edit().phase(Phase::Business, P1);
    let view = t.game.view();
    let events = t
        .game
        .apply(Input::action(P1, Action::NextPhase), t.now)
        .unwrap();
    let facts: Vec<Event> = crate::fold(&t.game, view, events.clone())
        .into_iter()
        .map(|(event, _)| event)
        .collect();
    assert_eq!(kinds(&facts), vec!["PhaseEnded", "GameEnded"]);
    assert!(matches!(events.last(), Some(Event::GameEnded { .. })));
    // Everything the end changed (phase, bonuses) is reported before the phase end, whose
    // response already shows the finished game.
    let phase_ended = events
        .iter()
        .position(|e| matches!(e, Event::PhaseEnded { .. }))
        .unwrap();
    assert!(events[..phase_ended].iter().all(Event::is_view_fact));
    assert!(events[..phase_ended].contains(&Event::PhaseChanged {
        phase: PhaseName::EndGame,
        active_phase_player: t.game.winner().unwrap(),
        active_turn_player: t.game.winner().unwrap(),
    }));
}

#[test]
fn a_management_timeout_on_an_unowned_square_reports_a_skipped_phase_and_the_auction() {
    let mut t = Table::new(2);
    t.game.edit().position(P1, sq(1));
    roll(&mut t, (1, 1, 2));
    assert_eq!((t.phase(), t.position(P1)), (PhaseName::Management, sq(5)));
    let at = t.game.next_deadline().expect("the phase timer").at;
    t.now = at;
    let events = t.game.apply(Input::Tick, t.now).unwrap();
    assert!(
        matches!(
            events.as_slice(),
            [
                Event::PhaseChanged {
                    phase: PhaseName::Auction,
                    ..
                },
                Event::PhaseTimedOut
            ]
        ),
        "{events:?}"
    );
    assert!(t.game.has_declined(P1, sq(5)));
}

/// The facts after the view facts: the domain facts of one input, in order.
fn domain(events: &[Event]) -> Vec<Event> {
    events
        .iter()
        .filter(|e| !e.is_view_fact())
        .cloned()
        .collect()
}

#[test]
fn rent_paid_on_arrival_follows_the_move() {
    let mut t = Table::new(3);
    t.game
        .edit()
        .own(sq(1), P1, -1, false)
        .phase(choose_square_phase(&[(1, 0)]), P2);
    let events = t
        .game
        .apply(Input::action(P2, Action::MoveTo { square: sq(1) }), t.now)
        .unwrap();
    let facts = domain(&events);
    assert!(
        matches!(facts[0], Event::SquareChosen { player: P2, .. }),
        "{facts:?}"
    );
    assert_eq!(
        facts[1..],
        [Event::RentPaid {
            player: P2,
            owner: P1,
            square: sq(1),
            amount: 2
        }]
    );
    // The balances were reported before the move's fact, whose response shows them.
    let chosen = events
        .iter()
        .position(|e| matches!(e, Event::SquareChosen { .. }))
        .unwrap();
    for fact in [
        Event::MoneyChanged {
            player: P2,
            money: 1498,
        },
        Event::MoneyChanged {
            player: P1,
            money: 1502,
        },
    ] {
        assert!(events[..chosen].contains(&fact), "{events:?}");
    }
}

#[test]
fn a_third_double_reports_the_jailing_after_the_throw() {
    let mut t = Table::new(3);
    t.game.edit().position(P1, sq(1)).streak(2).dice(4, 4, 5);
    let events = t
        .game
        .apply(Input::action(P1, Action::ThrowDice), t.now)
        .unwrap();
    let facts = domain(&events);
    assert!(
        matches!(facts[0], Event::DiceThrown { player: P1, .. }),
        "{facts:?}"
    );
    assert_eq!(facts[1..], [Event::Jailed { player: P1 }]);
}

#[test]
fn passing_the_start_reports_the_salary_after_the_throw() {
    let mut t = Table::new(2);
    t.game.edit().position(P1, sq(38)).dice(1, 2, 3);
    let events = t
        .game
        .apply(Input::action(P1, Action::ThrowDice), t.now)
        .unwrap();
    let facts = domain(&events);
    let Event::DiceThrown { path, .. } = &facts[0] else {
        panic!("{facts:?}")
    };
    assert!(
        path.contains(&sq(0)) && path.last() != Some(&sq(0)),
        "{path:?}"
    );
    let salary = t.game.board().salary();
    assert_eq!(
        facts[1],
        Event::SalaryCollected {
            player: P1,
            amount: salary
        }
    );
}
