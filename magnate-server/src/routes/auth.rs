//! R1–R3: register, login, refresh.

use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
use serde_json::{json, Value};

use crate::{
    auth::{
        has_refused_character, is_reserved_for_bots, normalize_username, password_problems,
        ClientAddress, PasswordCheck, TokenKind, UserClaim, USERNAME_INVISIBLE, USERNAME_RESERVED,
    },
    dto::UserProfile,
    error::{ApiError, FieldErrors, TokenError},
    extract::{read_string, FormBody, BLANK},
    state::AppState,
    store::{CreateUserOutcome, NewUser},
};

use super::options_ok;

/// Longest accepted username, in characters.
pub const MAX_USERNAME_CHARS: usize = 40;
const USERNAME_TOO_LONG: &str = "Asegúrese de que este campo no tenga más de 40 caracteres.";
const USERNAME_TAKEN: &str = "Ya existe usuario con este username.";
const PASSWORDS_DIFFER: &str = "Las contraseñas no coinciden.";

/// Routes that run optional authentication (a bad Bearer header still fails).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register/", post(register_user).options(options_ok))
        .route("/auth/login/", post(login_user).options(options_ok))
}

/// Routes that ignore the `Authorization` header.
pub fn unauthenticated_router() -> Router<AppState> {
    Router::new().route("/auth/refresh/", post(refresh_tokens).options(options_ok))
}

#[utoipa::path(
    post,
    path = "/auth/register/",
    tag = "auth",
    summary = "Register a user",
    request_body = super::openapi::RegisterRequest,
    responses(
        (status = 201, description = "Registered; the profile and tokens", body = super::openapi::AuthResponse),
        (status = 400, description = "Invalid fields, malformed body", body = super::openapi::ErrorBody),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody),
        (status = 408, description = "The body did not arrive in time", body = super::openapi::ErrorBody),
        (status = 413, description = "Body too large", body = super::openapi::ErrorBody),
        (status = 415, description = "Unsupported media type", body = super::openapi::ErrorBody),
        (status = 429, description = "Throttled (with `Retry-After`)", body = super::openapi::ErrorBody)
    ),
    security((), ("bearerAuth" = []))
)]
async fn register_user(
    State(state): State<AppState>,
    address: ClientAddress,
    FormBody(body): FormBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // Every attempt counts, refused ones too: probing names costs the same as registering.
    if address.0.is_some() {
        state
            .throttles
            .registration_per_address
            .take(address, tokio::time::Instant::now())
            .map_err(ApiError::Throttled)?;
    }
    let mut errors = FieldErrors::new();
    // Names are stored, compared and looked up NFKC-normalized (see `auth::usernames`).
    let username = read_string(&body, "username", &mut errors)
        .map(|raw| normalize_username(&raw))
        .filter(|name| {
            if name.is_empty() {
                errors.add("username", BLANK);
            }
            !name.is_empty()
        });
    if let Some(name) = &username {
        if name.chars().count() > MAX_USERNAME_CHARS {
            errors.add("username", USERNAME_TOO_LONG);
        } else if has_refused_character(name) {
            errors.add("username", USERNAME_INVISIBLE);
        } else if is_reserved_for_bots(name) {
            errors.add("username", USERNAME_RESERVED);
        } else if state.store.username_exists(name.clone()).await? {
            errors.add("username", USERNAME_TAKEN);
        }
    }
    let password = read_string(&body, "password", &mut errors);
    if let Some(password) = &password {
        for problem in password_problems(password) {
            errors.add("password", problem);
        }
    }
    let password2 = read_string(&body, "password2", &mut errors);
    errors.into_result()?;
    let (Some(username), Some(password), Some(password2)) = (username, password, password2) else {
        return Err(ApiError::Internal(
            "validation passed without all register fields".into(),
        ));
    };
    if password != password2 {
        let mut errors = FieldErrors::new();
        errors.add("password", PASSWORDS_DIFFER);
        return Err(ApiError::Validation(errors));
    }

    let hash = state
        .passwords
        .hash_pooled(password)
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    let now = state.clock.now();
    let outcome = state
        .store
        .create_user(NewUser {
            username,
            password_hash: Some(hash),
            bot_level: None,
            date_joined: now,
        })
        .await?;
    let user = match outcome {
        CreateUserOutcome::Created(user) => user,
        CreateUserOutcome::UsernameTaken => {
            // Another registration with the same name won the race after our check.
            let mut errors = FieldErrors::new();
            errors.add("username", USERNAME_TAKEN);
            return Err(ApiError::Validation(errors));
        }
    };
    tracing::info!(user_id = user.id, "registered user");
    let tokens = state.jwt.issue_pair(user.id, now);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "message": "correctly registered user",
            "user": UserProfile::from(&user),
            "tokens": tokens,
        })),
    ))
}

#[utoipa::path(
    post,
    path = "/auth/login/",
    tag = "auth",
    summary = "Log in",
    request_body = super::openapi::LoginRequest,
    responses(
        (status = 200, description = "The profile and fresh tokens", body = super::openapi::AuthResponse),
        (status = 400, description = "Invalid fields, malformed body", body = super::openapi::ErrorBody),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody),
        (status = 408, description = "The body did not arrive in time", body = super::openapi::ErrorBody),
        (status = 413, description = "Body too large", body = super::openapi::ErrorBody),
        (status = 415, description = "Unsupported media type", body = super::openapi::ErrorBody),
        (status = 429, description = "Throttled (with `Retry-After`)", body = super::openapi::ErrorBody)
    ),
    security((), ("bearerAuth" = []))
)]
async fn login_user(
    State(state): State<AppState>,
    address: ClientAddress,
    FormBody(body): FormBody,
) -> Result<Json<Value>, ApiError> {
    let throttles = &state.throttles;
    if address.0.is_some() {
        throttles
            .login_per_address
            .take(address, tokio::time::Instant::now())
            .map_err(ApiError::Throttled)?;
    }
    let mut errors = FieldErrors::new();
    let username = read_string(&body, "username", &mut errors);
    let password = read_string(&body, "password", &mut errors);
    errors.into_result()?;
    let (Some(username), Some(password)) = (username, password) else {
        return Err(ApiError::Internal(
            "validation passed without all login fields".into(),
        ));
    };

    let normalized = normalize_username(&username);
    // A name that failed too often is refused before its password is even checked, whoever
    // asks: guessing is slowed down to the failure rate, from any number of addresses. The
    // key is the name as typed after normalization, so unknown names behave like known ones.
    throttles
        .login_failures_per_user
        .peek(&normalized, tokio::time::Instant::now())
        .map_err(ApiError::Throttled)?;
    let failure_key = normalized.clone();
    let mut user = state.store.user_by_username(normalized.clone()).await?;
    if user.is_none() && normalized != username {
        // An account registered before names were normalized is stored as it was typed.
        user = state.store.user_by_username(username).await?;
    }
    let hash = user.as_ref().and_then(|user| user.password_hash.clone());
    // The hash is checked even for unknown users so that timing does not reveal which names exist.
    let (outcome, upgraded_hash) = state
        .passwords
        .check_pooled(password, hash)
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    let user = match user {
        Some(user) if outcome != PasswordCheck::Mismatch && user.is_active && !user.is_bot => user,
        _ => {
            throttles
                .login_failures_per_user
                .charge(&failure_key, tokio::time::Instant::now());
            return Err(ApiError::BadCredentials);
        }
    };
    if let Some(upgraded_hash) = upgraded_hash {
        // A user migrated from the reference: replace the Django hash with argon2id.
        state
            .store
            .set_password_hash(user.id, upgraded_hash)
            .await?;
        tracing::info!(user_id = user.id, "upgraded a legacy password hash");
    }
    let tokens = state.jwt.issue_pair(user.id, state.clock.now());
    Ok(Json(json!({
        "message": "succesful login",
        "user": UserProfile::from(&user),
        "tokens": tokens,
    })))
}

#[utoipa::path(
    post,
    path = "/auth/refresh/",
    tag = "auth",
    summary = "Exchange a refresh token for a new pair",
    request_body = super::openapi::RefreshRequest,
    responses(
        (status = 200, description = "A new pair", body = super::openapi::Tokens),
        (status = 400, description = "Invalid fields, malformed body", body = super::openapi::ErrorBody),
        (status = 401, description = "Missing or refused credentials", body = super::openapi::ErrorBody),
        (status = 408, description = "The body did not arrive in time", body = super::openapi::ErrorBody),
        (status = 413, description = "Body too large", body = super::openapi::ErrorBody),
        (status = 415, description = "Unsupported media type", body = super::openapi::ErrorBody)
    ),
)]
async fn refresh_tokens(
    State(state): State<AppState>,
    FormBody(body): FormBody,
) -> Result<Json<Value>, ApiError> {
    let mut errors = FieldErrors::new();
    let refresh = read_string(&body, "refresh", &mut errors);
    errors.into_result()?;
    let Some(refresh) = refresh else {
        return Err(ApiError::Internal(
            "validation passed without a refresh token".into(),
        ));
    };
    let now = state.clock.now();
    let valid = state
        .jwt
        .verify(&refresh, TokenKind::Refresh, now)
        .map_err(ApiError::RefreshToken)?;
    let UserClaim::Id(user_id) = valid.user else {
        return Err(ApiError::NoActiveAccount);
    };
    match state.store.user(user_id).await? {
        Some(user) if user.is_active && !user.is_bot => {}
        _ => return Err(ApiError::NoActiveAccount),
    }
    if state.config.blacklist_after_rotation
        && !state
            .store
            .mark_refresh_used(valid.jti, valid.exp, now.timestamp())
            .await?
    {
        return Err(ApiError::RefreshToken(TokenError::Blacklisted));
    }
    let tokens = state.jwt.issue_pair(user_id, now);
    Ok(Json(
        json!({"access": tokens.access, "refresh": tokens.refresh}),
    ))
}
