//! R12–R14 and HTTP conventions: C29–C34, HEAD and OPTIONS.

use std::collections::HashSet;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use chrono::Duration;
use magnate_server::{
    config::Rewards,
    store::{GameResult, NewGame},
};
use serde_json::json;

use crate::support::{check, TestApp};

#[tokio::test]
async fn c29_private_code_is_six_uppercase_alphanumerics_on_the_slashless_path() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let mut codes = HashSet::new();
    for _ in 0..5 {
        let response = app.get("/lobby/get-private-code", Some(&user.access)).await;
        assert_eq!(response.status, StatusCode::OK);
        let body = response.json();
        let object = body.as_object().unwrap();
        assert_eq!(object.len(), 2);
        assert_eq!(body["message"], "Private room code generated successfully.");
        let code = body["code"].as_str().unwrap();
        assert_eq!(code.len(), 6);
        assert!(code
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit()));
        // The call does not reserve the room.
        assert!(!app.state.rooms.contains(code));
        codes.insert(code.to_owned());
    }
    assert_eq!(codes.len(), 5);
    let response = app
        .get("/lobby/get-private-code/", Some(&user.access))
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    let response = app.get("/lobby/get-private-code", None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn c30_check_code_follows_the_room_registry_case_sensitively() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let token = Some(user.access.as_str());
    check(
        &app.get("/lobby/check-code/AB12CD/", token).await,
        200,
        json!({"exists": false}),
    );
    // The lobby socket registers the room when it opens (a later issue); the registry is what
    // R12 reads.
    assert!(app.state.rooms.insert("AB12CD"));
    check(
        &app.get("/lobby/check-code/AB12CD/", token).await,
        200,
        json!({"exists": true}),
    );
    check(
        &app.get("/lobby/check-code/ab12cd/", token).await,
        200,
        json!({"exists": false}),
    );
    assert!(app.state.rooms.remove("AB12CD"));
    check(
        &app.get("/lobby/check-code/AB12CD/", token).await,
        200,
        json!({"exists": false}),
    );
    assert_eq!(
        app.get("/lobby/check-code/AB12CD/", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn c31_game_summary_checks_existence_then_participation() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let eve = app.register("eve").await;
    let bot = app.create_bot("Bot_ABC123_1", None).await;
    let store = app.store();
    let created_at = app.clock.now();
    let game = store
        .create_game(NewGame {
            created_at,
            players: vec![alice.id, bob.id, bot],
            is_private: true,
        })
        .await
        .unwrap();
    let path = format!("/game/summary/{game}/");
    let no_summary = json!({"detail": "No GameSummary matches the given query."});
    // Unfinished and unknown games have no summary, whoever asks.
    check(
        &app.get(&path, Some(&alice.access)).await,
        404,
        no_summary.clone(),
    );
    check(
        &app.get(&path, Some(&eve.access)).await,
        404,
        no_summary.clone(),
    );
    check(
        &app.get("/game/summary/777/", Some(&alice.access)).await,
        404,
        no_summary.clone(),
    );

    store.eliminate_player(game, bot).await.unwrap();
    store.eliminate_player(game, bob.id).await.unwrap();
    let ended_at = created_at + Duration::minutes(47) + Duration::microseconds(321);
    store
        .finish_game(
            GameResult {
                game_id: game,
                ended_at,
                winner: Some(alice.id),
                survivors: vec![(alice.id, 2310)],
            },
            Rewards::default(),
        )
        .await
        .unwrap();

    check(
        &app.get(&path, Some(&eve.access)).await,
        403,
        json!({"error": "No tienes permiso para ver el resumen de una partida en la que no participaste."}),
    );
    let expected = |id: i64| {
        json!({
            "id": id,
            "game": game,
            "start_date": "2026-04-16T10:15:30.123456Z",
            "end_date": "2026-04-16T11:02:30.123777Z",
            "final_money": {"alice": 2310, "bob": 0, "Bot_ABC123_1": 0}
        })
    };
    let response = app.get(&path, Some(&alice.access)).await;
    let id = response.json()["id"].as_i64().unwrap();
    check(&response, 200, expected(id));
    // Eliminated participants may read it too.
    check(&app.get(&path, Some(&bob.access)).await, 200, expected(id));
    assert_eq!(app.get(&path, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/game/summary/x1/", Some(&alice.access))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn c32_missing_trailing_slash_redirects_with_308_for_every_method() {
    let app = TestApp::new().await;
    for (method, path, location) in [
        (Method::GET, "/user/info", "/user/info/"),
        (Method::HEAD, "/shop/items", "/shop/items/"),
        (Method::POST, "/auth/login", "/auth/login/"),
        (Method::GET, "/game/summary/12", "/game/summary/12/"),
        (
            Method::GET,
            "/lobby/check-code/AB12?x=1",
            "/lobby/check-code/AB12/?x=1",
        ),
    ] {
        let response = app.call(method.clone(), path, None, None).await;
        assert_eq!(
            response.status,
            StatusCode::PERMANENT_REDIRECT,
            "{method} {path}"
        );
        assert_eq!(response.header("location"), Some(location));
    }
    // Paths that do not exist with a slash either are plain 404s.
    for path in ["/nope", "/user/nope", "/game/summary/abc", "/admin/"] {
        assert_eq!(
            app.get(path, None).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn c33_wrong_method_is_405_after_authentication() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let response = app.get("/auth/login/", None).await;
    check(
        &response,
        405,
        json!({"detail": "Método \"GET\" no permitido."}),
    );
    let allow = response.header("allow").unwrap();
    assert!(allow.contains("POST"), "{allow}");
    let response = app
        .call(Method::PUT, "/shop/buy/", Some(&user.access), None)
        .await;
    check(
        &response,
        405,
        json!({"detail": "Método \"PUT\" no permitido."}),
    );
    let response = app
        .call(Method::DELETE, "/user/info/", Some(&user.access), None)
        .await;
    check(
        &response,
        405,
        json!({"detail": "Método \"DELETE\" no permitido."}),
    );
    // Authentication runs first.
    let response = app.call(Method::PUT, "/shop/buy/", None, None).await;
    check(
        &response,
        401,
        json!({"detail": "Las credenciales de autenticación no se proveyeron."}),
    );
}

#[tokio::test]
async fn c34_cors_preflight_answers_allowed_origins_only() {
    let app = TestApp::new().await;
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/shop/buy/")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .body(Body::empty())
            .unwrap()
    };
    let response = app.send(preflight("http://localhost:5173")).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.body.is_empty());
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(
        response.header("access-control-allow-headers"),
        Some("accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with")
    );
    assert_eq!(
        response.header("access-control-allow-methods"),
        Some("DELETE, GET, OPTIONS, PATCH, POST, PUT")
    );
    assert_eq!(response.header("access-control-max-age"), Some("86400"));
    assert_eq!(response.header("access-control-allow-credentials"), None);
    assert_eq!(response.header("vary"), Some("origin"));

    let response = app.send(preflight("http://evil.example")).await;
    assert_eq!(response.status, StatusCode::OK);
    for header in [
        "access-control-allow-origin",
        "access-control-allow-headers",
        "access-control-allow-methods",
        "access-control-max-age",
    ] {
        assert_eq!(response.header(header), None, "{header}");
    }

    // Ordinary responses, errors included, carry the origin for allowed origins.
    let request = Request::builder()
        .uri("/user/info/")
        .header("origin", "http://127.0.0.1:5173")
        .body(Body::empty())
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("http://127.0.0.1:5173")
    );
}

#[tokio::test]
async fn head_works_on_get_endpoints_and_plain_options_authenticates() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let response = app
        .call(Method::HEAD, "/shop/items/", Some(&user.access), None)
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.body.is_empty());
    let response = app.call(Method::OPTIONS, "/shop/items/", None, None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    let response = app
        .call(Method::OPTIONS, "/shop/items/", Some(&user.access), None)
        .await;
    check(&response, 200, json!({}));
    let response = app.call(Method::OPTIONS, "/auth/login/", None, None).await;
    check(&response, 200, json!({}));
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let app = TestApp::new().await;
    let response = app.get("/nope/", None).await;
    let id = response.header("x-request-id").expect("request id");
    assert_eq!(id.len(), 36);
    let request = Request::builder()
        .uri("/nope/")
        .header("x-request-id", "client-chosen")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.send(request).await.header("x-request-id"),
        Some("client-chosen")
    );
}

#[tokio::test]
async fn probes_answer_without_credentials_and_readiness_asks_the_database() {
    let app = TestApp::new().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json(), json!({"status": "ok"}));
    let response = app.get("/readyz", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json(), json!({"status": "ready"}));
    // Probes are not REST resources: no trailing slash is added.
    let response = app.get("/readyz/", None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}
