//! `/ws/queue/private/<room_code>/?token=<access>`: the private-room lobby socket
//! (docs/protocol.md).
//!
//! The socket parses and validates each frame, then hands the command to the room's task (see
//! [`crate::rooms`]) and waits until it is handled, so one client can have at most one command
//! in flight. Everything the room says arrives on the socket's outbound channel in order.

use axum::{
    extract::{
        ws::{rejection::WebSocketUpgradeRejection, WebSocketUpgrade},
        Path, RawQuery, State,
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use futures_util::{SinkExt, StreamExt};
use magnate_protocol::lobby::{rejection_frame, LobbyFrame};
use serde_json::{Map, Value};
use tokio::{sync::mpsc, time::Instant};

use crate::{
    config::GameSizes,
    limits::{Admission, Closing, FrameKind, FrameLimiter},
    rooms::{LobbyEvent, RoomLink, ROOM_NOT_FOUND},
    state::AppState,
    store::User,
    ws::{
        admit_unparsed, authenticate_socket, classify, close, ping, reserve_socket, send_text,
        until, was_full, ClientFrame, ConnId, Liveness, Socket, Timed, Unparsed, CLOSE_FLOOD,
        CLOSE_GOING_AWAY, CLOSE_MOVED, CLOSE_NORMAL, CLOSE_REJECTED, CLOSE_TOO_BIG, CLOSE_TOO_SLOW,
        PROTOCOL_MAX_MESSAGE_BYTES,
    },
};

pub use magnate_protocol::lobby::{
    is_chat, parse_command, INVALID_COMMAND, INVALID_DATA, INVALID_MESSAGE, MAX_CHAT_CHARS,
};
/// Longest room code.
pub const MAX_CODE_LENGTH: usize = 10;

/// The lobby socket's route.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/queue/private/{room_code}/", get(join_room))
}

/// Whether `code` can name a room: `^[A-Za-z0-9_]{1,10}$` (docs/protocol.md).
pub fn is_valid_code(code: &str) -> bool {
    (1..=MAX_CODE_LENGTH).contains(&code.len())
        && code
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// Whether the reference's route pattern `\w+` matches `code`; other paths are unknown (404).
fn matches_route(code: &str) -> bool {
    !code.is_empty()
        && code
            .chars()
            .all(|character| character.is_alphanumeric() || character == '_')
}

async fn join_room(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if !matches_route(&code) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let user = match authenticate_socket(&state, query.as_deref()).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let slot = match reserve_socket(&state, user.id) {
        Ok(slot) => slot,
        Err(refusal) => return refusal.into_response(),
    };
    upgrade
        .max_message_size(PROTOCOL_MAX_MESSAGE_BYTES)
        .max_frame_size(PROTOCOL_MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let _open = crate::metrics::OpenSocket::new("lobby");
            let closing = slot.closing();
            let code = run_room_socket(socket, state, user, code, closing).await;
            slot.closed_with(code);
        })
}

/// Runs one lobby connection of `user` to the room `code` (docs/protocol.md from step 1), until
/// either
/// side closes it; then leaves the room if the socket is still a member.
///
/// Frames are rate-limited with the configured [`crate::config::SocketLimits`]: valid
/// `chat_message` commands against the chat budget, every other data frame (a refused chat
/// message too) against the actions budget. Frames
/// over the limit are dropped, and answered with at most one error frame a second; a socket that
/// keeps flooding is closed with 1008. Every write has a deadline, and the room queues at most
/// [`crate::config::SocketLimits::outgoing_queue`] frames for the socket: a peer that falls
/// behind either is dropped (4008) and leaves the room. `closing` closes the socket with 1001.
/// Returns the close code sent, if any.
pub async fn run_room_socket<S: Socket>(
    socket: S,
    state: AppState,
    user: User,
    code: String,
    mut closing: Closing,
) -> Option<u16> {
    let limits = state.config.sockets;
    let mut socket = Timed::new(socket, limits.write_timeout);
    if !is_valid_code(&code) {
        reject(&mut socket, ROOM_NOT_FOUND).await;
        return Some(CLOSE_REJECTED);
    }
    let conn = ConnId::next();
    let (outbound, mut events) = mpsc::channel(limits.outgoing_queue);
    let entry = state.lobbies.enter(&state, &code, &user, conn, outbound);
    match entry.admission.await {
        Ok(Ok(())) => {}
        Ok(Err(message)) => {
            reject(&mut socket, message).await;
            return Some(CLOSE_REJECTED);
        }
        // The room was deleted (its game started) before the join was handled.
        Err(_) => {
            reject(&mut socket, ROOM_NOT_FOUND).await;
            return Some(CLOSE_REJECTED);
        }
    }
    let mut room = Some(entry.room);
    let mut events_open = true;
    // Set once the game started (docs/protocol.md).
    let mut moved_at: Option<Instant> = None;
    let mut liveness = Liveness::new();
    let mut limiter = FrameLimiter::new(&limits, Instant::now());
    let close_code = loop {
        tokio::select! {
            // Frames already produced by the room go out before the next command is read.
            biased;
            () = closing.wait() => break Some(CLOSE_GOING_AWAY),
            event = events.recv(), if events_open => match event {
                // The room has no room left for this socket's frames: it drops the member.
                Some(_) if was_full(&events) => break Some(CLOSE_TOO_SLOW),
                Some(LobbyEvent::Frame(frame)) => {
                    if !send_text(&mut socket, frame).await {
                        break socket.failed_write_code();
                    }
                }
                Some(LobbyEvent::Moved) => {
                    room = None;
                    break Some(CLOSE_NORMAL);
                }
                // The game started and the room is gone; the socket stays open for a while
                // (docs/protocol.md).
                None => {
                    events_open = false;
                    room = None;
                    moved_at = Some(Instant::now() + state.config.sockets.moved_grace);
                }
            },
            received = socket.next() => {
                liveness.heard();
                match admit_unparsed(&mut socket, &mut limiter, &received).await {
                    Unparsed::Parse => {}
                    Unparsed::Skip => continue,
                    Unparsed::Close(code) => break code,
                }
                let frame = classify(received);
                let admission = match &frame {
                    ClientFrame::Object(object) if is_chat(object) => {
                        limiter.admit(FrameKind::Chat, Instant::now())
                    }
                    ClientFrame::Object(_) | ClientFrame::Invalid => {
                        limiter.admit(FrameKind::Action, Instant::now())
                    }
                    ClientFrame::Control | ClientFrame::Closed | ClientFrame::TooBig => {
                        Admission::Accept
                    }
                };
                let reply = match admission {
                    Admission::Drop => continue,
                    Admission::Close => break Some(CLOSE_FLOOD),
                    Admission::Refuse(message) => Some(message.to_owned()),
                    Admission::Accept => match frame {
                        ClientFrame::Object(object) => {
                            handle_command(&object, &state.config.sizes, &mut room).await
                        }
                        ClientFrame::Invalid => Some(INVALID_DATA.to_owned()),
                        ClientFrame::Control => None,
                        ClientFrame::Closed => {
                            // Sends the answer to the peer's close frame, if it sent one.
                            let _ = socket.flush().await;
                            break None;
                        }
                        ClientFrame::TooBig => break Some(CLOSE_TOO_BIG),
                    },
                };
                if let Some(message) = reply {
                    let frame = LobbyFrame::Error { message: &message }.to_text();
                    if !send_text(&mut socket, frame).await {
                        break socket.failed_write_code();
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
            () = until(moved_at) => break Some(CLOSE_MOVED),
        }
    };
    if let Some(room) = room {
        room.leave();
    }
    if let Some(code) = close_code {
        close(&mut socket, code).await;
    }
    close_code
}

/// Sends the `{"error": ...}` rejection frame (no `action` key) and closes with 4003.
async fn reject<S: Socket>(socket: &mut S, message: &str) {
    if send_text(socket, rejection_frame(message)).await {
        close(socket, CLOSE_REJECTED).await;
    }
}

/// Parses one command and hands it to the room; returns the error message for the sender.
async fn handle_command(
    object: &Map<String, Value>,
    sizes: &GameSizes,
    room: &mut Option<RoomLink>,
) -> Option<String> {
    let command = match parse_command(object, sizes.max_private_game_players) {
        Ok(Some(command)) => command,
        Ok(None) => return None,
        Err(message) => return Some(message.to_owned()),
    };
    let handled = match room {
        Some(link) => link.act(command).await,
        None => false,
    };
    if handled {
        None
    } else {
        *room = None;
        Some(ROOM_NOT_FOUND.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_codes_follow_the_database_limit() {
        for code in ["ABC123", "a", "under_scor", "0123456789"] {
            assert!(is_valid_code(code), "{code}");
        }
        for code in ["", "01234567890", "año", "a-b", "a b"] {
            assert!(!is_valid_code(code), "{code}");
        }
        assert!(matches_route("año"));
        assert!(!matches_route("a-b"));
    }
}
