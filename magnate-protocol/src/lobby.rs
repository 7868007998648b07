//! The private-room lobby socket (`/ws/queue/private/<code>/`, docs/protocol.md): the one
//! parser of its commands, with the reference's messages, and the frames the server sends.

use magnate_core::BotLevel;
use serde::Serialize;
use serde_json::{Map, Value};

/// A frame the lobby socket sends. Every key is written in byte order, as the reference's
/// frames have them (`action` first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LobbyFrame<'a> {
    /// To the host only, on creating the room: the code to share.
    RoomCreated {
        /// The room's code.
        room_code: &'a str,
    },
    /// To every member when someone joins; `is_owner` is the recipient's.
    Joined {
        /// The bots' level.
        bot_level: &'static str,
        /// Whether the recipient hosts the room.
        is_owner: bool,
        /// The room's turn limit, if any.
        max_turns: Option<u32>,
        /// The host's name.
        owner: &'a str,
        /// Every member, in joining order.
        players: &'a [RoomPlayer<'a>],
        /// Seats the game will have.
        target_players: u32,
        /// Who joined.
        user: &'a str,
    },
    /// To every member when someone leaves.
    PlayerLeft {
        /// Whether the recipient hosts the room (the host may have changed).
        is_owner: bool,
        /// The host's name.
        owner: &'a str,
        /// Every member left.
        players: &'a [RoomPlayer<'a>],
        /// Who left.
        user_left: &'a str,
    },
    /// To every member when someone changes their ready flag.
    ReadyStatus {
        /// Whether the recipient hosts the room.
        is_owner: bool,
        /// The new flag.
        is_ready: bool,
        /// The host's name.
        owner: &'a str,
        /// Who changed it.
        user: &'a str,
    },
    /// A chat message, to every member.
    ChatMessage {
        /// The message, trimmed.
        message: &'a str,
        /// The sender.
        user: &'a str,
    },
    /// To every member when the host changes the settings.
    SettingsChanged {
        /// The bots' level.
        bot_level: &'static str,
        /// The turn limit, if any.
        max_turns: Option<u32>,
        /// Seats the game will have.
        target_players: u32,
    },
    /// To every member: the game started; open its socket.
    GameStart {
        /// The new game.
        game_id: i64,
    },
    /// A refused command, to its sender.
    Error {
        /// Why, in the reference's words.
        message: &'a str,
    },
}

/// One member in a lobby frame's `players`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoomPlayer<'a> {
    /// Whether they are ready.
    pub ready_to_play: bool,
    /// Their piece (the desktop client draws it).
    pub user_piece: i64,
    /// Their name.
    pub username: &'a str,
}

impl LobbyFrame<'_> {
    /// The frame's JSON text.
    pub fn to_text(&self) -> String {
        // Plain fields of strings, booleans and integers always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `{"error": message}`: the lobby's rejection frame (no `action` key), sent before the socket
/// closes (a refused join, a kick).
pub fn rejection_frame(message: &str) -> String {
    #[derive(Serialize)]
    struct Rejection<'a> {
        error: &'a str,
    }
    serde_json::to_string(&Rejection { error: message }).unwrap_or_default()
}

/// A frame that is not a JSON object, or a bad `is_ready`.
pub const INVALID_DATA: &str = "Datos invalidos.";
/// A missing, empty or `null` `command`.
pub const INVALID_COMMAND: &str = "Comando invalido.";
/// A chat message that is not a string of 1–500 characters after trimming.
pub const INVALID_MESSAGE: &str = "Mensaje inválido.";
/// Longest lobby chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 500;

/// A validated lobby command; [`parse_command`] makes these from frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LobbyCommand {
    /// `ready_status` with a boolean `is_ready`.
    SetReady(bool),
    /// `chat_message` with a trimmed text of 1–500 characters.
    Chat(String),
    /// `update_settings`: the new values (`None` leaves one unchanged), or `Err` when a value is
    /// out of range, which is reported only after the host check.
    UpdateSettings(Result<SettingsUpdate, InvalidSettings>),
    /// `start_game`.
    StartGame,
    /// `kick_player` with the username of the member the host removes.
    Kick(String),
}

/// New room settings; `None` leaves a value unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SettingsUpdate {
    /// Level of the bots that fill empty seats.
    pub bot_level: Option<BotLevel>,
    /// Number of seats, humans and bots, as asked: the room stores it clamped to what it can
    /// play (docs/protocol.md, `update_settings`).
    pub target_players: Option<u32>,
    /// Turn limit of the room's game: `Some(0)` goes back to the server's `MAX_TURNS`.
    pub max_turns: Option<u32>,
}

/// A settings value was out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidSettings;

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
pub fn is_chat(object: &Map<String, Value>) -> bool {
    object.get("command").and_then(Value::as_str) == Some("chat_message")
        && chat_message(object).is_some()
}

/// Parses a lobby frame (docs/protocol.md, the private room); `max_seats` caps `target_players`.
/// `Ok(None)` is an unknown command, which is ignored; `Err` is the message for the sender.
pub fn parse_command(
    object: &Map<String, Value>,
    max_seats: u32,
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
            object, max_seats,
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

/// Validates `update_settings`: a missing key or `null` leaves a value unchanged.
fn parse_settings(
    object: &Map<String, Value>,
    max_seats: u32,
) -> Result<SettingsUpdate, InvalidSettings> {
    let bot_level = match object.get("bot_level") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.parse::<BotLevel>().map_err(|_| InvalidSettings)?),
        Some(_) => return Err(InvalidSettings),
    };
    // Any whole number of seats: the room clamps it to a playable size (docs/protocol.md).
    let target_players = count(object, "target_players", u64::from(max_seats))?;
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
    use serde_json::json;

    /// The bytes a sorted `serde_json` object of the same content has (the reference's).
    fn sorted(text: &str) -> String {
        serde_json::from_str::<Value>(text).unwrap().to_string()
    }

    #[test]
    fn frames_are_sorted_objects_with_the_reference_keys() {
        let players = [
            RoomPlayer {
                ready_to_play: true,
                user_piece: 3,
                username: "ana",
            },
            RoomPlayer {
                ready_to_play: false,
                user_piece: 0,
                username: "bob",
            },
        ];
        let joined = LobbyFrame::Joined {
            bot_level: "hard",
            is_owner: false,
            max_turns: None,
            owner: "ana",
            players: &players,
            target_players: 3,
            user: "bob",
        }
        .to_text();
        assert_eq!(
            serde_json::from_str::<Value>(&joined).unwrap(),
            json!({"action": "joined", "bot_level": "hard", "is_owner": false, "max_turns": null,
                   "owner": "ana", "target_players": 3, "user": "bob",
                   "players": [{"username": "ana", "ready_to_play": true, "user_piece": 3},
                               {"username": "bob", "ready_to_play": false, "user_piece": 0}]})
        );
        let frames = [
            joined,
            LobbyFrame::PlayerLeft {
                is_owner: true,
                owner: "ana",
                players: &players[..1],
                user_left: "bob",
            }
            .to_text(),
            LobbyFrame::ReadyStatus {
                is_owner: true,
                is_ready: true,
                owner: "ana",
                user: "ana",
            }
            .to_text(),
            LobbyFrame::ChatMessage {
                message: "hola",
                user: "ana",
            }
            .to_text(),
            LobbyFrame::SettingsChanged {
                bot_level: "easy",
                max_turns: Some(30),
                target_players: 4,
            }
            .to_text(),
            LobbyFrame::GameStart { game_id: 9 }.to_text(),
            LobbyFrame::RoomCreated { room_code: "AB12" }.to_text(),
            LobbyFrame::Error { message: "no" }.to_text(),
            rejection_frame("fuera"),
        ];
        for frame in frames {
            assert_eq!(sorted(&frame), frame);
        }
        assert_eq!(
            LobbyFrame::GameStart { game_id: 9 }.to_text(),
            r#"{"action":"game_start","game_id":9}"#
        );
        assert_eq!(rejection_frame("fuera"), r#"{"error":"fuera"}"#);
    }

    fn parse(frame: Value) -> Result<Option<LobbyCommand>, &'static str> {
        let Value::Object(object) = frame else {
            panic!("test frames are objects")
        };
        parse_command(&object, 4)
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
