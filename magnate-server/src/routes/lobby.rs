//! R12–R13: private-room code helpers.

use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};
use rand::Rng;
use serde_json::{json, Value};

use crate::{error::ApiError, extract::AuthUser, state::AppState};

use super::options_ok;

const CODE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const CODE_LENGTH: usize = 6;

/// Routes that need a valid access token.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/lobby/check-code/{room_code}/",
            get(check_code).options(options_ok),
        )
        // The only REST path without a trailing slash (docs/protocol.md item 1).
        .route(
            "/lobby/get-private-code",
            get(get_private_code).options(options_ok),
        )
}

#[utoipa::path(
    get,
    path = "/lobby/check-code/{room_code}/",
    tag = "lobby",
    summary = "Whether a private room code is in use",
    params(("room_code" = String, Path, description = "A room code (case-sensitive)")),
    responses(
        (status = 200, description = "The answer", body = super::openapi::CodeExists),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody),
        (status = 429, description = "Throttled (with `Retry-After`)", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn check_code(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(room_code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    // Codes are guessable only one by one: checks (and lobby joins) share a per-user budget.
    state
        .throttles
        .room_code_per_user
        .take(user.id, tokio::time::Instant::now())
        .map_err(ApiError::Throttled)?;
    Ok(Json(json!({ "exists": state.rooms.contains(&room_code) })))
}

#[utoipa::path(
    get,
    path = "/lobby/get-private-code",
    tag = "lobby",
    summary = "A free private room code (no trailing slash)",
    responses(
        (status = 200, description = "A code", body = super::openapi::PrivateCode),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn get_private_code(State(state): State<AppState>, _caller: AuthUser) -> Json<Value> {
    let mut rng = rand::thread_rng();
    let code = loop {
        let code: String = (0..CODE_LENGTH)
            .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
            .collect();
        // 36^6 codes make a collision rare; retrying keeps the draw uniform over free codes.
        if !state.rooms.contains(&code) {
            break code;
        }
    };
    Json(json!({
        "code": code,
        "message": "Private room code generated successfully.",
    }))
}
