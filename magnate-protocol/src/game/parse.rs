//! Client frames in: JSON text to a chat message or a validated [`WireAction`], with the
//! reference's field messages (docs/rules.md).

use magnate_core::{Action, ActionKind, Game, PlayerId, SquareId};
use serde_json::{Map, Value};

use super::errors::{code, FrameError};
use super::{
    BAD_CHAT, MALFORMED_JSON, MAX_CHAT_CHARS, MAX_CHAT_OBJECT_BYTES, MAX_ECHO_BYTES,
    MAX_FRAME_BYTES, MAX_QUOTED_CHARS, MESSAGE_TOO_LARGE,
};
use crate::fields::{integer_value, FieldErrors, NOT_AN_INTEGER, NULL, REQUIRED};
use crate::ids::relationship_square;

const VALID_TYPES: &str = "['ActionThrowDices', 'ActionMoveTo', 'ActionTakeTram', \
'ActionBuySquare', 'ActionBuild', 'ActionDemolish', 'ActionChooseCard', 'ActionSurrender', \
'ActionTradeProposal', 'ActionTradeAnswer', 'ActionMortgageSet', 'ActionMortgageUnset', \
'ActionPayBail', 'ActionBid', 'ActionDropPurchase', 'ActionNextPhase']";
const NOT_NEGATIVE: &str = "Asegúrese de que este valor es mayor o igual a 0.";
const NOT_A_BOOLEAN: &str = "Debe ser un booleano válido.";
const INVALID_VALUE: &str = "Valor inválido.";

/// An action as validated from the wire: trade properties are still relationship ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireAction {
    /// Any action but a trade proposal.
    Plain(Action),
    /// A trade proposal naming ownership records.
    Trade {
        /// The recipient.
        destination_user: PlayerId,
        /// Money the proposer gives.
        offered_money: i64,
        /// Money the proposer asks for.
        asked_money: i64,
        /// Relationship ids offered.
        offered_properties: Vec<i64>,
        /// Relationship ids asked for.
        asked_properties: Vec<i64>,
    },
}

impl WireAction {
    /// The action's kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            WireAction::Plain(action) => action.kind(),
            WireAction::Trade { .. } => ActionKind::TradeProposal,
        }
    }

    /// Resolves relationship ids against the game: `Err` is an `invalid_data` error.
    pub fn resolve(self, game_id: i64, game: &Game) -> Result<Action, FrameError> {
        match self {
            WireAction::Plain(action) => Ok(action),
            WireAction::Trade {
                destination_user,
                offered_money,
                asked_money,
                offered_properties,
                asked_properties,
            } => {
                let mut errors = FieldErrors::new();
                // Only the player who must act may propose, so the offer is theirs.
                let proposer = game.active_phase_player();
                let offered = resolve_relationships(
                    (game_id, game, proposer),
                    "offered_properties",
                    &offered_properties,
                    &mut errors,
                );
                let asked = resolve_relationships(
                    (game_id, game, destination_user),
                    "asked_properties",
                    &asked_properties,
                    &mut errors,
                );
                if !errors.is_empty() {
                    return Err(FrameError::new(code::INVALID_DATA, invalid_data(&errors)));
                }
                Ok(Action::TradeProposal {
                    destination_user,
                    offered_money,
                    asked_money,
                    offered_properties: offered,
                    asked_properties: asked,
                })
            }
        }
    }
}

/// Resolves the ids of a trade list, whose squares should belong to `owner`.
///
/// An id is a relationship id of this game (what the reference expects) or a tile id (what the
/// reference's web and desktop clients send). Tile ids run to 113 and relationship ids of game 1
/// are 101–155, so in game 1 one number can be both: the reading whose square `owner` holds
/// wins, then an owned square's relationship id, then an owned tile.
fn resolve_relationships(
    (game_id, game, owner): (i64, &Game, PlayerId),
    field: &str,
    ids: &[i64],
    errors: &mut FieldErrors,
) -> Vec<SquareId> {
    let mut squares = Vec::with_capacity(ids.len());
    for id in ids {
        let owned = |square: &SquareId| game.holding(*square).is_some();
        let owners = |square: &SquareId| game.holding(*square).is_some_and(|h| h.owner == owner);
        let relationship = relationship_square(game_id, *id);
        let tile = u16::try_from(*id).ok().map(SquareId);
        let resolved = relationship
            .filter(owners)
            .or(tile.filter(owners))
            .or(relationship.filter(owned))
            .or(tile.filter(owned));
        match resolved {
            Some(square) => squares.push(square),
            None => {
                errors.add(
                    field,
                    format!("Clave primaria \"{id}\" inválida - objeto no existe."),
                );
                return squares;
            }
        }
    }
    squares
}

/// A parsed client frame.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientFrame {
    /// A chat message to broadcast as `msg`: a string (already trimmed and checked), or an object
    /// with a `text` string within the chat limit, relayed as it came (the reference's web client
    /// sends `{"type":"SendChatMessage","text":"…"}` and reads `msg.text`).
    Chat(Value),
    /// A chat frame that is ignored without a reply (falsy `msg`).
    IgnoredChat,
    /// An action, with the client's object to echo (without `game` and `player` set yet).
    Action {
        /// The validated action.
        action: WireAction,
        /// The object as received.
        echo: Map<String, Value>,
    },
}

/// Parses and validates one text frame; `Err` is what the sender is told.
pub fn parse_frame(text: &str) -> Result<ClientFrame, FrameError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(FrameError::new(code::TOO_LARGE, MESSAGE_TOO_LARGE));
    }
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
        return Err(malformed_json());
    };
    let kind = match object.get("type") {
        None | Some(Value::Null) => {
            return Err(FrameError::new(
                code::INVALID_DATA,
                type_error("This field is required to identify the action."),
            ));
        }
        Some(Value::String(kind)) => kind.clone(),
        Some(other) => python_str(other),
    };
    if kind == "ChatMessage" {
        return parse_chat(object.get("msg"))
            .map_err(|message| FrameError::new(code::INVALID_CHAT, message));
    }
    let refused = if crate::names::action_kind(&kind).is_some() {
        code::INVALID_DATA
    } else {
        code::UNKNOWN_ACTION
    };
    let action =
        parse_action(&kind, &object).map_err(|message| FrameError::new(refused, message))?;
    let echo = bounded_echo(object, &action);
    Ok(ClientFrame::Action { action, echo })
}

/// The client's object as it came (extra keys kept, as the reference echoed them), unless its
/// JSON is over [`MAX_ECHO_BYTES`]: then only the action's own keys and `game`/`player` stay.
fn bounded_echo(mut object: Map<String, Value>, action: &WireAction) -> Map<String, Value> {
    let size = serde_json::to_string(&object).map_or(usize::MAX, |json| json.len());
    if size <= MAX_ECHO_BYTES {
        return object;
    }
    let own: Vec<String> = match action {
        WireAction::Plain(action) => super::frames::action_object(action)
            .keys()
            .cloned()
            .collect(),
        WireAction::Trade { .. } => [
            "destination_user",
            "offered_money",
            "asked_money",
            "offered_properties",
            "asked_properties",
        ]
        .map(str::to_owned)
        .to_vec(),
    };
    object.retain(|key, _| {
        matches!(key.as_str(), "type" | "game" | "player") || own.iter().any(|k| k == key)
    });
    object
}

/// The error for a frame that is not a JSON object, or a binary frame.
pub fn malformed_json() -> FrameError {
    FrameError::new(code::MALFORMED_JSON, MALFORMED_JSON)
}

fn type_error(message: &str) -> String {
    let mut errors = FieldErrors::new();
    errors.add("type", message);
    invalid_data(&errors)
}

/// `Invalid data: <field errors as JSON>`.
pub fn invalid_data(errors: &FieldErrors) -> String {
    format!("Invalid data: {}", errors.to_json())
}

fn parse_chat(msg: Option<&Value>) -> Result<ClientFrame, String> {
    match msg {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(ClientFrame::IgnoredChat),
        Some(Value::Number(number)) if number.as_f64() == Some(0.0) => Ok(ClientFrame::IgnoredChat),
        Some(Value::Array(items)) if items.is_empty() => Ok(ClientFrame::IgnoredChat),
        Some(Value::Object(fields)) if fields.is_empty() => Ok(ClientFrame::IgnoredChat),
        Some(Value::String(text)) => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                Ok(ClientFrame::IgnoredChat)
            } else if trimmed.chars().count() > MAX_CHAT_CHARS {
                Err(BAD_CHAT.to_owned())
            } else {
                Ok(ClientFrame::Chat(Value::String(trimmed.to_owned())))
            }
        }
        Some(Value::Object(fields)) => {
            let text_fits = matches!(fields.get("text"), Some(Value::String(text))
                if !text.trim().is_empty() && text.trim().chars().count() <= MAX_CHAT_CHARS);
            let size = serde_json::to_string(fields).map_or(usize::MAX, |json| json.len());
            if text_fits && size <= MAX_CHAT_OBJECT_BYTES {
                Ok(ClientFrame::Chat(Value::Object(fields.clone())))
            } else {
                Err(BAD_CHAT.to_owned())
            }
        }
        Some(_) => Err(BAD_CHAT.to_owned()),
    }
}

fn parse_action(kind: &str, object: &Map<String, Value>) -> Result<WireAction, String> {
    let mut errors = FieldErrors::new();
    let action = match kind {
        "ActionThrowDices" => Some(Action::ThrowDice),
        "ActionPayBail" => Some(Action::PayBail),
        "ActionNextPhase" => Some(Action::NextPhase),
        "ActionSurrender" => Some(Action::Surrender),
        "ActionMoveTo" => square(object, &mut errors).map(|square| Action::MoveTo { square }),
        "ActionBuySquare" => square(object, &mut errors).map(|square| Action::BuySquare { square }),
        "ActionDropPurchase" => {
            square(object, &mut errors).map(|square| Action::DropPurchase { square })
        }
        "ActionTakeTram" => square(object, &mut errors).map(|square| Action::TakeTram { square }),
        "ActionMortgageSet" => {
            square(object, &mut errors).map(|square| Action::MortgageSet { square })
        }
        "ActionMortgageUnset" => {
            square(object, &mut errors).map(|square| Action::MortgageUnset { square })
        }
        "ActionBuild" => {
            let square = square(object, &mut errors);
            let houses = integer(object, "houses", Some(1), false, &mut errors);
            square
                .zip(houses)
                .map(|(square, houses)| Action::Build { square, houses })
        }
        "ActionDemolish" => {
            let square = square(object, &mut errors);
            let houses = integer(object, "houses", Some(0), false, &mut errors);
            square
                .zip(houses)
                .map(|(square, houses)| Action::Demolish { square, houses })
        }
        "ActionChooseCard" => {
            // The reference's command-line client writes `chosen_card`.
            let field = first_present(object, &["chosen_revealed_card", "chosen_card"]);
            boolean(object, field, &mut errors).map(|chosen_revealed_card| Action::ChooseCard {
                chosen_revealed_card,
            })
        }
        "ActionTradeAnswer" => {
            // The reference's web client answers with `accept`.
            let field = first_present(object, &["choose", "accept"]);
            boolean(object, field, &mut errors).map(|choose| Action::TradeAnswer { choose })
        }
        "ActionBid" => integer(object, "amount", Some(0), true, &mut errors)
            .map(|amount| Action::Bid { amount }),
        "ActionTradeProposal" => {
            let destination_user = primary_key(object.get("destination_user"), true)
                .map_err(|message| errors.add("destination_user", message))
                .ok()
                .flatten();
            let offered_money = integer(object, "offered_money", Some(0), true, &mut errors);
            let asked_money = integer(object, "asked_money", Some(0), true, &mut errors);
            let offered = key_list(object, "offered_properties", &mut errors);
            let asked = key_list(object, "asked_properties", &mut errors);
            if errors.is_empty() {
                if let (
                    Some(user),
                    Some(offered_money),
                    Some(asked_money),
                    Some(offered),
                    Some(asked),
                ) = (destination_user, offered_money, asked_money, offered, asked)
                {
                    return Ok(WireAction::Trade {
                        destination_user: PlayerId(user.max(0) as u64),
                        offered_money,
                        asked_money,
                        offered_properties: offered,
                        asked_properties: asked,
                    });
                }
            }
            None
        }
        other => {
            return Err(type_error(&format!(
                "Invalid action type '{}'. Valid options are: {VALID_TYPES}",
                quoted(other)
            )));
        }
    };
    match action {
        Some(action) if errors.is_empty() => Ok(WireAction::Plain(action)),
        _ => Err(invalid_data(&errors)),
    }
}

/// The first of `fields` the frame has, else the first (the one errors name): reference clients
/// spell a few fields differently, and the reference's own name wins when both are present.
fn first_present<'a>(object: &Map<String, Value>, fields: &[&'a str]) -> &'a str {
    fields
        .iter()
        .find(|field| object.contains_key(**field))
        .unwrap_or(&fields[0])
}

/// Python's `str()` of a JSON value, for messages that quote the client's value; cut to
/// [`MAX_QUOTED_CHARS`] so an error never sends back more than a few bytes of what it got.
fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => quoted(text),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => quoted(&other.to_string()),
    }
}

/// At most [`MAX_QUOTED_CHARS`] characters of a client's text, with `…` when cut.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Python's type name of a JSON value.
fn python_type(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "str",
        Value::Bool(_) => "bool",
        Value::Null => "NoneType",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
    }
}

/// The required `square` field: a `custom_id` of the board.
fn square(object: &Map<String, Value>, errors: &mut FieldErrors) -> Option<SquareId> {
    let value = match object.get("square") {
        None => {
            errors.add("square", REQUIRED);
            return None;
        }
        Some(Value::Null) => {
            errors.add("square", NULL);
            return None;
        }
        Some(value) => value,
    };
    if matches!(value, Value::Bool(_) | Value::Array(_) | Value::Object(_)) {
        errors.add("square", INVALID_VALUE);
        return None;
    }
    let Some(id) = integer_value(value) else {
        errors.add("square", INVALID_VALUE);
        return None;
    };
    let known = u16::try_from(id)
        .ok()
        .map(SquareId)
        .filter(|square| magnate_core::Board::standard().square(*square).is_some());
    if known.is_none() {
        errors.add(
            "square",
            format!("Objeto con custom_id={} no existe.", python_str(value)),
        );
    }
    known
}

/// An integer field with an optional default; `non_negative` adds the `min_value=0` check.
fn integer(
    object: &Map<String, Value>,
    field: &str,
    default: Option<i64>,
    non_negative: bool,
    errors: &mut FieldErrors,
) -> Option<i64> {
    let value = match (object.get(field), default) {
        (None, Some(default)) => return Some(default),
        (None, None) => {
            errors.add(field, REQUIRED);
            return None;
        }
        (Some(Value::Null), _) => {
            errors.add(field, NULL);
            return None;
        }
        (Some(value), _) => value,
    };
    let Some(number) = integer_value(value) else {
        errors.add(field, NOT_AN_INTEGER);
        return None;
    };
    if non_negative && number < 0 {
        errors.add(field, NOT_NEGATIVE);
        return None;
    }
    Some(number)
}

/// A boolean field defaulting to `false`, with the reference's accepted spellings.
fn boolean(object: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> Option<bool> {
    let parsed = match object.get(field) {
        None => return Some(false),
        Some(Value::Null) => {
            errors.add(field, NULL);
            return None;
        }
        Some(Value::Bool(flag)) => Some(*flag),
        Some(Value::Number(number)) => match number.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Some(Value::String(text)) => match text.as_str() {
            "t" | "T" | "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on"
            | "On" | "ON" | "1" => Some(true),
            "f" | "F" | "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off"
            | "Off" | "OFF" | "0" => Some(false),
            _ => None,
        },
        Some(_) => None,
    };
    if parsed.is_none() {
        errors.add(field, NOT_A_BOOLEAN);
    }
    parsed
}

/// A primary-key value: `Ok(None)` when absent and not required is never used here.
fn primary_key(value: Option<&Value>, required: bool) -> Result<Option<i64>, String> {
    match value {
        None if required => Err(REQUIRED.to_owned()),
        None => Ok(None),
        Some(Value::Null) => Err(NULL.to_owned()),
        Some(value @ (Value::Bool(_) | Value::Array(_) | Value::Object(_))) => Err(format!(
            "Tipo incorrecto. Se esperaba valor de clave primaria y se recibió {}.",
            python_type(value)
        )),
        Some(value) => match integer_value(value) {
            Some(id) if id >= 0 => Ok(Some(id)),
            _ => Err(format!(
                "Clave primaria \"{}\" inválida - objeto no existe.",
                python_str(value)
            )),
        },
    }
}

/// A list of primary keys defaulting to `[]`.
fn key_list(
    object: &Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<Vec<i64>> {
    let items = match object.get(field) {
        None => return Some(Vec::new()),
        Some(Value::Null) => {
            errors.add(field, NULL);
            return None;
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            errors.add(
                field,
                format!(
                    "Se esperaba una lista de elementos en vez del tipo \"{}\".",
                    python_type(other)
                ),
            );
            return None;
        }
    };
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        match primary_key(Some(item), true) {
            Ok(Some(id)) => ids.push(id),
            Ok(None) => {}
            Err(message) => {
                errors.add(field, message);
                return None;
            }
        }
    }
    Some(ids)
}

#[cfg(test)]
mod tests;
