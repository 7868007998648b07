//! Game frames are written from typed fields: over many driven games (player ids of one, two
//! and three digits), every `game_response` and `game_state` frame has the bytes of a sorted
//! JSON object, as the reference's frames have, and carries the game's values.

use magnate_core::{Driver, Game, PlayerId, PlayerSpec, RandomBot, Seed, Setup, Timestamp};
use magnate_protocol::game::{chat_frame, snapshot_frame, SnapshotContext, ViewTracker};
use serde_json::Value;

#[test]
fn response_frames_are_sorted_json_holding_the_view() {
    let ids = [7u64, 12, 103, 2];
    let mut frames = 0;
    for seed in 0..30u64 {
        let players = 2 + (seed % 3) as usize;
        let mut setup = Setup::new(ids[..players].iter().copied().map(PlayerId));
        for spec in &mut setup.players {
            *spec = PlayerSpec {
                id: spec.id,
                is_bot: true,
            };
        }
        setup.rules.max_turns = Some(40);
        let game = Game::new(setup, Seed(seed), Timestamp(0)).unwrap();
        let mut driver = Driver::new(game);
        for (seat, id) in ids[..players].iter().enumerate() {
            driver = driver.with_bot(PlayerId(*id), seat, RandomBot);
        }
        let mut shadow = driver.game().clone();
        let mut tracker = ViewTracker::new(shadow.view());
        driver
            .run_virtual(Timestamp(0), 500_000, |_, applied| {
                shadow.apply(applied.input.clone(), applied.now).unwrap();
                let context = SnapshotContext {
                    game_id: 41,
                    datetime: "2026-12-02T12:00:00Z",
                };
                let snapshot = snapshot_frame(&shadow, &context);
                let value: Value = serde_json::from_str(&snapshot).unwrap();
                assert_eq!(value.to_string(), snapshot, "not in sorted-object bytes");
                let state = &value["game_state"];
                assert_eq!(state["id"], 41);
                assert_eq!(state["current_turn"], shadow.current_turn());
                assert_eq!(state["finished"], shadow.is_finished());
                for participant in shadow.participants().iter().filter(|p| p.in_game) {
                    let key = participant.id.0.to_string();
                    assert_eq!(state["money"][&key], participant.money);
                }
                for event in &applied.events {
                    let Some(frame) = tracker.frame(event) else {
                        continue;
                    };
                    let view = tracker.view();
                    frames += 1;
                    let value: Value = serde_json::from_str(&frame).unwrap();
                    assert_eq!(value.to_string(), frame, "not in sorted-object bytes");
                    let data = &value["data"];
                    assert_eq!(value["event_type"], "game_response");
                    for (player, money) in &view.money {
                        assert_eq!(data["money"][player.0.to_string()], *money);
                    }
                    for (player, square) in &view.positions {
                        assert_eq!(data["positions"][player.0.to_string()], square.0);
                    }
                    assert_eq!(data["active_turn_player"], view.active_turn_player.0);
                }
                assert_eq!(
                    tracker.view(),
                    &shadow.view(),
                    "the events fold into the view"
                );
            })
            .unwrap();
    }
    assert!(frames > 1_000, "only {frames} frames");
}

#[test]
fn chat_frames_keep_the_message_as_sent() {
    let msg = serde_json::json!({"text": "hola", "color": "red"});
    assert_eq!(
        chat_frame(3, "ana", &msg),
        r#"{"event_type":"chat_message","game":3,"msg":{"color":"red","text":"hola"},"user":"ana"}"#
    );
}
