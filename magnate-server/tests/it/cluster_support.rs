//! Real `magnate-server` processes in cluster mode (docs/cluster.md): several nodes on loopback
//! ports, one PostgreSQL schema, one Redis with a prefix of the test's own. The cluster tests
//! run only when `MAGNATE_TEST_POSTGRES` and `MAGNATE_TEST_REDIS` are set (`.ci/run` sets both).

use std::{
    io::{BufRead, BufReader, Write},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::Once,
    time::Duration,
};

use futures_util::StreamExt;
use magnate_server::store::Database;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::game_support::{Client, Player, Remote};

/// Lease lifetime of the test nodes: short, so that failover tests are quick.
pub const LEASE_MS: u64 = 2_000;

/// `(MAGNATE_TEST_POSTGRES, MAGNATE_TEST_REDIS)`, or `None` after saying once that the cluster
/// tests are skipped.
pub fn cluster_or_skip() -> Option<(String, String)> {
    static SAID: Once = Once::new();
    let postgres = crate::backend::postgres_url();
    let redis = std::env::var("MAGNATE_TEST_REDIS")
        .ok()
        .filter(|url| !url.is_empty());
    match (postgres, redis) {
        (Some(postgres), Some(redis)) => Some((postgres, redis)),
        _ => {
            SAID.call_once(|| {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "cluster tests skipped: set MAGNATE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
                     and MAGNATE_TEST_REDIS=redis://127.0.0.1:6379 to run them"
                );
            });
            None
        }
    }
}

/// One node process.
pub struct Node {
    child: Child,
    pub address: SocketAddr,
}

impl Node {
    /// Starts node `id` of the cluster on `database` and `redis` with channel prefix `prefix`.
    pub fn start(
        database: &Database,
        redis: &str,
        prefix: &str,
        id: &str,
        extra_env: &[(&str, &str)],
    ) -> Node {
        let mut command = Command::new(env!("CARGO_BIN_EXE_magnate-server"));
        command
            .args(["--bind", "127.0.0.1:0", "--log-format", "json"])
            .args(crate::backend::database_args(database))
            .arg("--config")
            .arg("/nonexistent/magnate-cluster-test.json")
            .env("REDIS_URL", redis)
            .env("REDIS_PREFIX", prefix)
            .env("NODE_ID", id)
            .env("CLUSTER_LEASE_MS", LEASE_MS.to_string())
            .env("NUM_PUBLIC_GAME_PLAYERS", "2")
            .env("SECRET_KEY", "cluster-test-key-0123456789abcdef")
            .env("LOG_LEVEL", "info")
            .env("WS_ACTIONS_PER_SECOND", "0")
            .env("WS_CHATS_PER_SECOND", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the server binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("the node logs its address before exiting")
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
        std::thread::spawn(move || for _ in lines {});
        Node { child, address }
    }

    /// The node as a test endpoint.
    pub fn remote(&self) -> Remote {
        Remote::new(self.address)
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM: the node drains; returns once it exited.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        self.child.wait().unwrap()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh schema and a Redis prefix of this test's own.
pub async fn cluster_database(postgres: &str, test: &str) -> (Database, String) {
    let database = crate::backend::postgres_database(postgres).await;
    let prefix = format!("mt{}_{test}", std::process::id());
    (database, prefix)
}

/// Queues `player` on `node`'s public queue socket; the socket is returned still open.
pub async fn queue(
    node: SocketAddr,
    player: &Player,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("ws://{node}/ws/queue/public/?token={}", player.access);
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// Waits for `match_found` on a queue socket; returns the game id.
pub async fn match_found(
    socket: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> i64 {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .expect("match_found in time")
            .expect("the socket stays open")
            .unwrap();
        let Message::Text(text) = frame else {
            continue;
        };
        let frame: Value = serde_json::from_str(text.as_str()).unwrap();
        if frame["action"] == "match_found" {
            return frame["game_id"].as_i64().unwrap();
        }
    }
}

/// Connects `player` to `game` on `node`, retrying while the game moves between nodes (the
/// handshake waits for the new owner; a node that died refuses connections).
pub async fn reconnect(node: &Remote, game: i64, player: &Player) -> (Client, Value) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let url = format!(
            "ws://{}/ws/game/{game}/?token={}",
            crate::game_support::Endpoint::address(node),
            player.access
        );
        let status = crate::game_support::handshake_status(&url).await;
        if status == 101 {
            return Client::connect(node, game, player).await;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "game {game} did not come back (last status {status})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Reads frames until the socket closes; returns them and the close code.
pub async fn until_closed(client: &mut Client) -> (Vec<Value>, Option<u16>) {
    let mut frames = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(30), client.ws.next())
            .await
            .expect("the socket closes in time");
        match next {
            Some(Ok(Message::Text(text))) => {
                frames.push(serde_json::from_str(text.as_str()).unwrap());
            }
            Some(Ok(Message::Close(frame))) => {
                return (frames, frame.map(|frame| u16::from(frame.code)));
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (frames, None),
        }
    }
}

/// Number of record entries stored for `game`.
pub async fn record_len(database: &Database, game: i64) -> i64 {
    let store = magnate_server::Store::open_database(database)
        .await
        .unwrap();
    store
        .raw_int(
            "SELECT COUNT(*) FROM game_records WHERE game_id = ?1",
            vec![game.into()],
        )
        .await
        .unwrap()
}
