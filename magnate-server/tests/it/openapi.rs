//! The OpenAPI document: generated from the code, committed as `docs/openapi.json`, served at
//! `/openapi.json`.

use std::path::PathBuf;

use axum::{body::Body, http::Request};
use serde_json::Value;

use crate::support::TestApp;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

/// Fails when `docs/openapi.json` is not what the code generates. Regenerate it with
/// `UPDATE_OPENAPI=1 cargo test -p magnate-server --test it openapi`.
#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = magnate_server::routes::openapi_document();
    let path = committed_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json differs from the generated document; run \
         `UPDATE_OPENAPI=1 cargo test -p magnate-server --test it openapi` and commit it"
    );
}

#[test]
fn the_document_is_openapi_3_1_and_names_every_rest_operation() {
    let document: Value =
        serde_json::from_str(&magnate_server::routes::openapi_document()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let operations = [
        ("/auth/register/", "post"),
        ("/auth/login/", "post"),
        ("/auth/refresh/", "post"),
        ("/user/info/", "get"),
        ("/user/change-piece/", "post"),
        ("/user/games-played/", "get"),
        ("/info/user-name-piece/{pk}/", "get"),
        ("/shop/items/", "get"),
        ("/shop/buy/", "post"),
        ("/shop/user-pieces/", "get"),
        ("/shop/user-emojis/", "get"),
        ("/lobby/check-code/{room_code}/", "get"),
        ("/lobby/get-private-code", "get"),
        ("/game/summary/{game_id}/", "get"),
        ("/game/replay/{game_id}/", "get"),
        ("/board/", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/game/join/", "post"),
        ("/game/leave/", "post"),
        ("/game/queue/", "get"),
    ];
    for (path, method) in operations {
        assert!(
            document["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(
        paths.len(),
        operations.len(),
        "an undocumented path crept in"
    );
    assert_eq!(
        document["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    // Protected operations name the scheme; refresh does not.
    assert_eq!(
        document["paths"]["/user/info/"]["get"]["security"][0]["bearerAuth"],
        serde_json::json!([])
    );
    assert!(document["paths"]["/auth/refresh/"]["post"]["security"].is_null());
}

#[tokio::test]
async fn the_server_serves_the_document() {
    let app = TestApp::new().await;
    let response = app
        .send(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json(),
        serde_json::from_str::<Value>(&magnate_server::routes::openapi_document()).unwrap()
    );
}
