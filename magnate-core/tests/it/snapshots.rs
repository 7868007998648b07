//! insta snapshots of the events of seeded, scripted games.

use serde::Serialize;

use magnate_core::{
    BonusCategory, Event, Game, Input, Millis, PlayerId, PlayerSpec, Seed, Setup, StatField,
    TimerSettings, Timestamp,
};

#[derive(Serialize)]
struct Record {
    now: u64,
    input: Input,
    events: Vec<Event>,
}

/// Plays `inputs` inputs: the player who must act takes the legal action at a rotating index
/// (never surrendering while something else is possible); when a bot is woken or nobody can act
/// usefully, the clock jumps to the next deadline.
fn script(mut game: Game, inputs: usize) -> Vec<Record> {
    let mut now = game.now();
    let mut records = Vec::new();
    for i in 0..inputs {
        if game.is_finished() {
            break;
        }
        let player = game.active_phase_player();
        let legal = game.legal_actions(player);
        let input = if legal.len() > 1 && i % 11 != 10 {
            let options = &legal[..legal.len() - 1];
            Input::action(
                player,
                options[(i * 7) % options.len()].instantiate(i as u64 * 31),
            )
        } else {
            now = game.next_deadline().map_or(now, |d| d.at.max(now));
            Input::Tick
        };
        let events = game
            .apply(input.clone(), now)
            .expect("scripted inputs are legal");
        records.push(Record {
            now: now.0,
            input,
            events,
        });
    }
    records
}

#[test]
fn two_player_game_events() {
    let game = Game::new(
        Setup::new([PlayerId(10), PlayerId(20)]),
        Seed(1),
        Timestamp(0),
    )
    .unwrap();
    insta::assert_yaml_snapshot!(script(game, 40));
}

#[test]
fn four_player_game_with_bots_and_fast_timers_events() {
    let mut setup = Setup::new([PlayerId(1), PlayerId(2), PlayerId(3), PlayerId(4)]);
    setup.players[2] = PlayerSpec {
        id: PlayerId(3),
        is_bot: true,
    };
    setup.timers = TimerSettings {
        phase_timeout: Millis(10_000),
        auction_timeout: Millis(5_000),
        roll_timeout: Some(Millis(10_000)),
        kick_out_after: None,
        bot_delay: Millis(500),
        bot_auction_jitter: Millis(250),
    };
    let game = Game::new(setup, Seed(3), Timestamp(1_700_000_000_000)).unwrap();
    insta::assert_yaml_snapshot!(script(game, 40));
}

#[test]
fn short_game_to_the_turn_limit_with_bonuses() {
    let mut setup = Setup::new([PlayerId(5), PlayerId(6), PlayerId(7)]);
    setup.rules.max_turns = Some(4);
    setup.rules.bonus_categories = vec![
        BonusCategory {
            stat_field: StatField::WalkedSquares,
            bonus_amount: 200,
        },
        BonusCategory {
            stat_field: StatField::LostMoney,
            bonus_amount: 100,
        },
        BonusCategory {
            stat_field: StatField::EndGame,
            bonus_amount: 500,
        },
    ];
    let game = Game::new(setup, Seed(11), Timestamp(0)).unwrap();
    let records = script(game, 200);
    let last = records.last().unwrap();
    assert!(
        last.events
            .iter()
            .any(|e| matches!(e, Event::GameEnded { .. })),
        "the game ends by the turn limit"
    );
    insta::assert_yaml_snapshot!(records);
}
