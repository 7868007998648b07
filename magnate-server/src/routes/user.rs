//! R4–R7: profile, piece, games played, public name and piece.

use axum::{
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

use crate::{
    dto::UserProfile,
    error::{ApiError, FieldErrors},
    extract::{read_integer, AuthUser, FormBody},
    state::AppState,
    store::ChangePieceOutcome,
};

use super::{options_ok, parse_int_segment};

/// Routes that need a valid access token.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/user/info/", get(get_profile).options(options_ok))
        .route(
            "/user/change-piece/",
            post(change_piece).options(options_ok),
        )
        .route(
            "/user/games-played/",
            get(list_games_played).options(options_ok),
        )
}

/// Routes open to anonymous callers.
pub fn public_router() -> Router<AppState> {
    Router::new().route(
        "/info/user-name-piece/{pk}/",
        get(get_user_name_piece).options(options_ok),
    )
}

async fn get_profile(AuthUser(user): AuthUser) -> Json<UserProfile> {
    Json(UserProfile::from(&user))
}

async fn change_piece(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    FormBody(body): FormBody,
) -> Result<Json<Value>, ApiError> {
    let mut errors = FieldErrors::new();
    let custom_id = read_integer(&body, "custom_id", &mut errors);
    errors.into_result()?;
    let Some(custom_id) = custom_id else {
        return Err(ApiError::Internal(
            "validation passed without custom_id".into(),
        ));
    };
    let message = match state.store.change_piece(user.id, custom_id).await? {
        ChangePieceOutcome::Changed => {
            return Ok(Json(json!({
                "message": "Piece changed successfully.",
                "user_piece": custom_id,
            })))
        }
        ChangePieceOutcome::ItemNotFound => "Item not found.",
        ChangePieceOutcome::NotAPiece => "Item is not a piece.",
        ChangePieceOutcome::NotOwned => "You do not own this piece.",
    };
    let mut errors = FieldErrors::new();
    errors.add("custom_id", message);
    Err(ApiError::Validation(errors))
}

async fn list_games_played(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Value>, ApiError> {
    let games = state.store.games_played(user.id).await?;
    Ok(Json(json!({ "games": games })))
}

async fn get_user_name_piece(
    State(state): State<AppState>,
    Path(pk): Path<String>,
) -> Result<Json<Value>, ApiError> {
    const NO_USER: ApiError = ApiError::NotFound("No CustomUser matches the given query.");
    let Some(pk) = parse_int_segment(&pk) else {
        return Err(NO_USER);
    };
    let user = state.store.user(pk).await?.ok_or(NO_USER)?;
    Ok(Json(
        json!({"username": user.username, "piece": user.user_piece}),
    ))
}
