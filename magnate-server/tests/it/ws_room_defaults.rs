//! A private room on the default settings is playable: a lone host starts a game against bots,
//! settings the reference's clients send are stored as the nearest playable values, and a turn
//! limit (the room's, or the server's `MAX_TURNS`) reaches the game (docs/protocol.md,
//! "update_settings"); and a room filled by concurrent joins admits exactly its capacity.

use magnate_server::Config;
use serde_json::{json, Value};

use crate::{
    support::TestUser,
    ws_room::{assert_quiet, error, room_path},
    ws_support::{Client, Ending, Server},
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

/// Ten users open the same new room at once: exactly `MAX_PRIVATE_GAME_PLAYERS` are admitted
/// (one of them as its creator and host), the others get "Sala llena." and 4003, and every
/// member hears the host's settings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_joins_admit_exactly_the_capacity() {
    let server = Server::start().await;
    let mut users = Vec::new();
    for index in 0..10 {
        users.push(server.app.register(&format!("user{index}")).await);
    }
    let server_ref = &server;
    let outcomes = futures_util::future::join_all(users.iter().map(|user| async move {
        let mut socket = server_ref.connect(&room_path("RUSH"), user).await;
        let first = socket.recv().await;
        (first, socket)
    }))
    .await;
    let mut members = Vec::new();
    let mut host = None;
    for (first, mut socket) in outcomes {
        if first == json!({"error": "Sala llena."}) {
            assert_eq!(socket.ending().await, Ending::Closed(4003));
            continue;
        }
        if first["action"] == "room_created" {
            assert!(host.is_none(), "two creators");
            host = Some(members.len());
            assert_eq!(socket.recv().await["action"], "joined");
        } else {
            assert_eq!(first["action"], "joined", "{first}");
        }
        members.push(socket);
    }
    assert_eq!(members.len(), 4);
    let host = host.expect("one creator");
    for socket in &mut members {
        socket
            .send_json(json!({"command": "update_settings"}))
            .await;
    }
    let settings = json!({"action": "settings_changed", "bot_level": "medium", "target_players": 4, "max_turns": null});
    for (index, socket) in members.iter_mut().enumerate() {
        let (mut heard_settings, mut refused) = (false, index == host);
        while !(heard_settings && refused) {
            let frame = socket.recv().await;
            if frame["action"] == "joined" {
                assert!(!heard_settings, "a join after the room was full: {frame}");
            } else if frame == settings {
                assert!(!heard_settings, "settings twice");
                heard_settings = true;
            } else {
                assert_eq!(frame, error("Solo el host puede cambiar la configuración."));
                assert!(!refused, "refused twice");
                refused = true;
            }
        }
        assert_quiet(socket).await;
    }
    for socket in members {
        socket.close().await;
    }
    server.shut_down().await;
}
