//! `/ws/queue/private/<room_code>/?token=<access>`: the private-room lobby socket (spec §4.3).
//!
//! The socket parses and validates each frame, then hands the command to the room's task (see
//! [`crate::lobby`]) and waits until it is handled, so one client can have at most one command
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
use futures_util::SinkExt;
use magnate_core::BotLevel;
use serde_json::{json, Map, Value};
use tokio::{sync::mpsc, time::Instant};

use crate::{
    config::GameSizes,
    limits::{Admission, FrameKind, FrameLimiter},
    lobby::{InvalidSettings, LobbyCommand, LobbyEvent, RoomLink, SettingsUpdate, ROOM_NOT_FOUND},
    state::AppState,
    store::User,
    ws::{
        authenticate_socket, close, ping, receive, reserve_socket, send_json, until, ClientFrame,
        ConnId, Liveness, Socket, CLOSE_MOVED, CLOSE_NORMAL, CLOSE_REJECTED, CLOSE_TOO_BIG,
        PROTOCOL_MAX_MESSAGE_BYTES,
    },
};

/// A frame that is not a JSON object, or a bad `is_ready`.
pub const INVALID_DATA: &str = "Datos invalidos.";
/// A missing, empty or `null` `command`.
pub const INVALID_COMMAND: &str = "Comando invalido.";
/// A chat message that is not a string of 1–500 characters after trimming.
pub const INVALID_MESSAGE: &str = "Mensaje inválido.";
/// Longest lobby chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 500;
/// Longest room code.
pub const MAX_CODE_LENGTH: usize = 10;

/// The lobby socket's route.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/queue/private/{room_code}/", get(join_room))
}

/// Whether `code` can name a room: `^[A-Za-z0-9_]{1,10}$` (§4.3.1, D20).
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
            run_room_socket(socket, state, user, code).await;
            drop(slot);
        })
}

/// Runs one lobby connection of `user` to the room `code` (§4.3.1 from step 1), until either
/// side closes it; then leaves the room if the socket is still a member.
///
/// Frames are rate-limited with the configured [`crate::config::SocketLimits`]: valid
/// `chat_message` commands against the chat budget, every other data frame (a refused chat
/// message too) against the actions budget. Frames
/// over the limit are dropped, and answered with at most one error frame a second.
pub async fn run_room_socket<S: Socket>(mut socket: S, state: AppState, user: User, code: String) {
    if !is_valid_code(&code) {
        reject(&mut socket, ROOM_NOT_FOUND).await;
        return;
    }
    let conn = ConnId::next();
    let (outbound, mut events) = mpsc::unbounded_channel();
    let entry = state.lobbies.enter(&state, &code, &user, conn, outbound);
    match entry.admission.await {
        Ok(Ok(())) => {}
        Ok(Err(message)) => {
            reject(&mut socket, message).await;
            return;
        }
        // The room was deleted (its game started) before the join was handled.
        Err(_) => {
            reject(&mut socket, ROOM_NOT_FOUND).await;
            return;
        }
    }
    let mut room = Some(entry.room);
    let mut events_open = true;
    // Set once the game started (§4.1).
    let mut moved_at: Option<Instant> = None;
    let mut liveness = Liveness::new();
    let mut limiter = FrameLimiter::new(&state.config.sockets, Instant::now());
    let close_code = loop {
        tokio::select! {
            // Frames already produced by the room go out before the next command is read.
            biased;
            event = events.recv(), if events_open => match event {
                Some(LobbyEvent::Frame(frame)) => {
                    if !send_json(&mut socket, &frame).await {
                        break None;
                    }
                }
                Some(LobbyEvent::Moved) => {
                    room = None;
                    break Some(CLOSE_NORMAL);
                }
                // The game started and the room is gone; the socket stays open for a while
                // (§4.1).
                None => {
                    events_open = false;
                    room = None;
                    moved_at = Some(Instant::now() + state.config.sockets.moved_grace);
                }
            },
            frame = receive(&mut socket) => {
                liveness.heard();
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
                    let frame = json!({"action": "error", "message": message});
                    if !send_json(&mut socket, &frame).await {
                        break None;
                    }
                }
            }
            alive = liveness.tick() => {
                if !alive || !ping(&mut socket).await {
                    break None;
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
}

/// The trimmed message of a `chat_message` frame, if it is a string of 1–500 characters.
fn chat_message(object: &Map<String, Value>) -> Option<&str> {
    object
        .get("message")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| (1..=MAX_CHAT_CHARS).contains(&text.chars().count()))
}

/// Whether a lobby frame is a valid chat message, which has its own rate limit. A refused one
/// counts as an action, as every other frame that is answered with an error.
fn is_chat(object: &Map<String, Value>) -> bool {
    object.get("command").and_then(Value::as_str) == Some("chat_message")
        && chat_message(object).is_some()
}

/// Sends the `{"error": ...}` rejection frame (no `action` key) and closes with 4003.
async fn reject<S: Socket>(socket: &mut S, message: &str) {
    if send_json(socket, &json!({ "error": message })).await {
        close(socket, CLOSE_REJECTED).await;
    }
}

/// Parses one command and hands it to the room; returns the error message for the sender.
async fn handle_command(
    object: &Map<String, Value>,
    sizes: &GameSizes,
    room: &mut Option<RoomLink>,
) -> Option<String> {
    let command = match parse_command(object, sizes) {
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

/// Parses a lobby frame (§4.3.2). `Ok(None)` is an unknown command, which is ignored.
pub fn parse_command(
    object: &Map<String, Value>,
    sizes: &GameSizes,
) -> Result<Option<LobbyCommand>, &'static str> {
    let command = object.get("command").unwrap_or(&Value::Null);
    if is_falsy(command) {
        return Err(INVALID_COMMAND);
    }
    match command.as_str() {
        Some("ready_status") => match object.get("is_ready") {
            Some(Value::Bool(is_ready)) => Ok(Some(LobbyCommand::SetReady(*is_ready))),
            _ => Err(INVALID_DATA),
        },
        Some("chat_message") => Ok(Some(LobbyCommand::Chat(
            chat_message(object).ok_or(INVALID_MESSAGE)?.to_owned(),
        ))),
        Some("update_settings") => Ok(Some(LobbyCommand::UpdateSettings(parse_settings(
            object, sizes,
        )))),
        Some("start_game") => Ok(Some(LobbyCommand::StartGame)),
        Some("kick_player") => match object.get("user") {
            Some(Value::String(name)) if !name.is_empty() => {
                Ok(Some(LobbyCommand::Kick(name.clone())))
            }
            _ => Err(INVALID_DATA),
        },
        _ => Ok(None),
    }
}

/// Python truthiness, which the reference uses for `command`.
fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
    }
}

/// Validates `update_settings` (§4.3.2): a missing key or `null` leaves a value unchanged.
fn parse_settings(
    object: &Map<String, Value>,
    sizes: &GameSizes,
) -> Result<SettingsUpdate, InvalidSettings> {
    let bot_level = match object.get("bot_level") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.parse::<BotLevel>().map_err(|_| InvalidSettings)?),
        Some(_) => return Err(InvalidSettings),
    };
    // Any whole number of seats: the room clamps it to a playable size (docs/protocol.md).
    let target_players = count(
        object,
        "target_players",
        u64::from(sizes.max_private_game_players),
    )?;
    let max_turns = count(object, "max_turns", MAX_TURNS_SETTING)?;
    Ok(SettingsUpdate {
        bot_level,
        target_players,
        max_turns,
    })
}

/// Largest `max_turns` a room may set.
const MAX_TURNS_SETTING: u64 = 100_000;

/// A JSON whole number from 0 up to `ceiling` (larger ones are clamped); missing or `null` is
/// `None`, anything else (negative, fractional, a string) is invalid.
fn count(
    object: &Map<String, Value>,
    key: &str,
    ceiling: u64,
) -> Result<Option<u32>, InvalidSettings> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => {
            let value = number.as_u64().ok_or(InvalidSettings)?.min(ceiling);
            Ok(Some(u32::try_from(value).map_err(|_| InvalidSettings)?))
        }
        Some(_) => Err(InvalidSettings),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(frame: Value) -> Result<Option<LobbyCommand>, &'static str> {
        let Value::Object(object) = frame else {
            panic!("test frames are objects")
        };
        parse_command(&object, &GameSizes::default())
    }

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

    #[test]
    fn command_parsing_follows_the_reference_truthiness() {
        let cases = [
            (json!({}), Err(INVALID_COMMAND)),
            (json!({"command": null}), Err(INVALID_COMMAND)),
            (json!({"command": ""}), Err(INVALID_COMMAND)),
            (json!({"command": 0}), Err(INVALID_COMMAND)),
            (json!({"command": 5}), Ok(None)),
            (json!({"command": "dance"}), Ok(None)),
            (
                json!({"command": "start_game"}),
                Ok(Some(LobbyCommand::StartGame)),
            ),
            (
                json!({"command": "ready_status", "is_ready": true}),
                Ok(Some(LobbyCommand::SetReady(true))),
            ),
            (
                json!({"command": "ready_status", "is_ready": "yes"}),
                Err(INVALID_DATA),
            ),
            (json!({"command": "ready_status"}), Err(INVALID_DATA)),
            (
                json!({"command": "chat_message", "message": "  hola "}),
                Ok(Some(LobbyCommand::Chat("hola".into()))),
            ),
            (
                json!({"command": "chat_message", "message": "   "}),
                Err(INVALID_MESSAGE),
            ),
            (json!({"command": "chat_message"}), Err(INVALID_MESSAGE)),
            (
                json!({"command": "chat_message", "message": 7}),
                Err(INVALID_MESSAGE),
            ),
        ];
        for (frame, expected) in cases {
            assert_eq!(parse(frame.clone()), expected, "{frame}");
        }
        let longest = "x".repeat(MAX_CHAT_CHARS);
        assert_eq!(
            parse(json!({"command": "chat_message", "message": longest})),
            Ok(Some(LobbyCommand::Chat(longest.clone())))
        );
        let too_long = "ñ".repeat(MAX_CHAT_CHARS + 1);
        assert_eq!(
            parse(json!({"command": "chat_message", "message": too_long})),
            Err(INVALID_MESSAGE)
        );
    }

    #[test]
    fn settings_are_validated_and_counts_capped() {
        let settings = |frame: Value| match parse(frame) {
            Ok(Some(LobbyCommand::UpdateSettings(update))) => update,
            other => panic!("not a settings command: {other:?}"),
        };
        assert_eq!(
            settings(json!({"command": "update_settings", "bot_level": "hard"})),
            Ok(SettingsUpdate {
                bot_level: Some(BotLevel::Hard),
                ..SettingsUpdate::default()
            })
        );
        // Any whole number of seats parses (the room stores a playable size); more than the
        // room's largest is capped here.
        for (sent, parsed) in [(0, 0), (1, 1), (4, 4), (9, 4)] {
            assert_eq!(
                settings(
                    json!({"command": "update_settings", "target_players": sent, "bot_level": null})
                ),
                Ok(SettingsUpdate {
                    target_players: Some(parsed),
                    ..SettingsUpdate::default()
                })
            );
        }
        assert_eq!(
            settings(json!({"command": "update_settings", "max_turns": 40})),
            Ok(SettingsUpdate {
                max_turns: Some(40),
                ..SettingsUpdate::default()
            })
        );
        for bad in [
            json!({"command": "update_settings", "bot_level": "godlike"}),
            json!({"command": "update_settings", "bot_level": ""}),
            json!({"command": "update_settings", "bot_level": 3}),
            json!({"command": "update_settings", "target_players": -2}),
            json!({"command": "update_settings", "target_players": 2.5}),
            json!({"command": "update_settings", "target_players": "3"}),
            json!({"command": "update_settings", "max_turns": "10"}),
            json!({"command": "update_settings", "max_turns": -1}),
        ] {
            assert_eq!(settings(bad.clone()), Err(InvalidSettings), "{bad}");
        }
    }
}
