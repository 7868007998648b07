//! The real `magnate-server` binary killed with SIGKILL mid-game and restarted on the same
//! database (docs/protocol.md C77): games resume at their last acknowledged action.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
};

use futures_util::StreamExt;
use magnate_server::store::Database;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::game_support::{error_message, responses, Client, Management, Player, Table};

/// A server process and the address it listens on.
struct Process {
    child: Child,
    address: SocketAddr,
}

impl Process {
    /// Starts the binary on `database` with 2-player public games and reads the bound address
    /// from its JSON log.
    fn start(database: &Database, directory: &Path) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_magnate-server"))
            .args(["--bind", "127.0.0.1:0", "--log-format", "json"])
            .args(crate::backend::database_args(database))
            .arg("--config")
            .arg(directory.join("missing.json"))
            .env("NUM_PUBLIC_GAME_PLAYERS", "2")
            .env("SECRET_KEY", "sigkill-test-key-0123456789abcdef")
            .env("LOG_LEVEL", "info")
            // The test plays at machine speed, like the load generator.
            .env("WS_ACTIONS_PER_SECOND", "0")
            .env("WS_CHATS_PER_SECOND", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("the server logs its address before exiting")
                .unwrap();
            let Ok(entry) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if entry["fields"]["message"] == "listening" {
                break entry["fields"]["address"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Process { child, address }
    }

    fn kill(mut self) {
        // `Child::kill` sends SIGKILL on Unix: no shutdown code runs at all.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn register(address: SocketAddr, name: &str) -> Player {
    let body: Value = reqwest::Client::new()
        .post(format!("http://{address}/auth/register/"))
        .json(
            &json!({"username": name, "password": crate::support::PASSWORD,
            "password2": crate::support::PASSWORD}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Player {
        id: body["user"]["pk"].as_i64().unwrap(),
        access: body["tokens"]["access"].as_str().unwrap().to_owned(),
    }
}

/// Both players join the public queue; returns the game they were matched into.
pub(crate) async fn match_players(address: SocketAddr, players: &[&Player]) -> i64 {
    let mut sockets = Vec::new();
    for player in players {
        let url = format!("ws://{address}/ws/queue/public/?token={}", player.access);
        sockets.push(tokio_tungstenite::connect_async(url).await.unwrap().0);
    }
    let mut games = Vec::new();
    for socket in &mut sockets {
        loop {
            let frame = tokio::time::timeout(crate::game_support::RECEIVE_TIMEOUT, socket.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            let Message::Text(text) = frame else {
                panic!("unexpected {frame:?}")
            };
            let frame: Value = serde_json::from_str(text.as_str()).unwrap();
            // The first player is told their place before the match.
            if frame["action"] == "queued" {
                continue;
            }
            assert_eq!(frame["action"], "match_found");
            games.push(frame["game_id"].as_i64().unwrap());
            break;
        }
    }
    assert_eq!(games[0], games[1]);
    games[0]
}

#[tokio::test]
async fn a_game_survives_sigkill_of_the_server_process() {
    let directory = tempfile::tempdir().unwrap();
    let database = crate::backend::test_database(directory.path()).await;
    let process = Process::start(&database, directory.path());
    let address = process.address;
    let alice = register(address, "alice").await;
    let bob = register(address, "bob").await;
    let game = match_players(address, &[&alice, &bob]).await;
    let server = crate::game_support::Remote::new(address);
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    table
        .drive(Management::Buy, 60, |t| t.log.len() >= 16)
        .await;
    let seen = table.view.clone();
    let (_watcher, before) = Client::connect(&server, game, &alice).await;

    process.kill();
    drop(table);

    let process = Process::start(&database, directory.path());
    let server = crate::game_support::Remote::new(process.address);
    let (mut client, after) = Client::connect(&server, game, &alice).await;
    let (before, after) = (&before["game_state"], &after["game_state"]);
    assert_eq!(
        after, before,
        "the game is exactly where the clients left it"
    );
    assert_eq!(after["money"], seen["money"]);
    assert_eq!(after["positions"], seen["positions"]);
    // Play goes on: the active player's next move is accepted.
    let active = after["active_phase_player"].as_i64().unwrap();
    let mover = if active == alice.id { &alice } else { &bob };
    if mover.id != alice.id {
        client.close().await;
        client = Client::connect(&server, game, mover).await.0;
    }
    let action = match after["phase"].as_str().unwrap() {
        "roll_the_dices" => json!({"type": "ActionThrowDices"}),
        "choose_square" => {
            let choices = after["possible_destinations"].as_object().unwrap();
            let square: u64 = choices.keys().next().unwrap().parse().unwrap();
            json!({"type": "ActionMoveTo", "square": square})
        }
        "choose_fantasy" => json!({"type": "ActionChooseCard"}),
        _ => json!({"type": "ActionNextPhase"}),
    };
    let frames = client.act(action).await;
    assert_eq!(error_message(&frames), None, "{frames:?}");
    assert!(!responses(&frames).is_empty());
    process.kill();
}
