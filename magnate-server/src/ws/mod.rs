//! What the three WebSocket endpoints share (docs/protocol.md, section 4.1): authentication,
//! coded refusals, the per-user socket cap, liveness, write deadlines and close codes. The
//! endpoints live with their features: `queue::socket`, `rooms::socket` and `games::socket`.
//!
//! Every endpoint authenticates the same way: the first `token` value of the query string must
//! be a valid access token of an existing, active user, or the upgrade is refused with a `403`
//! saying why, before any `101`. Query strings are never logged, because they carry tokens.

use std::{
    future::Future,
    pin::Pin,
    sync::atomic::{AtomicU64, Ordering},
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    extract::ws::{CloseFrame, Message, Utf8Bytes},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::{Map, Value};
use tokio::{sync::mpsc, time::Sleep};

use crate::{
    auth::{TokenKind, UserClaim},
    limits::{Admission, FrameLimiter, SocketSlot},
    state::AppState,
    store::{User, UserId},
};

/// Largest message a client may send on the queue and lobby sockets (64 KiB, as on the game
/// socket). A larger one, up to [`PROTOCOL_MAX_MESSAGE_BYTES`], is answered like invalid JSON and
/// the socket stays open.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Largest message the WebSocket layer reads at all; a larger one closes the socket with
/// [`CLOSE_TOO_BIG`], since it cannot be skipped.
pub const PROTOCOL_MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Close code after a queue `cancel`, or when a newer queue socket of the same user replaces
/// this one (docs/protocol.md).
pub const CLOSE_CANCELLED: u16 = 4000;
/// Close code after an `{"error": ...}` rejection frame of the lobby (docs/protocol.md).
pub const CLOSE_REJECTED: u16 = 4003;
/// Close code for a frame larger than [`MAX_MESSAGE_BYTES`] (RFC 6455 "message too big").
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code of a normal close.
pub const CLOSE_NORMAL: u16 = 1000;
/// Close code sent to every open socket when the server shuts down (RFC 6455 "going away").
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code "service restart": a cluster node drains or lost a game; reconnect (to any node).
pub const CLOSE_SERVICE_RESTART: u16 = 1012;
/// Close code for a socket that keeps sending over its rate limits (RFC 6455 "policy
/// violation"; [`crate::limits::Admission::Close`]).
pub const CLOSE_FLOOD: u16 = 1008;
/// Close code for a peer that does not read fast enough: a write took longer than
/// [`crate::config::SocketLimits::write_timeout`], or its outgoing queue filled up. The frame is
/// sent if the connection can still carry it; otherwise the connection is simply dropped.
pub const CLOSE_TOO_SLOW: u16 = 4008;
/// Longest time the server spends on a closing handshake: sending its close frame and waiting
/// for the peer's answer.
pub const CLOSE_WAIT: Duration = Duration::from_secs(2);
/// Close code for a queue or lobby socket left open [`MOVED_GRACE`] after its `match_found` or
/// `game_start` (docs/protocol.md: "moved to a game").
pub const CLOSE_MOVED: u16 = 4001;
/// How long a queue or lobby socket stays open after sending the client to its game
/// (docs/protocol.md: the
/// client is expected to close it; the server MAY close it after 60 s).
pub const MOVED_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// Completes at `deadline`, or never without one: a `select!` branch for an optional timer.
pub async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// How often the server pings an idle peer (docs/protocol.md).
pub const PING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a peer may stay silent before the server drops it (docs/protocol.md).
pub const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// What the queue and lobby connections need from their socket: axum's `WebSocket`, or in unit
/// tests a pair of channels.
pub trait Socket:
    Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Unpin + Send
{
}

impl<T> Socket for T where
    T: Stream<Item = Result<Message, axum::Error>>
        + Sink<Message, Error = axum::Error>
        + Unpin
        + Send
{
}

/// Identifies one socket among all the server's sockets, so that state registered by a socket
/// (a queue entry, a room membership) is only ever removed by that same socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(u64);

impl ConnId {
    /// A fresh id, never returned before by this process.
    pub fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The id as a number (cluster mode names sockets across nodes by node and number).
    pub fn get(self) -> u64 {
        self.0
    }

    /// The id of [`ConnId::get`]'s number (0 is never a socket's).
    pub fn from_raw(raw: u64) -> Self {
        Self(raw)
    }
}

/// A refused upgrade: `403` with `{"detail": …, "code": …}` saying why (the reference sent an
/// empty body; browsers cannot read it, but people and tools can), and a log line.
pub fn refuse_upgrade(code: &'static str, detail: &str) -> Response {
    tracing::info!(code, detail, "WebSocket upgrade refused");
    (
        StatusCode::FORBIDDEN,
        axum::Json(serde_json::json!({"detail": detail, "code": code})),
    )
        .into_response()
}

/// Authenticates a WebSocket upgrade from its raw query string (docs/protocol.md, 4.1).
///
/// Returns the user, or the `403 Forbidden` response to send instead of upgrading when the
/// token is missing, invalid, expired, not an access token, or names a missing or inactive user
/// (each with its reason, [`refuse_upgrade`]). A store failure is answered with `500` and
/// logged.
pub async fn authenticate_socket(state: &AppState, query: Option<&str>) -> Result<User, Response> {
    let Some(token) = query.and_then(first_token) else {
        return Err(refuse_upgrade(
            "token_missing",
            "No token: open the socket with ?token=<access token>.",
        ));
    };
    let valid = state
        .jwt
        .verify(&token, TokenKind::Access, state.clock.now())
        .map_err(|error| match error {
            crate::error::TokenError::Expired => refuse_upgrade(
                "token_expired",
                "The access token has expired: refresh it and connect again.",
            ),
            crate::error::TokenError::WrongType => refuse_upgrade(
                "token_wrong_type",
                "This is not an access token (a refresh token?).",
            ),
            _ => refuse_upgrade("token_invalid", "The token is not valid."),
        })?;
    let UserClaim::Id(user_id) = valid.user else {
        return Err(refuse_upgrade("token_invalid", "The token is not valid."));
    };
    match state.store.user(user_id).await {
        Ok(Some(user)) if user.is_active => Ok(user),
        Ok(_) => Err(refuse_upgrade(
            "user_inactive",
            "The token's user does not exist or is inactive.",
        )),
        Err(error) => {
            tracing::error!(%error, "cannot look up the user of a WebSocket token");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// Reserves one of the user's sockets (issue 7, [`crate::config::SocketLimits::max_per_user`]),
/// or refuses with [`TooManySockets`], to send instead of upgrading.
///
/// Call it after authentication and before any side effect of the handshake, and move the slot
/// into the socket's task: it is released when that task ends, or when the upgrade is refused
/// or fails and the task never starts.
pub fn reserve_socket(state: &AppState, user: UserId) -> Result<SocketSlot, TooManySockets> {
    let max = state.config.sockets.max_per_user;
    state.sockets.try_acquire(user, max).ok_or_else(|| {
        tracing::debug!(user, max, "too many sockets; upgrade refused");
        TooManySockets
    })
}

/// The refusal of a socket over the per-user cap: an empty `429 Too Many Requests`. (403 means
/// the user may not open this socket at all; 429 means not now, while they hold so many others.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManySockets;

impl IntoResponse for TooManySockets {
    fn into_response(self) -> Response {
        StatusCode::TOO_MANY_REQUESTS.into_response()
    }
}

/// The first `token` value of a query string, percent-decoded.
fn first_token(query: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    pairs
        .into_iter()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value)
}

/// What a client frame contains, once checked for the shape every queue and lobby frame needs.
#[derive(Debug)]
pub enum ClientFrame {
    /// A text frame holding one JSON object.
    Object(Map<String, Value>),
    /// Anything else a client can send as data: a binary frame, text that is not JSON, JSON
    /// that is not an object, or a message over [`MAX_MESSAGE_BYTES`]. Answered with
    /// `"Datos invalidos."`.
    Invalid,
    /// A ping or pong: proof of life, nothing to answer (pongs are automatic).
    Control,
    /// The peer closed the socket, or it broke.
    Closed,
    /// The peer sent a message larger than [`PROTOCOL_MAX_MESSAGE_BYTES`].
    TooBig,
}

/// Classifies the next item of a [`Socket`].
pub fn classify(received: Option<Result<Message, axum::Error>>) -> ClientFrame {
    match received {
        None | Some(Ok(Message::Close(_))) => ClientFrame::Closed,
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => ClientFrame::Control,
        Some(Ok(Message::Binary(_))) => ClientFrame::Invalid,
        Some(Ok(Message::Text(text))) if text.len() > MAX_MESSAGE_BYTES => ClientFrame::Invalid,
        Some(Ok(Message::Text(text))) => match serde_json::from_str::<Value>(text.as_str()) {
            Ok(Value::Object(object)) => ClientFrame::Object(object),
            _ => ClientFrame::Invalid,
        },
        Some(Err(error)) => {
            if is_capacity_error(error) {
                ClientFrame::TooBig
            } else {
                ClientFrame::Closed
            }
        }
    }
}

/// Whether a read failed because the peer's message was over [`PROTOCOL_MAX_MESSAGE_BYTES`].
pub(crate) fn is_capacity_error(error: axum::Error) -> bool {
    matches!(
        error.into_inner().downcast_ref::<tungstenite::Error>(),
        Some(tungstenite::Error::Capacity(_))
    )
}

/// Waits for the next item from the client.
pub async fn receive<S: Socket>(socket: &mut S) -> ClientFrame {
    classify(socket.next().await)
}

/// The size of a data frame (text or binary), to count it before parsing; `None` for anything
/// else (control frames, the end of the stream, errors).
pub fn data_len(received: &Option<Result<Message, axum::Error>>) -> Option<usize> {
    match received {
        Some(Ok(Message::Text(text))) => Some(text.len()),
        Some(Ok(Message::Binary(bytes))) => Some(bytes.len()),
        _ => None,
    }
}

/// What a queue or room socket does with a received frame, decided before parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unparsed {
    /// Parse and handle it.
    Parse,
    /// Skip it (dropped by the rate limits, or answered with a rate-limit error).
    Skip,
    /// End the connection, closing with this code if any.
    Close(Option<u16>),
}

/// Counts and size-checks a queue or room frame before parsing ([`FrameLimiter::admit_unparsed`]),
/// answering a refused one with `{"action":"error","message":…}`.
pub async fn admit_unparsed<S: Socket>(
    socket: &mut Timed<S>,
    limiter: &mut FrameLimiter,
    received: &Option<Result<Message, axum::Error>>,
) -> Unparsed {
    let Some(bytes) = data_len(received) else {
        return Unparsed::Parse;
    };
    match limiter.admit_unparsed(bytes, tokio::time::Instant::now()) {
        Admission::Accept => Unparsed::Parse,
        Admission::Drop => Unparsed::Skip,
        Admission::Close => Unparsed::Close(Some(CLOSE_FLOOD)),
        Admission::Refuse(message) => {
            let frame = magnate_protocol::queue::QueueFrame::Error { message }.to_text();
            if send_text(socket, frame).await {
                Unparsed::Skip
            } else {
                Unparsed::Close(socket.failed_write_code())
            }
        }
    }
}

/// Sends one JSON value as a text frame. Returns `false` if the socket is gone.
pub async fn send_text<S: Socket>(socket: &mut S, frame: String) -> bool {
    socket
        .send(Message::Text(Utf8Bytes::from(frame)))
        .await
        .is_ok()
}

/// Most messages read while waiting for the peer's close frame: a flooding peer keeps sending
/// until it reads ours, and those messages are read only to be thrown away.
pub const CLOSE_DRAIN_MESSAGES: usize = 16;

/// Sends a close frame with `code`, then waits briefly for the peer's answer so the closing
/// handshake completes; all within [`CLOSE_WAIT`] and [`CLOSE_DRAIN_MESSAGES`]. Never fails: a
/// peer that is already gone, that does not read, or that keeps sending is simply dropped.
pub async fn close<S: Socket>(socket: &mut S, code: u16) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::default(),
    };
    let handshake = async {
        if socket.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
        for _ in 0..CLOSE_DRAIN_MESSAGES {
            match socket.next().await {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            }
        }
    };
    let _ = tokio::time::timeout(CLOSE_WAIT, handshake).await;
}

/// Whether a socket's outgoing queue is full, checked right after taking one frame from it: the
/// sender (a game's actor, a room) has no room left for this socket, whose peer is too slow
/// ([`CLOSE_TOO_SLOW`]).
pub fn was_full<T>(queue: &mpsc::Receiver<T>) -> bool {
    queue.len() + 1 >= queue.max_capacity()
}

/// The error of a write that did not complete within its deadline.
#[derive(Debug, thiserror::Error)]
#[error("the peer did not read within the write timeout")]
pub struct WriteTimedOut;

/// A [`Socket`] whose every write (sending a frame, flushing, closing) must complete within a
/// timeout; one that does not fails with [`WriteTimedOut`], and [`Timed::timed_out`] says so.
/// Without it, a peer that stops reading would hold the writing task, and with it the idle
/// check, forever.
pub struct Timed<S> {
    inner: S,
    timeout: Duration,
    /// Armed when a write has to wait; disarmed when a write completes.
    deadline: Option<Pin<Box<Sleep>>>,
    timed_out: bool,
}

impl<S> Timed<S> {
    /// Wraps `inner`, giving each write `timeout`.
    pub fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            deadline: None,
            timed_out: false,
        }
    }

    /// Whether a write has timed out: the peer is too slow ([`CLOSE_TOO_SLOW`]).
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    /// The close code for a socket whose write just failed: [`CLOSE_TOO_SLOW`] after a timeout;
    /// none if the connection broke (there is nobody to tell).
    pub fn failed_write_code(&self) -> Option<u16> {
        self.timed_out.then_some(CLOSE_TOO_SLOW)
    }

    /// Polls a write operation of the inner socket under the deadline.
    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        operation: impl FnOnce(&mut S, &mut Context<'_>) -> Poll<Result<(), axum::Error>>,
    ) -> Poll<Result<(), axum::Error>> {
        if let Poll::Ready(result) = operation(&mut self.inner, cx) {
            self.deadline = None;
            return Poll::Ready(result);
        }
        let timeout = self.timeout;
        let deadline = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.deadline = None;
                self.timed_out = true;
                Poll::Ready(Err(axum::Error::new(WriteTimedOut)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: Socket> Stream for Timed<S> {
    type Item = Result<Message, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<S: Socket> Sink<Message> for Timed<S> {
    type Error = axum::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_write(cx, |inner, cx| inner.poll_ready_unpin(cx))
    }

    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
        self.inner.start_send_unpin(item)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_write(cx, |inner, cx| inner.poll_flush_unpin(cx))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_write(cx, |inner, cx| inner.poll_close_unpin(cx))
    }
}

/// Keeps track of when the peer was last heard from, for pings and the idle timeout.
#[derive(Debug)]
pub struct Liveness {
    last_heard: tokio::time::Instant,
    pings: tokio::time::Interval,
}

impl Default for Liveness {
    fn default() -> Self {
        Self::new()
    }
}

impl Liveness {
    /// Starts counting now.
    pub fn new() -> Self {
        let mut pings =
            tokio::time::interval_at(tokio::time::Instant::now() + PING_INTERVAL, PING_INTERVAL);
        pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self {
            last_heard: tokio::time::Instant::now(),
            pings,
        }
    }

    /// Records that a frame arrived.
    pub fn heard(&mut self) {
        self.last_heard = tokio::time::Instant::now();
    }

    /// Waits for the next ping time; returns `false` if the peer has been silent too long.
    pub async fn tick(&mut self) -> bool {
        self.pings.tick().await;
        self.last_heard.elapsed() < IDLE_TIMEOUT
    }
}

/// Sends a protocol-level ping. Returns `false` if the socket is gone.
pub async fn ping<S: Socket>(socket: &mut S) -> bool {
    socket
        .send(Message::Ping(axum::body::Bytes::new()))
        .await
        .is_ok()
}

/// A [`Socket`] made of two channels, so connection loops can be tested without a network.
#[cfg(test)]
pub(crate) mod testing {
    use std::{
        pin::Pin,
        task::{Context, Poll},
    };

    use axum::extract::ws::Message;
    use futures_util::{Sink, Stream};
    use tokio::sync::mpsc;

    /// The server's end.
    pub struct ChannelSocket {
        incoming: mpsc::UnboundedReceiver<Message>,
        outgoing: mpsc::UnboundedSender<Message>,
    }

    /// The client's end: dropping `to_server` closes the connection from the client's side.
    pub struct Peer {
        pub to_server: mpsc::UnboundedSender<Message>,
        pub from_server: mpsc::UnboundedReceiver<Message>,
    }

    /// A connected pair.
    pub fn pair() -> (ChannelSocket, Peer) {
        let (to_server, incoming) = mpsc::unbounded_channel();
        let (outgoing, from_server) = mpsc::unbounded_channel();
        (
            ChannelSocket { incoming, outgoing },
            Peer {
                to_server,
                from_server,
            },
        )
    }

    impl Stream for ChannelSocket {
        type Item = Result<Message, axum::Error>;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.incoming.poll_recv(cx).map(|message| message.map(Ok))
        }
    }

    impl Sink<Message> for ChannelSocket {
        type Error = axum::Error;

        fn poll_ready(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
            self.outgoing.send(item).map_err(axum::Error::new)
        }

        fn poll_flush(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn poll_close(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn closing_reads_few_messages_from_a_peer_that_keeps_sending() {
        let (mut socket, mut peer) = testing::pair();
        for _ in 0..1000 {
            peer.to_server
                .send(Message::Text(Utf8Bytes::from_static("flood")))
                .unwrap();
        }
        let started = tokio::time::Instant::now();
        close(&mut socket, CLOSE_FLOOD).await;
        // No waiting for an answer that will not come: it returned after a few messages.
        assert_eq!(started.elapsed(), Duration::ZERO);
        let Ok(Message::Close(Some(frame))) = peer.from_server.try_recv() else {
            panic!("expected a close frame");
        };
        assert_eq!(frame.code, CLOSE_FLOOD);
    }
}
