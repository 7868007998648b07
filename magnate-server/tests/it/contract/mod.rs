//! Contract suite: the reference's three real clients against this server.
//!
//! Each client is described by a [`Dialect`]: how it writes the frames it sends (taken from its
//! source, rewritten here as test data, never copied) and what it reads from the frames it gets,
//! with the types its code needs (a Godot `int()` of `null` stops the desktop client's handler,
//! for example). A game is then played against bots by a "client bot" that asks the server for
//! its legal actions (`legal=1`), picks one, writes it in the client's dialect and sends it, and
//! every frame received is checked against what that client reads.
//!
//! Clients read (their source files, in their repositories):
//! - desktop (Godot 4, UNIZAR-30226-2026-08/frontend-desktop):
//!   `magnate/scripts/backend_client/client_ws.gd` (the dispatchers and `ws_action_*`),
//!   `client_rest.gd`, `lobby_scripts/waiting_lobby.gd`, `board/board.gd`,
//!   `board/models/model_manager.gd`, `board/overlay_manager/overlay_manager.gd`;
//! - web (React + Phaser, UNIZAR-30226-2026-08/frontend-web): `magnate/src/services/WSClient.ts`,
//!   `services/types/socket.ts`, `phaser/managers/GameLogicManager.ts`;
//! - command line (`scripts/client.py` of UNIZAR-30226-2026-08/backend).

mod conformance;
mod desktop;
mod play;
mod web;

use serde_json::{json, Value};

/// How one client writes frames and what it reads.
pub struct Dialect {
    /// The client's name, for messages.
    pub name: &'static str,
    /// Rewrites a frame as the server lists it (`legal_actions`) the way this client sends it.
    pub write: fn(&Value, &Context) -> Value,
    /// Checks a received frame against what this client reads; `Err` says what would break.
    pub read: fn(&Value) -> Result<(), String>,
    /// The chat frame this client sends.
    pub chat: fn(&str) -> Value,
}

/// What a client knows when it writes a frame.
pub struct Context {
    /// The game id.
    pub game: i64,
    /// The client's own player id.
    pub player: i64,
}

/// The command-line client: sends the reference's frames as its user types them, with the
/// `chosen_card` slip for `chosen_revealed_card`, and reads `event_type`, `message`, the
/// snapshot's `money`/`positions`/`phase`/`active_phase_player` and each response's `type`.
pub const CLI: Dialect = Dialect {
    name: "cli",
    write: |frame, _| {
        let mut frame = frame.as_object().unwrap().clone();
        if let Some(choice) = frame.remove("chosen_revealed_card") {
            frame.insert("chosen_card".into(), choice);
        }
        Value::Object(frame)
    },
    read: |frame| {
        let kind = text(frame, "event_type")?;
        match kind {
            "error" => text(frame, "message").map(drop),
            "game_state" => {
                let state = &frame["game_state"];
                object(state, "money")?;
                object(state, "positions")?;
                text(state, "phase")?;
                Ok(())
            }
            "game_response" => text(&frame["data"], "type").map(drop),
            _ => Ok(()),
        }
    },
    chat: |text| serde_json::json!({"type": "ChatMessage", "msg": text}),
};

/// `frame[key]` as a string.
pub fn text<'a>(frame: &'a Value, key: &str) -> Result<&'a str, String> {
    frame[key]
        .as_str()
        .ok_or_else(|| format!("`{key}` is not a string in {frame}"))
}

/// `frame[key]` as an object.
pub fn object<'a>(
    frame: &'a Value,
    key: &str,
) -> Result<&'a serde_json::Map<String, Value>, String> {
    frame[key]
        .as_object()
        .ok_or_else(|| format!("`{key}` is not an object in {frame}"))
}

/// `frame[key]` as an integer (never `null`).
pub fn integer(frame: &Value, key: &str) -> Result<i64, String> {
    frame[key]
        .as_i64()
        .ok_or_else(|| format!("`{key}` is not an integer in {frame}"))
}

/// A square the way the GUI clients normalize it: an integer or a string of digits.
pub fn tile(value: &Value) -> Result<(), String> {
    match value {
        Value::Number(number) if number.is_i64() => Ok(()),
        Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(())
        }
        other => Err(format!("{other} is not a tile id")),
    }
}

/// A deterministic choice stream.
pub struct Choices(pub u64);

impl Choices {
    pub fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below.max(1) as u64) as usize
    }
}

/// Picks an entry of a `legal_actions` frame and fills in its ranges; `None` when the player
/// may only surrender (it then waits).
pub fn pick(legal: &Value, choices: &mut Choices, trades_left: &mut usize) -> Option<Value> {
    let entries: Vec<&Value> = legal["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["frame"]["type"] != "ActionSurrender")
        .filter(|entry| {
            entry["frame"]["type"] != "ActionTradeProposal"
                || (*trades_left > 0
                    && (entry["offerable"].as_array().is_some_and(|s| !s.is_empty())
                        || entry["askable"].as_array().is_some_and(|s| !s.is_empty())))
        })
        .collect();
    if entries.is_empty() {
        return None;
    }
    let entry = entries[choices.next(entries.len())];
    let mut frame = entry["frame"].clone();
    if let Some(max) = entry["max_amount"].as_i64() {
        frame["amount"] = json!(choices.next((max.max(0) / 5 + 1) as usize));
    }
    if frame["type"] == "ActionTradeProposal" {
        *trades_left -= 1;
        let first = |key: &str| entry[key].as_array().and_then(|s| s.first()).cloned();
        if let Some(square) = first("offerable") {
            frame["offered_properties"] = json!([square]);
        } else if let Some(square) = first("askable") {
            frame["asked_properties"] = json!([square]);
            frame["offered_money"] = json!(1);
        }
    }
    Some(frame)
}
