//! docs/protocol.md's examples against this crate: every example is JSON; every game-socket
//! client frame parses; every game-socket server frame has the shape this crate sends (the
//! snapshot's exact keys, known event, response and action types, coded errors).

use std::collections::BTreeSet;

use magnate_core::{Game, HouseRules, PlayerId, PlayerSpec, Seed, Setup, TimerSettings, Timestamp};
use magnate_protocol::game::{parse_frame, snapshot_frame, ClientFrame, SnapshotContext};
use magnate_protocol::names::ACTION_TYPES;
use serde_json::Value;

const PROTOCOL: &str = include_str!("../../docs/protocol.md");

/// `(kind, line, text)` of every fenced example tagged `json <kind>`.
fn examples() -> Vec<(String, usize, String)> {
    let mut found = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (number, line) in PROTOCOL.lines().enumerate() {
        let number = number + 1;
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) if info.starts_with("json ") => {
                open = Some((
                    info["json ".len()..].trim().to_owned(),
                    number,
                    String::new(),
                ));
            }
            (Some(_), Some("")) => found.extend(open.take()),
            (Some((_, _, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            _ => {}
        }
    }
    assert!(open.is_none(), "an example is not closed");
    found
}

fn snapshot_keys() -> BTreeSet<String> {
    let setup = Setup {
        players: [PlayerId(7), PlayerId(9)]
            .map(|id| PlayerSpec { id, is_bot: false })
            .to_vec(),
        rules: HouseRules::default(),
        timers: TimerSettings::default(),
    };
    let game = Game::new(setup, Seed(1), Timestamp(0)).unwrap();
    let frame: Value = serde_json::from_str(&snapshot_frame(
        &game,
        &SnapshotContext {
            game_id: 42,
            datetime: "2026-04-16T10:15:30.123000Z",
        },
    ))
    .unwrap();
    frame["game_state"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_example_is_json_and_game_frames_match_the_crate() {
    let examples = examples();
    assert!(examples.len() > 90, "{} examples found", examples.len());
    let snapshot = snapshot_keys();
    let action_types: BTreeSet<&str> = ACTION_TYPES.iter().map(|(_, name)| *name).collect();
    let mut checked_games = 0;
    for (kind, line, text) in &examples {
        let value: Value = serde_json::from_str(text)
            .unwrap_or_else(|error| panic!("docs/protocol.md:{line} ({kind}): {error}"));
        let at = format!("docs/protocol.md:{line}");
        match kind.as_str() {
            "client-game" => {
                let parsed = parse_frame(text.trim());
                assert!(
                    matches!(
                        parsed,
                        Ok(ClientFrame::Action { .. } | ClientFrame::Chat(_))
                    ),
                    "{at}: {parsed:?}"
                );
                checked_games += 1;
            }
            "server-game" => {
                let event = value["event_type"].as_str().unwrap_or_default();
                match event {
                    "game_state" => {
                        let keys: BTreeSet<String> = value["game_state"]
                            .as_object()
                            .unwrap()
                            .keys()
                            .cloned()
                            .collect();
                        assert_eq!(keys, snapshot, "{at}: the snapshot's keys");
                    }
                    "game_response" => {
                        let data = &value["data"];
                        for key in ["type", "money", "positions", "phase"] {
                            assert!(!data[key].is_null(), "{at}: no {key}");
                        }
                        assert!(data["type"].as_str().unwrap().starts_with("Response"));
                    }
                    "game_action" => {
                        let kind = value["data"]["type"].as_str().unwrap_or_default();
                        assert!(action_types.contains(kind), "{at}: {kind}");
                        assert!(value["data"]["game"].is_i64() && value["data"]["player"].is_i64());
                    }
                    "error" => {
                        assert!(value["code"].is_string(), "{at}: an error without a code");
                        assert!(value["message"].is_string(), "{at}");
                    }
                    "chat_message" => assert!(value["game"].is_i64(), "{at}"),
                    "deadlines" => {
                        for entry in value["deadlines"].as_array().unwrap() {
                            assert!(
                                entry["timer"].is_string() && entry["in_ms"].is_u64(),
                                "{at}"
                            );
                        }
                    }
                    "legal_actions" => {
                        for entry in value["actions"].as_array().unwrap() {
                            let frame = entry["frame"].to_string();
                            assert!(parse_frame(&frame).is_ok(), "{at}: {frame}");
                        }
                    }
                    other => panic!("{at}: unknown event_type {other:?}"),
                }
                checked_games += 1;
            }
            "client-room" => assert!(value["command"].is_string(), "{at}"),
            "server-room" => assert!(
                value["action"].is_string() || value["error"].is_string(),
                "{at}"
            ),
            "client-queue" | "server-queue" => assert!(value.is_object(), "{at}"),
            "rest-request" | "rest-response" => {}
            other => panic!("{at}: unknown example kind {other}"),
        }
    }
    assert!(checked_games > 40, "{checked_games} game examples");
}
