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

#[utoipa::path(
    get,
    path = "/user/info/",
    tag = "user",
    summary = "The caller's profile",
    responses(
        (status = 200, description = "The profile", body = crate::dto::UserProfile),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn get_profile(AuthUser(user): AuthUser) -> Json<UserProfile> {
    Json(UserProfile::from(&user))
}

#[utoipa::path(
    post,
    path = "/user/change-piece/",
    tag = "user",
    summary = "Equip an owned piece",
    request_body = super::openapi::CustomIdRequest,
    responses(
        (status = 200, description = "Equipped", body = super::openapi::PieceChanged),
        (status = 400, description = "Invalid fields, malformed body", body = super::openapi::ErrorBody),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody),
        (status = 408, description = "The body did not arrive in time", body = super::openapi::ErrorBody),
        (status = 413, description = "Body too large", body = super::openapi::ErrorBody),
        (status = 415, description = "Unsupported media type", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
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

#[utoipa::path(
    get,
    path = "/user/games-played/",
    tag = "user",
    summary = "Games the caller took part in",
    responses(
        (status = 200, description = "Game ids", body = super::openapi::GamesPlayed),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn list_games_played(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Value>, ApiError> {
    let games = state.store.games_played(user.id).await?;
    Ok(Json(json!({ "games": games })))
}

#[utoipa::path(
    get,
    path = "/info/user-name-piece/{pk}/",
    tag = "user",
    summary = "A user's name and piece",
    params(("pk" = u64, Path, description = "User id (digits)")),
    responses(
        (status = 200, description = "Name and piece", body = super::openapi::NameAndPiece),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody),
        (status = 404, description = "Not found", body = super::openapi::ErrorBody)
    ),
    security((), ("bearerAuth" = []))
)]
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
