//! Throttles of logins, registrations and room-code probing, and the host removing a member
//! (issue 13 items 6 and 7), against a real server. Different client addresses are real
//! loopback addresses (`127.0.0.2`, …) the test client binds to.

use std::net::IpAddr;

use magnate_server::config::{Rate, Throttles};
use magnate_server::Config;
use serde_json::{json, Value};

use crate::{
    support::{TestUser, PASSWORD},
    ws_support::{Ending, Server},
};

/// `burst` at once, then one a minute.
fn per_minute(burst: u32) -> Rate {
    Rate {
        burst,
        per_second: 1.0 / 60.0,
    }
}

fn config(throttles: Throttles) -> Config {
    Config {
        throttles,
        ..Config::default()
    }
}

/// An HTTP client whose connections come from `address` (any of 127.0.0.0/8).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// Status, `Retry-After` and body of a POST.
async fn post(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    body: Value,
) -> (u16, Option<String>, Value) {
    let response = client
        .post(format!("http://{}{path}", server.address()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, retry, response.json().await.unwrap_or(Value::Null))
}

async fn login(client: &reqwest::Client, server: &Server, name: &str, password: &str) -> u16 {
    post(
        client,
        server,
        "/auth/login/",
        json!({"username": name, "password": password}),
    )
    .await
    .0
}

fn throttled(seconds: u64) -> Value {
    json!({"detail": format!(
        "Solicitud fue regulada (throttled). Se espera que esté disponible en {seconds} segundos."
    )})
}

#[tokio::test]
async fn logins_are_throttled_per_client_address_with_retry_after() {
    let server = Server::with_config(config(Throttles {
        login_per_address: per_minute(3),
        ..Throttles::UNLIMITED
    }))
    .await;
    server.app.register("alice").await;
    let here = client_from("127.0.0.1");
    assert_eq!(login(&here, &server, "alice", PASSWORD).await, 200);
    assert_eq!(login(&here, &server, "alice", "wrong-password").await, 401);
    assert_eq!(login(&here, &server, "nobody", PASSWORD).await, 401);
    let (status, retry, body) = post(
        &here,
        &server,
        "/auth/login/",
        json!({"username": "alice", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(retry.as_deref(), Some("60"));
    assert_eq!(body, throttled(60));
    // Another address has its own budget.
    assert_eq!(
        login(&client_from("127.0.0.2"), &server, "alice", PASSWORD).await,
        200
    );
    server.shut_down().await;
}

#[tokio::test]
async fn failed_logins_lock_a_name_from_every_address_until_it_refills() {
    let server = Server::with_config(config(Throttles {
        login_failures_per_user: per_minute(3),
        ..Throttles::UNLIMITED
    }))
    .await;
    server.app.register("alice").await;
    server.app.register("bob").await;
    let guessers = ["127.0.0.3", "127.0.0.4", "127.0.0.5"].map(client_from);
    for guesser in &guessers {
        assert_eq!(
            login(guesser, &server, "alice", "wrong-password").await,
            401
        );
    }
    // Even the right password, from yet another address: the name is over its budget.
    let (status, retry, body) = post(
        &client_from("127.0.0.6"),
        &server,
        "/auth/login/",
        json!({"username": "alice", "password": PASSWORD}),
    )
    .await;
    assert_eq!((status, retry.as_deref()), (429, Some("60")));
    assert_eq!(body, throttled(60));
    // Successes do not count, and other names are not affected.
    for _ in 0..5 {
        assert_eq!(login(&guessers[0], &server, "bob", PASSWORD).await, 200);
    }
    // An unknown name is throttled exactly like a known one.
    for guesser in &guessers {
        assert_eq!(
            login(guesser, &server, "ghost", "wrong-password").await,
            401
        );
    }
    assert_eq!(login(&guessers[0], &server, "ghost", PASSWORD).await, 429);
    server.shut_down().await;
}

#[tokio::test]
async fn the_default_settings_throttle_registrations_and_password_guessing() {
    let server = Server::start().await;
    let here = client_from("127.0.0.1");
    let register = |name: String| {
        let here = here.clone();
        let server = &server;
        async move {
            post(
                &here,
                server,
                "/auth/register/",
                json!({"username": name, "password": PASSWORD, "password2": PASSWORD}),
            )
            .await
        }
    };
    for number in 0..10 {
        assert_eq!(register(format!("user{number}")).await.0, 201);
    }
    let (status, retry, body) = register("one_too_many".into()).await;
    assert_eq!(status, 429);
    // 5 a minute: the next one in 12 s.
    assert_eq!(retry.as_deref(), Some("12"));
    assert_eq!(body, throttled(12));
    let elsewhere = client_from("127.0.0.7");
    let (status, _, _) = post(
        &elsewhere,
        &server,
        "/auth/register/",
        json!({"username": "neighbour", "password": PASSWORD, "password2": PASSWORD}),
    )
    .await;
    assert_eq!(status, 201);
    // Ten wrong guesses, from addresses that each stay within their own login budget.
    for attempt in 0..10 {
        let guesser = client_from(&format!("127.0.1.{}", attempt + 1));
        assert_eq!(
            login(&guesser, &server, "user0", "wrong-password").await,
            401
        );
    }
    assert_eq!(login(&elsewhere, &server, "user0", PASSWORD).await, 429);
    assert_eq!(login(&elsewhere, &server, "user1", PASSWORD).await, 200);
    server.shut_down().await;
}

fn room_path(code: &str) -> String {
    format!("/ws/queue/private/{code}/")
}

async fn check_code(server: &Server, user: &TestUser, code: &str) -> (u16, Value) {
    let response = server
        .app
        .get(&format!("/lobby/check-code/{code}/"), Some(&user.access))
        .await;
    (response.status.as_u16(), response.json())
}

#[tokio::test]
async fn room_code_checks_and_joins_share_a_per_user_budget() {
    let server = Server::with_config(config(Throttles {
        room_code_per_user: per_minute(3),
        ..Throttles::UNLIMITED
    }))
    .await;
    let alice = server.app.register("alice").await;
    let mallory = server.app.register("mallory").await;
    let mut host = server.connect(&room_path("ROOM1"), &alice).await;
    assert_eq!(host.recv().await["action"], "room_created");
    assert_eq!(host.recv().await["user"], "alice");
    assert_eq!(check_code(&server, &mallory, "AAAAAA").await.0, 200);
    assert_eq!(check_code(&server, &mallory, "AAAAAB").await.0, 200);
    let mut probe = server.connect(&room_path("AAAAAC"), &mallory).await;
    assert_eq!(probe.recv().await["action"], "room_created");
    probe.close().await;
    // The budget is spent: checks get 429, joins the lobby's rejection, nothing is revealed.
    assert_eq!(
        check_code(&server, &mallory, "ROOM1").await,
        (429, throttled(60))
    );
    let mut refused = server.connect(&room_path("ROOM1"), &mallory).await;
    refused
        .expect_rejection(
            json!({"error": "Demasiados intentos, espera un momento."}),
            4003,
        )
        .await;
    // The room saw nothing of it, and other users keep their budget.
    let bob = server.app.register("bob").await;
    assert_eq!(
        check_code(&server, &bob, "ROOM1").await,
        (200, json!({"exists": true}))
    );
    let mut guest = server.connect(&room_path("ROOM1"), &bob).await;
    assert_eq!(guest.recv().await["user"], "bob");
    assert_eq!(host.recv().await["user"], "bob");
    server.shut_down().await;
}

#[tokio::test]
async fn the_default_settings_throttle_room_code_probing() {
    let server = Server::start().await;
    let mallory = server.app.register("mallory").await;
    for number in 0..20 {
        let (status, body) = check_code(&server, &mallory, &format!("P{number:05}")).await;
        assert_eq!((status, body), (200, json!({"exists": false})));
    }
    let (status, _) = check_code(&server, &mallory, "P99999").await;
    assert_eq!(status, 429);
    server.shut_down().await;
}

fn error(message: &str) -> Value {
    json!({"action": "error", "message": message})
}

#[tokio::test]
async fn the_host_removes_a_stranger_who_cannot_come_back() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let mallory = server.app.register("mallory").await;
    let mut host = server.connect(&room_path("KICK1"), &alice).await;
    assert_eq!(host.recv().await["action"], "room_created");
    assert_eq!(host.recv().await["action"], "joined");
    let mut stranger = server.connect(&room_path("KICK1"), &mallory).await;
    assert_eq!(stranger.recv().await["user"], "mallory");
    assert_eq!(host.recv().await["user"], "mallory");
    let mut friend = server.connect(&room_path("KICK1"), &bob).await;
    assert_eq!(friend.recv().await["user"], "bob");
    assert_eq!(host.recv().await["user"], "bob");
    assert_eq!(stranger.recv().await["user"], "bob");

    // Only the host may remove, only members, and not themselves.
    stranger
        .send_json(json!({"command": "kick_player", "user": "alice"}))
        .await;
    assert_eq!(
        stranger.recv().await,
        error("Solo el host puede expulsar jugadores.")
    );
    host.send_json(json!({"command": "kick_player", "user": "nobody"}))
        .await;
    assert_eq!(host.recv().await, error("Ese jugador no está en la sala."));
    host.send_json(json!({"command": "kick_player", "user": "alice"}))
        .await;
    assert_eq!(host.recv().await, error("No puedes expulsarte a ti mismo."));
    host.send_json(json!({"command": "kick_player"})).await;
    assert_eq!(host.recv().await, error("Datos invalidos."));

    host.send_json(json!({"command": "kick_player", "user": "mallory"}))
        .await;
    assert_eq!(
        stranger.recv().await,
        json!({"error": "Has sido expulsado de esta sala."})
    );
    assert_eq!(stranger.ending().await, Ending::Closed(1000));
    let left = json!({
        "action": "player_left", "user_left": "mallory", "owner": "alice",
        "players": [
            {"username": "alice", "ready_to_play": false, "user_piece": 1},
            {"username": "bob", "ready_to_play": false, "user_piece": 1}
        ]
    });
    let mut expected = left.clone();
    expected["is_owner"] = json!(true);
    assert_eq!(host.recv().await, expected);
    expected["is_owner"] = json!(false);
    assert_eq!(friend.recv().await, expected);

    // The stranger cannot come back to this room.
    let mut again = server.connect(&room_path("KICK1"), &mallory).await;
    again
        .expect_rejection(json!({"error": "Has sido expulsado de esta sala."}), 4003)
        .await;
    // The room is not blocked any more: the two friends start their game.
    for client in [&mut host, &mut friend] {
        client
            .send_json(json!({"command": "ready_status", "is_ready": true}))
            .await;
    }
    for _ in 0..2 {
        assert_eq!(host.recv().await["action"], "ready_status");
        assert_eq!(friend.recv().await["action"], "ready_status");
    }
    host.send_json(json!({"command": "start_game"})).await;
    assert_eq!(host.recv().await["action"], "game_start");
    assert_eq!(friend.recv().await["action"], "game_start");
    server.shut_down().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let mut config = config(Throttles {
        registration_per_address: per_minute(1),
        ..Throttles::UNLIMITED
    });
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let server = Server::with_config(config).await;
    let register = |from: &str, forwarded: &str, name: &str| {
        let client = client_from(from);
        let request = client
            .post(format!("http://{}/auth/register/", server.address()))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"username": name, "password": PASSWORD, "password2": PASSWORD}));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Through the proxy: one budget per forwarded client.
    assert_eq!(register("127.0.0.1", "203.0.113.5", "a1").await, 201);
    assert_eq!(register("127.0.0.1", "203.0.113.5", "a2").await, 429);
    assert_eq!(
        register("127.0.0.1", "9.9.9.9, 203.0.113.6", "b1").await,
        201
    );
    // A forged header from any other peer changes nothing: the peer is the client.
    assert_eq!(register("127.0.0.2", "203.0.113.7", "c1").await, 201);
    assert_eq!(register("127.0.0.2", "203.0.113.8", "c2").await, 429);
    server.shut_down().await;
}

#[test]
fn the_account_settings_are_validated_like_their_neighbours() {
    use clap::Parser;
    use magnate_server::Args;
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.json");
    let parse = |extra: &[&str]| {
        let mut argv = vec!["magnate-server", "--config", config_path.to_str().unwrap()];
        argv.extend_from_slice(extra);
        Config::from_args(&Args::try_parse_from(argv).unwrap())
    };
    let config = parse(&[]).unwrap();
    assert_eq!(config.throttles, Throttles::default());
    assert_eq!(config.throttles.login_per_address.burst, 20);
    assert!((config.throttles.login_per_address.per_second * 60.0 - 30.0).abs() < 1e-9);
    assert_eq!(
        config.first_connection_timeout,
        Some(std::time::Duration::from_secs(300))
    );
    assert!(config.trusted_proxies.is_empty());
    let config = parse(&[
        "--logins-per-minute-per-address",
        "0",
        "--login-failures-per-minute-per-user",
        "0",
        "--registrations-per-minute-per-address",
        "0",
        "--room-code-tries-per-minute",
        "0",
        "--first-connection-timeout",
        "0",
        "--trusted-proxies",
        "10.0.0.1,::1",
    ])
    .unwrap();
    let throttles = config.throttles;
    for rate in [
        throttles.login_per_address,
        throttles.login_failures_per_user,
        throttles.registration_per_address,
        throttles.room_code_per_user,
    ] {
        assert!(rate.is_unlimited(), "{rate:?}");
    }
    assert_eq!(config.first_connection_timeout, None);
    assert_eq!(config.trusted_proxies.len(), 2);
    for (flags, message) in [
        (
            ["--login-burst-per-address", "0"],
            "LOGIN_BURST_PER_ADDRESS must be at least 1",
        ),
        (
            [
                "--login-failures-per-minute-per-user=-1",
                "--log-level=info",
            ],
            "LOGIN_FAILURES_PER_MINUTE_PER_USER must be a non-negative number",
        ),
        (
            ["--registration-burst-per-address", "0"],
            "REGISTRATION_BURST_PER_ADDRESS must be at least 1",
        ),
        (
            ["--room-code-tries-per-minute", "inf"],
            "ROOM_CODE_TRIES_PER_MINUTE must be a non-negative number",
        ),
        (["--secret-key", "too-short"], "SECRET_KEY is too weak"),
    ] {
        let error = parse(&flags).unwrap_err().to_string();
        assert!(error.contains(message), "{flags:?}: {error}");
    }
    assert!(Args::try_parse_from(["magnate-server", "--trusted-proxies", "proxy.local"]).is_err());
}
