//! The private-room lobby socket against a real server (docs/protocol.md; C30, C35,
//! C42–C57, D9–D11, D14, D20, D25, D26).

use magnate_server::Config;
use serde_json::{json, Value};

use crate::{
    support::TestUser,
    ws_support::{eventually, Client, Ending, Server},
};

pub(crate) fn room_path(code: &str) -> String {
    format!("/ws/queue/private/{code}/")
}

pub(crate) fn error(message: &str) -> Value {
    json!({"action": "error", "message": message})
}

fn players(entries: &[(&str, bool)]) -> Value {
    Value::Array(
        entries
            .iter()
            // Every new account has piece 1 (the desktop client draws `user_piece`).
            .map(|(name, ready)| json!({"username": name, "ready_to_play": ready, "user_piece": 1}))
            .collect(),
    )
}

/// Proves nothing else was sent to `client`: an invalid frame is answered, and that answer is
/// the next frame.
pub(crate) async fn assert_quiet(client: &mut Client) {
    client.send_text("{oops").await;
    assert_eq!(client.recv().await, error("Datos invalidos."));
}

async fn room_exists(server: &Server, user: &TestUser, code: &str) -> bool {
    let response = server
        .app
        .get(&format!("/lobby/check-code/{code}/"), Some(&user.access))
        .await;
    assert_eq!(response.status.as_u16(), 200);
    response.json()["exists"].as_bool().unwrap()
}

/// Opens the room as its creator and checks the two first frames.
async fn create_room(server: &Server, code: &str, user: &TestUser, name: &str) -> Client {
    let mut client = server.connect(&room_path(code), user).await;
    assert_eq!(
        client.recv().await,
        json!({"action": "room_created", "room_code": code})
    );
    assert_eq!(
        client.recv().await,
        json!({
            "action": "joined", "user": name, "owner": name, "is_owner": true,
            "players": players(&[(name, false)]), "bot_level": "medium", "target_players": 1, "max_turns": null
        })
    );
    client
}

/// Opens the room as a later member and returns the socket after its own `joined` frame, which
/// must be `expected_joined` (with `is_owner` false).
async fn join_room(
    server: &Server,
    code: &str,
    user: &TestUser,
    expected_joined: &Value,
) -> Client {
    let mut client = server.connect(&room_path(code), user).await;
    let mut expected = expected_joined.clone();
    expected["is_owner"] = json!(false);
    assert_eq!(client.recv().await, expected);
    client
}

/// Alice creates `code` and bob joins it; both have seen every frame.
async fn alice_and_bob(server: &Server, code: &str) -> (TestUser, Client, TestUser, Client) {
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let mut alice_socket = create_room(server, code, &alice, "alice").await;
    let joined = json!({
        "action": "joined", "user": "bob", "owner": "alice", "is_owner": true,
        "players": players(&[("alice", false), ("bob", false)]),
        "bot_level": "medium", "target_players": 2, "max_turns": null
    });
    let bob_socket = join_room(server, code, &bob, &joined).await;
    assert_eq!(alice_socket.recv().await, joined);
    (alice, alice_socket, bob, bob_socket)
}

#[tokio::test]
async fn c42_c43_c30_create_and_join_with_per_recipient_owner_flags() {
    let server = Server::start().await;
    let (alice, mut alice_socket, _bob, mut bob_socket) = alice_and_bob(&server, "ABC123").await;
    // C30: the room exists while a socket is in it; codes are case-sensitive.
    assert!(room_exists(&server, &alice, "ABC123").await);
    assert!(!room_exists(&server, &alice, "abc123").await);
    assert_quiet(&mut alice_socket).await;
    assert_quiet(&mut bob_socket).await;
    alice_socket.close().await;
    bob_socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn c44_d25_opening_the_same_room_twice_is_rejected_without_effect() {
    let server = Server::start().await;
    let (_alice, mut alice_socket, bob, mut bob_socket) = alice_and_bob(&server, "ROOM1").await;
    let mut again = server.connect(&room_path("ROOM1"), &bob).await;
    again
        .expect_rejection(json!({"error": "Ya estás en esta sala."}), 4003)
        .await;
    // No player_left, no change: the next joiner sees both members and target 3.
    let carol = server.app.register("carol").await;
    let joined = json!({
        "action": "joined", "user": "carol", "owner": "alice", "is_owner": true,
        "players": players(&[("alice", false), ("bob", false), ("carol", false)]),
        "bot_level": "medium", "target_players": 3, "max_turns": null
    });
    let mut carol_socket = join_room(&server, "ROOM1", &carol, &joined).await;
    assert_eq!(alice_socket.recv().await, joined);
    let mut for_bob = joined.clone();
    for_bob["is_owner"] = json!(false);
    assert_eq!(bob_socket.recv().await, for_bob);
    // Bob's first socket is still the member: it can act.
    bob_socket
        .send_json(json!({"command": "ready_status", "is_ready": true}))
        .await;
    let ready =
        json!({"action": "ready_status", "user": "bob", "is_ready": true, "owner": "alice"});
    for (socket, is_owner) in [
        (&mut alice_socket, true),
        (&mut bob_socket, false),
        (&mut carol_socket, false),
    ] {
        let mut expected = ready.clone();
        expected["is_owner"] = json!(is_owner);
        assert_eq!(socket.recv().await, expected);
    }
    for socket in [alice_socket, bob_socket, carol_socket] {
        socket.close().await;
    }
    server.shut_down().await;
}

#[tokio::test]
async fn c45_a_fifth_user_gets_sala_llena_without_effect() {
    let server = Server::start().await;
    let names = ["u1", "u2", "u3", "u4", "u5"];
    let mut users = Vec::new();
    for name in names {
        users.push(server.app.register(name).await);
    }
    let mut sockets = vec![create_room(&server, "FULL", &users[0], "u1").await];
    for count in 2..=4 {
        let members: Vec<(&str, bool)> = names[..count].iter().map(|name| (*name, false)).collect();
        let joined = json!({
            "action": "joined", "user": names[count - 1], "owner": "u1", "is_owner": false,
            "players": players(&members), "bot_level": "medium", "target_players": count, "max_turns": null
        });
        let socket = join_room(&server, "FULL", &users[count - 1], &joined).await;
        for (index, earlier) in sockets.iter_mut().enumerate() {
            let mut expected = joined.clone();
            expected["is_owner"] = json!(index == 0);
            assert_eq!(earlier.recv().await, expected);
        }
        sockets.push(socket);
    }
    let mut fifth = server.connect(&room_path("FULL"), &users[4]).await;
    fifth
        .expect_rejection(json!({"error": "Sala llena."}), 4003)
        .await;
    // Nobody heard of it, and the room is unchanged (the host's settings still apply).
    for socket in &mut sockets {
        assert_quiet(socket).await;
    }
    sockets[0]
        .send_json(json!({"command": "update_settings"}))
        .await;
    let settings = json!({"action": "settings_changed", "bot_level": "medium", "target_players": 4, "max_turns": null});
    for socket in &mut sockets {
        assert_eq!(socket.recv().await, settings);
    }
    for socket in sockets {
        socket.close().await;
    }
    server.shut_down().await;
}

#[tokio::test]
async fn c46_d12_bad_frames_get_errors_and_unknown_commands_are_ignored() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let mut socket = create_room(&server, "BAD", &alice, "alice").await;
    for text in ["not json", "[1,2]", "\"start_game\"", "7", "null"] {
        socket.send_text(text).await;
        assert_eq!(socket.recv().await, error("Datos invalidos."), "{text}");
    }
    socket.send_binary(b"{\"command\":\"start_game\"}").await;
    assert_eq!(socket.recv().await, error("Datos invalidos."));
    let oversized = json!({"command": "chat_message", "message": "x".repeat(70 * 1024)});
    socket.send_json(oversized).await;
    assert_eq!(socket.recv().await, error("Datos invalidos."));
    for frame in [
        json!({}),
        json!({"command": null}),
        json!({"command": ""}),
        json!({"command": false}),
        json!({"message": "hola"}),
    ] {
        socket.send_json(frame.clone()).await;
        assert_eq!(socket.recv().await, error("Comando invalido."), "{frame}");
    }
    // D10: `is_ready` must be a boolean.
    for frame in [
        json!({"command": "ready_status"}),
        json!({"command": "ready_status", "is_ready": "true"}),
        json!({"command": "ready_status", "is_ready": 1}),
    ] {
        socket.send_json(frame.clone()).await;
        assert_eq!(socket.recv().await, error("Datos invalidos."), "{frame}");
    }
    // Unknown commands get no reply.
    socket.send_json(json!({"command": "dance"})).await;
    socket.send_json(json!({"command": 5})).await;
    assert_quiet(&mut socket).await;
    // Beyond what the WebSocket layer reads: 1009, not a crash; the room is then deleted.
    socket.send_text(&"x".repeat(2 << 20)).await;
    assert_eq!(socket.ending().await, Ending::Closed(1009));
    eventually("the room is deleted", || async {
        !room_exists(&server, &alice, "BAD").await
    })
    .await;
    server.shut_down().await;
}

#[tokio::test]
async fn c47_only_the_host_may_start_or_change_settings() {
    let server = Server::start().await;
    let (_alice, mut alice_socket, _bob, mut bob_socket) = alice_and_bob(&server, "HOST").await;
    bob_socket.send_json(json!({"command": "start_game"})).await;
    assert_eq!(
        bob_socket.recv().await,
        error("Solo el host puede iniciar una partida.")
    );
    bob_socket
        .send_json(json!({"command": "update_settings", "bot_level": "hard"}))
        .await;
    assert_eq!(
        bob_socket.recv().await,
        error("Solo el host puede cambiar la configuración.")
    );
    // The host check comes before validation.
    bob_socket
        .send_json(json!({"command": "update_settings", "bot_level": "godlike"}))
        .await;
    assert_eq!(
        bob_socket.recv().await,
        error("Solo el host puede cambiar la configuración.")
    );
    assert_quiet(&mut alice_socket).await;
    alice_socket.close().await;
    bob_socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn c48_starting_alone_needs_the_minimum() {
    let mut config = Config::default();
    config.sizes.min_private_game_players = 2;
    let server = Server::with_config(config).await;
    let alice = server.app.register("alice").await;
    let mut socket = create_room(&server, "ALONE", &alice, "alice").await;
    socket
        .send_json(json!({"command": "ready_status", "is_ready": true}))
        .await;
    socket.recv().await;
    socket.send_json(json!({"command": "start_game"})).await;
    assert_eq!(
        socket.recv().await,
        error("Se necesitan 2 jugadores para iniciar la partida.")
    );
    socket.close().await;
    server.shut_down().await;

    // The number is MIN_PRIVATE_GAME_PLAYERS.
    let mut config = Config::default();
    config.sizes.min_private_game_players = 3;
    let server = Server::with_config(config).await;
    let (_alice, mut alice_socket, _bob, bob_socket) = alice_and_bob(&server, "MIN3").await;
    alice_socket
        .send_json(json!({"command": "start_game"}))
        .await;
    assert_eq!(
        alice_socket.recv().await,
        error("Se necesitan 3 jugadores para iniciar la partida.")
    );
    alice_socket.close().await;
    bob_socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn c49_c50_every_member_must_be_ready_and_ready_flags_are_broadcast() {
    let server = Server::start().await;
    let (_alice, mut alice_socket, _bob, mut bob_socket) = alice_and_bob(&server, "READY").await;
    alice_socket
        .send_json(json!({"command": "start_game"}))
        .await;
    let not_ready = error("Todos los jugadores deben estar listos para iniciar la partida.");
    assert_eq!(alice_socket.recv().await, not_ready);
    bob_socket
        .send_json(json!({"command": "ready_status", "is_ready": true}))
        .await;
    let ready = |user: &str, is_ready: bool, is_owner: bool| {
        json!({"action": "ready_status", "user": user, "is_ready": is_ready,
               "owner": "alice", "is_owner": is_owner})
    };
    assert_eq!(alice_socket.recv().await, ready("bob", true, true));
    assert_eq!(bob_socket.recv().await, ready("bob", true, false));
    // The host counts too.
    alice_socket
        .send_json(json!({"command": "start_game"}))
        .await;
    assert_eq!(alice_socket.recv().await, not_ready);
    // Flags can go back to false.
    bob_socket
        .send_json(json!({"command": "ready_status", "is_ready": false}))
        .await;
    assert_eq!(alice_socket.recv().await, ready("bob", false, true));
    assert_eq!(bob_socket.recv().await, ready("bob", false, false));
    alice_socket
        .send_json(json!({"command": "ready_status", "is_ready": true}))
        .await;
    assert_eq!(alice_socket.recv().await, ready("alice", true, true));
    assert_eq!(bob_socket.recv().await, ready("alice", true, false));
    alice_socket
        .send_json(json!({"command": "start_game"}))
        .await;
    assert_eq!(alice_socket.recv().await, not_ready);
    assert_quiet(&mut bob_socket).await;
    alice_socket.close().await;
    bob_socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn c51_c52_settings_are_validated_and_broadcast_as_stored() {
    let server = Server::start().await;
    let (_alice, mut alice_socket, _bob, mut bob_socket) = alice_and_bob(&server, "SET").await;
    let changed = |level: &str, target: u32| json!({"action": "settings_changed", "bot_level": level, "target_players": target, "max_turns": null});
    alice_socket
        .send_json(json!({"command": "update_settings", "bot_level": "hard"}))
        .await;
    assert_eq!(alice_socket.recv().await, changed("hard", 2));
    assert_eq!(bob_socket.recv().await, changed("hard", 2));
    alice_socket
        .send_json(json!({"command": "update_settings", "target_players": 4, "bot_level": null}))
        .await;
    assert_eq!(alice_socket.recv().await, changed("hard", 4));
    assert_eq!(bob_socket.recv().await, changed("hard", 4));
    // Clients send what they show: the web its visible slots (1 for a lone host changing the
    // difficulty), both GUIs 1 after removing the last bot. The bot level is stored and the
    // target becomes the smallest playable size (2, or the members present); too many seats
    // become the largest.
    for (sent, level, stored) in [
        (json!({"bot_level": "easy", "target_players": 1}), "easy", 2),
        (json!({"target_players": 0}), "easy", 2),
        (json!({"target_players": 9}), "easy", 4),
        (json!({"bot_level": "hard", "target_players": 3}), "hard", 3),
    ] {
        let mut command = sent.as_object().unwrap().clone();
        command.insert("command".into(), json!("update_settings"));
        alice_socket.send_json(Value::Object(command)).await;
        assert_eq!(alice_socket.recv().await, changed(level, stored), "{sent}");
        assert_eq!(bob_socket.recv().await, changed(level, stored), "{sent}");
    }
    alice_socket
        .send_json(json!({"command": "update_settings", "target_players": 4}))
        .await;
    assert_eq!(alice_socket.recv().await, changed("hard", 4));
    assert_eq!(bob_socket.recv().await, changed("hard", 4));
    for invalid in [
        json!({"command": "update_settings", "target_players": -2}),
        json!({"command": "update_settings", "target_players": 2.5}),
        json!({"command": "update_settings", "target_players": "3"}),
        json!({"command": "update_settings", "bot_level": "godlike"}),
        json!({"command": "update_settings", "max_turns": -1}),
        // Nothing is stored when one of two values is bad.
        json!({"command": "update_settings", "bot_level": "expert", "target_players": "9"}),
    ] {
        alice_socket.send_json(invalid.clone()).await;
        assert_eq!(
            alice_socket.recv().await,
            error("Configuración inválida."),
            "{invalid}"
        );
    }
    assert_quiet(&mut bob_socket).await;
    alice_socket
        .send_json(json!({"command": "update_settings", "bot_level": "very_easy"}))
        .await;
    assert_eq!(alice_socket.recv().await, changed("very_easy", 4));
    assert_eq!(bob_socket.recv().await, changed("very_easy", 4));
    alice_socket.close().await;
    bob_socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn c53_d11_chat_reaches_everyone_and_bad_messages_are_refused() {
    let server = Server::start().await;
    let (_alice, mut alice_socket, _bob, mut bob_socket) = alice_and_bob(&server, "CHAT").await;
    bob_socket
        .send_json(json!({"command": "chat_message", "message": "Good luck!"}))
        .await;
    let chat = json!({"action": "chat_message", "user": "bob", "message": "Good luck!"});
    assert_eq!(alice_socket.recv().await, chat);
    assert_eq!(bob_socket.recv().await, chat);
    let longest = "ñ".repeat(500);
    alice_socket
        .send_json(json!({"command": "chat_message", "message": longest}))
        .await;
    let chat = json!({"action": "chat_message", "user": "alice", "message": longest});
    assert_eq!(alice_socket.recv().await, chat);
    assert_eq!(bob_socket.recv().await, chat);
    for bad in [
        json!({"command": "chat_message", "message": "x".repeat(501)}),
        json!({"command": "chat_message", "message": ""}),
        json!({"command": "chat_message", "message": "   "}),
        json!({"command": "chat_message", "message": null}),
        json!({"command": "chat_message", "message": 42}),
        json!({"command": "chat_message"}),
    ] {
        alice_socket.send_json(bad.clone()).await;
        assert_eq!(
            alice_socket.recv().await,
            error("Mensaje inválido."),
            "{bad}"
        );
    }
    assert_quiet(&mut bob_socket).await;
    alice_socket.close().await;
    bob_socket.close().await;
    server.shut_down().await;
}

/// The players of a game as `(username, bot_level)`, in seat order.
async fn game_seats(server: &Server, game_id: i64) -> Vec<(String, Option<String>)> {
    server
        .app
        .store()
        .raw_query(
            "SELECT users.username, users.bot_level FROM game_players \
             JOIN users ON users.id = game_players.user_id \
             WHERE game_players.game_id = ?1 ORDER BY game_players.seat",
            vec![game_id.into()],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row[0].clone().unwrap(), row[1].clone()))
        .collect()
}

/// Both members get ready and the host starts; returns the game id both received.
async fn start(alice_socket: &mut Client, bob_socket: &mut Client) -> i64 {
    for user in ["alice", "bob"] {
        let sender = if user == "alice" {
            &mut *alice_socket
        } else {
            &mut *bob_socket
        };
        sender
            .send_json(json!({"command": "ready_status", "is_ready": true}))
            .await;
        for socket in [&mut *alice_socket, &mut *bob_socket] {
            let frame = socket.recv().await;
            assert_eq!(frame["action"], "ready_status", "{frame}");
            assert_eq!(frame["user"], user, "{frame}");
        }
    }
    alice_socket
        .send_json(json!({"command": "start_game"}))
        .await;
    let frame = alice_socket.recv().await;
    assert_eq!(frame["action"], "game_start", "{frame}");
    assert_eq!(frame.as_object().unwrap().len(), 2);
    let game_id = frame["game_id"].as_i64().unwrap();
    assert_eq!(
        bob_socket.recv().await,
        json!({"action": "game_start", "game_id": game_id})
    );
    game_id
}

#[tokio::test]
async fn c54_c57_start_fills_seats_with_bots_and_deletes_the_room() {
    let server = Server::start().await;
    let (alice, mut alice_socket, bob, mut bob_socket) = alice_and_bob(&server, "GO42").await;
    alice_socket
        .send_json(json!({"command": "update_settings", "target_players": 3, "bot_level": "hard"}))
        .await;
    alice_socket.recv().await;
    bob_socket.recv().await;
    let game_id = start(&mut alice_socket, &mut bob_socket).await;
    assert_eq!(
        game_seats(&server, game_id).await,
        vec![
            ("alice".to_owned(), None),
            ("bob".to_owned(), None),
            ("Bot_GO42_1".to_owned(), Some("hard".to_owned())),
        ]
    );
    // The room is deleted at once.
    assert!(!room_exists(&server, &alice, "GO42").await);
    // C57: the sockets stay open and every command gets "Sala no encontrada.".
    for command in [
        json!({"command": "start_game"}),
        json!({"command": "ready_status", "is_ready": false}),
        json!({"command": "update_settings", "bot_level": "easy"}),
        json!({"command": "chat_message", "message": "hola"}),
    ] {
        bob_socket.send_json(command.clone()).await;
        assert_eq!(
            bob_socket.recv().await,
            error("Sala no encontrada."),
            "{command}"
        );
    }
    assert_quiet(&mut alice_socket).await;
    // The players can attach to the game.
    let mut game = server.connect(&format!("/ws/game/{game_id}/"), &bob).await;
    let state = game.recv().await;
    assert_eq!(state["event_type"], "game_state");
    assert_eq!(state["game_state"]["players"].as_array().unwrap().len(), 3);
    game.close().await;
    // A new connection to the code makes a fresh room.
    let carol = server.app.register("carol").await;
    let carol_socket = create_room(&server, "GO42", &carol, "carol").await;
    carol_socket.close().await;
    alice_socket.close().await;
    bob_socket.close().await;
    server.shut_down().await;
}

/// With MIN_PRIVATE_GAME_PLAYERS = 1 a host alone in a room (target 1) plays against one bot:
/// a game always has at least two seats.
#[tokio::test]
async fn a_host_alone_plays_against_one_bot_when_the_minimum_is_one() {
    let mut config = Config::default();
    config.sizes.min_private_game_players = 1;
    let server = Server::with_config(config).await;
    let alice = server.app.register("alice").await;
    let mut socket = create_room(&server, "SOLO", &alice, "alice").await;
    socket
        .send_json(json!({"command": "ready_status", "is_ready": true}))
        .await;
    socket.recv().await;
    socket.send_json(json!({"command": "start_game"})).await;
    let frame = socket.recv().await;
    assert_eq!(frame["action"], "game_start", "{frame}");
    let game_id = frame["game_id"].as_i64().unwrap();
    assert_eq!(
        game_seats(&server, game_id).await,
        vec![
            ("alice".to_owned(), None),
            ("Bot_SOLO_1".to_owned(), Some("medium".to_owned())),
        ]
    );
    socket.close().await;
    server.shut_down().await;
}

/// docs/protocol.md: lobby sockets still open a while after `game_start` are closed with 4001
/// ("moved to a
/// game"); the grace is 60 s, shortened here.
#[tokio::test]
async fn sockets_left_open_after_game_start_are_closed_with_4001() {
    let mut config = Config::default();
    config.sockets.moved_grace = std::time::Duration::from_millis(300);
    let server = Server::with_config(config).await;
    let (_alice, mut alice_socket, _bob, mut bob_socket) = alice_and_bob(&server, "BYE").await;
    start(&mut alice_socket, &mut bob_socket).await;
    assert_eq!(alice_socket.ending().await, Ending::Closed(4001));
    assert_eq!(bob_socket.ending().await, Ending::Closed(4001));
    server.shut_down().await;
}

#[tokio::test]
async fn c54_a_taken_bot_name_gets_a_suffix() {
    let server = Server::start().await;
    server.app.create_bot("Bot_DUP_1", None).await;
    let (_alice, mut alice_socket, _bob, mut bob_socket) = alice_and_bob(&server, "DUP").await;
    alice_socket
        .send_json(json!({"command": "update_settings", "target_players": 4}))
        .await;
    alice_socket.recv().await;
    bob_socket.recv().await;
    let game_id = start(&mut alice_socket, &mut bob_socket).await;
    let seats = game_seats(&server, game_id).await;
    let names: Vec<&str> = seats.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, vec!["alice", "bob", "Bot_DUP_1_2", "Bot_DUP_2"]);
    assert!(seats[2..]
        .iter()
        .all(|(_, level)| level.as_deref() == Some("medium")));
    alice_socket.close().await;
    bob_socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn c55_host_migrates_to_the_earliest_joined_member() {
    let server = Server::start().await;
    let (alice, alice_socket, _bob, mut bob_socket) = alice_and_bob(&server, "MIGR").await;
    let carol = server.app.register("carol").await;
    let joined = json!({
        "action": "joined", "user": "carol", "owner": "alice", "is_owner": false,
        "players": players(&[("alice", false), ("bob", false), ("carol", false)]),
        "bot_level": "medium", "target_players": 3, "max_turns": null
    });
    let mut carol_socket = join_room(&server, "MIGR", &carol, &joined).await;
    assert_eq!(bob_socket.recv().await, joined);
    alice_socket.close().await;
    let left = |is_owner: bool| {
        json!({"action": "player_left", "user_left": "alice", "owner": "bob",
               "is_owner": is_owner, "players": players(&[("bob", false), ("carol", false)])})
    };
    assert_eq!(bob_socket.recv().await, left(true));
    assert_eq!(carol_socket.recv().await, left(false));
    // Bob now hosts; target went from 3 to 2.
    bob_socket
        .send_json(json!({"command": "update_settings"}))
        .await;
    let settings = json!({"action": "settings_changed", "bot_level": "medium", "target_players": 2, "max_turns": null});
    assert_eq!(bob_socket.recv().await, settings);
    assert_eq!(carol_socket.recv().await, settings);
    // A non-host leaving keeps the host; target does not go below MIN.
    carol_socket.close().await;
    assert_eq!(
        bob_socket.recv().await,
        json!({"action": "player_left", "user_left": "carol", "owner": "bob",
               "is_owner": true, "players": players(&[("bob", false)])})
    );
    bob_socket
        .send_json(json!({"command": "update_settings"}))
        .await;
    // Down to MIN_PRIVATE_GAME_PLAYERS (1 by default); a lone host still plays against a bot.
    let settings = json!({"action": "settings_changed", "bot_level": "medium", "target_players": 1, "max_turns": null});
    assert_eq!(bob_socket.recv().await, settings);
    // C56: the last member leaving deletes the room.
    assert!(room_exists(&server, &alice, "MIGR").await);
    bob_socket.close().await;
    eventually("the empty room is deleted", || async {
        !room_exists(&server, &alice, "MIGR").await
    })
    .await;
    assert!(server.app.state.lobbies.is_empty());
    server.shut_down().await;
}

#[tokio::test]
async fn d26_joining_another_room_leaves_the_first() {
    let server = Server::start().await;
    let (alice, mut alice_socket, bob, mut bob_in_a) = alice_and_bob(&server, "ROOMA").await;
    let carol = server.app.register("carol").await;
    let mut carol_socket = create_room(&server, "ROOMB", &carol, "carol").await;
    let joined_b = json!({
        "action": "joined", "user": "bob", "owner": "carol", "is_owner": false,
        "players": players(&[("carol", false), ("bob", false)]),
        "bot_level": "medium", "target_players": 2, "max_turns": null
    });
    let mut bob_in_b = join_room(&server, "ROOMB", &bob, &joined_b).await;
    let mut for_carol = joined_b.clone();
    for_carol["is_owner"] = json!(true);
    assert_eq!(carol_socket.recv().await, for_carol);
    // Bob's socket in A is closed and A hears that he left.
    assert_eq!(bob_in_a.ending().await, Ending::Closed(1000));
    assert_eq!(
        alice_socket.recv().await,
        json!({"action": "player_left", "user_left": "bob", "owner": "alice",
               "is_owner": true, "players": players(&[("alice", false)])})
    );
    // Bob is still in B: he can chat there, and the closed A socket did not touch B.
    bob_in_b
        .send_json(json!({"command": "chat_message", "message": "hola"}))
        .await;
    let chat = json!({"action": "chat_message", "user": "bob", "message": "hola"});
    assert_eq!(carol_socket.recv().await, chat);
    assert_eq!(bob_in_b.recv().await, chat);
    assert!(room_exists(&server, &alice, "ROOMA").await);
    // A rejected connection changes nothing: alice opening A again is refused, and she stays.
    let mut alice_again = server.connect(&room_path("ROOMA"), &alice).await;
    alice_again
        .expect_rejection(json!({"error": "Ya estás en esta sala."}), 4003)
        .await;
    assert_quiet(&mut alice_socket).await;
    for socket in [alice_socket, carol_socket, bob_in_b] {
        socket.close().await;
    }
    server.shut_down().await;
}

#[tokio::test]
async fn a_rejected_move_does_not_leave_the_first_room() {
    let mut config = Config::default();
    config.sizes.max_private_game_players = 2;
    let server = Server::with_config(config).await;
    let (alice, mut alice_socket, _bob, mut bob_socket) = alice_and_bob(&server, "FULL2").await;
    let carol = server.app.register("carol").await;
    let mut carol_socket = create_room(&server, "OTHER", &carol, "carol").await;
    // Carol tries the full room: rejected, and she is still the host of OTHER.
    let mut rejected = server.connect(&room_path("FULL2"), &carol).await;
    rejected
        .expect_rejection(json!({"error": "Sala llena."}), 4003)
        .await;
    carol_socket
        .send_json(json!({"command": "update_settings", "bot_level": "easy"}))
        .await;
    assert_eq!(
        carol_socket.recv().await,
        json!({"action": "settings_changed", "bot_level": "easy", "target_players": 1, "max_turns": null})
    );
    assert_quiet(&mut alice_socket).await;
    assert_quiet(&mut bob_socket).await;
    assert!(room_exists(&server, &alice, "OTHER").await);
    for socket in [alice_socket, bob_socket, carol_socket] {
        socket.close().await;
    }
    server.shut_down().await;
}

#[tokio::test]
async fn d20_malformed_codes_are_rejected_without_creating_a_room() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    for code in ["ABCDEFGHIJK", "a%C3%B1o", "%C3%A9t%C3%A9"] {
        let mut socket = server.connect(&room_path(code), &alice).await;
        socket
            .expect_rejection(json!({"error": "Sala no encontrada."}), 4003)
            .await;
    }
    assert!(server.app.state.lobbies.is_empty());
    assert!(!room_exists(&server, &alice, "ABCDEFGHIJK").await);
    // The longest valid code works.
    let socket = create_room(&server, "AB_DEF7890", &alice, "alice").await;
    socket.close().await;
    server.shut_down().await;
}
