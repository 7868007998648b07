//! The real `magnate-server` binary at start-up (issue 13 items 10–12): one server per
//! database, a damaged write-ahead log, weak `SECRET_KEY`s.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use magnate_server::{
    store::{Synchronous, WalState},
    Store,
};
use serde_json::{json, Value};

use crate::support::PASSWORD;

/// How long a start may take before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A started server process.
struct Running {
    child: Child,
    address: SocketAddr,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a start ended.
enum Start {
    /// The server listens.
    Listening(Running),
    /// The process exited before listening, with this status and standard error.
    Exited(i32, String),
}

impl Start {
    #[track_caller]
    fn listening(self) -> Running {
        match self {
            Start::Listening(running) => running,
            Start::Exited(code, stderr) => panic!("the server exited with {code}: {stderr}"),
        }
    }

    #[track_caller]
    fn refused(self) -> String {
        match self {
            Start::Listening(running) => {
                panic!(
                    "the server started on {} but should not have",
                    running.address
                )
            }
            Start::Exited(code, stderr) => {
                assert_ne!(code, 0, "a refused start exits with an error: {stderr}");
                stderr
            }
        }
    }
}

/// Starts the binary on `database` with extra environment variables and waits until it
/// listens or exits.
fn start(database: &Path, env: &[(&str, &str)]) -> Start {
    let mut command = Command::new(env!("CARGO_BIN_EXE_magnate-server"));
    command
        .args(["--bind", "127.0.0.1:0", "--log-format", "json"])
        .arg("--database")
        .arg(database)
        .arg("--config")
        .arg(database.with_extension("missing.json"))
        .env_remove("SECRET_KEY")
        .env("LOG_LEVEL", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the server binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (found, address) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Ok(entry) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if !sent && entry["fields"]["message"] == "listening" {
                let address: SocketAddr = entry["fields"]["address"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                let _ = found.send(address);
                sent = true;
            }
        }
    });
    match address.recv_timeout(START_TIMEOUT) {
        Ok(address) => Start::Listening(Running { child, address }),
        Err(_) => {
            let status = child.wait().unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
            Start::Exited(status.code().unwrap_or(-1), text)
        }
    }
}

async fn register(address: SocketAddr, name: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("http://{address}/auth/register/"))
        .json(&json!({"username": name, "password": PASSWORD, "password2": PASSWORD}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_second_server_on_the_same_database_refuses_to_start() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("magnate.db");
    let first = start(&database, &[]).listening();
    let stderr = start(&database, &[]).refused();
    assert!(
        stderr.contains("another magnate-server is already using the database")
            && stderr.contains(&format!("process {}", first.child.id())),
        "{stderr}"
    );
    // The first server is undisturbed, and another database is free.
    assert_eq!(register(first.address, "alice").await, 201);
    let other = start(&directory.path().join("other.db"), &[]).listening();
    drop(other);
    // Once the first server is gone (even killed), the database can be used again.
    drop(first);
    start(&database, &[]).listening();
}

#[tokio::test]
async fn a_damaged_write_ahead_log_is_refused_instead_of_silently_rolling_back() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("magnate.db");
    let server = start(&database, &[]).listening();
    for name in ["alice", "bob", "carol", "dave"] {
        assert_eq!(register(server.address, name).await, 201);
    }
    // SIGKILL: nothing checkpoints, the commits are only in the log.
    drop(server);
    let wal = directory.path().join("magnate.db-wal");
    let mut bytes = std::fs::read(&wal).unwrap();
    assert!(bytes.len() > 3 * 4096, "the log holds several frames");
    // A byte in the first frame's page: SQLite would drop every commit after it.
    bytes[32 + 24 + 200] ^= 0x5a;
    std::fs::write(&wal, &bytes).unwrap();

    let stderr = start(&database, &[]).refused();
    assert!(
        stderr.contains("write-ahead log") && stderr.contains("is damaged"),
        "{stderr}"
    );
    // The operator accepts the loss by moving the log away.
    std::fs::rename(&wal, directory.path().join("damaged-wal")).unwrap();
    start(&database, &[]).listening();
}

#[tokio::test]
async fn a_damaged_database_file_is_refused() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("magnate.db");
    {
        let server = start(&database, &[]).listening();
        assert_eq!(register(server.address, "alice").await, 201);
        // A clean stop checkpoints the log into the file.
        let _ = Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status();
        let mut server = server;
        server.child.wait().unwrap();
    }
    let mut bytes = std::fs::read(&database).unwrap();
    let pages = bytes.len() / 4096;
    assert!(pages > 3);
    // Scribble over the b-tree header of a page in the middle.
    let page = pages / 2;
    for byte in &mut bytes[page * 4096..page * 4096 + 16] {
        *byte = 0xee;
    }
    std::fs::write(&database, &bytes).unwrap();
    let stderr = start(&database, &[]).refused();
    assert!(stderr.contains("quick_check"), "{stderr}");
}

#[tokio::test]
async fn weak_secret_keys_are_refused_and_no_key_still_needs_no_set_up() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("magnate.db");
    for weak in [
        "x",
        "short-key",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "abababababababababababababababababab",
    ] {
        let stderr = start(&database, &[("SECRET_KEY", weak)]).refused();
        assert!(
            stderr.contains("SECRET_KEY is too weak"),
            "{weak}: {stderr}"
        );
        assert!(
            !stderr.contains(weak) || weak.len() < 3,
            "the key is never printed"
        );
    }
    let strong = "0123456789abcdef0123456789abcdef";
    let server = start(&database, &[("SECRET_KEY", strong)]).listening();
    assert_eq!(register(server.address, "alice").await, 201);
    drop(server);
    // Unset (or empty): the server generates a key and keeps it, as before.
    start(&database, &[]).listening();
    start(&database, &[("SECRET_KEY", "")]).listening();
}

#[tokio::test]
async fn full_synchronous_mode_is_a_setting() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("magnate.db");
    let stderr = start(&database, &[("SQLITE_SYNCHRONOUS", "sometimes")]).refused();
    assert!(stderr.contains("sometimes"), "{stderr}");
    let server = start(&database, &[("SQLITE_SYNCHRONOUS", "full")]).listening();
    assert_eq!(register(server.address, "alice").await, 201);
    drop(server);
    for (setting, expected) in [(Synchronous::Full, 2), (Synchronous::Normal, 1)] {
        let (store, wal) = Store::open_checked(&database, setting).unwrap();
        assert_eq!(wal, WalState::Clean);
        let level: i64 = store
            .call(
                |connection| Ok(connection.query_row("PRAGMA synchronous", [], |row| row.get(0))?),
            )
            .await
            .unwrap();
        assert_eq!(level, expected, "{setting:?}");
    }
}
