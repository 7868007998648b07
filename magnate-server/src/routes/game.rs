//! R14: game summaries.

use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};

use crate::{
    error::ApiError,
    extract::AuthUser,
    state::AppState,
    store::{GameSummary, SummaryLookup},
};

use super::{options_ok, parse_int_segment};

const NO_SUMMARY: ApiError = ApiError::NotFound("No GameSummary matches the given query.");
const NOT_A_PARTICIPANT: &str =
    "No tienes permiso para ver el resumen de una partida en la que no participaste.";

/// Routes that need a valid access token.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/game/summary/{game_id}/",
        get(get_game_summary).options(options_ok),
    )
}

#[utoipa::path(
    get,
    path = "/game/summary/{game_id}/",
    tag = "game",
    summary = "A finished game's summary",
    params(("game_id" = u64, Path, description = "Game id (digits)")),
    responses(
        (status = 200, description = "The summary", body = super::openapi::Summary),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody),
        (status = 403, description = "Forbidden", body = super::openapi::ErrorBody),
        (status = 404, description = "Not found", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn get_game_summary(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(game_id): Path<String>,
) -> Result<Json<GameSummary>, ApiError> {
    let Some(game_id) = parse_int_segment(&game_id) else {
        return Err(NO_SUMMARY);
    };
    match state.store.summary_for(game_id, user.id).await? {
        SummaryLookup::NoSummary => Err(NO_SUMMARY),
        SummaryLookup::NotParticipant => Err(ApiError::Forbidden(NOT_A_PARTICIPANT)),
        SummaryLookup::Found(summary) => Ok(Json(summary)),
    }
}
