//! The HTTP edge's error type and its wire bodies.
//!
//! The bodies are not uniform because the reference's are not (docs/protocol.md item 7): field
//! errors are
//! `{"field": ["msg"]}`, authentication failures `{"detail": ...}`, login and summary refusals
//! `{"error": ...}`. Internal failures never reach the client: they are logged and answered with a
//! generic body.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};

use crate::store::StoreError;

pub use magnate_protocol::FieldErrors;

/// Why a JWT was refused, with the reference's English texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// The token is malformed or its signature does not match.
    Invalid,
    /// The `exp` claim is in the past.
    Expired,
    /// The token has no `exp` claim.
    NoExpiry,
    /// The token has no `jti` claim.
    NoId,
    /// The token has no `token_type` claim.
    NoType,
    /// The `token_type` claim is not the one this use needs.
    WrongType,
    /// The refresh token was rotated before and reuse rejection is enabled.
    Blacklisted,
}

impl TokenError {
    /// The message the reference sends for this failure.
    pub fn message(self) -> &'static str {
        match self {
            Self::Invalid => "Token is invalid",
            Self::Expired => "Token is expired",
            Self::NoExpiry => "Token has no 'exp' claim",
            Self::NoId => "Token has no id",
            Self::NoType => "Token has no type",
            Self::WrongType => "Token has wrong type",
            Self::Blacklisted => "Token is blacklisted",
        }
    }
}

/// Every failure a REST handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One or more fields failed validation (400, `{"field": [...]}`).
    #[error("invalid fields")]
    Validation(FieldErrors),
    /// The request body is not valid JSON (400).
    #[error("json parse error: {0}")]
    MalformedJson(String),
    /// The `multipart/form-data` body cannot be parsed (400).
    #[error("multipart parse error: {0}")]
    MalformedMultipart(String),
    /// The request body is JSON but not an object (400); holds the Python type name.
    #[error("body is a {0}, not an object")]
    NotAnObject(&'static str),
    /// The content type is not one the server parses (415); holds the header value.
    #[error("unsupported media type {0:?}")]
    UnsupportedMediaType(String),
    /// The body is larger than the configured limit (413).
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body did not arrive within the body read timeout (408).
    #[error("request body not received in time")]
    BodyTimeout,
    /// The body could not be read: the client closed the connection or sent a malformed chunked
    /// body (400).
    #[error("request body could not be read")]
    BodyUnreadable,
    /// Login failed: unknown user, wrong password, inactive or bot account (401, no challenge).
    #[error("bad credentials")]
    BadCredentials,
    /// A protected endpoint was called without Bearer credentials (401).
    #[error("authentication credentials were not provided")]
    NotAuthenticated,
    /// `Authorization: Bearer` without exactly one token (401).
    #[error("authorization header must contain two space-delimited values")]
    BadAuthorizationHeader,
    /// The Bearer access token was refused (401).
    #[error("access token refused: {}", .0.message())]
    AccessToken(TokenError),
    /// The access token has no `user_id` claim (401).
    #[error("token has no user id")]
    NoUserId,
    /// The access token names a user that does not exist (401).
    #[error("user not found")]
    UserNotFound,
    /// The access token names an inactive user (401).
    #[error("user is inactive")]
    UserInactive,
    /// The refresh token was refused (401, body without `messages`).
    #[error("refresh token refused: {}", .0.message())]
    RefreshToken(TokenError),
    /// The refresh token's user is missing or inactive (401).
    #[error("no active account for the refresh token")]
    NoActiveAccount,
    /// The caller may not see this resource (403, `{"error": ...}`).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The resource does not exist (404, `{"detail": ...}`).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// Too many requests of this kind from this client or for this account (429, with
    /// `Retry-After`); the body is Django REST framework's throttling message.
    #[error("throttled for {} s", .0.seconds())]
    Throttled(crate::auth::RetryAfter),
    /// Something failed inside the server; the text is logged, never sent (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Internal(error.to_string())
    }
}

/// The `WWW-Authenticate` value sent with every authentication 401.
pub const WWW_AUTHENTICATE: &str = "Bearer realm=\"api\"";

impl ApiError {
    /// The status code of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_)
            | Self::MalformedJson(_)
            | Self::MalformedMultipart(_)
            | Self::NotAnObject(_)
            | Self::BodyUnreadable => StatusCode::BAD_REQUEST,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadCredentials
            | Self::NotAuthenticated
            | Self::BadAuthorizationHeader
            | Self::AccessToken(_)
            | Self::NoUserId
            | Self::UserNotFound
            | Self::UserInactive
            | Self::RefreshToken(_)
            | Self::NoActiveAccount => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body sent to the client.
    pub fn body(&self) -> Value {
        match self {
            Self::Validation(errors) => errors.to_json(),
            Self::MalformedJson(message) => {
                json!({"detail": format!("JSON parse error - {message}")})
            }
            Self::MalformedMultipart(message) => {
                json!({"detail": format!("Multipart form parse error - {message}")})
            }
            Self::NotAnObject(kind) => json!({"non_field_errors": [
                format!("Datos inválidos. Se esperaba un diccionario pero es un {kind}.")
            ]}),
            Self::UnsupportedMediaType(media_type) => json!({
                "detail": format!("Tipo de medio \"{media_type}\" incompatible en la solicitud.")
            }),
            Self::PayloadTooLarge => {
                json!({"detail": "El cuerpo de la solicitud es demasiado grande."})
            }
            Self::BodyTimeout => {
                json!({"detail": "El cuerpo de la solicitud no llegó a tiempo."})
            }
            Self::BodyUnreadable => {
                json!({"detail": "No se pudo leer el cuerpo de la solicitud."})
            }
            Self::BadCredentials => json!({"error": "bad credentials"}),
            Self::NotAuthenticated => {
                json!({"detail": "Las credenciales de autenticación no se proveyeron."})
            }
            Self::BadAuthorizationHeader => json!({
                "detail": "Authorization header must contain two space-delimited values",
                "code": "bad_authorization_header"
            }),
            Self::AccessToken(reason) => json!({
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": [{
                    "token_class": "AccessToken",
                    "token_type": "access",
                    "message": reason.message()
                }]
            }),
            Self::NoUserId => json!({
                "detail": "Token contained no recognizable user identification",
                "code": "token_not_valid"
            }),
            Self::UserNotFound => json!({"detail": "User not found", "code": "user_not_found"}),
            Self::UserInactive => json!({"detail": "User is inactive", "code": "user_inactive"}),
            Self::RefreshToken(reason) => {
                json!({"detail": reason.message(), "code": "token_not_valid"})
            }
            Self::NoActiveAccount => {
                json!({"detail": "No active account found for the given token."})
            }
            Self::Forbidden(message) => json!({"error": message}),
            Self::NotFound(message) => json!({"detail": message}),
            Self::Throttled(retry) => json!({"detail": throttled_message(retry.seconds())}),
            Self::Internal(_) => json!({"detail": "Internal server error."}),
        }
    }

    /// Whether the response carries the `WWW-Authenticate` challenge.
    fn is_authentication_failure(&self) -> bool {
        self.status() == StatusCode::UNAUTHORIZED && !matches!(self, Self::BadCredentials)
    }
}

/// Django REST framework's `Throttled` detail, in Spanish like the reference's other messages.
pub fn throttled_message(seconds: u64) -> String {
    let unit = if seconds == 1 { "segundo" } else { "segundos" };
    format!(
        "Solicitud fue regulada (throttled). Se espera que esté disponible en {seconds} {unit}."
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(details) = &self {
            tracing::error!(error = %details, "internal error while handling a request");
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if let Self::Throttled(retry) = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry.seconds()));
        }
        if self.is_authentication_failure() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(WWW_AUTHENTICATE),
            );
        }
        response
    }
}
