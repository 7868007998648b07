//! The public queue over REST, for game-service clients without a queue socket.
//!
//! These endpoints talk to the same matchmaker task as `/ws/queue/public/`, so a user queued
//! here and a user queued on a socket are matched with each other. All three need a Bearer
//! access token (401 bodies as on every protected endpoint). Shapes:
//!
//! | Request | Status | Body |
//! |---|---|---|
//! | `POST /game/join/`, new entry | 201 | `{"status":"queued","position":N}`, or `{"status":"matched","game_id":G}` when this join completed a game |
//! | `POST /game/join/`, already queued | 200 | `{"status":"queued","position":N}` (the place is kept) |
//! | `POST /game/join/`, seated in an unfinished game | 409 | `{"detail":"Ya estás jugando la partida G; termínala o ríndete antes de volver a la cola.","game_id":G}` (not queued) |
//! | `POST /game/leave/`, queued | 200 | `{"status":"left"}`; a queue socket holding the entry is closed with 4000 |
//! | `POST /game/leave/`, not queued | 404 | `{"detail":"No estás en la cola."}` |
//! | `GET /game/queue/` | 200 | `{"status":"queued","position":N}`, `{"status":"matched","game_id":G}` (the last match since the user last joined, or else the unfinished game the user still plays in) or `{"status":"idle"}` |
//!
//! The matchmaker keeps its matches in memory, so a server that stopped after creating a game and
//! before a player heard `match_found` would leave that player's seat waiting forever. The status
//! therefore falls back to the user's unfinished game from the database (`active_game_id`, set
//! when a game is created and cleared when the player is eliminated or the game ends): a client
//! whose queue socket died asks here where its game is.
//! `position` is 1 for the oldest entry. A request body, if any, is ignored.
//!
//! An entry made here stays until it is matched or left over REST. If the same user then opens a
//! queue socket, that socket holds the entry from then on (same place), and closing it removes
//! the entry, as for any queue socket (docs/protocol.md).

use axum::{extract::State, http::StatusCode, routing::get, routing::post, Json, Router};
use serde_json::{json, Value};

use crate::{error::ApiError, extract::AuthUser, queue::QueueStatus, state::AppState};

use super::options_ok;

/// `POST /game/leave/` when the caller has no queue entry.
pub const NOT_QUEUED: &str = "No estás en la cola.";

/// Routes that need a valid access token.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/game/join/", post(join_queue).options(options_ok))
        .route("/game/leave/", post(leave_queue).options(options_ok))
        .route("/game/queue/", get(get_queue_status).options(options_ok))
}

#[utoipa::path(
    post,
    path = "/game/join/",
    tag = "game",
    summary = "Join the public queue (a body, if any, is ignored)",
    responses(
        (status = 201, description = "Queued, or matched by this join", body = super::openapi::QueueStatusBody),
        (status = 200, description = "Already queued; the place is kept", body = super::openapi::QueueStatusBody),
        (status = 409, description = "Seated in an unfinished game; not queued", body = super::openapi::StillPlaying),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn join_queue(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let outcome = state.matchmaker.join(user.id).await?;
    if let QueueStatus::Playing { game_id } = outcome.status {
        return Ok((
            StatusCode::CONFLICT,
            Json(json!({"detail": still_playing(game_id), "game_id": game_id})),
        ));
    }
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(status_body(outcome.status))))
}

#[utoipa::path(
    post,
    path = "/game/leave/",
    tag = "game",
    summary = "Leave the public queue (a body, if any, is ignored)",
    responses(
        (status = 200, description = "Left", body = super::openapi::QueueStatusBody),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody),
        (status = 404, description = "Not found", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn leave_queue(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Value>, ApiError> {
    if state.matchmaker.leave(user.id).await? {
        Ok(Json(json!({"status": "left"})))
    } else {
        Err(ApiError::NotFound(NOT_QUEUED))
    }
}

#[utoipa::path(
    get,
    path = "/game/queue/",
    tag = "game",
    summary = "The caller's queue status",
    responses(
        (status = 200, description = "The status", body = super::openapi::QueueStatusBody),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn get_queue_status(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Value>, ApiError> {
    // Not queued: `matched` names the game the user still plays (the last match, or a game the
    // matchmaker does not know); once that game has ended for them, the user is idle.
    let status = match state.matchmaker.status(user.id).await? {
        queued @ QueueStatus::Queued { .. } => queued,
        _ => match user.active_game_id {
            Some(game_id) => QueueStatus::Matched { game_id },
            None => QueueStatus::Idle,
        },
    };
    Ok(Json(status_body(status)))
}

/// `POST /game/join/` from a user seated in the unfinished game `game_id`.
pub fn still_playing(game_id: i64) -> String {
    format!("Ya estás jugando la partida {game_id}; termínala o ríndete antes de volver a la cola.")
}

fn status_body(status: QueueStatus) -> Value {
    match status {
        QueueStatus::Queued { position } => json!({"status": "queued", "position": position}),
        QueueStatus::Matched { game_id } | QueueStatus::Playing { game_id } => {
            json!({"status": "matched", "game_id": game_id})
        }
        QueueStatus::Idle => json!({"status": "idle"}),
    }
}
