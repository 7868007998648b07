//! The game socket `/ws/game/<id>/?token=<access>` (spec §4.4).
//!
//! The handshake authenticates the query-string token, parses the id and asks the game's actor
//! to attach the caller; any refusal is an HTTP 403 before the upgrade. Each connection is one
//! task that parses and validates client frames (errors go straight back to the sender), hands
//! valid inputs to the actor, and writes the frames the actor queues for it. It sends a protocol
//! ping every 30 s and drops a peer silent for 90 s. Each connection holds one of its user's
//! socket slots and rate-limits its frames ([`crate::limits`]): frames over the limit never
//! reach the actor.

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
use futures_util::SinkExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::actor::{Command, ConnId, JoinRefused, OUTBOUND_CAPACITY};
use crate::config::SocketLimits;
use crate::limits::{Admission, FrameKind, FrameLimiter, SocketSlot};
use crate::state::AppState;
use crate::store::{GameId, User};
use crate::ws::{ping, reserve_socket, Liveness, PROTOCOL_MAX_MESSAGE_BYTES};
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
        return StatusCode::FORBIDDEN.into_response();
    };
    // Before joining: a refused socket must leave no trace in the game.
    let slot = match reserve_socket(&state, user.id) {
        Ok(slot) => slot,
        Err(refusal) => return refusal.into_response(),
    };
    let limits = state.config.sockets;
    let (outbound, outbound_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let (conn, actor) = match state
        .games
        .join(
            &state,
            game_id,
            user.id,
            wants_legal_actions(query.as_deref()),
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
        Err(_) => return StatusCode::FORBIDDEN.into_response(),
    };
    let leave = actor.clone();
    upgrade
        .max_message_size(PROTOCOL_MAX_MESSAGE_BYTES)
        .max_frame_size(PROTOCOL_MAX_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_failed_upgrade(move |_| {
            let _ = leave.try_send(Command::Leave { conn });
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
    socket: &mut WebSocket,
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

/// `legal=1` (or `true`) in the query string: the client wants `legal_actions` frames.
fn wants_legal_actions(query: Option<&str>) -> bool {
    let Some(pairs) =
        query.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
    else {
        return false;
    };
    pairs
        .iter()
        .any(|(name, value)| name == "legal" && matches!(value.as_str(), "1" | "true"))
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
    actor: mpsc::Sender<Command>,
    outbound: mpsc::Sender<Message>,
    limits: SocketLimits,
    /// Held until the connection ends.
    slot: SocketSlot,
}

impl SocketConnection {
    async fn run(self, mut socket: WebSocket, mut outbound_rx: mpsc::Receiver<Message>) {
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
        let mut limiter = FrameLimiter::new(&limits, Instant::now());
        let mut liveness = Liveness::new();
        loop {
            tokio::select! {
                frame = outbound_rx.recv() => {
                    let Some(frame) = frame else { break };
                    // Everything already queued (an action's echo and its responses) goes out
                    // in one write.
                    if write_queued(&mut socket, frame, &mut outbound_rx).await.is_err() {
                        break;
                    }
                }
                incoming = socket.recv() => {
                    let Some(Ok(message)) = incoming else { break };
                    liveness.heard();
                    let parsed = match message {
                        Message::Text(text) => wire::parse_frame(text.as_str()),
                        Message::Binary(_) => Err(wire::malformed_json()),
                        Message::Close(_) => break,
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
                                break;
                            }
                            None
                        }
                    };
                    if let Some(command) = command {
                        if actor.send(command).await.is_err() {
                            // The actor stopped (a failed commit): the client reconnects and
                            // gets the game reloaded from disk.
                            let frame = wire::error_frame(&wire::FrameError::new(
                                wire::code::GAME_UNAVAILABLE,
                                "Game not found",
                            ));
                            let _ = socket.send(Message::Text(frame.into())).await;
                            break;
                        }
                    }
                }
                alive = liveness.tick() => {
                    if !alive || !ping(&mut socket).await {
                        break;
                    }
                }
            }
        }
        let _ = actor.send(Command::Leave { conn }).await;
        drop(slot);
        tracing::debug!(game = game_id, user = user.id, "game socket closed");
    }
}
