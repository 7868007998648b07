//! `magnate export` on a game played through a real server: the exported record replays to the
//! state the server reports.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use magnate_core::{BotLevel, HouseRules};
use magnate_server::auth::Passwords;
use magnate_server::games::{create_bot_user, GameOptions, NewLiveGame, NewLivePlayer};
use magnate_server::store::{CreateUserOutcome, NewUser};
use magnate_server::{AppState, Clock, Config, Store};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::{magnate, stderr, stdout, temp_dir};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket is open")
            .expect("a valid frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("JSON frames");
        }
    }
}

/// Plays a game (one human who surrenders at once, three bots who finish it) on a server
/// listening on loopback with the database `db`; returns the game id and the `game_state` a
/// reconnecting (eliminated, read-only) player receives at the end.
async fn play_on_a_server(db: &std::path::Path) -> (i64, Value) {
    let mut config = Config::default();
    config.timers.bot_delay_ms = 0;
    config.timers.bot_auction_delay_ms = (0, 0);
    let store = Store::open(db).unwrap();
    let state = AppState::new(
        config,
        store.clone(),
        Some("export-test-secret".into()),
        Clock::system(),
        Passwords::insecure_fast(),
    )
    .await
    .unwrap();
    state.games.set_options(GameOptions {
        seed: Some(7),
        rules: HouseRules {
            max_turns: Some(30),
            ..HouseRules::default()
        },
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let served = state.clone();
    tokio::spawn(
        async move { magnate_server::serve(listener, served, std::future::pending()).await },
    );

    let now = chrono::Utc::now();
    let human = match store
        .create_user(NewUser {
            username: "alice".into(),
            password_hash: Some(Passwords::insecure_fast().hash("Segura123!")),
            bot_level: None,
            date_joined: now,
        })
        .await
        .unwrap()
    {
        CreateUserOutcome::Created(user) => user.id,
        other => panic!("{other:?}"),
    };
    let mut players = vec![NewLivePlayer {
        user_id: human,
        bot_level: None,
    }];
    for n in 1..=3 {
        let bot = create_bot_user(&store, &format!("Bot_EXPORT_{n}"), BotLevel::Hard, now)
            .await
            .unwrap()
            .unwrap();
        players.push(NewLivePlayer {
            user_id: bot,
            bot_level: Some(BotLevel::Hard),
        });
    }
    let game = state
        .games
        .create(
            &state,
            NewLiveGame {
                players,
                public: false,
            },
        )
        .await
        .unwrap();
    let token = state.jwt.issue_pair(human, now).access;
    let url = format!("ws://{address}/ws/game/{game}/?token={token}");

    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    assert_eq!(next_frame(&mut socket).await["event_type"], "game_state");
    socket
        .send(Message::text(
            json!({"type": "ActionSurrender"}).to_string(),
        ))
        .await
        .unwrap();
    loop {
        let frame = next_frame(&mut socket).await;
        if frame["event_type"] == "game_response" && frame["data"]["type"] == "ResponseBonus" {
            break;
        }
    }
    // Reconnect as a former player: the snapshot is the server's final state.
    let (mut watcher, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let snapshot = next_frame(&mut watcher).await;
    assert_eq!(snapshot["event_type"], "game_state");
    (game, snapshot["game_state"].clone())
}

#[test]
fn an_exported_server_game_replays_to_the_state_the_server_reports() {
    let dir = temp_dir("export");
    let db = dir.join("magnate.db");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (game, reported) = runtime.block_on(play_on_a_server(&db));
    runtime.shutdown_timeout(Duration::from_secs(5));

    let listed = magnate(&["export", "--db", db.to_str().unwrap(), "--list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).contains("finished"), "{}", stdout(&listed));
    assert!(stdout(&listed).contains("alice"), "{}", stdout(&listed));

    let file = dir.join("game.json");
    let exported = magnate(&[
        "export",
        "--db",
        db.to_str().unwrap(),
        "--game",
        &game.to_string(),
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(exported.status.success(), "{}", stderr(&exported));

    let replayed = magnate(&[
        "replay",
        file.to_str().unwrap(),
        "--json",
        "--game-id",
        &game.to_string(),
    ]);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    let state: Value = serde_json::from_slice(&replayed.stdout).unwrap();
    for key in [
        "id",
        "money",
        "positions",
        "phase",
        "players",
        "ordered_players",
        "current_turn",
        "finished",
        "property_relationships",
        "active_turn_player",
        "active_phase_player",
        "jail_remaining_turns",
    ] {
        assert_eq!(state[key], reported[key], "{key} differs");
    }

    let missing = magnate(&["export", "--db", db.to_str().unwrap(), "--game", "999"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no record for game 999"),
        "{}",
        stderr(&missing)
    );
}
