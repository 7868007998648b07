//! Properties over random sequences of legal and illegal inputs (proptest).

use proptest::prelude::*;

use magnate_core::{
    Action, Event, Game, Input, LegalAction, Millis, PlayerId, PlayerSpec, Seed, Setup, SquareId,
    TimerSettings, Timestamp,
};

/// One scripted step.
#[derive(Clone, Debug)]
enum Step {
    /// A legal action: who (index into the players still in), which legal action, its parameter.
    Legal {
        who: usize,
        pick: usize,
        choice: u64,
    },
    /// Any action from anyone, probably illegal.
    Raw { player: u64, action: Action },
    /// Let time pass and tick.
    Wait { millis: u64 },
}

fn arb_action() -> impl Strategy<Value = Action> {
    let square = (0u16..260).prop_map(SquareId);
    let amount = -20i64..4000;
    prop_oneof![
        Just(Action::ThrowDice),
        Just(Action::PayBail),
        Just(Action::NextPhase),
        square.clone().prop_map(|square| Action::MoveTo { square }),
        any::<bool>().prop_map(|chosen_revealed_card| Action::ChooseCard {
            chosen_revealed_card
        }),
        square
            .clone()
            .prop_map(|square| Action::BuySquare { square }),
        square
            .clone()
            .prop_map(|square| Action::DropPurchase { square }),
        square
            .clone()
            .prop_map(|square| Action::TakeTram { square }),
        (square.clone(), -2i64..4).prop_map(|(square, houses)| Action::Build { square, houses }),
        (square.clone(), -2i64..4).prop_map(|(square, houses)| Action::Demolish { square, houses }),
        square
            .clone()
            .prop_map(|square| Action::MortgageSet { square }),
        square
            .clone()
            .prop_map(|square| Action::MortgageUnset { square }),
        (
            1u64..6,
            amount.clone(),
            amount.clone(),
            prop::collection::vec(square.clone(), 0..3),
            prop::collection::vec(square, 0..3)
        )
            .prop_map(|(to, offered_money, asked_money, offered, asked)| {
                Action::TradeProposal {
                    destination_user: PlayerId(to),
                    offered_money,
                    asked_money,
                    offered_properties: offered,
                    asked_properties: asked,
                }
            }),
        any::<bool>().prop_map(|choose| Action::TradeAnswer { choose }),
        amount.prop_map(|amount| Action::Bid { amount }),
    ]
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        60 => (0usize..4, any::<usize>(), any::<u64>()).prop_map(|(who, pick, choice)| Step::Legal { who, pick, choice }),
        15 => (1u64..6, arb_action()).prop_map(|(player, action)| Step::Raw { player, action }),
        5 => prop_oneof![0u64..3000, 0u64..60_000].prop_map(|millis| Step::Wait { millis }),
        // Surrender, from anyone (players 5 and 6 never exist), rarely.
        1 => (1u64..8).prop_map(|player| Step::Raw { player, action: Action::Surrender }),
    ]
}

fn new_game(seed: u64, players: usize, bots: u8) -> Game {
    let mut game = plain_game(seed, players, bots);
    // Every other seed starts with the colour groups dealt out, so building, mortgages, house
    // cards and trades of built groups are exercised from the first turn.
    if seed % 2 == 1 {
        let groups: Vec<Vec<SquareId>> = game.board().groups().values().cloned().collect();
        let ids: Vec<PlayerId> = game.ordered_players().collect();
        for (i, members) in groups.iter().enumerate() {
            for square in members {
                game.edit().buy(*square, ids[i % ids.len()]);
            }
        }
    }
    game
}

fn plain_game(seed: u64, players: usize, bots: u8) -> Game {
    let mut setup = Setup::new((1..=players as u64).map(PlayerId));
    for (i, spec) in setup.players.iter_mut().enumerate() {
        *spec = PlayerSpec {
            id: spec.id,
            is_bot: bots & (1 << i) != 0,
        };
    }
    setup.timers = TimerSettings {
        phase_timeout: Millis(30_000),
        auction_timeout: Millis(20_000),
        roll_timeout: Some(Millis(45_000)),
        kick_out_after: if seed % 3 == 0 {
            Some(Millis(120_000))
        } else {
            None
        },
        bot_delay: Millis(2_000),
        bot_auction_jitter: Millis(1_000),
    };
    setup.rules.max_turns = Some(60);
    setup.rules.bonus_categories = vec![magnate_core::BonusCategory {
        stat_field: magnate_core::StatField::WalkedSquares,
        bonus_amount: 200,
    }];
    Game::new(setup, Seed(seed), Timestamp(1_000)).unwrap()
}

/// The rules spec's invariants (docs/rules.md) plus money conservation and deadline sanity, as the fuzz
/// targets check them.
fn check_invariants(game: &Game, initial_total: i64) -> Result<(), TestCaseError> {
    magnate_core::testing::check_invariants(game, i128::from(initial_total))
        .map_err(TestCaseError::fail)
}

/// The final game, the hash after each step and the events of each step.
type Run = (Game, Vec<u64>, Vec<Vec<Event>>);

/// Runs a script; returns the final game, the hash after each step and each step's events.
fn run(seed: u64, players: usize, bots: u8, steps: &[Step]) -> Result<Run, TestCaseError> {
    let mut game = new_game(seed, players, bots);
    let initial_total = 1500 * players as i64;
    let mut now = Timestamp(1_000);
    let mut hashes = Vec::new();
    let mut all_events = Vec::new();
    check_invariants(&game, initial_total)?;
    for step in steps {
        if game.is_finished() {
            break;
        }
        let result = match step {
            Step::Legal { who, pick, choice } => {
                let (player, action) =
                    magnate_core::testing::legal_move(&game, *who, *pick, *choice)
                        .expect("a running game has a move");
                let before = game.clone();
                let result = game.apply(Input::action(player, action.clone()), now);
                if let Err(err) = &result {
                    prop_assert!(
                        false,
                        "legal action {:?} by {} refused: {:?} in {:?}",
                        action,
                        player,
                        err,
                        before.phase()
                    );
                }
                result
            }
            Step::Raw { player, action } => {
                let before = game.clone();
                let hash = game.state_hash();
                let result = game.apply(Input::action(PlayerId(*player), action.clone()), now);
                if result.is_err() {
                    prop_assert_eq!(game.state_hash(), hash, "a refused input changes nothing");
                    prop_assert_eq!(&game, &before);
                }
                result
            }
            Step::Wait { millis } => {
                // An early tick changes nothing.
                if game.next_deadline().is_some_and(|d| d.at > now) {
                    let hash = game.state_hash();
                    let events = game.apply(Input::Tick, now).unwrap();
                    prop_assert!(events.is_empty(), "early tick produced {:?}", events);
                    prop_assert_eq!(game.state_hash(), hash);
                }
                now = Timestamp(now.0 + millis);
                game.apply(Input::Tick, now)
            }
        };
        check_invariants(&game, initial_total)?;
        hashes.push(game.state_hash());
        all_events.push(result.unwrap_or_default());
    }
    Ok((game, hashes, all_events))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_inputs_keep_every_invariant_and_replay_identically(
        seed in any::<u64>(),
        players in 2usize..=4,
        bots in any::<u8>(),
        steps in prop::collection::vec(arb_step(), 1..400),
    ) {
        let (game, hashes, events) = run(seed, players, bots, &steps)?;
        let (again, hashes_again, events_again) = run(seed, players, bots, &steps)?;
        prop_assert_eq!(&hashes, &hashes_again, "same seed and inputs, same hashes");
        prop_assert_eq!(&events, &events_again, "same seed and inputs, same events");
        prop_assert_eq!(&game, &again);

        // State and events survive a serde round trip.
        let json = serde_json::to_string(&game).unwrap();
        let restored: Game = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(restored.state_hash(), game.state_hash());
        prop_assert_eq!(&restored, &game);
        let events_json = serde_json::to_string(&events).unwrap();
        let events_back: Vec<Vec<Event>> = serde_json::from_str(&events_json).unwrap();
        prop_assert_eq!(events_back, events);
    }

    #[test]
    fn raw_json_never_panics_the_parser(text in ".{0,200}") {
        let _ = serde_json::from_str::<Action>(&text);
        let _ = serde_json::from_str::<Game>(&text);
    }
}

#[test]
fn legal_actions_of_bystanders_are_limited_to_bids_and_surrender() {
    let game = plain_game(5, 3, 0);
    let bystander = game
        .ordered_players()
        .find(|p| *p != game.active_phase_player())
        .unwrap();
    assert_eq!(
        game.legal_actions(bystander),
        vec![LegalAction::Exact(Action::Surrender)]
    );
}

#[test]
fn a_corrupt_snapshot_is_refused_with_a_message() {
    let game = plain_game(9, 2, 0);
    let mut value = serde_json::to_value(&game).unwrap();
    value["active_turn"] = serde_json::json!(99);
    let err = serde_json::from_value::<Game>(value).unwrap_err();
    assert!(err.to_string().contains("active players"), "{err}");
}
