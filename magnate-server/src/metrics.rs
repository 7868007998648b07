//! Prometheus metrics, served on a separate admin listener (`METRICS_BIND`).
//!
//! The code records through the [`metrics`] facade's macros everywhere; until [`install`] runs
//! (only when `METRICS_BIND` is set) they go to the facade's no-op recorder and cost a few
//! nanoseconds. [`install`] sets up the Prometheus recorder once per process, and
//! [`serve_admin`] answers `GET /metrics` in the Prometheus text format on its own listener, so
//! the public port never exposes them.
//!
//! Counters and histograms are updated where things happen (one call per site); the gauges that
//! describe the whole server (live games, rooms, resident memory) are read from the state when
//! `/metrics` is scraped. The names, with their labels:
//!
//! | Metric | Type | Labels |
//! |---|---|---|
//! | `magnate_build_info` | gauge (1) | `version` |
//! | `magnate_games_live` | gauge | |
//! | `magnate_rooms_live` | gauge | |
//! | `magnate_queue_length` | gauge | |
//! | `magnate_sockets_open` | gauge | `kind` = `game`, `lobby`, `queue` |
//! | `magnate_games_started_total`, `magnate_games_ended_total` | counter | |
//! | `magnate_actions_total` | counter | `kind` (action type), `outcome` = `applied`, `refused` |
//! | `magnate_action_round_trip_seconds` | histogram | |
//! | `magnate_journal_batch_commits` | histogram | |
//! | `magnate_journal_commit_seconds` | histogram | |
//! | `magnate_bot_moves_total` | counter | |
//! | `magnate_timer_ticks_total` | counter | |
//! | `magnate_rate_limited_frames_total` | counter | `kind` = `action`, `chat` |
//! | `magnate_socket_cap_refusals_total` | counter | |
//! | `magnate_http_requests_total` | counter | `route`, `method`, `status` |
//! | `magnate_http_request_duration_seconds` | histogram | `route`, `method` |
//! | `magnate_password_hash_queue_wait_seconds` | histogram | |
//! | `magnate_process_resident_memory_bytes` | gauge | |

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Mutex, OnceLock, PoisonError},
    time::{Duration, Instant},
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use magnate_core::{Action, Game};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::state::AppState;

/// Buckets of the latency histograms, in seconds: 0.25 ms to 10 s.
const SECONDS_BUCKETS: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0,
];

/// Buckets of the journal's batch sizes (commits per transaction; at most 256).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// How often histograms are folded into their buckets when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static INSTALL: Mutex<()> = Mutex::new(());

/// Installs the Prometheus recorder as the process's metrics recorder (once; later calls return
/// the same handle) and starts its upkeep task. Call it inside the Tokio runtime.
pub fn install() -> Result<PrometheusHandle, String> {
    let _guard = INSTALL.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
        .and_then(|builder| {
            builder.set_buckets_for_metric(
                Matcher::Full("magnate_journal_batch_commits".into()),
                BATCH_BUCKETS,
            )
        })
        .map_err(|error| error.to_string())?
        .install_recorder()
        .map_err(|error| error.to_string())?;
    describe();
    gauge!("magnate_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    // Series that may stay at zero for a long time are shown from the start, so dashboards and
    // alerts see 0 rather than nothing.
    for name in [
        "magnate_games_started_total",
        "magnate_games_ended_total",
        "magnate_bot_moves_total",
        "magnate_timer_ticks_total",
        "magnate_socket_cap_refusals_total",
    ] {
        counter!(name).absolute(0);
    }
    for kind in ["action", "chat"] {
        counter!("magnate_rate_limited_frames_total", "kind" => kind).absolute(0);
    }
    for kind in ["game", "lobby", "queue"] {
        gauge!("magnate_sockets_open", "kind" => kind).increment(0.0);
    }
    gauge!("magnate_queue_length").set(0.0);
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(UPKEEP_INTERVAL);
        loop {
            interval.tick().await;
            upkeep.run_upkeep();
        }
    });
    let _ = HANDLE.set(handle.clone());
    Ok(handle)
}

/// The `# HELP` texts.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!("magnate_build_info", "The server's version (always 1).");
    describe_gauge!(
        "magnate_games_live",
        "Games with a running actor (unfinished, or finished and still watched)."
    );
    describe_gauge!("magnate_rooms_live", "Private rooms open.");
    describe_gauge!("magnate_queue_length", "Users waiting in the public queue.");
    describe_gauge!("magnate_sockets_open", "Open WebSockets by endpoint.");
    describe_counter!("magnate_games_started_total", "Games created.");
    describe_counter!("magnate_games_ended_total", "Games finished.");
    describe_counter!(
        "magnate_actions_total",
        "Player actions by type, applied or refused by the rules."
    );
    describe_histogram!(
        "magnate_action_round_trip_seconds",
        Unit::Seconds,
        "From the game actor taking a player's action to its frames queued for every socket \
         (rules, journal commit, broadcast)."
    );
    describe_histogram!(
        "magnate_journal_batch_commits",
        Unit::Count,
        "Game steps written per journal transaction (group commit)."
    );
    describe_histogram!(
        "magnate_journal_commit_seconds",
        Unit::Seconds,
        "Time to write and commit one journal transaction."
    );
    describe_counter!("magnate_bot_moves_total", "Moves played by bots.");
    describe_counter!("magnate_timer_ticks_total", "Game timers that fired.");
    describe_counter!(
        "magnate_rate_limited_frames_total",
        "WebSocket frames over the per-socket rate limits (dropped)."
    );
    describe_counter!(
        "magnate_socket_cap_refusals_total",
        "WebSocket upgrades refused because the user holds MAX_SOCKETS_PER_USER sockets."
    );
    describe_counter!(
        "magnate_http_requests_total",
        "HTTP requests by route pattern, method and status."
    );
    describe_histogram!(
        "magnate_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency by route pattern and method, to the response head."
    );
    describe_histogram!(
        "magnate_password_hash_queue_wait_seconds",
        Unit::Seconds,
        "Time a password hash or check waited for a hashing thread."
    );
    describe_gauge!(
        "magnate_process_resident_memory_bytes",
        Unit::Bytes,
        "Resident memory of the server process (from /proc/self/statm)."
    );
}

/// The admin router: `GET /metrics`.
pub fn router(state: AppState, handle: PrometheusHandle) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .with_state((state, handle))
}

/// Serves the admin router on `listener` until `shutdown` completes.
pub async fn serve_admin(
    listener: TcpListener,
    state: AppState,
    handle: PrometheusHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state, handle))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn render(State((state, handle)): State<(AppState, PrometheusHandle)>) -> Response {
    gauge!("magnate_games_live").set(state.games.live_count() as f64);
    gauge!("magnate_rooms_live").set(state.lobbies.len() as f64);
    if let Some(bytes) = resident_memory_bytes() {
        gauge!("magnate_process_resident_memory_bytes").set(bytes as f64);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

/// The process's resident set size: the second field of `/proc/self/statm`, in pages.
fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // Every platform this serves from has 4 KiB pages (x86-64 and the usual aarch64 kernels).
    Some(pages * 4096)
}

/// Whether `bind` may serve metrics: loopback addresses always, others only when allowed, and
/// never the public address itself.
pub fn check_bind(bind: SocketAddr, public: SocketAddr, allow_public: bool) -> Result<(), String> {
    if bind == public && bind.port() != 0 {
        return Err(format!(
            "METRICS_BIND ({bind}) must differ from BIND: metrics are never served on the public port"
        ));
    }
    if !bind.ip().is_loopback() && !allow_public {
        return Err(format!(
            "METRICS_BIND ({bind}) is not a loopback address; metrics reveal the server's load \
             to anyone who can reach them. Bind it to 127.0.0.1, or set METRICS_ALLOW_PUBLIC=true \
             if a firewall protects that address"
        ));
    }
    Ok(())
}

/// Counts HTTP requests by route pattern (axum's [`MatchedPath`]; `unmatched` for unknown
/// paths, so probes cannot grow the label set), method and status, and their latency.
pub async fn track_http(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = method_label(request.method());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    histogram!(
        "magnate_http_request_duration_seconds",
        "route" => route.clone(),
        "method" => method
    )
    .record(start.elapsed().as_secs_f64());
    counter!(
        "magnate_http_requests_total",
        "route" => route,
        "method" => method,
        "status" => status
    )
    .increment(1);
    response
}

/// The method as a label: the standard ones by name, any other (HTTP allows made-up methods)
/// as `other`, so clients cannot grow the label set.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", |known| known.as_str())
}

/// One open WebSocket of a kind, counted in `magnate_sockets_open` while it lives.
#[derive(Debug)]
pub struct OpenSocket(&'static str);

impl OpenSocket {
    /// Counts a socket of `kind` (`game`, `lobby`, `queue`) until the guard is dropped.
    pub fn new(kind: &'static str) -> Self {
        gauge!("magnate_sockets_open", "kind" => kind).increment(1.0);
        Self(kind)
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        gauge!("magnate_sockets_open", "kind" => self.0).decrement(1.0);
    }
}

/// Times a player's action in the game actor; records `magnate_action_round_trip_seconds` when
/// dropped, after the action's frames were queued (or its refusal sent).
#[derive(Debug)]
pub struct ActionTimer(Instant);

impl ActionTimer {
    /// Starts timing now.
    pub fn start() -> Self {
        Self(Instant::now())
    }
}

impl Drop for ActionTimer {
    fn drop(&mut self) {
        histogram!("magnate_action_round_trip_seconds").record(self.0.elapsed().as_secs_f64());
    }
}

/// Counts one WebSocket frame over its rate limit (a chat message or another action).
pub fn rate_limited(chat: bool) {
    let kind = if chat { "chat" } else { "action" };
    counter!("magnate_rate_limited_frames_total", "kind" => kind).increment(1);
}

/// Counts one player action of `kind` that the rules applied or refused.
pub fn action(kind: &'static str, applied: bool) {
    let outcome = if applied { "applied" } else { "refused" };
    counter!("magnate_actions_total", "kind" => kind, "outcome" => outcome).increment(1);
}

/// The label of an action: its wire `type`.
pub fn action_kind(action: &Action) -> &'static str {
    match action {
        Action::ThrowDice => "throw_dice",
        Action::PayBail => "pay_bail",
        Action::MoveTo { .. } => "move_to",
        Action::ChooseCard { .. } => "choose_card",
        Action::BuySquare { .. } => "buy_square",
        Action::DropPurchase { .. } => "drop_purchase",
        Action::TakeTram { .. } => "take_tram",
        Action::Build { .. } => "build",
        Action::Demolish { .. } => "demolish",
        Action::MortgageSet { .. } => "mortgage_set",
        Action::MortgageUnset { .. } => "mortgage_unset",
        Action::TradeProposal { .. } => "trade_proposal",
        Action::TradeAnswer { .. } => "trade_answer",
        Action::Bid { .. } => "bid",
        Action::NextPhase => "next_phase",
        Action::Surrender => "surrender",
    }
}

/// Logs and counts a new game: its id, whether it is public, and its players' user ids.
pub fn game_started(game_id: i64, public: bool, players: &[i64]) {
    counter!("magnate_games_started_total").increment(1);
    tracing::info!(game = game_id, public, ?players, "game started");
}

/// Logs and counts a finished game: its players, winner, reason, turns and recorded inputs.
pub fn game_ended(game_id: i64, game: &Game, actions: u64) {
    counter!("magnate_games_ended_total").increment(1);
    let players: Vec<u64> = game.participants().iter().map(|p| p.id.0).collect();
    let outcome = game.outcome();
    tracing::info!(
        game = game_id,
        ?players,
        winner = outcome.map(|o| o.winner.0),
        reason = ?outcome.map(|o| o.reason),
        turns = game.current_turn(),
        actions,
        "game ended"
    );
}

/// Measures how long a password job waited for a hashing thread, from [`HashWait::start`] to
/// [`HashWait::record`].
#[derive(Debug)]
pub struct HashWait(Instant);

impl HashWait {
    /// Starts timing when the job is queued.
    pub fn start() -> Self {
        Self(Instant::now())
    }

    /// Records the wait when a thread takes the job.
    pub fn record(self) {
        histogram!("magnate_password_hash_queue_wait_seconds")
            .record(self.0.elapsed().as_secs_f64());
    }
}

impl crate::config::Args {
    /// The metrics address, checked: `None` when metrics are off; an error for the public
    /// address itself, or a non-loopback address without `METRICS_ALLOW_PUBLIC`.
    pub fn checked_metrics_bind(
        &self,
    ) -> Result<Option<std::net::SocketAddr>, crate::config::ConfigError> {
        let Some(bind) = self.metrics_bind else {
            return Ok(None);
        };
        crate::metrics::check_bind(bind, self.bind, self.metrics_allow_public)
            .map_err(crate::config::ConfigError::Invalid)?;
        Ok(Some(bind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_loopback_unless_allowed_and_never_the_public_address() {
        let public = address("0.0.0.0:8000");
        assert!(check_bind(address("127.0.0.1:9464"), public, false).is_ok());
        assert!(check_bind(address("[::1]:9464"), public, false).is_ok());
        let refused = check_bind(address("0.0.0.0:9464"), public, false).unwrap_err();
        assert!(refused.contains("METRICS_ALLOW_PUBLIC"), "{refused}");
        assert!(check_bind(address("10.1.2.3:9464"), public, false).is_err());
        assert!(check_bind(address("0.0.0.0:9464"), public, true).is_ok());
        assert!(check_bind(public, public, true).is_err());
        let loopback = address("127.0.0.1:8000");
        assert!(check_bind(loopback, loopback, false).is_err());
        // Port 0 means "any free port": two listeners never share it.
        let any = address("127.0.0.1:0");
        assert!(check_bind(any, any, false).is_ok());
    }

    #[test]
    fn every_action_has_its_wire_type_as_label() {
        use magnate_core::ActionKind;
        let actions = [
            (Action::ThrowDice, ActionKind::ThrowDice),
            (Action::NextPhase, ActionKind::NextPhase),
            (Action::Surrender, ActionKind::Surrender),
            (Action::Bid { amount: 1 }, ActionKind::Bid),
        ];
        for (action, kind) in actions {
            assert_eq!(action.kind(), kind);
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(action_kind(&action))
            );
        }
    }

    #[test]
    fn made_up_methods_share_one_label() {
        use axum::http::Method;
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
        let made_up = Method::from_bytes(b"FROBNICATE").unwrap();
        assert_eq!(method_label(&made_up), "other");
    }

    #[test]
    fn resident_memory_is_read_from_proc() {
        let bytes = resident_memory_bytes().expect("/proc/self/statm is readable on Linux");
        assert!(bytes > 1 << 20, "{bytes}");
    }
}
