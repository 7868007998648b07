//! A private room on the default settings is playable: a lone host starts a game against bots,
//! settings the reference's clients send are stored as the nearest playable values, and a turn
//! limit (the room's, or the server's `MAX_TURNS`) reaches the game (docs/protocol.md,
//! "update_settings").

use magnate_server::Config;
use serde_json::{json, Value};

use crate::{
    support::TestUser,
    ws_support::{Client, Server},
};

/// Opens room `code` as its only member and reads `room_created` and `joined`.
async fn open_alone(server: &Server, code: &str, user: &TestUser) -> Client {
    let mut socket = server
        .connect(&format!("/ws/queue/private/{code}/"), user)
        .await;
    assert_eq!(socket.recv().await["action"], "room_created");
    let joined = socket.recv().await;
    assert_eq!(joined["action"], "joined", "{joined}");
    socket
}

/// Sends `update_settings` with `settings` and returns the `settings_changed` answer.
async fn update(socket: &mut Client, settings: Value) -> Value {
    let mut command = settings.as_object().unwrap().clone();
    command.insert("command".into(), json!("update_settings"));
    socket.send_json(Value::Object(command)).await;
    let answer = socket.recv().await;
    assert_eq!(answer["action"], "settings_changed", "{answer}");
    answer
}

/// Sets ready, starts, and returns the snapshot of the game that started.
async fn start_and_open(server: &Server, socket: &mut Client, user: &TestUser) -> Value {
    socket
        .send_json(json!({"command": "ready_status", "is_ready": true}))
        .await;
    assert_eq!(socket.recv().await["action"], "ready_status");
    socket.send_json(json!({"command": "start_game"})).await;
    let start = socket.recv().await;
    assert_eq!(start["action"], "game_start", "{start}");
    let game_id = start["game_id"].as_i64().unwrap();
    let mut game = server.connect(&format!("/ws/game/{game_id}/"), user).await;
    let state = game.recv().await;
    assert_eq!(state["event_type"], "game_state", "{state}");
    game.close().await;
    state["game_state"].clone()
}

#[tokio::test]
async fn a_lone_host_starts_a_game_against_a_bot_on_the_default_settings() {
    let server = Server::start().await;
    let host = server.app.register("solo").await;
    let mut socket = open_alone(&server, "SOLO1", &host).await;
    // The web client's frame for a lone host changing the difficulty.
    let stored = update(
        &mut socket,
        json!({"bot_level": "easy", "target_players": 1}),
    )
    .await;
    assert_eq!(
        stored,
        json!({"action": "settings_changed", "bot_level": "easy", "target_players": 2, "max_turns": null})
    );
    let state = start_and_open(&server, &mut socket, &host).await;
    assert_eq!(state["players"].as_array().unwrap().len(), 2, "{state}");
    assert_eq!(state["max_turns"], Value::Null, "no turn limit by default");
    socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn a_turn_limit_comes_from_the_room_or_else_from_the_server() {
    let config = Config {
        max_turns: Some(50),
        ..Config::default()
    };
    let server = Server::with_config(config).await;
    let host = server.app.register("limited").await;

    let mut socket = open_alone(&server, "TURN1", &host).await;
    let state = start_and_open(&server, &mut socket, &host).await;
    assert_eq!(state["max_turns"], 50, "the server's MAX_TURNS");
    socket.close().await;

    // One unfinished game per user: another host opens the second room.
    let host = server.app.register("limited2").await;
    let mut socket = open_alone(&server, "TURN2", &host).await;
    let stored = update(&mut socket, json!({"max_turns": 30, "target_players": 3})).await;
    assert_eq!(stored["max_turns"], 30);
    assert_eq!(stored["target_players"], 3);
    // 0 goes back to the server's setting; the frame says what is stored.
    assert_eq!(
        update(&mut socket, json!({"max_turns": 0})).await["max_turns"],
        Value::Null
    );
    assert_eq!(
        update(&mut socket, json!({"max_turns": 30})).await["max_turns"],
        30
    );
    let state = start_and_open(&server, &mut socket, &host).await;
    assert_eq!(state["max_turns"], 30, "the room's own limit");
    assert_eq!(state["players"].as_array().unwrap().len(), 3);
    socket.close().await;
    server.shut_down().await;
}
