//! `GET /healthz` and `GET /readyz`: probes for load balancers and supervisors.
//!
//! `/healthz` answers while the process serves HTTP. `/readyz` also asks the database for its
//! schema version, so a server whose store is unreachable is taken out of rotation; running
//! games are restored before the server listens, so a server that answers has restored them.
//! A cluster node (docs/cluster.md) is also unready while Redis does not answer or it drains.

use axum::extract::State;
use axum::{http::StatusCode, routing::get, Json, Router};
use serde_json::{json, Value};

use crate::state::AppState;

/// Routes that need no credentials.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    summary = "Liveness",
    description = "Answers `{\"status\": \"ok\"}` while the process serves HTTP. Touches neither \
the database nor authentication.",
    responses((status = 200, description = "The process lives", body = super::openapi::HealthBody))
)]
async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    summary = "Readiness",
    description = "`{\"status\": \"ready\"}` when the database answers (running games were \
restored before the server started listening) and, in cluster mode, Redis answers and the node \
is not draining; `503` with `{\"status\": \"unavailable\"}` otherwise.",
    responses(
        (status = 200, description = "Ready for traffic", body = super::openapi::HealthBody),
        (status = 503, description = "The database (or, in cluster mode, Redis) does not answer, or the node drains", body = super::openapi::HealthBody)
    )
)]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.schema_version().await {
        Ok(_) => match state.games.cluster() {
            Some(cluster) => match cluster.unready().await {
                None => (StatusCode::OK, Json(json!({"status": "ready"}))),
                Some(reason) => {
                    tracing::warn!(reason, "readiness probe: this cluster node is not ready");
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        Json(json!({"status": "unavailable"})),
                    )
                }
            },
            None => (StatusCode::OK, Json(json!({"status": "ready"}))),
        },
        Err(error) => {
            tracing::warn!(%error, "readiness probe: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable"})),
            )
        }
    }
}
