//! The desktop client (Godot 4): every action carries `game` and `player`; squares are sent as
//! integers (`int(tile_id)`), trade properties as integer tile ids, answers as `choose`. It
//! converts many received values with `int()`, which stops the handler on `null`.

use serde_json::{json, Value};

use super::{integer, object, text, tile, Dialect, CLI};

pub const DESKTOP: Dialect = Dialect {
    name: "desktop",
    write: |frame, context| {
        let mut frame = frame.as_object().unwrap().clone();
        frame.insert("game".into(), json!(context.game));
        frame.insert("player".into(), json!(context.player));
        Value::Object(frame)
    },
    read,
    chat: CLI.chat,
};

fn read(frame: &Value) -> Result<(), String> {
    match text(frame, "event_type")? {
        "error" => text(frame, "message").map(drop),
        "game_state" => snapshot(&frame["game_state"]),
        "game_response" => response(&frame["data"]),
        "game_action" => action(&frame["data"]),
        _ => Ok(()),
    }
}

/// `_game_state_dispatcher`.
fn snapshot(state: &Value) -> Result<(), String> {
    for (_, square) in object(state, "positions")? {
        tile(square)?;
    }
    for relationship in state["property_relationships"]
        .as_array()
        .ok_or("property_relationships is not a list")?
    {
        tile(&relationship["square"])?;
    }
    for key in [
        "id",
        "streak",
        "parking_money",
        "current_turn",
        "active_phase_player",
        "active_turn_player",
    ] {
        integer(state, key)?;
    }
    let players = state["players"].as_array().ok_or("players is not a list")?;
    let ordered = state["ordered_players"]
        .as_array()
        .ok_or("ordered_players is not a list")?;
    // It indexes `ordered_players` with the indices of `players`.
    if ordered.len() < players.len() {
        return Err(format!("ordered_players shorter than players in {state}"));
    }
    for id in players.iter().chain(ordered) {
        id.as_i64().ok_or_else(|| format!("player id {id}"))?;
    }
    Ok(())
}

/// `_game_response_dispatcher`.
fn response(data: &Value) -> Result<(), String> {
    let kind = text(data, "type")?;
    text(data, "phase")?;
    if kind == "ResponseBonus" {
        return object(data, "bonuses").map(drop);
    }
    for (_, square) in object(data, "positions")? {
        tile(square)?;
    }
    match kind {
        "ResponseThrowDices" | "ResponseChooseSquare" => {
            for square in data["path"].as_array().ok_or("path is not a list")? {
                tile(square)?;
            }
            if kind == "ResponseThrowDices" {
                for square in data["destinations"].as_array().ok_or("no destinations")? {
                    tile(square)?;
                }
            }
            if !data["fantasy_event"].is_null() {
                text(&data["fantasy_event"], "fantasy_type")?;
            }
            Ok(())
        }
        "ResponseChooseFantasy" => {
            let result = &data["fantasy_result"];
            if !result.is_null() {
                text(&result["fantasy_event"], "fantasy_type")?;
            }
            Ok(())
        }
        "ResponseAuction" => {
            let auction = &data["auction"];
            for (_, bid) in object(auction, "bids")? {
                bid.as_i64().ok_or_else(|| format!("bid {bid}"))?;
            }
            integer(auction, "id")?;
            tile(&auction["square"])?;
            integer(auction, "winner")?;
            integer(auction, "final_amount")?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `_game_action_dispatcher`.
fn action(data: &Value) -> Result<(), String> {
    let kind = text(data, "type")?;
    if !data["square"].is_null() {
        tile(&data["square"])?;
    }
    match kind {
        "ActionSurrender" => {
            integer(data, "game")?;
            integer(data, "player")?;
        }
        "ActionTradeProposal" => {
            for key in ["offered_properties", "asked_properties"] {
                for square in data[key].as_array().ok_or("trade list")? {
                    tile(square)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// `waiting_lobby.gd` and `_private_queue_dispatcher`: `players[].user_piece` with no guard,
/// `target_players` through `int()`.
pub fn lobby(frame: &Value) -> Result<(), String> {
    match text(frame, "action")? {
        "joined" | "player_left" => {
            for player in frame["players"].as_array().ok_or("players")? {
                integer(player, "user_piece")?;
                text(player, "username")?;
            }
            if frame["action"] == "joined" {
                text(frame, "bot_level")?;
                integer(frame, "target_players")?;
            }
            Ok(())
        }
        "settings_changed" => {
            text(frame, "bot_level")?;
            integer(frame, "target_players").map(drop)
        }
        "game_start" => integer(frame, "game_id").map(drop),
        _ => Ok(()),
    }
}
