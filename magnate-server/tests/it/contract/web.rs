//! The web client (React + Phaser): squares as zero-padded tile-id strings (`"016"`), trade
//! properties the same way, trade answers as `accept` (with `player` and `game`), chat as an
//! object `{"type":"SendChatMessage","text":…}`. It reads responses through optional chaining,
//! so it needs objects where it indexes and arrays where it takes a length.

use serde_json::{json, Value};

use super::{object, text, tile, Context, Dialect};

pub const WEB: Dialect = Dialect {
    name: "web",
    write,
    read,
    chat: |text| json!({"type": "ChatMessage", "msg": {"type": "SendChatMessage", "text": text}}),
};

fn padded(square: &Value) -> Value {
    json!(format!("{:03}", square.as_i64().expect("a square id")))
}

fn write(frame: &Value, context: &Context) -> Value {
    let mut frame = frame.as_object().unwrap().clone();
    if let Some(square) = frame.get("square").cloned() {
        frame.insert("square".into(), padded(&square));
    }
    for key in ["offered_properties", "asked_properties"] {
        if let Some(Value::Array(squares)) = frame.get(key).cloned() {
            frame.insert(key.into(), squares.iter().map(padded).collect());
        }
    }
    if frame["type"] == "ActionTradeProposal" {
        frame.insert("player".into(), json!(context.player.to_string()));
    }
    if let Some(choose) = frame.remove("choose") {
        frame.insert("accept".into(), choose);
        frame.insert("player".into(), json!(context.player.to_string()));
        frame.insert("game".into(), json!(context.game.to_string()));
    }
    Value::Object(frame)
}

fn read(frame: &Value) -> Result<(), String> {
    match text(frame, "event_type")? {
        "error" => text(frame, "message").map(drop),
        "game_state" => {
            let state = &frame["game_state"];
            state["id"].as_i64().ok_or("game_state.id")?;
            object(state, "money")?;
            object(state, "positions")?;
            // Declared `Record<string, number>`.
            object(state, "possible_destinations")?;
            for relationship in state["property_relationships"]
                .as_array()
                .ok_or("property_relationships")?
            {
                tile(&relationship["square"])?;
            }
            Ok(())
        }
        "game_response" => {
            let data = &frame["data"];
            object(data, "money")?;
            text(data, "phase")?;
            match text(data, "type")? {
                "ResponseThrowDices" => {
                    data["destinations"].as_array().ok_or("destinations")?;
                    data["path"].as_array().ok_or("path")?;
                    Ok(())
                }
                "ResponseChooseSquare" => data["path"].as_array().map(drop).ok_or("path".into()),
                "ResponseAuction" => {
                    object(&data["auction"], "bids")?;
                    tile(&data["auction"]["square"])
                }
                "ResponseBonus" => object(data, "bonuses").map(drop),
                _ => Ok(()),
            }
        }
        "chat_message" => {
            // `data.msg?.text`: an object with a text, from web senders.
            if data_is_object(&frame["msg"]) {
                text(&frame["msg"], "text")?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn data_is_object(value: &Value) -> bool {
    value.is_object()
}

/// The lobby frames the web reads (`routePrivate`): players as a list of
/// `{username, ready_to_play}`, `target_players` a number.
pub fn lobby(frame: &Value) -> Result<(), String> {
    match text(frame, "action")? {
        "joined" | "player_left" => {
            for player in frame["players"].as_array().ok_or("players")? {
                text(player, "username")?;
                player["ready_to_play"]
                    .as_bool()
                    .ok_or("ready_to_play is not a boolean")?;
            }
            Ok(())
        }
        "settings_changed" => frame["target_players"]
            .as_i64()
            .map(drop)
            .ok_or_else(|| format!("target_players in {frame}")),
        _ => Ok(()),
    }
}
