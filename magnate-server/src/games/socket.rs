//! The game socket `/ws/game/<id>/?token=<access>` (docs/protocol.md).
//!
//! The handshake authenticates the query-string token, parses the id and asks the game's actor
//! to attach the caller; any refusal is an HTTP 403 before the upgrade. Each connection is one
//! task that parses and validates client frames (errors go straight back to the sender), hands
//! valid inputs to the actor, and writes the frames the actor queues for it. It sends a protocol
//! ping every 30 s and drops a peer silent for 90 s. Each connection holds one of its user's
//! socket slots and rate-limits its frames before parsing them ([`crate::limits`]): frames over
//! the limit never reach the actor, and a socket that keeps flooding is closed with 1008.
//!
//! The actor queues at most [`crate::config::SocketLimits::outgoing_queue`] frames for a
//! connection and every write has a deadline: a peer that cannot keep up is closed with 4008
//! (the actor drops a connection whose queue is full). A message over 1 MiB is answered with
//! 1009, and shutdown closes every socket with 1001.
//!
//! A caller who never took part in the game is refused (403) after one indexed store query,
//! before the game is loaded: a finished game is only replayed for its participants.

use axum::{
    extract::{
        ws::{Message, WebSocket},
        Path, RawQuery, State, WebSocketUpgrade,
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::actor::{Command, ConnId, JoinRefused, Wants};
use super::Link;
use crate::config::SocketLimits;
use crate::limits::{Admission, FrameKind, FrameLimiter, SocketSlot};
use crate::state::AppState;
use crate::store::{GameId, User};
use crate::ws::{
    close, data_len, ping, reserve_socket, was_full, Liveness, Timed, CLOSE_FLOOD,
    CLOSE_GOING_AWAY, CLOSE_TOO_BIG, CLOSE_TOO_SLOW, PROTOCOL_MAX_MESSAGE_BYTES,
};
use magnate_protocol::game::{self as wire, ClientFrame};

/// Read chunk of a socket: client frames are small, and every idle socket keeps one.
const READ_BUFFER: usize = 1024;
/// Bytes buffered before tungstenite writes without a flush; frames are flushed explicitly.
const WRITE_BUFFER: usize = 16 * 1024;
/// Most frames written per flush.
const WRITE_BATCH: usize = 64;

/// The game socket route. It takes its token from the query string, so it sits outside the
/// REST authentication layer.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/game/{game_id}/", get(game_socket))
}

async fn game_socket(
    State(state): State<AppState>,
    Path(game_id): Path<String>,
    RawQuery(query): RawQuery,
    upgrade: WebSocketUpgrade,
) -> Response {
    let user = match crate::ws::authenticate_socket(&state, query.as_deref()).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let Some(game_id) = parse_game_id(&game_id) else {
        return crate::ws::refuse_upgrade("game_not_found", "No game has this id.");
    };
    // Before the game is looked up: loading a game that is not live replays its whole record.
    match state.store.took_part(game_id, user.id).await {
        Ok(true) => {}
        Ok(false) => {
            return crate::ws::refuse_upgrade(
                "not_participant",
                "You are not a player of this game, or it does not exist.",
            )
        }
        Err(error) => {
            tracing::error!(game = game_id, %error, "cannot check a game's participants");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    // Before joining: a refused socket must leave no trace in the game.
    let slot = match reserve_socket(&state, user.id) {
        Ok(slot) => slot,
        Err(refusal) => return refusal.into_response(),
    };
    let limits = state.config.sockets;
    let (outbound, outbound_rx) = mpsc::channel(limits.outgoing_queue);
    let (conn, actor) = match state
        .games
        .join(
            &state,
            game_id,
            user.id,
            wanted_frames(query.as_deref()),
            outbound.clone(),
        )
        .await
    {
        Ok(joined) => joined,
        Err(JoinRefused::Unavailable) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "Game {game_id} is unavailable: its record does not replay. The operator has \
                     been told."
                ),
            )
                .into_response();
        }
        Err(JoinRefused::NotFound) => {
            return crate::ws::refuse_upgrade("game_not_found", "No game has this id.")
        }
        Err(JoinRefused::NotParticipant) => {
            return crate::ws::refuse_upgrade(
                "not_participant",
                "You are not a player of this game.",
            )
        }
    };
    let leave = actor.clone_link();
    upgrade
        .max_message_size(PROTOCOL_MAX_MESSAGE_BYTES)
        .max_frame_size(PROTOCOL_MAX_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_failed_upgrade(move |_| match &leave {
            Link::Local(actor) => {
                let _ = actor.try_send(Command::Leave { conn });
            }
            Link::Remote(link) => link.leave_later(),
        })
        .on_upgrade(move |socket| {
            let connection = SocketConnection {
                game_id,
                conn,
                user,
                actor,
                outbound,
                limits,
                slot,
            };
            connection.run(socket, outbound_rx)
        })
}

/// Writes `first` and whatever else is already queued, then flushes once.
async fn write_queued(
    socket: &mut Timed<WebSocket>,
    first: Message,
    queued: &mut mpsc::Receiver<Message>,
) -> Result<(), axum::Error> {
    socket.feed(first).await?;
    for _ in 1..WRITE_BATCH {
        match queued.try_recv() {
            Ok(frame) => socket.feed(frame).await?,
            Err(_) => break,
        }
    }
    socket.flush().await
}

/// The optional frames asked for in the query string: `legal=1` (or `true`) for
/// `legal_actions` frames, `snapshots=1` (or `true`) for a snapshot after every change.
fn wanted_frames(query: Option<&str>) -> Wants {
    let Some(pairs) =
        query.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
    else {
        return Wants::default();
    };
    let asked = |key: &str| {
        pairs
            .iter()
            .any(|(name, value)| name == key && matches!(value.as_str(), "1" | "true"))
    };
    Wants {
        legal_actions: asked("legal"),
        snapshots: asked("snapshots"),
    }
}

fn parse_game_id(text: &str) -> Option<GameId> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

struct SocketConnection {
    game_id: GameId,
    conn: ConnId,
    user: User,
    actor: Link,
    outbound: mpsc::Sender<Message>,
    limits: SocketLimits,
    /// Held until the connection ends.
    slot: SocketSlot,
}

impl SocketConnection {
    async fn run(self, socket: WebSocket, mut outbound_rx: mpsc::Receiver<Message>) {
        let _open = crate::metrics::OpenSocket::new("game");
        // The actor owns the only other sender: once it drops this connection, the queue ends.
        let SocketConnection {
            game_id,
            conn,
            user,
            actor,
            outbound,
            limits,
            slot,
        } = self;
        drop(outbound);
        let mut socket = Timed::new(socket, limits.write_timeout);
        let mut closing = slot.closing();
        let mut limiter = FrameLimiter::new(&limits, Instant::now());
        let mut liveness = Liveness::new();
        let close_code = loop {
            tokio::select! {
                frame = outbound_rx.recv() => {
                    let Some(frame) = frame else { break None };
                    if was_full(&outbound_rx) {
                        // The actor has (or is about to have) dropped this connection.
                        break Some(CLOSE_TOO_SLOW);
                    }
                    // Everything already queued (an action's echo and its responses) goes out
                    // in one write.
                    if write_queued(&mut socket, frame, &mut outbound_rx).await.is_err() {
                        break socket.failed_write_code();
                    }
                }
                incoming = socket.next() => {
                    liveness.heard();
                    // Counted and size-checked before parsing.
                    if let Some(bytes) = data_len(&incoming) {
                        let refusal = match limiter.admit_unparsed(bytes, Instant::now()) {
                            Admission::Accept => None,
                            Admission::Drop => continue,
                            Admission::Close => break Some(CLOSE_FLOOD),
                            Admission::Refuse(message) => Some(message),
                        };
                        if let Some(message) = refusal {
                            let error = wire::FrameError::new(wire::code::RATE_LIMITED, message);
                            let frame = Message::Text(wire::error_frame(&error).into());
                            if socket.send(frame).await.is_err() {
                                break socket.failed_write_code();
                            }
                            continue;
                        }
                    }
                    let message = match incoming {
                        Some(Ok(message)) => message,
                        Some(Err(error)) => {
                            let too_big = crate::ws::is_capacity_error(error);
                            break too_big.then_some(CLOSE_TOO_BIG);
                        }
                        None => break None,
                    };
                    let raw = match &message {
                        Message::Text(text) => Some(text.clone()),
                        _ => None,
                    };
                    let parsed = match message {
                        Message::Text(text) => wire::parse_frame(text.as_str()),
                        Message::Binary(_) => Err(wire::malformed_json()),
                        Message::Close(_) => {
                            // Sends the answer to the peer's close frame.
                            let _ = socket.flush().await;
                            break None;
                        }
                        Message::Ping(_) | Message::Pong(_) => continue,
                    };
                    let kind = match parsed {
                        Ok(ClientFrame::Chat(_) | ClientFrame::IgnoredChat) => FrameKind::Chat,
                        // Refused frames count as actions too: each one gets an error reply.
                        Ok(ClientFrame::Action { .. }) | Err(_) => FrameKind::Action,
                    };
                    let parsed = match limiter.admit(kind, Instant::now()) {
                        Admission::Accept => parsed,
                        Admission::Drop => continue,
                        Admission::Close => break Some(CLOSE_FLOOD),
                        Admission::Refuse(message) => {
                            Err(wire::FrameError::new(wire::code::RATE_LIMITED, message))
                        }
                    };
                    let command = match parsed {
                        Ok(ClientFrame::IgnoredChat) => None,
                        Ok(ClientFrame::Chat(msg)) => Some(Command::Chat {
                            username: user.username.clone(),
                            msg,
                        }),
                        Ok(ClientFrame::Action { action, echo }) => Some(Command::Action {
                            conn,
                            user: user.id,
                            action,
                            echo,
                        }),
                        Err(error) => {
                            let frame = Message::Text(wire::error_frame(&error).into());
                            if socket.send(frame).await.is_err() {
                                break socket.failed_write_code();
                            }
                            None
                        }
                    };
                    if let Some(command) = command {
                        let text = raw.as_ref().map_or("", |text| text.as_str());
                        if !actor.send(command, &user, text).await {
                            // The actor stopped (a failed commit): the client reconnects and
                            // gets the game reloaded from disk.
                            let frame = wire::error_frame(&wire::FrameError::new(
                                wire::code::GAME_UNAVAILABLE,
                                "Game not found",
                            ));
                            let _ = socket.send(Message::Text(frame.into())).await;
                            break None;
                        }
                    }
                }
                alive = liveness.tick() => {
                    if !alive {
                        break None;
                    }
                    if !ping(&mut socket).await {
                        break socket.failed_write_code();
                    }
                }
                () = closing.wait() => break Some(CLOSE_GOING_AWAY),
            }
        };
        // Leave first: the actor stops queueing frames for a closing socket.
        actor.leave(conn).await;
        drop(outbound_rx);
        if let Some(code) = close_code {
            close(&mut socket, code).await;
        }
        slot.closed_with(close_code);
        tracing::debug!(game = game_id, user = user.id, "game socket closed");
    }
}

impl Link {
    fn clone_link(&self) -> Link {
        match self {
            Link::Local(actor) => Link::Local(actor.clone()),
            Link::Remote(link) => Link::Remote(link.clone()),
        }
    }

    /// Hands a validated input to the game: the command to a local actor, the client's text
    /// to a remote one. `false` when the game is gone.
    async fn send(&self, command: Command, user: &User, text: &str) -> bool {
        match self {
            Link::Local(actor) => actor.send(command).await.is_ok(),
            Link::Remote(link) => link.input(user.id, &user.username, text).await,
        }
    }

    /// The socket closed.
    async fn leave(&self, conn: ConnId) {
        match self {
            Link::Local(actor) => {
                let _ = actor.send(Command::Leave { conn }).await;
            }
            Link::Remote(link) => link.leave().await,
        }
    }
}
