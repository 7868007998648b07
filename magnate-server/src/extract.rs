//! Request extractors: the form-like body, field readers with the reference's messages, and the
//! authenticated caller.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Multipart, Request},
    http::{header, request::Parts, HeaderMap},
};
use serde_json::{Map, Value};

use crate::{
    auth::{TokenKind, UserClaim},
    error::ApiError,
    state::AppState,
    store::User,
};

pub use magnate_protocol::fields::{
    read_integer, read_string, BLANK, NOT_AN_INTEGER, NOT_A_STRING, NULL, REQUIRED,
};

/// A request body parsed into an object of fields, as the reference's parsers do for JSON and
/// URL-encoded forms. An empty body is an empty object.
#[derive(Debug, Clone, Default)]
pub struct FormBody(pub Map<String, Value>);

impl FromRequest<AppState> for FormBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        let limit = state.config.max_body_bytes;
        let bytes: Bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|error| body_error(&error))?;
        parse_body(content_type.as_deref(), &bytes)
            .await
            .map(FormBody)
    }
}

/// Why a body could not be read: over the size limit (413), not received within the body read
/// timeout (408), or anything else, such as a client that hung up mid-body (400).
fn body_error(error: &axum::Error) -> ApiError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.is::<http_body_util::LengthLimitError>() {
            return ApiError::PayloadTooLarge;
        }
        if current.is::<crate::serve::BodyTimedOut>() {
            return ApiError::BodyTimeout;
        }
        cause = current.source();
    }
    ApiError::BodyUnreadable
}

/// Parses a body according to its content type.
pub async fn parse_body(
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<Map<String, Value>, ApiError> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    let full_type = content_type.unwrap_or("");
    let media_type = full_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/json" => {
            let value: Value = serde_json::from_slice(bytes)
                .map_err(|error| ApiError::MalformedJson(error.to_string()))?;
            match value {
                Value::Object(object) => Ok(object),
                Value::Array(_) => Err(ApiError::NotAnObject("list")),
                Value::String(_) => Err(ApiError::NotAnObject("str")),
                Value::Bool(_) => Err(ApiError::NotAnObject("bool")),
                Value::Null => Err(ApiError::NotAnObject("NoneType")),
                Value::Number(number) if number.is_f64() => Err(ApiError::NotAnObject("float")),
                Value::Number(_) => Err(ApiError::NotAnObject("int")),
            }
        }
        "application/x-www-form-urlencoded" => {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
                .map_err(|_| ApiError::UnsupportedMediaType(full_type.to_owned()))?;
            // Like Django's QueryDict, the last value of a repeated key wins.
            Ok(pairs
                .into_iter()
                .map(|(key, value)| (key, Value::String(value)))
                .collect())
        }
        "multipart/form-data" => parse_multipart(full_type, bytes).await,
        _ => Err(ApiError::UnsupportedMediaType(full_type.to_owned())),
    }
}

/// Reads the text fields of a `multipart/form-data` body; uploaded files are ignored.
async fn parse_multipart(content_type: &str, bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let request = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(bytes.to_vec()))
        .map_err(|_| ApiError::UnsupportedMediaType(content_type.to_owned()))?;
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|rejection| ApiError::MalformedMultipart(rejection.body_text()))?;
    let mut fields = Map::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| ApiError::MalformedMultipart(error.body_text()))?
    {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if field.file_name().is_some() {
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|error| ApiError::MalformedMultipart(error.body_text()))?;
        fields.insert(name, Value::String(text));
    }
    Ok(fields)
}

/// The authenticated caller of a protected endpoint.
#[derive(Debug, Clone)]
pub struct AuthUser(pub User);

/// What authentication found on a request: the caller if a valid Bearer token was sent.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<User>);

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(Caller(Some(user))) => Ok(Self(user.clone())),
            _ => Err(ApiError::NotAuthenticated),
        }
    }
}

/// Runs the reference's Bearer authentication on `headers` (docs/protocol.md).
///
/// Returns `Ok(None)` when no Bearer credentials were sent (no header, or another scheme), the
/// caller when the token is valid, and the matching 401 otherwise.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<User>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let parts: Vec<&[u8]> = value
        .as_bytes()
        .split(|byte| byte.is_ascii_whitespace())
        .filter(|part| !part.is_empty())
        .collect();
    match parts.first() {
        Some(scheme) if *scheme == b"Bearer" => {}
        _ => return Ok(None),
    }
    if parts.len() != 2 {
        return Err(ApiError::BadAuthorizationHeader);
    }
    let token = std::str::from_utf8(parts[1])
        .map_err(|_| ApiError::AccessToken(crate::error::TokenError::Invalid))?;
    let valid = state
        .jwt
        .verify(token, TokenKind::Access, state.clock.now())
        .map_err(ApiError::AccessToken)?;
    let user_id = match valid.user {
        UserClaim::Missing => return Err(ApiError::NoUserId),
        UserClaim::Unrecognized => return Err(ApiError::UserNotFound),
        UserClaim::Id(id) => id,
    };
    let user = state
        .store
        .user(user_id)
        .await?
        .ok_or(ApiError::UserNotFound)?;
    if !user.is_active {
        return Err(ApiError::UserInactive);
    }
    Ok(Some(user))
}
