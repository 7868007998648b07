//! `game_response` frames are written from typed fields: over many driven games (player ids of
//! one, two and three digits), every frame has the bytes of a sorted JSON object, as the
//! reference's frames have, and carries the event's view.

use magnate_core::{Driver, Game, PlayerId, PlayerSpec, RandomBot, Seed, Setup, Timestamp};
use magnate_protocol::game::response_frame;
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
        driver
            .run_virtual(Timestamp(0), 500_000, |_, applied| {
                for event in &applied.events {
                    let Some(frame) = response_frame(event) else {
                        continue;
                    };
                    frames += 1;
                    let value: Value = serde_json::from_str(&frame).unwrap();
                    assert_eq!(value.to_string(), frame, "not in sorted-object bytes");
                    let data = &value["data"];
                    assert_eq!(value["event_type"], "game_response");
                    for (player, money) in &event.view.money {
                        assert_eq!(data["money"][player.0.to_string()], *money);
                    }
                    for (player, square) in &event.view.positions {
                        assert_eq!(data["positions"][player.0.to_string()], square.0);
                    }
                    assert_eq!(
                        data["active_turn_player"],
                        serde_json::json!(event.view.active_turn_player.map(|p| p.0))
                    );
                }
            })
            .unwrap();
    }
    assert!(frames > 1_000, "only {frames} frames");
}
