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

/// What a client saw of a game played by [`play_on_a_server`].
pub(crate) struct Played {
    pub(crate) game: i64,
    /// The human's user id.
    human: i64,
    /// The `game_state` a reconnecting (eliminated, read-only) player receives at the end.
    final_state: Value,
    /// The `data` of every `game_action` frame the human's socket received, in order.
    actions_seen: Vec<Value>,
}

/// Plays a game (one human who surrenders at once, three bots who finish it) on a server
/// listening on loopback with the database `db`.
async fn play_on_a_server(db: &std::path::Path) -> Played {
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
                max_turns: None,
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
    let mut actions_seen = Vec::new();
    loop {
        let frame = next_frame(&mut socket).await;
        if frame["event_type"] == "game_action" {
            actions_seen.push(frame["data"].clone());
        }
        if frame["event_type"] == "game_response" && frame["data"]["type"] == "ResponseBonus" {
            break;
        }
    }
    // Reconnect as a former player: the snapshot is the server's final state.
    let (mut watcher, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let snapshot = next_frame(&mut watcher).await;
    assert_eq!(snapshot["event_type"], "game_state");
    Played {
        game,
        human,
        final_state: snapshot["game_state"].clone(),
        actions_seen,
    }
}

/// Plays [`play_on_a_server`] on a fresh database in `dir`.
pub(crate) fn played_game(dir: &std::path::Path) -> (std::path::PathBuf, Played) {
    let db = dir.join("magnate.db");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let played = runtime.block_on(play_on_a_server(&db));
    runtime.shutdown_timeout(Duration::from_secs(5));
    (db, played)
}

#[test]
fn an_exported_server_game_replays_to_the_state_the_server_reports() {
    let dir = temp_dir("export");
    let (db, played) = played_game(&dir);
    let (game, reported) = (played.game, played.final_state);

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
    assert_fails_with(&missing, "no record for game 999");
}

/// The command failed and said `text` on stderr.
#[track_caller]
fn assert_fails_with(output: &std::process::Output, text: &str) {
    assert!(!output.status.success(), "{}", stdout(output));
    assert!(stderr(output).contains(text), "{}", stderr(output));
}

/// Writes an acknowledgement log as the load generator does.
fn write_acks(path: &std::path::Path, game: i64, observer: i64, actions: &[Value]) {
    let lines: String = actions
        .iter()
        .map(|data| json!({"game_id": game, "observer": observer, "data": data}).to_string() + "\n")
        .collect();
    std::fs::write(path, lines).unwrap();
}

#[test]
fn verify_db_checks_records_and_acknowledged_actions() {
    let dir = temp_dir("verify-db");
    let (db, played) = played_game(&dir);
    let db_arg = db.to_str().unwrap();
    let seen = &played.actions_seen;
    assert!(
        seen.len() > 10,
        "the bots' actions are echoed: {}",
        seen.len()
    );
    assert_eq!(seen[0]["type"], "ActionSurrender");
    assert_eq!(seen[0]["player"], played.human);

    let plain = magnate(&["verify-db", "--db", db_arg, "--expect-finished"]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert!(
        stdout(&plain).starts_with("1 games (1 finished, 0 running), "),
        "{}",
        stdout(&plain)
    );

    // Everything the human's socket was acknowledged is found, in order.
    let acks = dir.join("acks.jsonl");
    let verify_acks = || {
        magnate(&[
            "verify-db",
            "--db",
            db_arg,
            "--acks",
            acks.to_str().unwrap(),
        ])
    };
    write_acks(&acks, played.game, played.human, seen);
    let checked = verify_acks();
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(
        stdout(&checked).contains(&format!(
            "{} acknowledged actions found in their records",
            seen.len()
        )),
        "{}",
        stdout(&checked)
    );

    // A gap (an observer that missed frames while disconnected) is fine.
    let gapped: Vec<Value> = seen.iter().step_by(3).cloned().collect();
    write_acks(&acks, played.game, played.human, &gapped);
    let checked = verify_acks();
    assert!(checked.status.success(), "{}", stderr(&checked));

    // An acknowledged action that is not in the record is reported with its log line.
    let mut invented = seen.clone();
    let mut extra = seen[0].clone();
    extra["type"] = json!("ActionThrowDices");
    invented.insert(1, extra);
    write_acks(&acks, played.game, played.human, &invented);
    let missing = verify_acks();
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("acknowledged action not in the record")
            && stderr(&missing).contains("ack log line 2, 1 of"),
        "{}",
        stderr(&missing)
    );

    // Out of order: the last action first.
    let mut reordered = seen.clone();
    let last = reordered.pop().unwrap();
    reordered.insert(0, last);
    write_acks(&acks, played.game, played.human, &reordered);
    let out_of_order = verify_acks();
    assert!(!out_of_order.status.success());

    // Acknowledged actions of a game the database does not have.
    write_acks(&acks, played.game + 1, played.human, &seen[..1]);
    let unknown = verify_acks();
    assert_fails_with(&unknown, "but the database has no record of it");

    // A malformed log line is an error naming the line.
    std::fs::write(&acks, "{\"game_id\": 1}\n").unwrap();
    let malformed = verify_acks();
    assert_fails_with(&malformed, "acks.jsonl:1: expected");

    // A file that is not a server database is refused, and not turned into one.
    let empty = dir.join("empty.db");
    std::fs::write(&empty, "").unwrap();
    let foreign = magnate(&["verify-db", "--db", empty.to_str().unwrap()]);
    assert_fails_with(
        &foreign,
        "database schema version 0, this build reads version",
    );
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);

    // A stored hash that does not match is found.
    let store = Store::open(&db).unwrap();
    let game = played.game;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime
        .block_on(store.call(move |connection| {
            let (seq, input): (i64, String) = connection.query_row(
                "SELECT seq, input FROM game_records WHERE game_id = ?1 ORDER BY seq DESC LIMIT 1",
                [game],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let mut entry: Value = serde_json::from_str(&input)?;
            entry["hash"] = json!("0000000000000000");
            connection.execute(
                "UPDATE game_records SET input = ?2 WHERE game_id = ?1 AND seq = ?3",
                (game, entry.to_string(), seq),
            )?;
            Ok(())
        }))
        .unwrap();
    drop(store);
    let diverged = magnate(&["verify-db", "--db", db_arg]);
    assert_fails_with(&diverged, "the record does not verify");
}
