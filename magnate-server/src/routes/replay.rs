//! `GET /game/replay/<game_id>/`: a finished game's record replayed, for its participants.
//!
//! The stored record (header and inputs, docs/record-format.md) is replayed by magnate-core,
//! hash-checked, and every step is returned with the input that made it and the game as the
//! `game_state` snapshot of docs/protocol.md describes it after that input, plus every
//! player's net worth. Step 0 is the new game, before any input. The browser client draws
//! these snapshots with the same code that draws a live game.

use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};
use magnate_core::{Game, GameRecord, Input, PlayerId, RecordEntry};
use magnate_protocol::game::{action_object, snapshot_frame, SnapshotContext};
use serde_json::{json, Map, Value};

use crate::{error::ApiError, extract::AuthUser, state::AppState, store::records::load_record};

use super::{options_ok, parse_int_segment};

const NOT_A_PARTICIPANT: ApiError =
    ApiError::Forbidden("You did not play in this game, or it does not exist.");
const NOT_FINISHED: ApiError = ApiError::NotFound("This game has no finished record to replay.");

/// Routes that need a valid access token.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/game/replay/{game_id}/",
        get(get_game_replay).options(options_ok),
    )
}

#[utoipa::path(
    get,
    path = "/game/replay/{game_id}/",
    tag = "game",
    summary = "A finished game's replay",
    description = "The game's record replayed step by step, for players of the game (eliminated \
ones included). `steps[0]` is the new game; each later step names the input that made it \
(`actor` is the acting player's id, or null for a timer tick; `action` is the action as a \
client frame, or `{\"type\":\"Tick\"}`), its time in milliseconds (`at_ms`), the `game_state` \
snapshot after it (the game socket's snapshot) and each player's net worth (`worth`, by \
player id; 0 once eliminated). 403 when the caller did not play in the game or it does not \
exist; 404 while it is not finished.",
    params(("game_id" = u64, Path, description = "Game id (digits)")),
    responses(
        (status = 200, description = "The replay", body = super::openapi::ReplayBody),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody),
        (status = 403, description = "Not a player of this game", body = super::openapi::ErrorBody),
        (status = 404, description = "Not found or not finished", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn get_game_replay(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(game_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let Some(game_id) = parse_int_segment(&game_id) else {
        return Err(NOT_A_PARTICIPANT);
    };
    // Before the record is read: replaying is work, done only for the game's players.
    if !state.store.took_part(game_id, user.id).await? {
        return Err(NOT_A_PARTICIPANT);
    }
    let Some(stored) = load_record(&state.store, game_id).await? else {
        return Err(NOT_FINISHED);
    };
    if !stored.finished {
        return Err(NOT_FINISHED);
    }
    let created_at = stored.created_at;
    let record = GameRecord {
        header: stored.header,
        entries: stored.entries,
    };
    let body = tokio::task::spawn_blocking(move || replay_body(game_id, &created_at, &record))
        .await
        .map_err(|error| ApiError::Internal(format!("replay task failed: {error}")))??;
    Ok(Json(body))
}

/// Replays `record` into the response body.
fn replay_body(game_id: i64, created_at: &str, record: &GameRecord) -> Result<Value, ApiError> {
    let context = SnapshotContext {
        game_id,
        datetime: created_at,
    };
    let mut steps = Vec::with_capacity(record.entries.len() + 1);
    let mut previous: Option<RecordEntry> = None;
    // `inspect` sees the game before each entry, which is the game after the previous one.
    let last = magnate_core::record::verify_inspecting(record, |game, entry| {
        steps.push(step(game, previous.as_ref(), &context));
        previous = Some(entry.clone());
    })
    .map_err(|error| ApiError::Internal(format!("game {game_id} does not replay: {error}")))?;
    steps.push(step(&last, previous.as_ref(), &context));
    Ok(json!({"game": game_id, "steps": steps}))
}

/// One step: the input that led to `game` (none for the new game) and the game after it.
fn step(game: &Game, entry: Option<&RecordEntry>, context: &SnapshotContext<'_>) -> Value {
    let (index, at_ms, actor, action) = match entry {
        None => (
            Value::Null,
            game.started_at().0,
            Value::Null,
            json!({"type": "Start"}),
        ),
        Some(entry) => {
            let (actor, action) = match &entry.input {
                Input::Action { player, action } => {
                    (json!(player.0), Value::Object(action_object(action)))
                }
                Input::Tick => (Value::Null, json!({"type": "Tick"})),
            };
            (json!(entry.index), entry.now.0, actor, action)
        }
    };
    let snapshot: Value = serde_json::from_str(&snapshot_frame(game, context))
        .map(|mut frame: Value| frame["game_state"].take())
        .unwrap_or(Value::Null);
    let worth: Map<String, Value> = game
        .participants()
        .iter()
        .map(|player| {
            let id: PlayerId = player.id;
            (id.0.to_string(), json!(game.net_worth(id)))
        })
        .collect();
    json!({
        "index": index,
        "at_ms": at_ms,
        "actor": actor,
        "action": action,
        "state": snapshot,
        "worth": worth,
    })
}
