//! The Magnate game server: REST API, authentication and persistence (SQLite or PostgreSQL).
//!
//! [`app`] builds the axum router for a prepared [`AppState`] (tests drive it with
//! `tower::ServiceExt::oneshot`, no socket needed); [`serve`] runs it on a listener until a
//! shutdown signal arrives. docs/protocol.md describes the wire contract.

#![forbid(unsafe_code)]

pub mod auth;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod dto;
pub mod error;
pub mod extract;
pub mod games;
pub mod limits;
pub mod metrics;
pub mod queue;
pub mod rooms;
pub mod routes;
pub mod state;
pub mod store;
pub mod ws;

mod serve;

pub use clock::Clock;
pub use config::{Args, Config};
pub use error::ApiError;
pub use routes::app;
pub use serve::{serve, shutdown_signal};
pub use state::AppState;
pub use store::{Store, StoreError};
