//! Issue 7, server limits: per-connection frame rates on the three sockets, the cap on sockets
//! per user, and the handshake timeouts, against a real server on loopback.
//!
//! Rates are configured so that a test's flood cannot earn a new token while it runs (one token
//! every 100 s), which makes the accepted counts exact. Rate-limit notices are sent at most once
//! a second, so a test allows one more notice per second its flood took. The timeout tests use
//! timeouts of a few hundred milliseconds and only wait for the server to act.

use std::time::{Duration, Instant};

use magnate_server::{
    config::{Rate, SocketLimits},
    limits::{TOO_MANY_ACTIONS, TOO_MANY_MESSAGES},
    queue::QueueStatus,
    Config,
};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::ws_support::{
    eventually, game_of, game_path, open_game, within, Client, Ending, Server, WAIT,
};

/// A rate that allows `burst` frames and then, for the length of a test, nothing more.
fn burst_only(burst: u32) -> Rate {
    Rate {
        burst,
        per_second: 0.01,
    }
}

fn limited(actions: Rate, chat: Rate, max_per_user: u32) -> Config {
    Config {
        sockets: SocketLimits {
            actions,
            chat,
            max_per_user,
            ..SocketLimits::default()
        },
        ..Config::default()
    }
}

/// Most rate-limit notices a flood that took `elapsed` may have produced.
fn most_notices(elapsed: Duration) -> usize {
    1 + elapsed.as_secs() as usize
}

const QUEUE_PATH: &str = "/ws/queue/public/";

fn room_path(code: &str) -> String {
    format!("/ws/queue/private/{code}/")
}

fn game_error(code: &str, message: &str) -> Value {
    json!({"event_type": "error", "code": code, "message": message})
}

fn lobby_error(message: &str) -> Value {
    json!({"action": "error", "message": message})
}

/// Reads frames until one satisfies `last`; returns every frame before it.
async fn frames_until(client: &mut Client, last: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let frame = client.recv().await;
        if last(&frame) {
            return frames;
        }
        frames.push(frame);
    }
}

fn count(frames: &[Value], wanted: &Value) -> usize {
    frames.iter().filter(|frame| *frame == wanted).count()
}

/// Reads from a raw connection until the server closes it; returns how long that took.
async fn time_until_closed(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    within(async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    started.elapsed()
}

#[tokio::test]
async fn a_game_chat_flood_gets_its_burst_and_one_notice_and_the_socket_keeps_working() {
    let server = Server::with_config(limited(burst_only(30), burst_only(5), 8)).await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let mut alice = open_game(&server, game_id, &users[0]).await;
    let mut bob = open_game(&server, game_id, &users[1]).await;
    let started = Instant::now();
    for index in 0..100 {
        alice
            .send_json(json!({"type": "ChatMessage", "msg": format!("spam {index}")}))
            .await;
    }
    // Refused by the game actor, after every chat the socket let through: its answer comes
    // after their broadcasts, and it shows that actions still work.
    alice.send_json(json!({"type": "ActionPayBail"})).await;
    let frames = frames_until(&mut alice, |frame| {
        frame["event_type"] == "error" && frame["message"] != TOO_MANY_MESSAGES
    })
    .await;
    let elapsed = started.elapsed();
    let chats: Vec<&Value> = frames
        .iter()
        .filter(|frame| frame["event_type"] == "chat_message")
        .collect();
    let expected: Vec<String> = (0..5).map(|index| format!("spam {index}")).collect();
    assert_eq!(
        chats
            .iter()
            .map(|chat| chat["msg"].clone())
            .collect::<Vec<_>>(),
        expected,
        "the first 5 messages, in order"
    );
    let notices = count(&frames, &game_error("rate_limited", TOO_MANY_MESSAGES));
    assert!(
        (1..=most_notices(elapsed)).contains(&notices),
        "{notices} notices in {elapsed:?}"
    );
    assert_eq!(frames.len(), chats.len() + notices, "{frames:?}");
    // Bob saw the same 5 messages and nothing about the flood.
    bob.send_json(json!({"type": "ChatMessage", "msg": "bob here"}))
        .await;
    let seen = frames_until(&mut bob, |frame| frame["msg"] == "bob here").await;
    assert_eq!(
        seen.iter()
            .map(|chat| chat["msg"].clone())
            .collect::<Vec<_>>(),
        expected
    );
    alice.close().await;
    bob.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn a_game_action_flood_reaches_the_actor_only_up_to_the_burst() {
    let server = Server::with_config(limited(burst_only(10), burst_only(5), 8)).await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let mut bob = open_game(&server, game_id, &users[1]).await;
    let started = Instant::now();
    for _ in 0..50 {
        bob.send_json(json!({"type": "ActionPayBail"})).await;
    }
    // Chat has its own budget, so it still goes through and marks the end of the flood.
    bob.send_json(json!({"type": "ChatMessage", "msg": "done"}))
        .await;
    let frames = frames_until(&mut bob, |frame| frame["msg"] == "done").await;
    let elapsed = started.elapsed();
    let notices = count(&frames, &game_error("rate_limited", TOO_MANY_ACTIONS));
    assert!(
        (1..=most_notices(elapsed)).contains(&notices),
        "{notices} notices in {elapsed:?}"
    );
    // Every other frame is the actor's refusal of one of the 10 actions it was given (Bob may
    // not pay a bail now).
    let refusals = frames.len() - notices;
    assert_eq!(refusals, 10, "{frames:?}");
    assert!(
        frames.iter().all(|frame| frame["event_type"] == "error"),
        "{frames:?}"
    );
    // Invalid frames are actions too: no more error replies than notices.
    bob.send_text("{oops").await;
    bob.send_json(json!({"type": "ChatMessage", "msg": "still here"}))
        .await;
    let frames = frames_until(&mut bob, |frame| frame["msg"] == "still here").await;
    assert!(
        frames
            .iter()
            .all(|frame| *frame == game_error("rate_limited", TOO_MANY_ACTIONS)),
        "{frames:?}"
    );
    bob.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn a_lobby_chat_flood_reaches_the_room_only_up_to_the_burst() {
    let server = Server::with_config(limited(burst_only(30), burst_only(3), 8)).await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let mut alice_socket = server.connect(&room_path("FLOOD"), &alice).await;
    assert_eq!(alice_socket.recv().await["action"], "room_created");
    assert_eq!(alice_socket.recv().await["action"], "joined");
    let mut bob_socket = server.connect(&room_path("FLOOD"), &bob).await;
    assert_eq!(bob_socket.recv().await["action"], "joined");
    assert_eq!(alice_socket.recv().await["action"], "joined");
    let started = Instant::now();
    for index in 0..40 {
        alice_socket
            .send_json(json!({"command": "chat_message", "message": format!("spam {index}")}))
            .await;
    }
    // Any other command draws from the actions budget; this one is answered after the room
    // handled every chat message let through.
    alice_socket.send_json(json!({"command": ""})).await;
    let frames = frames_until(&mut alice_socket, |frame| {
        *frame == lobby_error("Comando invalido.")
    })
    .await;
    let elapsed = started.elapsed();
    let chat = |index: usize| json!({"action": "chat_message", "user": "alice", "message": format!("spam {index}")});
    let notices = count(&frames, &lobby_error(TOO_MANY_MESSAGES));
    assert!(
        (1..=most_notices(elapsed)).contains(&notices),
        "{notices} notices in {elapsed:?}"
    );
    let chats: Vec<Value> = frames
        .iter()
        .filter(|frame| frame["action"] == "chat_message")
        .cloned()
        .collect();
    assert_eq!(chats, [chat(0), chat(1), chat(2)]);
    assert_eq!(frames.len(), chats.len() + notices, "{frames:?}");
    // Bob got the 3 messages, then his own invalid frame's answer: nothing else.
    bob_socket.send_text("{oops").await;
    let seen = frames_until(&mut bob_socket, |frame| {
        *frame == lobby_error("Datos invalidos.")
    })
    .await;
    assert_eq!(seen, chats);
    // The socket is still a member: the room still answers its commands.
    alice_socket
        .send_json(json!({"command": "ready_status", "is_ready": true}))
        .await;
    assert_eq!(alice_socket.recv().await["action"], "ready_status");
    alice_socket.close().await;
    bob_socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn a_queue_flood_gets_its_burst_of_answers_and_cancel_still_works() {
    let server = Server::with_config(limited(burst_only(5), burst_only(5), 8)).await;
    let alice = server.app.register("alice").await;
    let mut socket = server.connect(QUEUE_PATH, &alice).await;
    let started = Instant::now();
    for _ in 0..60 {
        socket.send_text("not json").await;
    }
    // A cancel is never limited: it ends the connection.
    socket.send_json(json!({"action": "cancel"})).await;
    let mut frames = Vec::new();
    let ending = loop {
        match socket.next_event().await {
            Ok(frame) => frames.push(frame),
            Err(ending) => break ending,
        }
    };
    let elapsed = started.elapsed();
    assert_eq!(ending, Ending::Closed(4000));
    assert_eq!(count(&frames, &lobby_error("Datos invalidos.")), 5);
    let notices = count(&frames, &lobby_error(TOO_MANY_ACTIONS));
    assert!(
        (1..=most_notices(elapsed)).contains(&notices),
        "{notices} notices in {elapsed:?}"
    );
    assert_eq!(frames.len(), 5 + notices, "{frames:?}");
    server.shut_down().await;
}

#[tokio::test]
async fn default_limits_let_a_quick_human_through() {
    let server = Server::start().await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let mut alice = open_game(&server, game_id, &users[0]).await;
    // 30 actions and 5 chat messages at once are within the default bursts.
    for _ in 0..30 {
        alice.send_json(json!({"type": "ActionPayBail"})).await;
    }
    for index in 0..5 {
        alice
            .send_json(json!({"type": "ChatMessage", "msg": format!("hi {index}")}))
            .await;
    }
    let frames = frames_until(&mut alice, |frame| frame["msg"] == "hi 4").await;
    assert_eq!(frames.len(), 34, "{frames:?}");
    assert!(
        !frames
            .iter()
            .any(|frame| frame["message"] == TOO_MANY_ACTIONS
                || frame["message"] == TOO_MANY_MESSAGES)
    );
    alice.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn the_ninth_socket_of_a_user_is_refused_until_one_closes() {
    let server = Server::start().await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let (alice, bob) = (&users[0], &users[1]);
    let mut sockets = Vec::new();
    for _ in 0..7 {
        sockets.push(open_game(&server, game_id, alice).await);
    }
    sockets.push(server.connect(&room_path("CAP"), alice).await);
    assert_eq!(server.app.state.sockets.open(alice.id), 8);
    // Every kind of socket counts against the same 8.
    let query = format!("?token={}", alice.access);
    for path in [game_path(game_id), QUEUE_PATH.to_owned(), room_path("CAP2")] {
        assert_eq!(server.refused_status(&format!("{path}{query}")).await, 429);
    }
    // A refused queue socket left no queue entry, and the other user is not affected.
    assert_eq!(
        server.app.state.matchmaker.status(alice.id).await.unwrap(),
        QueueStatus::Idle
    );
    let bob_socket = open_game(&server, game_id, bob).await;
    // The 8 are still open and working.
    for socket in &mut sockets[..7] {
        socket.send_text("{oops").await;
        assert_eq!(
            socket.recv().await,
            game_error("malformed_json", "Invalid data: malformed JSON")
        );
    }
    sockets.pop().expect("the lobby socket").close().await;
    eventually("the closed socket's slot is free", || async {
        server.app.state.sockets.open(alice.id) == 7
    })
    .await;
    let mut queued = server.connect(QUEUE_PATH, alice).await;
    assert_eq!(server.app.state.sockets.open(alice.id), 8);
    // Alice still plays her game, so the queue sends her there (issue 13).
    assert_eq!(
        queued.recv().await,
        json!({"action": "match_found", "game_id": game_id})
    );
    queued.send_json(json!({"action": "cancel"})).await;
    assert_eq!(queued.ending().await, Ending::Closed(4000));
    for socket in sockets {
        socket.close().await;
    }
    bob_socket.close().await;
    eventually("every slot is free", || async {
        server.app.state.sockets.open(alice.id) == 0 && server.app.state.sockets.open(bob.id) == 0
    })
    .await;
    server.shut_down().await;
}

#[tokio::test]
async fn refused_and_abandoned_handshakes_give_their_slot_back() {
    let server = Server::with_config(limited(Rate::UNLIMITED, Rate::UNLIMITED, 1)).await;
    let (game_id, users) = game_of(&server, &["alice", "bob"]).await;
    let alice = &users[0];
    // A 403 after the slot was taken (not a player of that game) releases it.
    let query = format!("?token={}", alice.access);
    for _ in 0..5 {
        assert_eq!(
            server
                .refused_status(&format!("{}{query}", game_path(game_id + 1)))
                .await,
            403
        );
    }
    assert_eq!(server.app.state.sockets.open(alice.id), 0);
    // A client that sends a complete handshake and leaves before the upgrade.
    for _ in 0..5 {
        let mut stream = TcpStream::connect(server.address()).await.unwrap();
        stream
            .write_all(upgrade_request(QUEUE_PATH, &alice.access, "").as_bytes())
            .await
            .unwrap();
        drop(stream);
    }
    eventually("abandoned handshakes release their slot", || async {
        server.app.state.sockets.open(alice.id) == 0
            && server.app.state.matchmaker.status(alice.id).await.unwrap() == QueueStatus::Idle
    })
    .await;
    let socket = open_game(&server, game_id, alice).await;
    socket.close().await;
    server.shut_down().await;
}

/// A WebSocket handshake request, with `extra` header lines.
fn upgrade_request(path: &str, token: &str, extra: &str) -> String {
    format!(
        "GET {path}?token={token} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

fn with_timeouts(header_read: Duration, body_read: Duration) -> Config {
    Config {
        header_read_timeout: header_read,
        body_read_timeout: body_read,
        ..Config::default()
    }
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_request_head_is_closed() {
    let timeout = Duration::from_millis(300);
    let server = Server::with_config(with_timeouts(timeout, WAIT)).await;
    let alice = server.app.register("alice").await;
    // An open WebSocket is not subject to the header timeout.
    let mut socket = server.connect(QUEUE_PATH, &alice).await;
    // Half a request line, then nothing.
    let mut slow = TcpStream::connect(server.address()).await.unwrap();
    slow.write_all(b"GET /ws/queue/pub").await.unwrap();
    // A connection that sends nothing at all.
    let mut silent = TcpStream::connect(server.address()).await.unwrap();
    let waited = time_until_closed(&mut slow).await;
    assert!(waited >= timeout - Duration::from_millis(50), "{waited:?}");
    time_until_closed(&mut silent).await;
    // A complete request within the timeout is served, and an idle kept-alive connection is
    // closed afterwards.
    let mut quick = TcpStream::connect(server.address()).await.unwrap();
    quick
        .write_all(b"GET /lobby/check-code/ABC/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    within(quick.read_exact(&mut head)).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 401");
    time_until_closed(&mut quick).await;
    // The WebSocket outlived all of that.
    socket.send_text("{oops").await;
    assert_eq!(socket.recv().await, lobby_error("Datos invalidos."));
    socket.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn a_request_body_that_never_arrives_is_refused_and_its_connection_closed() {
    let timeout = Duration::from_millis(300);
    let server = Server::with_config(with_timeouts(WAIT, timeout)).await;
    let mut stream = TcpStream::connect(server.address()).await.unwrap();
    stream
        .write_all(
            b"POST /auth/login/ HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut response = Vec::new();
    within(stream.read_to_end(&mut response)).await.unwrap();
    let waited = started.elapsed();
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 408 Request Timeout"),
        "{response}"
    );
    assert!(response.contains("no llegó a tiempo"), "{response}");
    assert!(waited >= timeout - Duration::from_millis(50), "{waited:?}");
    // A WebSocket handshake that announces a body is not a pending request: it is upgraded at
    // once, and the socket's own rules (pings, idle timeout) apply from then on.
    let alice = server.app.register("alice").await;
    let mut stream = TcpStream::connect(server.address()).await.unwrap();
    stream
        .write_all(upgrade_request(QUEUE_PATH, &alice.access, "Content-Length: 10\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = [0u8; 12];
    within(stream.read_exact(&mut head)).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");
    eventually("the upgraded socket is queued", || async {
        server.app.state.matchmaker.status(alice.id).await.unwrap()
            == QueueStatus::Queued { position: 1 }
    })
    .await;
    drop(stream);
    eventually("the socket's slot and queue entry are gone", || async {
        server.app.state.sockets.open(alice.id) == 0
            && server.app.state.matchmaker.status(alice.id).await.unwrap() == QueueStatus::Idle
    })
    .await;
    server.shut_down().await;
}
