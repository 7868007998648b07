//! R8–R11: the shop.

use axum::{
    extract::State,
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

use crate::{
    error::{ApiError, FieldErrors},
    extract::{read_integer, AuthUser, FormBody},
    state::AppState,
    store::{BuyOutcome, Item, ItemKind},
};

use super::options_ok;

/// Routes that need a valid access token.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/shop/items/", get(list_items).options(options_ok))
        .route("/shop/buy/", post(buy_item).options(options_ok))
        .route(
            "/shop/user-pieces/",
            get(list_user_pieces).options(options_ok),
        )
        .route(
            "/shop/user-emojis/",
            get(list_user_emojis).options(options_ok),
        )
}

#[utoipa::path(
    get,
    path = "/shop/items/",
    tag = "shop",
    summary = "Every item, with ownership",
    responses(
        (status = 200, description = "Items", body = Vec<super::openapi::ShopItem>),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn list_items(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Item>>, ApiError> {
    Ok(Json(state.store.items(user.id, None).await?))
}

#[utoipa::path(
    get,
    path = "/shop/user-pieces/",
    tag = "shop",
    summary = "Every piece, with ownership",
    responses(
        (status = 200, description = "Pieces", body = Vec<super::openapi::ShopItem>),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn list_user_pieces(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Item>>, ApiError> {
    Ok(Json(
        state.store.items(user.id, Some(ItemKind::Piece)).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/shop/user-emojis/",
    tag = "shop",
    summary = "Every emoji, with ownership",
    responses(
        (status = 200, description = "Emojis", body = Vec<super::openapi::ShopItem>),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn list_user_emojis(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Item>>, ApiError> {
    Ok(Json(
        state.store.items(user.id, Some(ItemKind::Emoji)).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/shop/buy/",
    tag = "shop",
    summary = "Buy an item with points",
    request_body = super::openapi::CustomIdRequest,
    responses(
        (status = 200, description = "Bought", body = super::openapi::Purchase),
        (status = 400, description = "Invalid fields, malformed body", body = super::openapi::ErrorBody),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody),
        (status = 408, description = "The body did not arrive in time", body = super::openapi::ErrorBody),
        (status = 413, description = "Body too large", body = super::openapi::ErrorBody),
        (status = 415, description = "Unsupported media type", body = super::openapi::ErrorBody)
    ),
    security(("bearerAuth" = []))
)]
async fn buy_item(
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
    let message = match state.store.buy_item(user.id, custom_id).await? {
        BuyOutcome::Bought {
            item,
            points_remaining,
        } => {
            tracing::info!(
                user_id = user.id,
                custom_id,
                points_remaining,
                "item bought"
            );
            return Ok(Json(json!({
                "message": "Purchase successful.",
                "item": item,
                "points_remaining": points_remaining,
            })));
        }
        BuyOutcome::ItemNotFound => "Item not found.".to_owned(),
        BuyOutcome::AlreadyOwned => "You already own this item.".to_owned(),
        BuyOutcome::NotEnoughPoints { points, price } => {
            format!("Not enough points. You have {points}, item costs {price}.")
        }
    };
    let mut errors = FieldErrors::new();
    errors.add("custom_id", message);
    Err(ApiError::Validation(errors))
}
