//! Issue 13, resource exhaustion through WebSockets, against a real server on loopback: peers
//! that stop reading are dropped and their sockets freed, a room's slow member is removed, a
//! finished game is not replayed for a stranger, floods and oversized messages are closed with
//! their codes, and shutdown closes every socket with 1001 within a bounded time.
//!
//! A peer that "never reads" is a real WebSocket client whose stream is never polled, on a TCP
//! socket with a small receive buffer, so the server's writes to it block quickly.

use std::time::{Duration, Instant};

use magnate_server::{
    config::{Rate, SocketLimits},
    limits::TOO_MANY_ACTIONS,
    Config,
};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};
use tokio_tungstenite::{tungstenite::Message, WebSocketStream};

use crate::{
    support::TestUser,
    ws_support::{eventually, game_of, game_path, open_game, within, Client, Ending, Server},
};

const QUEUE_PATH: &str = "/ws/queue/public/";

fn room_path(code: &str) -> String {
    format!("/ws/queue/private/{code}/")
}

/// No rate limits (the tests below send as fast as they can), with `adjust` applied.
fn config(adjust: impl FnOnce(&mut SocketLimits)) -> Config {
    let mut sockets = SocketLimits {
        actions: Rate::UNLIMITED,
        chat: Rate::UNLIMITED,
        max_per_user: 0,
        ..SocketLimits::default()
    };
    adjust(&mut sockets);
    Config {
        sockets,
        // The room-churn test joins one room many times a second.
        throttles: magnate_server::config::Throttles::UNLIMITED,
        ..Config::default()
    }
}

/// A socket that is never read from: its TCP receive buffer is as small as the kernel allows.
async fn silent(server: &Server, path: &str, user: &TestUser) -> WebSocketStream<TcpStream> {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.address()).await.unwrap();
    let url = server.url(path, &user.access);
    let (stream, response) = within(tokio_tungstenite::client_async(url, stream))
        .await
        .expect("handshake");
    assert_eq!(response.status().as_u16(), 101);
    stream
}

/// Reads a socket that was not read for a while: skips the data frames the kernel still holds
/// and returns how it ended, failing after [`WAIT`] if it did not.
async fn drain_to_end(stream: &mut WebSocketStream<TcpStream>) -> Ending {
    use futures_util::StreamExt;
    within(async {
        loop {
            match stream.next().await {
                Some(Ok(Message::Close(Some(frame)))) => return Ending::Closed(frame.code.into()),
                Some(Ok(Message::Close(None))) | Some(Err(_)) | None => return Ending::Dropped,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
}

/// A chat message of 500 four-byte characters: 2 KB on the wire, the most one frame can carry.
fn big_chat() -> String {
    "🎲".repeat(500)
}

#[tokio::test]
async fn a_game_socket_whose_peer_never_reads_is_dropped_and_its_slot_freed() {
    let server = Server::with_config(config(|limits| {
        limits.write_timeout = Duration::from_millis(500);
    }))
    .await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let sockets = server.app.state.sockets.clone();
    let mut alice = open_game(&server, game_id, &users[0]).await;
    let mut bob = silent(&server, &game_path(game_id), &users[1]).await;
    assert_eq!(sockets.open(users[1].id), 1);
    // Alice chats as fast as the server answers her; every message also goes to Bob.
    let started = Instant::now();
    let mut sent = 0;
    while sockets.open(users[1].id) != 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Bob's socket still open after {sent} messages"
        );
        alice
            .send_json(json!({"type": "ChatMessage", "msg": big_chat()}))
            .await;
        assert_eq!(alice.recv().await["event_type"], "chat_message");
        sent += 1;
    }
    // Bob's connection is gone although he never read a byte: reading now finds what the
    // kernel still held, then the end.
    let ending = drain_to_end(&mut bob).await;
    assert!(
        matches!(ending, Ending::Closed(4008) | Ending::Dropped),
        "{ending:?}"
    );
    // Alice is unaffected.
    alice
        .send_json(json!({"type": "ChatMessage", "msg": "still here"}))
        .await;
    assert_eq!(alice.recv().await["msg"], "still here");
    alice.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn the_kernel_holds_little_for_a_peer_that_never_reads() {
    // A short queue, so that what Bob's socket cannot hold must sit in the kernel's buffers.
    let server = Server::with_config(config(|limits| {
        limits.write_timeout = Duration::from_millis(500);
        limits.outgoing_queue = 16;
    }))
    .await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let sockets = server.app.state.sockets.clone();
    let mut alice = open_game(&server, game_id, &users[0]).await;
    let _bob = silent(&server, &game_path(game_id), &users[1]).await;
    // 1 MB for Bob: more than his socket's send buffer, queue and receive buffer hold, so a
    // write blocks and times out. (With the kernel's autotuned send buffer, up to 4 MiB, it all
    // fits and nothing ever blocks.)
    for _ in 0..500 {
        alice
            .send_json(json!({"type": "ChatMessage", "msg": big_chat()}))
            .await;
        assert_eq!(alice.recv().await["event_type"], "chat_message");
    }
    let bob = users[1].id;
    eventually("Bob's socket is dropped", || {
        let sockets = sockets.clone();
        async move { sockets.open(bob) == 0 }
    })
    .await;
    alice.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn a_room_member_who_never_reads_is_removed_while_another_user_churns() {
    // The write timeout is far longer than the test: only the bounded queue can remove Alice.
    let server = Server::with_config(config(|limits| {
        limits.write_timeout = Duration::from_secs(600);
        limits.outgoing_queue = 16;
    }))
    .await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let carol = server.app.register("carol").await;
    let path = room_path("CHURN");
    let _alice_socket = silent(&server, &path, &alice).await;
    let mut carol_socket = server.connect(&path, &carol).await;
    assert_eq!(carol_socket.recv().await["action"], "joined");
    let started = Instant::now();
    let mut rounds = 0;
    'churn: loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Alice is still in the room after {rounds} rounds"
        );
        rounds += 1;
        // Bob joins and leaves; Carol says something long. Alice gets all of it.
        let mut bob_socket = server.connect(&path, &bob).await;
        assert_eq!(bob_socket.recv().await["action"], "joined");
        bob_socket.close().await;
        carol_socket
            .send_json(json!({"command": "chat_message", "message": big_chat()}))
            .await;
        loop {
            let frame = carol_socket.recv().await;
            if frame["action"] == "player_left" && frame["user_left"] == "alice" {
                break 'churn;
            }
            if frame["action"] == "chat_message" {
                break;
            }
        }
    }
    // Carol is the host now, alone with her room.
    carol_socket
        .send_json(json!({"command": "ready_status", "is_ready": true}))
        .await;
    // (after what is still on its way: chat, Bob's last leave)
    let frame = loop {
        let frame = carol_socket.recv().await;
        if !["chat_message", "player_left", "joined"].contains(&frame["action"].as_str().unwrap()) {
            break frame;
        }
    };
    assert_eq!(frame["action"], "ready_status", "{frame}");
    assert_eq!(frame["owner"], "carol", "{frame}");
    carol_socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn a_stranger_is_refused_a_finished_game_before_it_is_replayed() {
    let server = Server::with_config(config(|_| {})).await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let carol = server.app.register("carol").await;
    let mut alice = open_game(&server, game_id, &users[0]).await;
    alice.send_json(json!({"type": "ActionSurrender"})).await;
    loop {
        let frame = alice.recv().await;
        if frame.to_string().contains("end_game") {
            break;
        }
    }
    alice.close().await;
    // Finished and unwatched: the game leaves memory.
    let games = server.app.state.games.clone();
    eventually("the finished game leaves memory", || {
        let games = games.clone();
        async move { games.live_count() == 0 }
    })
    .await;
    // Make its record unreplayable: loading it now fails, and says so with 503.
    let last = server
        .app
        .store()
        .raw_query(
            "SELECT seq, input FROM game_records WHERE game_id = ?1 ORDER BY seq DESC LIMIT 1",
            vec![game_id.into()],
        )
        .await
        .unwrap();
    let seq: i64 = last[0][0].as_deref().unwrap().parse().unwrap();
    let mut entry: Value = serde_json::from_str(last[0][1].as_deref().unwrap()).unwrap();
    entry["hash"] = json!("0000000000000000");
    server
        .app
        .store()
        .raw_query(
            "UPDATE game_records SET input = ?1 WHERE game_id = ?2 AND seq = ?3",
            vec![entry.to_string().into(), game_id.into(), seq.into()],
        )
        .await
        .unwrap();
    // A stranger is refused before any load: 403, not the 503 of a failed replay.
    let stranger = format!("{}?token={}", game_path(game_id), carol.access);
    assert_eq!(server.refused_status(&stranger).await, 403);
    assert_eq!(games.live_count(), 0);
    let participant = format!("{}?token={}", game_path(game_id), users[1].access);
    assert_eq!(server.refused_status(&participant).await, 503);
    server.shut_down().await;
}

/// 60 KB of text: under the 64 KiB a socket handles, and no JSON object.
fn junk() -> String {
    "x".repeat(60 * 1024)
}

/// Sends `count` copies of `text` without reading, ignoring failures once the server closed.
async fn flood(client: &mut Client, text: &str, count: usize) {
    for _ in 0..count {
        if client.try_send_text(text).await.is_err() {
            return;
        }
    }
}

/// Reads until the end; returns the data frames before it and how it ended.
async fn frames_and_ending(client: &mut Client) -> (Vec<Value>, Ending) {
    let mut frames = Vec::new();
    loop {
        match client.next_event().await {
            Ok(frame) => frames.push(frame),
            Err(ending) => return (frames, ending),
        }
    }
}

fn flood_config() -> Config {
    config(|limits| {
        limits.actions = Rate {
            burst: 5,
            per_second: 0.01,
        };
        limits.chat = Rate {
            burst: 5,
            per_second: 0.01,
        };
        limits.flood_frames = 20;
    })
}

#[tokio::test]
async fn a_game_socket_that_keeps_flooding_is_closed_with_1008() {
    let server = Server::with_config(flood_config()).await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let mut bob = open_game(&server, game_id, &users[1]).await;
    // A 60 KB action name: each reply quotes at most 64 characters of it.
    let frame = json!({"type": junk()}).to_string();
    flood(&mut bob, &frame, 200).await;
    let (frames, ending) = frames_and_ending(&mut bob).await;
    assert_eq!(ending, Ending::Closed(1008));
    // 5 frames handled and refused, then notices; none of them anywhere near 60 KB.
    assert!(frames.len() <= 5 + 2, "{}", frames.len());
    for frame in &frames {
        assert_eq!(frame["event_type"], "error", "{frame}");
        assert!(frame.to_string().len() < 1024, "{frame}");
    }
    eventually("Bob's socket is released", || {
        let sockets = server.app.state.sockets.clone();
        let bob = users[1].id;
        async move { sockets.open(bob) == 0 }
    })
    .await;
    // Bob may not come straight back for more; Alice is not concerned.
    let again = format!("{}?token={}", game_path(game_id), users[1].access);
    assert_eq!(server.refused_status(&again).await, 429);
    open_game(&server, game_id, &users[0]).await.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn queue_and_room_sockets_that_keep_flooding_are_closed_with_1008() {
    let server = Server::with_config(flood_config()).await;
    let text = junk();
    // One user per socket: a user whose socket was closed for flooding is kept out a while.
    for (name, path) in [
        ("alice", QUEUE_PATH.to_owned()),
        ("bob", room_path("FLOOD")),
    ] {
        let user = server.app.register(name).await;
        let mut client = server.connect(&path, &user).await;
        flood(&mut client, &text, 200).await;
        let (frames, ending) = frames_and_ending(&mut client).await;
        assert_eq!(ending, Ending::Closed(1008), "{path}");
        for frame in &frames {
            let allowed = [
                json!({"action": "error", "message": "Datos invalidos."}),
                json!({"action": "error", "message": TOO_MANY_ACTIONS}),
            ];
            let room_frame = frame["action"] == "room_created" || frame["action"] == "joined";
            assert!(allowed.contains(frame) || room_frame, "{path}: {frame}");
        }
    }
    server.shut_down().await;
}

#[tokio::test]
async fn a_message_over_1_mib_is_answered_with_1009_on_every_socket() {
    let server = Server::with_config(config(|_| {})).await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let huge = "x".repeat(1_500_000);
    for path in [game_path(game_id), QUEUE_PATH.to_owned(), room_path("HUGE")] {
        let mut client = server.connect(&path, &users[0]).await;
        let _ = client.try_send_text(&huge).await;
        let (_, ending) = frames_and_ending(&mut client).await;
        assert_eq!(ending, Ending::Closed(1009), "{path}");
    }
    server.shut_down().await;
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_1001_and_does_not_wait_for_a_slow_request() {
    let server = Server::with_config(config(|_| {})).await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let mut game = open_game(&server, game_id, &users[0]).await;
    // A user seated in no game (a seated one would be sent to their game at once).
    let dave = server.app.register("dave").await;
    let mut queue = server.connect(QUEUE_PATH, &dave).await;
    let carol = server.app.register("carol").await;
    let mut room = server.connect(&room_path("BYE"), &carol).await;
    assert_eq!(room.recv().await["action"], "room_created");
    assert_eq!(room.recv().await["action"], "joined");
    // A request whose body never arrives (the body timeout is 10 s).
    let mut slow = TcpStream::connect(server.address()).await.unwrap();
    slow.write_all(
        b"POST /auth/login/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"user",
    )
    .await
    .unwrap();
    // Let the server read the head, so the request is in flight when shutdown starts.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sockets = server.app.state.sockets.clone();
    assert_eq!(sockets.total(), 3);
    let stopping = tokio::spawn(server.stop_gracefully());
    assert_eq!(game.ending().await, Ending::Closed(1001));
    assert_eq!(queue.ending().await, Ending::Closed(1001));
    assert_eq!(room.ending().await, Ending::Closed(1001));
    let took = stopping.await.unwrap();
    assert!(took < Duration::from_secs(6), "shutdown took {took:?}");
    assert_eq!(sockets.total(), 0);
    // The slow request's connection was closed.
    let mut rest = Vec::new();
    let _ = within(slow.read_to_end(&mut rest)).await;
}
