//! Opt-in legal actions (docs/protocol.md, "Legal actions"): a client that opens the game socket
//! with `legal=1` gets, after the snapshot and after every change, what its player may send now,
//! each in the frame shape to send; other clients see exactly what they saw before.

use serde_json::{json, Value};

use crate::game_support::{humans, Client};
use crate::ws_game::{players, server};

fn frame_types(legal: &Value) -> Vec<String> {
    legal["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["frame"]["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_client_that_asks_learns_what_it_may_send_after_every_change() {
    let server = server().await;
    let players = players(&server, &["alice", "bob"]).await;
    let game = server
        .create_game(&humans(&[&players[0], &players[1]]))
        .await;
    let (mut asking, snapshot) =
        Client::connect_with_query(&server, game, &players[0], "&legal=1").await;
    let (mut plain, _) = Client::connect(&server, game, &players[1]).await;
    let active = snapshot["game_state"]["active_phase_player"]
        .as_i64()
        .unwrap();

    let legal = asking.recv().await;
    assert_eq!(legal["event_type"], "legal_actions", "{legal}");
    assert_eq!(legal["player"], json!(players[0].id));
    let types = frame_types(&legal);
    assert_eq!(types.last().map(String::as_str), Some("ActionSurrender"));
    if active == players[0].id {
        assert!(types.contains(&"ActionThrowDices".to_owned()), "{types:?}");
    } else {
        assert_eq!(
            types,
            ["ActionSurrender"],
            "the waiting player may only leave"
        );
    }

    // The active player throws; afterwards the asking client's last frame is its new list.
    let thrower = if active == players[0].id {
        &mut asking
    } else {
        &mut plain
    };
    thrower.send(json!({"type": "ActionThrowDices"})).await;
    let frames = asking
        .recv_until(|frame| frame["event_type"] == "legal_actions")
        .await;
    assert!(
        frames
            .iter()
            .any(|f| f["data"]["type"] == "ResponseThrowDices"),
        "{frames:?}"
    );
    let legal = frames.last().unwrap();
    for entry in legal["actions"].as_array().unwrap() {
        assert!(entry["frame"]["type"].is_string(), "{entry}");
    }

    // A client that did not ask never gets the frame: its sync shows only the game's frames.
    let (_, seen) = plain.sync().await;
    assert!(
        seen.iter()
            .all(|frame| frame["event_type"] != "legal_actions"),
        "{seen:?}"
    );
    // Chat changes nothing, so it brings no new list.
    let (_, after_chat) = asking.sync().await;
    assert!(
        after_chat
            .iter()
            .all(|frame| frame["event_type"] != "legal_actions"),
        "{after_chat:?}"
    );
}
