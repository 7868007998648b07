//! Issue 12: a refused WebSocket upgrade says why: `403 {"detail": …, "code": …}` (and a log
//! line), for a missing, invalid, expired or refresh token, an unknown game and a stranger.

use serde_json::Value;
use tokio_tungstenite::tungstenite;

use crate::ws_support::Server;

/// The status and body of a refused handshake to `path_and_query`.
async fn refusal(server: &Server, path_and_query: &str) -> (u16, Value) {
    let url = format!("ws://{}{path_and_query}", server.address());
    match tokio_tungstenite::connect_async(&url).await {
        Ok(_) => panic!("{path_and_query} was accepted"),
        Err(tungstenite::Error::Http(response)) => {
            let body = serde_json::from_slice(response.body().as_deref().unwrap_or_default())
                .unwrap_or(Value::Null);
            (response.status().as_u16(), body)
        }
        Err(other) => panic!("{path_and_query}: {other}"),
    }
}

#[tokio::test]
async fn refused_upgrades_say_why() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let carol = server.app.register("carol").await;
    server
        .app
        .post("/game/join/", Some(&alice.access), serde_json::json!({}))
        .await;
    let matched = server
        .app
        .post("/game/join/", Some(&bob.access), serde_json::json!({}))
        .await;
    let game = matched.json()["game_id"].as_i64().unwrap();
    let expired = server
        .app
        .state
        .jwt
        .issue_pair(
            alice.id,
            server.app.clock.now() - chrono::Duration::hours(1),
        )
        .access;
    let cases = [
        (format!("/ws/game/{game}/"), "token_missing"),
        (format!("/ws/game/{game}/?token=nonsense"), "token_invalid"),
        (format!("/ws/game/{game}/?token={expired}"), "token_expired"),
        (
            format!("/ws/game/{game}/?token={}", alice.refresh),
            "token_wrong_type",
        ),
        (
            format!("/ws/game/{game}/?token={}", carol.access),
            "not_participant",
        ),
        (
            format!("/ws/game/abc/?token={}", alice.access),
            "game_not_found",
        ),
        (
            "/ws/queue/public/?token=nonsense".to_owned(),
            "token_invalid",
        ),
    ];
    for (path, code) in cases {
        let (status, body) = refusal(&server, &path).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(body["code"], code, "{path}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{path}: {body}"
        );
    }
    server.shut_down().await;
}
