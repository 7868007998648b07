//! The public queue socket against a real server (docs/protocol.md; C35–C41, D1, D12).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use magnate_server::Config;
use serde_json::{json, Value};

use crate::{
    support::{sign, TestUser},
    ws_support::{Client, Ending, Server},
};

const QUEUE: &str = "/ws/queue/public/";

fn datos_invalidos() -> Value {
    json!({"action": "error", "message": "Datos invalidos."})
}

/// The game id of a `match_found` frame.
#[track_caller]
fn match_found_id(frame: &Value) -> i64 {
    assert_eq!(frame["action"], "match_found", "{frame}");
    assert_eq!(frame.as_object().unwrap().len(), 2, "{frame}");
    frame["game_id"].as_i64().expect("integer game_id")
}

/// Proves the socket is open and that nothing was queued for it before: an invalid frame is
/// answered, and that answer is the next frame.
async fn assert_open_and_quiet(client: &mut Client) {
    client.send_text("not json").await;
    assert_eq!(client.recv().await, datos_invalidos());
}

async fn queue_status(server: &Server, user: &TestUser) -> Value {
    let response = server.app.get("/game/queue/", Some(&user.access)).await;
    assert_eq!(response.status.as_u16(), 200);
    response.json()
}

/// The user ids of a game, in seat order.
async fn game_players(server: &Server, game_id: i64) -> Vec<i64> {
    server
        .app
        .store()
        .raw_query(
            "SELECT user_id FROM game_players WHERE game_id = ?1 ORDER BY seat",
            vec![game_id.into()],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|row| row[0].as_deref().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn c35_handshakes_without_a_valid_token_are_refused_with_403() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let inactive = server.app.register("inactive").await;
    server
        .app
        .store()
        .set_active(inactive.id, false)
        .await
        .unwrap();
    let now = server.app.clock.now().timestamp();
    let unknown_user = sign(&json!({
        "token_type": "access", "exp": now + 300, "iat": now,
        "jti": "0123456789abcdef0123456789abcdef", "user_id": "9999"
    }));
    let no_user = sign(&json!({
        "token_type": "access", "exp": now + 300, "iat": now,
        "jti": "0123456789abcdef0123456789abcdef"
    }));
    for path in [QUEUE, "/ws/queue/private/ABC123/"] {
        let refused = [
            path.to_owned(),
            format!("{path}?token="),
            format!("{path}?token=garbage"),
            format!("{path}?other={}", alice.access),
            format!("{path}?token={}", alice.refresh),
            format!("{path}?token={}", inactive.access),
            format!("{path}?token={unknown_user}"),
            format!("{path}?token={no_user}"),
            // Only the first `token` counts.
            format!("{path}?token=garbage&token={}", alice.access),
        ];
        for path_and_query in refused {
            assert_eq!(
                server.refused_status(&path_and_query).await,
                403,
                "{path_and_query}"
            );
        }
        // The Authorization header does not count on WebSockets.
        assert_eq!(server.status_with_header(path, &alice.access).await, 403);
        // The token works in the query string, with other parameters ignored.
        let mut client = server
            .connect_url(&format!("{}&lang=es", server.url(path, &alice.access)))
            .await;
        if path != QUEUE {
            assert_eq!(client.recv().await["action"], "room_created");
            assert_eq!(client.recv().await["action"], "joined");
        }
        client.close().await;
    }
    // Expired: the access token lives 300 s, checked with no leeway.
    server.app.clock.advance(Duration::seconds(300));
    assert_eq!(
        server
            .refused_status(&format!("{QUEUE}?token={}", alice.access))
            .await,
        403
    );
    assert_eq!(
        server
            .refused_status(&format!("/ws/queue/private/XYZ/?token={}", alice.access))
            .await,
        403
    );
    // Nobody was queued by the refused handshakes.
    server.app.clock.advance(Duration::seconds(-300));
    assert_eq!(
        queue_status(&server, &alice).await,
        json!({"status": "idle"})
    );
    assert!(server.app.state.lobbies.is_empty());
    server.shut_down().await;
}

#[tokio::test]
async fn c36_unknown_websocket_paths_are_refused_with_404() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    for path in [
        "/ws/queue/public",
        "/ws/queue/",
        "/ws/queue/private/ABC123",
        "/ws/room/ABC123/",
        "/ws/Queue/public/",
        "/ws/queue/private/a-b/",
        "/ws/queue/private//",
    ] {
        assert_eq!(
            server
                .refused_status(&format!("{path}?token={}", alice.access))
                .await,
            404,
            "{path}"
        );
    }
    server.shut_down().await;
}

#[tokio::test]
async fn c37_two_users_get_the_same_game_and_keep_their_sockets() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let mut alice_socket = server.connect(QUEUE, &alice).await;
    assert_eq!(
        queue_status(&server, &alice).await,
        json!({"status": "queued", "position": 1})
    );
    let mut bob_socket = server.connect(QUEUE, &bob).await;
    let game_id = match_found_id(&alice_socket.recv().await);
    assert_eq!(match_found_id(&bob_socket.recv().await), game_id);
    // Queue order is seat order for the game's bookkeeping.
    assert_eq!(game_players(&server, game_id).await, vec![alice.id, bob.id]);
    // Both sockets stay open after match_found.
    assert_open_and_quiet(&mut alice_socket).await;
    assert_open_and_quiet(&mut bob_socket).await;
    assert_eq!(
        queue_status(&server, &bob).await,
        json!({"status": "matched", "game_id": game_id})
    );
    alice_socket.close().await;
    bob_socket.close().await;
    server.shut_down().await;
}

/// docs/protocol.md: a queue socket still open a while after `match_found` is closed with 4001
/// ("moved to a
/// game"); the grace is 60 s, shortened here.
#[tokio::test]
async fn a_socket_left_open_after_match_found_is_closed_with_4001() {
    let mut config = Config::default();
    config.sockets.moved_grace = std::time::Duration::from_millis(300);
    let server = Server::with_config(config).await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let mut alice_socket = server.connect(QUEUE, &alice).await;
    let mut bob_socket = server.connect(QUEUE, &bob).await;
    let game_id = match_found_id(&alice_socket.recv().await);
    assert_eq!(match_found_id(&bob_socket.recv().await), game_id);
    assert_eq!(alice_socket.ending().await, Ending::Closed(4001));
    assert_eq!(bob_socket.ending().await, Ending::Closed(4001));
    server.shut_down().await;
}

#[tokio::test]
async fn c38_cancel_closes_with_4000_and_the_cancelled_user_is_never_matched() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let carol = server.app.register("carol").await;
    let mut alice_socket = server.connect(QUEUE, &alice).await;
    alice_socket.send_json(json!({"action": "cancel"})).await;
    assert_eq!(alice_socket.ending().await, Ending::Closed(4000));
    assert_eq!(
        queue_status(&server, &alice).await,
        json!({"status": "idle"})
    );

    let mut bob_socket = server.connect(QUEUE, &bob).await;
    assert_eq!(
        queue_status(&server, &bob).await,
        json!({"status": "queued", "position": 1})
    );
    let mut carol_socket = server.connect(QUEUE, &carol).await;
    let game_id = match_found_id(&bob_socket.recv().await);
    assert_eq!(match_found_id(&carol_socket.recv().await), game_id);
    assert_eq!(game_players(&server, game_id).await, vec![bob.id, carol.id]);
    bob_socket.close().await;
    carol_socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn closing_the_socket_removes_the_entry() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let socket = server.connect(QUEUE, &alice).await;
    socket.close().await;
    crate::ws_support::eventually("the closed socket's entry is gone", || async {
        queue_status(&server, &alice).await == json!({"status": "idle"})
    })
    .await;
    server.shut_down().await;
}

#[tokio::test]
async fn c39_bad_input_gets_datos_invalidos_and_the_socket_stays_open() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let mut socket = server.connect(QUEUE, &alice).await;
    for text in ["not json", "{\"action\":", "[]", "\"cancel\"", "42", "null"] {
        socket.send_text(text).await;
        assert_eq!(socket.recv().await, datos_invalidos(), "{text}");
    }
    socket.send_binary(b"{\"action\":\"cancel\"}").await;
    assert_eq!(socket.recv().await, datos_invalidos());
    // Over 64 KiB: refused like invalid JSON, even if it would parse.
    let oversized = json!({"action": "cancel", "padding": "x".repeat(70 * 1024)});
    socket.send_json(oversized).await;
    assert_eq!(socket.recv().await, datos_invalidos());
    // Other objects are ignored: the next frame answers the next invalid input.
    for ignored in [
        json!({}),
        json!({"action": "dance"}),
        json!({"action": null}),
        json!({"command": "cancel"}),
    ] {
        socket.send_json(ignored).await;
    }
    assert_open_and_quiet(&mut socket).await;
    // Still queued after all that.
    assert_eq!(
        queue_status(&server, &alice).await,
        json!({"status": "queued", "position": 1})
    );
    // Beyond what the WebSocket layer reads (1 MiB): closed with 1009, never a crash (1011).
    socket.send_text(&"x".repeat(2 << 20)).await;
    assert_eq!(socket.ending().await, Ending::Closed(1009));
    crate::ws_support::eventually("the oversized socket's entry is gone", || async {
        queue_status(&server, &alice).await == json!({"status": "idle"})
    })
    .await;
    server.shut_down().await;
}

#[tokio::test]
async fn c40_a_second_socket_replaces_the_first_and_only_it_is_notified() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let carol = server.app.register("carol").await;
    let mut first = server.connect(QUEUE, &alice).await;
    let mut second = server.connect(QUEUE, &alice).await;
    // The older socket is closed with 4000 once replaced; one entry remains.
    assert_eq!(first.ending().await, Ending::Closed(4000));
    assert_eq!(
        queue_status(&server, &alice).await,
        json!({"status": "queued", "position": 1})
    );
    let mut bob_socket = server.connect(QUEUE, &bob).await;
    let game_id = match_found_id(&second.recv().await);
    assert_eq!(match_found_id(&bob_socket.recv().await), game_id);
    assert_eq!(game_players(&server, game_id).await, vec![alice.id, bob.id]);
    // Alice was matched once: the next user waits alone.
    let mut carol_socket = server.connect(QUEUE, &carol).await;
    assert_eq!(
        queue_status(&server, &carol).await,
        json!({"status": "queued", "position": 1})
    );
    assert_open_and_quiet(&mut carol_socket).await;
    assert_open_and_quiet(&mut second).await;
    for socket in [carol_socket, second, bob_socket] {
        socket.close().await;
    }
    server.shut_down().await;
}

#[tokio::test]
async fn replacing_a_socket_keeps_the_place_in_the_queue() {
    let mut config = Config::default();
    config.sizes.num_public_game_players = 3;
    let server = Server::with_config(config).await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let carol = server.app.register("carol").await;
    let mut alice_first = server.connect(QUEUE, &alice).await;
    let mut bob_socket = server.connect(QUEUE, &bob).await;
    let mut alice_second = server.connect(QUEUE, &alice).await;
    assert_eq!(alice_first.ending().await, Ending::Closed(4000));
    assert_eq!(
        queue_status(&server, &alice).await,
        json!({"status": "queued", "position": 1})
    );
    let mut carol_socket = server.connect(QUEUE, &carol).await;
    let game_id = match_found_id(&alice_second.recv().await);
    assert_eq!(match_found_id(&bob_socket.recv().await), game_id);
    assert_eq!(match_found_id(&carol_socket.recv().await), game_id);
    assert_eq!(
        game_players(&server, game_id).await,
        vec![alice.id, bob.id, carol.id]
    );
    for socket in [alice_second, bob_socket, carol_socket] {
        socket.close().await;
    }
    server.shut_down().await;
}

#[tokio::test]
async fn a_third_socket_replacing_the_second_leaves_one_entry() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let mut first = server.connect(QUEUE, &alice).await;
    let mut second = server.connect(QUEUE, &alice).await;
    assert_eq!(first.ending().await, Ending::Closed(4000));
    let third = server.connect(QUEUE, &alice).await;
    assert_eq!(second.ending().await, Ending::Closed(4000));
    assert_eq!(
        queue_status(&server, &alice).await,
        json!({"status": "queued", "position": 1})
    );
    // Closing the registered socket removes the entry.
    third.close().await;
    crate::ws_support::eventually("the entry is gone", || async {
        queue_status(&server, &alice).await == json!({"status": "idle"})
    })
    .await;
    server.shut_down().await;
}

#[tokio::test]
async fn c41_a_public_game_starts_as_specified() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let mut alice_queue = server.connect(QUEUE, &alice).await;
    let mut bob_queue = server.connect(QUEUE, &bob).await;
    let game_id = match_found_id(&alice_queue.recv().await);
    assert_eq!(match_found_id(&bob_queue.recv().await), game_id);
    alice_queue.close().await;
    bob_queue.close().await;

    let mut game = server
        .connect(&format!("/ws/game/{game_id}/"), &alice)
        .await;
    let frame = game.recv().await;
    assert_eq!(frame["event_type"], "game_state", "{frame}");
    let state = &frame["game_state"];
    let (a, b) = (alice.id.to_string(), bob.id.to_string());
    assert_eq!(state["id"], game_id);
    assert_eq!(state["money"], json!({a.clone(): 1500, b.clone(): 1500}));
    assert_eq!(state["positions"], json!({a.clone(): 0, b.clone(): 0}));
    let ordered: Vec<i64> = serde_json::from_value(state["ordered_players"].clone()).unwrap();
    let ordered_set: BTreeSet<i64> = ordered.iter().copied().collect();
    assert_eq!(ordered.len(), 2);
    assert_eq!(ordered_set, BTreeSet::from([alice.id, bob.id]));
    assert_eq!(state["active_turn_player"], ordered[0]);
    assert_eq!(state["active_phase_player"], ordered[0]);
    assert_eq!(state["phase"], "roll_the_dices");
    assert_eq!(state["possible_destinations"], json!({}));
    assert_eq!(state["current_turn"], 1);
    assert_eq!(state["streak"], 0);
    assert_eq!(state["parking_money"], 0);
    assert_eq!(state["finished"], false);
    assert_eq!(state["property_relationships"], json!([]));
    game.close().await;
    server.shut_down().await;
}

/// Forty users connect at once and a random third of them cancel right away. Every game has
/// exactly `NUM_PUBLIC_GAME_PLAYERS` distinct players, nobody is matched twice, every user who
/// did not cancel is matched (apart from fewer than a game's worth still waiting), and a
/// cancelled user is either matched before the cancel or never.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connects_and_cancels_match_everyone_exactly_once() {
    const USERS: usize = 40;
    const PER_GAME: usize = 3;
    let mut config = Config::default();
    config.sizes.num_public_game_players = PER_GAME as u32;
    let server = Server::with_config(config).await;
    let mut users = Vec::new();
    for index in 0..USERS {
        users.push(server.app.register(&format!("player{index}")).await);
    }
    // A fixed pseudo-random choice of who cancels, so a failure can be replayed.
    let cancels: Vec<bool> = (0..USERS).map(|index| (index * 7 + 3) % 10 < 3).collect();

    let server_ref = &server;
    let outcomes = futures_util::future::join_all(users.iter().zip(&cancels).map(
        |(user, &cancel)| async move {
            let mut socket = server_ref.connect(QUEUE, user).await;
            if !cancel {
                return (user.id, None, Some(socket));
            }
            socket.send_json(json!({"action": "cancel"})).await;
            // A match made before the cancel still arrives, then the 4000 close.
            let mut matched = None;
            loop {
                match socket.next_event().await {
                    Ok(frame) => matched = Some(match_found_id(&frame)),
                    Err(ending) => {
                        assert_eq!(ending, Ending::Closed(4000));
                        break;
                    }
                }
            }
            (user.id, matched, None)
        },
    ))
    .await;

    let mut games: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut still_queued = 0;
    for (user_id, matched, socket) in outcomes {
        let user = users.iter().find(|user| user.id == user_id).unwrap();
        let status = queue_status(&server, user).await;
        let game_id = match (matched, socket) {
            (Some(game_id), None) => {
                assert_eq!(status, json!({"status": "matched", "game_id": game_id}));
                Some(game_id)
            }
            (None, None) => {
                assert_eq!(
                    status,
                    json!({"status": "idle"}),
                    "cancelled user {user_id}"
                );
                None
            }
            (_, Some(mut socket)) => {
                if status["status"] == "queued" {
                    still_queued += 1;
                    assert_open_and_quiet(&mut socket).await;
                    None
                } else {
                    let game_id = status["game_id"].as_i64().expect("matched");
                    assert_eq!(match_found_id(&socket.recv().await), game_id);
                    // Exactly one match_found.
                    assert_open_and_quiet(&mut socket).await;
                    Some(game_id)
                }
            }
        };
        if let Some(game_id) = game_id {
            assert!(
                games.entry(game_id).or_default().insert(user_id),
                "user {user_id} matched twice into game {game_id}"
            );
        }
    }
    assert!(still_queued < PER_GAME, "{still_queued} users left waiting");
    let non_cancelled = cancels.iter().filter(|cancel| !**cancel).count();
    let matched_users: usize = games.values().map(BTreeSet::len).sum();
    assert!(matched_users >= non_cancelled - still_queued);
    for (game_id, players) in &games {
        assert_eq!(players.len(), PER_GAME, "game {game_id}: {players:?}");
        let stored: BTreeSet<i64> = game_players(&server, *game_id).await.into_iter().collect();
        assert_eq!(&stored, players, "game {game_id}");
    }
    server.shut_down().await;
}

/// Issue 12: joining the queue over the socket is acknowledged with the place in the queue
/// (an addition: the reference's clients ignore actions they do not know); the match follows.
#[tokio::test]
async fn a_socket_join_is_acknowledged_with_its_place() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let mut first = server
        .connect_url(&server.url("/ws/queue/public/", &alice.access))
        .await;
    assert_eq!(
        first.recv().await,
        json!({"action": "queued", "position": 1})
    );
    let mut second = server
        .connect_url(&server.url("/ws/queue/public/", &bob.access))
        .await;
    // The second join completes a game at once: no place, straight to the match.
    let found = second.recv().await;
    assert_eq!(found["action"], "match_found", "{found}");
    assert_eq!(first.recv().await, found);
    first.close().await;
    second.close().await;
    server.shut_down().await;
}
