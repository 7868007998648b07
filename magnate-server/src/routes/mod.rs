//! The REST router: one module per area, each exposing `router()`, plus the cross-cutting
//! layers (authentication, CORS, path rules, error bodies, limits, tracing).
//!
//! Path rules (docs/protocol.md) are decided before routing by [`classify_path`], which knows every
//! REST path pattern: `<int>` segments that are not digits are unknown paths (404), and a path that
//! only exists with a trailing slash is redirected with 308. Add new paths there too.

mod auth;
mod board;
mod game;
mod health;
mod lobby;
mod openapi;
mod queue;
mod replay;
mod shop;
mod user;
mod web;

use std::time::Duration;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Json, Router,
};
use serde_json::{json, Value};
use tower_http::{
    catch_panic::CatchPanicLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{
    error::ApiError,
    extract::{authenticate, Caller},
    state::AppState,
};

pub use openapi::document as openapi_document;

/// Builds the complete HTTP application for `state`.
pub fn app(state: AppState) -> Router {
    let protected = Router::new()
        .merge(user::router())
        .merge(shop::router())
        .merge(lobby::router())
        .merge(game::router())
        .merge(replay::router())
        .merge(queue::router())
        .route_layer(middleware::from_fn_with_state(state.clone(), require_auth));
    let optional = Router::new()
        .merge(auth::router())
        .merge(user::public_router())
        .route_layer(middleware::from_fn_with_state(state.clone(), optional_auth));
    let max_body_bytes = state.config.max_body_bytes;
    let request_id = HeaderName::from_static("x-request-id");

    Router::new()
        .merge(protected)
        .merge(optional)
        .merge(auth::unauthenticated_router())
        .merge(board::router())
        .merge(health::router())
        .merge(web::router())
        .merge(crate::games::router())
        .merge(crate::queue::socket::router())
        .merge(crate::rooms::socket::router())
        .route("/openapi.json", axum::routing::get(openapi::serve_document))
        .fallback(unknown_path)
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!("a request handler panicked");
            ApiError::Internal("handler panicked".into()).into_response()
        }))
        .layer(RequestBodyLimitLayer::new(max_body_bytes))
        .layer(middleware::from_fn(json_error_bodies))
        .layer(middleware::from_fn(apply_path_rules))
        .layer(middleware::from_fn_with_state(state.clone(), cors))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<Body>| {
                    let request_id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or("-");
                    // Only the path is logged: query strings can carry tokens (docs/protocol.md).
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = %request_id,
                    )
                })
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::from_fn(crate::metrics::track_http))
        .with_state(state)
}

/// Answers a plain `OPTIONS` request (not a CORS preflight) after authentication.
async fn options_ok() -> Json<Value> {
    Json(json!({}))
}

/// Parses a path segment already known to be digits; `None` if it does not fit an id.
fn parse_int_segment(segment: &str) -> Option<i64> {
    segment.parse().ok()
}

async fn require_auth(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let user = authenticate(&state, request.headers())
        .await?
        .ok_or(ApiError::NotAuthenticated)?;
    request.extensions_mut().insert(Caller(Some(user)));
    Ok(next.run(request).await)
}

async fn optional_auth(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let user = authenticate(&state, request.headers()).await?;
    request.extensions_mut().insert(Caller(user));
    Ok(next.run(request).await)
}

async fn unknown_path() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"detail": "No encontrado."})),
    )
        .into_response()
}

/// How a request path relates to the REST routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    /// The router decides (a real path, or one it will answer 404 to).
    Route,
    /// A `<int>` segment is not made of digits: an unknown path.
    Unknown,
    /// The path exists only with a trailing slash.
    NeedsSlash,
}

#[derive(Clone, Copy)]
enum Segment {
    Literal(&'static str),
    Int,
    Str,
}

const SLASHED_PATHS: &[&[Segment]] = {
    use Segment::{Int, Literal as L, Str};
    &[
        &[L("auth"), L("register")],
        &[L("auth"), L("login")],
        &[L("auth"), L("refresh")],
        &[L("user"), L("info")],
        &[L("user"), L("change-piece")],
        &[L("user"), L("games-played")],
        &[L("info"), L("user-name-piece"), Int],
        &[L("shop"), L("items")],
        &[L("shop"), L("buy")],
        &[L("shop"), L("user-pieces")],
        &[L("shop"), L("user-emojis")],
        &[L("lobby"), L("check-code"), Str],
        &[L("game"), L("summary"), Int],
        &[L("game"), L("replay"), Int],
        &[L("board")],
        &[L("game"), L("join")],
        &[L("game"), L("leave")],
        &[L("game"), L("queue")],
    ]
};

/// Whether `segments` fits `pattern`, and if so whether every `<int>` segment is digits.
fn match_pattern(pattern: &[Segment], segments: &[&str]) -> Option<bool> {
    if pattern.len() != segments.len() {
        return None;
    }
    let mut digits_ok = true;
    for (expected, actual) in pattern.iter().zip(segments) {
        match expected {
            Segment::Literal(literal) if literal == actual => {}
            Segment::Literal(_) => return None,
            Segment::Str if actual.is_empty() => return None,
            Segment::Str => {}
            Segment::Int if actual.is_empty() => return None,
            Segment::Int => digits_ok &= actual.bytes().all(|byte| byte.is_ascii_digit()),
        }
    }
    Some(digits_ok)
}

/// Classifies a request path (docs/protocol.md "missing trailing slash", docs/protocol.md
/// `<int:...>`).
pub fn classify_path(path: &str) -> PathClass {
    let Some(rest) = path.strip_prefix('/') else {
        return PathClass::Route;
    };
    let (body, slashed) = match rest.strip_suffix('/') {
        Some(body) => (body, true),
        None => (rest, false),
    };
    let segments: Vec<&str> = body.split('/').collect();
    let best = SLASHED_PATHS
        .iter()
        .filter_map(|pattern| match_pattern(pattern, &segments))
        .max();
    match (best, slashed) {
        (Some(true), true) => PathClass::Route,
        (Some(true), false) => PathClass::NeedsSlash,
        (Some(false), _) => PathClass::Unknown,
        (None, _) => PathClass::Route,
    }
}

async fn apply_path_rules(request: Request, next: Next) -> Response {
    match classify_path(request.uri().path()) {
        PathClass::Route => next.run(request).await,
        PathClass::Unknown => unknown_path().await,
        PathClass::NeedsSlash => {
            let uri = request.uri();
            let location = match uri.query() {
                Some(query) => format!("{}/?{query}", uri.path()),
                None => format!("{}/", uri.path()),
            };
            match HeaderValue::from_str(&location) {
                Ok(location) => (
                    StatusCode::PERMANENT_REDIRECT,
                    [(header::LOCATION, location)],
                )
                    .into_response(),
                Err(_) => unknown_path().await,
            }
        }
    }
}

/// Gives JSON bodies to the errors that axum and tower-http produce themselves (405, 413).
async fn json_error_bodies(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let body = match response.status() {
        StatusCode::METHOD_NOT_ALLOWED => {
            json!({"detail": format!("Método \"{method}\" no permitido.")})
        }
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge.body(),
        _ => return response,
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, Body::from(bytes))
}

const CORS_ALLOW_HEADERS: &str =
    "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with";
const CORS_ALLOW_METHODS: &str = "DELETE, GET, OPTIONS, PATCH, POST, PUT";
const CORS_MAX_AGE: Duration = Duration::from_secs(86_400);

/// CORS as the reference's `django-cors-headers` does it (docs/protocol.md): allowed origins get
/// `Access-Control-Allow-Origin` on every response; preflights are answered here with 200, and
/// carry the allow headers only for allowed origins.
async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let allowed_origin = origin.filter(|origin| {
        state
            .config
            .cors_allowed_origins
            .iter()
            .any(|allowed| allowed.as_bytes() == origin.as_bytes())
    });
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    let mut response = if is_preflight {
        let mut response = StatusCode::OK.into_response();
        if allowed_origin.is_some() {
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(CORS_ALLOW_HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(CORS_ALLOW_METHODS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from(CORS_MAX_AGE.as_secs()),
            );
        }
        response
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    if let Some(origin) = allowed_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    response
}
