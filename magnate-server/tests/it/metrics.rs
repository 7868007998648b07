//! The Prometheus metrics of the real binary (issue 18): their own listener, never the public
//! port, loopback unless allowed.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use serde_json::{json, Value};

use crate::support::PASSWORD;

const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A started server, killed when dropped.
struct Running {
    child: Child,
    /// The `listening` line.
    listening: Value,
    /// The metrics address, from the `serving metrics` line.
    metrics: Option<SocketAddr>,
    /// The log lines after `listening`.
    logs: mpsc::Receiver<Value>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// The next log line with this message.
    fn log_line(&self, message: &str) -> Value {
        loop {
            let entry = self
                .logs
                .recv_timeout(START_TIMEOUT)
                .unwrap_or_else(|_| panic!("no {message:?} line was logged"));
            if entry["fields"]["message"] == message {
                return entry;
            }
        }
    }

    fn address(&self) -> SocketAddr {
        self.listening["fields"]["address"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }
}

/// Starts the binary with `env` and waits for its `listening` line; `Err` holds the exit code
/// and standard error of a refused start.
fn start(env: &[(&str, &str)]) -> Result<Running, (i32, String)> {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("magnate.db");
    let mut command = Command::new(env!("CARGO_BIN_EXE_magnate-server"));
    command
        .args(["--bind", "127.0.0.1:0", "--log-format", "json"])
        .arg("--database")
        .arg(&database)
        .arg("--config")
        .arg(directory.path().join("missing.json"))
        .env_remove("SECRET_KEY")
        .env_remove("METRICS_BIND")
        .env_remove("METRICS_ALLOW_PUBLIC")
        .env("LOG_LEVEL", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the server binary starts");
    let stdout = child.stdout.take().unwrap();
    let (lines, found) = mpsc::channel();
    std::thread::spawn(move || {
        // Keeps the temporary directory alive as long as the server writes.
        let _directory = directory;
        // Reads to the end even when nobody listens, so the server never blocks on a full pipe.
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(entry) = serde_json::from_str::<Value>(&line) {
                let _ = lines.send(entry);
            }
        }
    });
    let mut metrics = None;
    loop {
        match found.recv_timeout(START_TIMEOUT) {
            Ok(entry) if entry["fields"]["message"] == "serving metrics at /metrics" => {
                metrics = Some(
                    entry["fields"]["address"]
                        .as_str()
                        .unwrap()
                        .parse()
                        .unwrap(),
                );
            }
            Ok(entry) if entry["fields"]["message"] == "listening" => {
                return Ok(Running {
                    child,
                    listening: entry,
                    metrics,
                    logs: found,
                });
            }
            Ok(_) => {}
            Err(_) => {
                let status = child.wait().unwrap();
                let mut text = String::new();
                let mut stderr = child.stderr.take().unwrap();
                std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
                return Err((status.code().unwrap_or(-1), text));
            }
        }
    }
}

async fn get(address: SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{address}{path}"))
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The value of the sample `series` (name and labels exactly as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

#[tokio::test]
async fn metrics_are_served_on_their_own_address_and_count_requests() {
    let server = start(&[("METRICS_BIND", "127.0.0.1:0")]).unwrap();
    let metrics = server.metrics.expect("a metrics address was logged");
    let address = server.address();
    assert_ne!(metrics, address);
    // The start-up line names the settings' sources, by name only.
    let settings = server.listening["fields"]["settings"].as_str().unwrap();
    assert!(settings.contains("METRICS_BIND"), "{settings}");
    assert!(
        settings.contains("--bind") && settings.contains("--database"),
        "{settings}"
    );
    assert!(
        !settings.contains("127.0.0.1"),
        "values are not logged: {settings}"
    );

    let registered = reqwest::Client::new()
        .post(format!("http://{address}/auth/register/"))
        .json(&json!({"username": "ops", "password": PASSWORD, "password2": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status().as_u16(), 201);
    assert_eq!(get(address, "/no/such/path").await.0, 404);
    let made_up = reqwest::Method::from_bytes(b"FROBNICATE").unwrap();
    let refused = reqwest::Client::new()
        .request(made_up, format!("http://{address}/auth/refresh/"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 405);

    let (status, text) = get(metrics, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(
        sample(&text, r#"magnate_build_info{version="0.1.0"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"magnate_http_requests_total{route="/auth/register/",method="POST",status="201"}"#
        ),
        Some(1.0)
    );
    // Unknown paths share one label, so probing cannot grow the series.
    assert_eq!(
        sample(
            &text,
            r#"magnate_http_requests_total{route="unmatched",method="GET",status="404"}"#
        ),
        Some(1.0)
    );
    // Made-up methods share one label too.
    assert_eq!(
        sample(
            &text,
            r#"magnate_http_requests_total{route="/auth/refresh/",method="other",status="405"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "magnate_password_hash_queue_wait_seconds_count"),
        Some(1.0)
    );
    assert_eq!(sample(&text, "magnate_games_live"), Some(0.0));
    assert_eq!(sample(&text, "magnate_rooms_live"), Some(0.0));
    assert!(sample(&text, "magnate_process_resident_memory_bytes").unwrap() > 1e6);
    assert!(text.contains("# HELP magnate_http_requests_total"));
    // Counters that may stay at zero are shown from the start.
    assert_eq!(
        sample(&text, "magnate_socket_cap_refusals_total"),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, r#"magnate_sockets_open{kind="lobby"}"#),
        Some(0.0)
    );

    // Never on the public port.
    assert_eq!(get(address, "/metrics").await.0, 404);
}

#[tokio::test]
async fn without_metrics_bind_nothing_listens_for_metrics() {
    let server = start(&[]).unwrap();
    assert_eq!(server.metrics, None);
    assert_eq!(get(server.address(), "/metrics").await.0, 404);
}

#[test]
fn a_non_loopback_metrics_address_needs_an_explicit_yes() {
    let Err((code, stderr)) = start(&[("METRICS_BIND", "0.0.0.0:0")]) else {
        panic!("the server started with metrics on every interface");
    };
    assert_ne!(code, 0);
    assert!(stderr.contains("METRICS_ALLOW_PUBLIC"), "{stderr}");
}

#[tokio::test]
async fn a_played_game_shows_in_the_metrics() {
    use crate::game_support::{Management, Remote, Table};
    use crate::sigkill::{match_players, register};

    let server = start(&[
        ("METRICS_BIND", "127.0.0.1:0"),
        ("NUM_PUBLIC_GAME_PLAYERS", "2"),
        // The test clients sync with chat markers, faster than the default limits allow.
        ("WS_ACTIONS_PER_SECOND", "0"),
        ("WS_CHATS_PER_SECOND", "0"),
    ])
    .unwrap();
    let (address, metrics) = (server.address(), server.metrics.unwrap());
    let alice = register(address, "alice").await;
    let bob = register(address, "bob").await;
    let game = match_players(address, &[&alice, &bob]).await;
    let mut table = Table::open(&Remote::new(address), game, &[&alice, &bob]).await;
    table
        .drive(Management::Buy, 60, |t| t.log.len() >= 16)
        .await;
    // A move out of turn is refused by the rules.
    let active = table.active();
    let idle = if active == alice.id { bob.id } else { alice.id };
    table
        .client(idle)
        .act(json!({"type": "ActionNextPhase"}))
        .await;

    let (status, text) = get(metrics, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(sample(&text, "magnate_games_started_total"), Some(1.0));
    assert_eq!(sample(&text, "magnate_games_live"), Some(1.0));
    assert_eq!(sample(&text, "magnate_queue_length"), Some(0.0));
    assert_eq!(
        sample(&text, r#"magnate_sockets_open{kind="game"}"#),
        Some(2.0)
    );
    assert!(
        sample(
            &text,
            r#"magnate_actions_total{kind="throw_dice",outcome="applied"}"#
        )
        .unwrap()
            >= 1.0,
        "{text}"
    );
    assert!(
        sample(
            &text,
            r#"magnate_actions_total{kind="next_phase",outcome="refused"}"#
        )
        .unwrap()
            >= 1.0,
        "{text}"
    );
    assert!(sample(&text, "magnate_action_round_trip_seconds_count").unwrap() >= 8.0);
    assert!(sample(&text, "magnate_journal_batch_commits_count").unwrap() >= 1.0);
    assert!(sample(&text, "magnate_journal_commit_seconds_count").unwrap() >= 1.0);

    // One line when the game starts and one when it ends, naming the players and the winner.
    let started = server.log_line("game started");
    assert_eq!(started["fields"]["game"], game);
    let players = started["fields"]["players"].as_str().unwrap().to_owned();
    assert!(players.contains(&alice.id.to_string()) && players.contains(&bob.id.to_string()));
    table
        .client(idle)
        .act(json!({"type": "ActionSurrender"}))
        .await;
    let ended = server.log_line("game ended");
    assert_eq!(ended["fields"]["game"], game);
    assert_eq!(ended["fields"]["winner"], active);
    assert!(ended["fields"]["actions"].as_u64().unwrap() >= 4, "{ended}");
    assert!(ended["fields"]["turns"].as_u64().unwrap() >= 1);
    let (_, text) = get(metrics, "/metrics").await;
    assert_eq!(sample(&text, "magnate_games_ended_total"), Some(1.0));
}
