//! The game socket's wire format (spec §4.4): client frames in, `event_type` frames out.
//!
//! Client frames are validated here, outside the game actor, with the reference's field messages
//! (§4.4.9); the actor only translates property-relationship ids and applies the action. Server
//! frames are built from the core's events and views, with integers for every square reference.

use std::collections::BTreeMap;

use magnate_core::{
    Action, ActionKind, AuctionOutcome, Event, EventKind, Game, Phase, PlayerId, RuleError,
    SquareId, Timer, View,
};
use serde_json::{json, Map, Value};

use crate::error::FieldErrors;
use crate::extract::{NOT_AN_INTEGER, NULL, REQUIRED};

/// Largest accepted text frame, in bytes (spec §4.4.3).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest chat message, in characters after trimming (spec §4.4.2).
pub const MAX_CHAT_CHARS: usize = 500;

/// The error for frames that are not a JSON object (and for binary frames).
pub const MALFORMED_JSON: &str = "Invalid data: malformed JSON";
/// The error for frames over [`MAX_FRAME_BYTES`].
pub const MESSAGE_TOO_LARGE: &str = "Invalid data: message too large";
/// The error for a refused chat message.
pub const BAD_CHAT: &str = "Invalid data: msg";
/// The error for an unexpected server-side failure (details are only logged).
pub const UNEXPECTED: &str = "Internal logic error: unexpected";

const VALID_TYPES: &str = "['ActionThrowDices', 'ActionMoveTo', 'ActionTakeTram', \
'ActionBuySquare', 'ActionBuild', 'ActionDemolish', 'ActionChooseCard', 'ActionSurrender', \
'ActionTradeProposal', 'ActionTradeAnswer', 'ActionMortgageSet', 'ActionMortgageUnset', \
'ActionPayBail', 'ActionBid', 'ActionDropPurchase', 'ActionNextPhase']";
const NOT_NEGATIVE: &str = "Asegúrese de que este valor es mayor o igual a 0.";
const NOT_A_BOOLEAN: &str = "Debe ser un booleano válido.";
const INVALID_VALUE: &str = "Valor inválido.";

/// The database ids of the squares of board1, by `custom_id` (spec Appendix A).
const SQUARE_DB_IDS: [(u16, i64); 55] = [
    (1, 1),
    (3, 2),
    (6, 3),
    (8, 4),
    (9, 5),
    (11, 6),
    (13, 7),
    (14, 8),
    (16, 9),
    (18, 10),
    (19, 11),
    (21, 12),
    (23, 13),
    (24, 14),
    (26, 15),
    (27, 16),
    (29, 17),
    (31, 18),
    (32, 19),
    (34, 20),
    (37, 21),
    (39, 22),
    (101, 23),
    (103, 24),
    (105, 25),
    (106, 26),
    (108, 27),
    (110, 28),
    (112, 29),
    (113, 30),
    (15, 31),
    (35, 32),
    (10, 33),
    (30, 34),
    (100, 35),
    (107, 36),
    (5, 37),
    (25, 38),
    (2, 39),
    (4, 40),
    (7, 41),
    (12, 42),
    (17, 43),
    (22, 44),
    (28, 45),
    (33, 46),
    (36, 47),
    (38, 48),
    (102, 49),
    (109, 50),
    (0, 51),
    (20, 52),
    (201, 53),
    (104, 54),
    (111, 55),
];

/// The database id of a square (Appendix A); 0 for a square the table does not know.
pub fn square_db_id(square: SquareId) -> i64 {
    SQUARE_DB_IDS
        .iter()
        .find(|(custom, _)| *custom == square.0)
        .map_or(0, |(_, db)| *db)
}

/// The property-relationship id of an ownership record: unique across games, stable while the
/// square has an owner. Clients only echo it back in trade proposals.
pub fn relationship_id(game_id: i64, square: SquareId) -> i64 {
    game_id
        .saturating_mul(100)
        .saturating_add(square_db_id(square))
}

/// The square named by a relationship id of `game_id`, if it names one of its squares.
pub fn relationship_square(game_id: i64, relationship: i64) -> Option<SquareId> {
    if relationship.checked_div(100)? != game_id {
        return None;
    }
    let db_id = relationship % 100;
    SQUARE_DB_IDS
        .iter()
        .find(|(_, db)| *db == db_id)
        .map(|(custom, _)| SquareId(*custom))
}

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

    /// Resolves relationship ids against the game: `Err` carries the `Invalid data` message.
    pub fn resolve(self, game_id: i64, game: &Game) -> Result<Action, String> {
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
                let offered = resolve_relationships(
                    game_id,
                    game,
                    "offered_properties",
                    &offered_properties,
                    &mut errors,
                );
                let asked = resolve_relationships(
                    game_id,
                    game,
                    "asked_properties",
                    &asked_properties,
                    &mut errors,
                );
                if !errors.is_empty() {
                    return Err(invalid_data(&errors));
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

fn resolve_relationships(
    game_id: i64,
    game: &Game,
    field: &str,
    ids: &[i64],
    errors: &mut FieldErrors,
) -> Vec<SquareId> {
    let mut squares = Vec::with_capacity(ids.len());
    for id in ids {
        match relationship_square(game_id, *id).filter(|square| game.holding(*square).is_some()) {
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
    /// A chat message to broadcast (already trimmed and checked).
    Chat(String),
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

/// Parses and validates one text frame; `Err` is the complete error message for the sender.
pub fn parse_frame(text: &str) -> Result<ClientFrame, String> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(MESSAGE_TOO_LARGE.to_owned());
    }
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
        return Err(MALFORMED_JSON.to_owned());
    };
    let kind = match object.get("type") {
        None | Some(Value::Null) => {
            return Err(type_error("This field is required to identify the action."));
        }
        Some(Value::String(kind)) => kind.clone(),
        Some(other) => python_str(other),
    };
    if kind == "ChatMessage" {
        return parse_chat(object.get("msg"));
    }
    let action = parse_action(&kind, &object)?;
    Ok(ClientFrame::Action {
        action,
        echo: object,
    })
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
                Ok(ClientFrame::Chat(trimmed.to_owned()))
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
            boolean(object, "chosen_revealed_card", &mut errors).map(|chosen_revealed_card| {
                Action::ChooseCard {
                    chosen_revealed_card,
                }
            })
        }
        "ActionTradeAnswer" => {
            boolean(object, "choose", &mut errors).map(|choose| Action::TradeAnswer { choose })
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
                "Invalid action type '{other}'. Valid options are: {VALID_TYPES}"
            )));
        }
    };
    match action {
        Some(action) if errors.is_empty() => Ok(WireAction::Plain(action)),
        _ => Err(invalid_data(&errors)),
    }
}

/// Python's `str()` of a JSON value, for messages that quote the client's value.
fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
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

/// An integer written as a JSON integer, an integral float or a decimal string.
fn integer_value(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64().or_else(|| {
            number
                .as_f64()
                .filter(|float| float.fract() == 0.0 && float.abs() < 9.0e15)
                .map(|float| float as i64)
        }),
        Value::String(text) => {
            let trimmed = text.trim();
            let whole = match trimmed.find('.') {
                Some(dot) if trimmed[dot + 1..].bytes().all(|byte| byte == b'0') => &trimmed[..dot],
                _ => trimmed,
            };
            whole.parse().ok()
        }
        _ => None,
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

/// The error text sent for an engine refusal (spec §4.4.9). `action_id` is the id the action
/// would have had in the log.
pub fn rule_error_message(error: &RuleError, player: PlayerId, action_id: u64) -> String {
    let malicious = |detail: &dyn std::fmt::Display| {
        format!("[{player}] Potentially malicious input: {detail}")
    };
    match error {
        RuleError::GameFinished => "Internal logic error: game was already ended".to_owned(),
        RuleError::NotInGame { .. } => malicious(&"is not in the game"),
        RuleError::NotActivePlayer { .. } => malicious(&"is not the active player"),
        RuleError::WrongPhase { action, phase } => malicious(&format!(
            "cannot perform action {} object ({action_id}) in phase {}",
            action.wire_name(),
            phase.as_str()
        )),
        RuleError::Invalid(reason) => malicious(reason),
        RuleError::InsufficientFunds { .. } => malicious(&"does not have enough money"),
        RuleError::Logic(reason) => format!("Internal logic error: {reason}"),
    }
}

/// `{"event_type":"error","message":...}`.
pub fn error_frame(message: &str) -> String {
    json!({"event_type": "error", "message": message}).to_string()
}

/// `{"event_type":"chat_message","game":G,"user":name,"msg":...}`.
pub fn chat_frame(game_id: i64, username: &str, msg: &str) -> String {
    json!({"event_type": "chat_message", "game": game_id, "user": username, "msg": msg}).to_string()
}

/// `{"event_type":"game_action","data":<echo with game and player set>}`.
pub fn action_echo_frame(mut echo: Map<String, Value>, game_id: i64, player: PlayerId) -> String {
    echo.insert("game".into(), json!(game_id));
    echo.insert("player".into(), json!(player.0));
    json!({"event_type": "game_action", "data": echo}).to_string()
}

/// The echo of a bot's action: only the schema fields, squares in trades as relationship ids.
pub fn bot_action_object(action: &Action, game_id: i64) -> Map<String, Value> {
    let mut object = match serde_json::to_value(action) {
        Ok(Value::Object(object)) => object,
        _ => Map::new(),
    };
    if let Action::TradeProposal {
        offered_properties,
        asked_properties,
        ..
    } = action
    {
        let ids = |squares: &[SquareId]| -> Value {
            squares
                .iter()
                .map(|square| json!(relationship_id(game_id, *square)))
                .collect()
        };
        object.insert("offered_properties".into(), ids(offered_properties));
        object.insert("asked_properties".into(), ids(asked_properties));
    }
    object
}

/// The `game_response` frame of an event, or `None` for driver-only events.
pub fn response_frame(event: &Event) -> Option<String> {
    let wire_type = event.kind.wire_type()?;
    let mut data = base(wire_type, &event.view);
    match &event.kind {
        EventKind::DiceThrown {
            dice1,
            dice2,
            dice_bus,
            triple,
            streak,
            destinations,
            path,
            fantasy_event,
            ..
        } => {
            data.insert("dice1".into(), json!(dice1));
            data.insert("dice2".into(), json!(dice2));
            data.insert("dice_bus".into(), json!(dice_bus));
            data.insert("triple".into(), json!(triple));
            data.insert("streak".into(), json!(streak));
            data.insert("destinations".into(), json!(destinations));
            data.insert("path".into(), json!(path));
            data.insert("fantasy_event".into(), json!(fantasy_event));
        }
        EventKind::SquareChosen {
            path,
            fantasy_event,
            ..
        } => {
            data.insert("path".into(), json!(path));
            data.insert("fantasy_event".into(), json!(fantasy_event));
        }
        EventKind::FantasyApplied { fantasy_result, .. } => {
            data.insert("fantasy_result".into(), json!(fantasy_result));
        }
        EventKind::AuctionClosed { auction } => add_auction(&mut data, auction),
        EventKind::GameEnded { bonuses, .. } => {
            let bonuses: Map<String, Value> = bonuses
                .iter()
                .map(|award| {
                    (
                        award.stat_field.as_str().to_owned(),
                        json!({"bonus_amount": award.bonus_amount, "winners": award.winners}),
                    )
                })
                .collect();
            data.insert("bonuses".into(), Value::Object(bonuses));
        }
        EventKind::Updated
        | EventKind::PhaseTimedOut
        | EventKind::PlayerEliminated { .. }
        | EventKind::BotWoken { .. } => {}
    }
    Some(json!({"event_type": "game_response", "data": data}).to_string())
}

fn base(wire_type: &str, view: &View) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("type".into(), json!(wire_type));
    data.insert("money".into(), json!(view.money));
    data.insert("positions".into(), json!(view.positions));
    data.insert("phase".into(), json!(view.phase.as_str()));
    data.insert(
        "active_phase_player".into(),
        json!(view.active_phase_player),
    );
    data.insert("active_turn_player".into(), json!(view.active_turn_player));
    data
}

fn add_auction(data: &mut Map<String, Value>, auction: &AuctionOutcome) {
    let bids: BTreeMap<String, i64> = auction
        .bids
        .iter()
        .map(|(player, amount)| (player.to_string(), *amount))
        .collect();
    data.insert(
        "auction".into(),
        json!({
            "id": auction.id,
            "square": auction.square,
            "winner": auction.winner,
            "final_amount": auction.final_amount,
            "is_active": false,
            "is_tie": auction.is_tie,
            "bids": bids,
        }),
    );
    data.insert("winner".into(), json!(auction.winner));
    data.insert("final_amount".into(), json!(auction.final_amount));
    data.insert("is_tie".into(), json!(auction.is_tie));
    data.insert("bids".into(), json!(bids));
}

/// What the snapshot needs besides the game.
#[derive(Debug, Clone)]
pub struct SnapshotContext<'a> {
    /// The game id.
    pub game_id: i64,
    /// Creation time, formatted.
    pub datetime: &'a str,
    /// Whether any throw has happened yet (`possible_destinations` is `[]` before).
    pub thrown: bool,
}

/// The `game_state` frame (spec §4.4.6) with the additive keys `proposal`, `fantasy_event`,
/// `current_auction` and an `id` in each property relationship.
pub fn snapshot_frame(game: &Game, context: &SnapshotContext<'_>) -> String {
    let game_id = context.game_id;
    let mut relationships: Vec<(i64, Value)> = game
        .holdings()
        .map(|(square, holding)| {
            let id = relationship_id(game_id, square);
            (
                id,
                json!({
                    "id": id,
                    "owner": holding.owner,
                    "square": square_db_id(square),
                    "houses": holding.houses,
                    "mortgage": holding.mortgaged,
                }),
            )
        })
        .collect();
    relationships.sort_by_key(|(id, _)| *id);
    let view = game.view();
    let possible_destinations = match (game.phase(), context.thrown) {
        (_, false) => json!([]),
        (Phase::ChooseSquare { destinations }, true) => {
            let object: Map<String, Value> = destinations
                .iter()
                .map(|(square, steps)| (square.to_string(), json!(steps)))
                .collect();
            Value::Object(object)
        }
        _ => json!({}),
    };
    let jail: Map<String, Value> = game
        .participants()
        .iter()
        .filter(|p| p.in_game && p.jail_turns > 0)
        .map(|p| (p.id.to_string(), json!(p.jail_turns)))
        .collect();
    let auction_task_id = game
        .deadlines()
        .iter()
        .find_map(|deadline| match deadline.timer {
            Timer::AuctionClose { auction } => Some(
                uuid::Uuid::from_u64_pair(game_id as u64, u64::from(auction))
                    .hyphenated()
                    .to_string(),
            ),
            _ => None,
        });
    let mut players: Vec<u64> = game.ordered_players().map(|p| p.0).collect();
    players.sort_unstable();
    let ordered: Vec<u64> = game.ordered_players().map(|p| p.0).collect();
    let proposal = match game.phase() {
        Phase::ProposalAcceptance(proposal) => {
            let ids = |squares: &[SquareId]| -> Vec<i64> {
                squares
                    .iter()
                    .map(|square| relationship_id(game_id, *square))
                    .collect()
            };
            json!({
                "id": proposal.id,
                "player": proposal.player,
                "destination_user": proposal.destination_user,
                "offered_money": proposal.offered_money,
                "asked_money": proposal.asked_money,
                "offered_properties": ids(&proposal.offered_properties),
                "asked_properties": ids(&proposal.asked_properties),
            })
        }
        _ => Value::Null,
    };
    let fantasy_event = match game.phase() {
        Phase::ChooseFantasy { card } => json!(card),
        _ => Value::Null,
    };
    let current_auction = match game.phase() {
        Phase::Auction(auction) => json!({"id": auction.id, "square": auction.square}),
        _ => Value::Null,
    };
    let state = json!({
        "id": game_id,
        "property_relationships": relationships.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "datetime": context.datetime,
        "positions": view.positions,
        "money": view.money,
        "phase": view.phase.as_str(),
        "ordered_players": ordered,
        "streak": game.streak(),
        "possible_destinations": possible_destinations,
        "parking_money": game.parking_money(),
        "jail_remaining_turns": jail,
        "finished": game.is_finished(),
        "auction_task_id": auction_task_id,
        "current_turn": game.current_turn(),
        "active_phase_player": view.active_phase_player,
        "active_turn_player": view.active_turn_player,
        "players": players,
        "proposal": proposal,
        "fantasy_event": fantasy_event,
        "current_auction": current_auction,
    });
    json!({"event_type": "game_state", "game_state": state}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn error_of(text: &str) -> String {
        match parse_frame(text) {
            Err(message) => message,
            Ok(frame) => panic!("{text} was accepted as {frame:?}"),
        }
    }

    #[test]
    fn square_ids_follow_appendix_a() {
        assert_eq!(square_db_id(SquareId(1)), 1);
        assert_eq!(square_db_id(SquareId(6)), 3);
        assert_eq!(square_db_id(SquareId(15)), 31);
        assert_eq!(square_db_id(SquareId(111)), 55);
        let mut db_ids: Vec<i64> = SQUARE_DB_IDS.iter().map(|(_, db)| *db).collect();
        db_ids.sort_unstable();
        assert_eq!(db_ids, (1..=55).collect::<Vec<_>>());
        for (custom, _) in SQUARE_DB_IDS {
            assert!(
                magnate_core::Board::standard()
                    .square(SquareId(custom))
                    .is_some(),
                "square {custom} is on the board"
            );
        }
        assert_eq!(relationship_id(42, SquareId(6)), 4203);
        assert_eq!(relationship_square(42, 4203), Some(SquareId(6)));
        assert_eq!(relationship_square(41, 4203), None);
        assert_eq!(relationship_square(42, 4299), None);
    }

    #[test]
    fn frames_that_are_not_objects_are_malformed() {
        for text in ["not json", "[1,2]", "\"x\"", "3", "null", "{"] {
            assert_eq!(error_of(text), MALFORMED_JSON, "{text}");
        }
        let large = format!(r#"{{"type":"ChatMessage","msg":"{}"}}"#, "a".repeat(70_000));
        assert_eq!(error_of(&large), MESSAGE_TOO_LARGE);
    }

    #[test]
    fn missing_and_unknown_types_name_the_type_field() {
        assert_eq!(
            error_of("{}"),
            r#"Invalid data: {"type":["This field is required to identify the action."]}"#
        );
        let unknown = error_of(r#"{"type":"Nope"}"#);
        assert!(
            unknown.starts_with(r#"Invalid data: {"type":["Invalid action type 'Nope'. Valid options are: ['ActionThrowDices', "#),
            "{unknown}"
        );
    }

    #[test]
    fn field_errors_use_the_reference_messages() {
        assert_eq!(
            error_of(r#"{"type":"ActionBuySquare"}"#),
            r#"Invalid data: {"square":["Este campo es requerido."]}"#
        );
        assert_eq!(
            error_of(r#"{"type":"ActionBuySquare","square":77}"#),
            r#"Invalid data: {"square":["Objeto con custom_id=77 no existe."]}"#
        );
        assert_eq!(
            error_of(r#"{"type":"ActionBuySquare","square":"abc"}"#),
            r#"Invalid data: {"square":["Valor inválido."]}"#
        );
        assert_eq!(
            error_of(r#"{"type":"ActionBid","amount":-5}"#),
            r#"Invalid data: {"amount":["Asegúrese de que este valor es mayor o igual a 0."]}"#
        );
        assert_eq!(
            error_of(r#"{"type":"ActionBid","amount":"x"}"#),
            r#"Invalid data: {"amount":["Introduzca un número entero válido."]}"#
        );
        assert_eq!(
            error_of(r#"{"type":"ActionTradeAnswer","choose":"maybe"}"#),
            r#"Invalid data: {"choose":["Debe ser un booleano válido."]}"#
        );
        assert_eq!(
            error_of(r#"{"type":"ActionTradeProposal","destination_user":true}"#),
            r#"Invalid data: {"destination_user":["Tipo incorrecto. Se esperaba valor de clave primaria y se recibió bool."]}"#
        );
        assert_eq!(
            error_of(
                r#"{"type":"ActionTradeProposal","destination_user":2,"offered_properties":5}"#
            ),
            r#"Invalid data: {"offered_properties":["Se esperaba una lista de elementos en vez del tipo \"int\"."]}"#
        );
    }

    #[test]
    fn valid_frames_keep_the_echo_and_lenient_values() {
        let frame = parse_frame(r#"{"type":"ActionBid","amount":"12","extra":1}"#).unwrap();
        let ClientFrame::Action { action, echo } = frame else {
            panic!("not an action");
        };
        assert_eq!(action, WireAction::Plain(Action::Bid { amount: 12 }));
        assert_eq!(echo["amount"], json!("12"));
        assert_eq!(echo["extra"], json!(1));
        assert_eq!(
            parse_frame(r#"{"type":"ActionDemolish","square":"8"}"#).unwrap(),
            ClientFrame::Action {
                action: WireAction::Plain(Action::Demolish {
                    square: SquareId(8),
                    houses: 0
                }),
                echo: serde_json::from_str(r#"{"type":"ActionDemolish","square":"8"}"#).unwrap(),
            }
        );
        let trade = parse_frame(
            r#"{"type":"ActionTradeProposal","destination_user":"9","offered_properties":[4203]}"#,
        )
        .unwrap();
        let ClientFrame::Action { action, .. } = trade else {
            panic!("not an action");
        };
        assert_eq!(
            action,
            WireAction::Trade {
                destination_user: PlayerId(9),
                offered_money: 0,
                asked_money: 0,
                offered_properties: vec![4203],
                asked_properties: vec![],
            }
        );
    }

    #[test]
    fn chat_is_trimmed_limited_and_falsy_values_are_ignored() {
        assert_eq!(
            parse_frame(r#"{"type":"ChatMessage","msg":" hi "}"#).unwrap(),
            ClientFrame::Chat("hi".into())
        );
        for msg in [r#""""#, "null", "0", "false", "[]", "{}"] {
            let text = format!(r#"{{"type":"ChatMessage","msg":{msg}}}"#);
            assert_eq!(
                parse_frame(&text).unwrap(),
                ClientFrame::IgnoredChat,
                "{msg}"
            );
        }
        assert_eq!(
            parse_frame(r#"{"type":"ChatMessage"}"#).unwrap(),
            ClientFrame::IgnoredChat
        );
        let long = format!(r#"{{"type":"ChatMessage","msg":"{}"}}"#, "é".repeat(501));
        assert_eq!(error_of(&long), BAD_CHAT);
        let exact = format!(r#"{{"type":"ChatMessage","msg":"{}"}}"#, "é".repeat(500));
        assert!(matches!(parse_frame(&exact), Ok(ClientFrame::Chat(_))));
        assert_eq!(error_of(r#"{"type":"ChatMessage","msg":5}"#), BAD_CHAT);
    }

    #[test]
    fn rule_errors_use_the_catalogue() {
        let player = PlayerId(7);
        let cases = [
            (
                RuleError::NotActivePlayer { player },
                "[7] Potentially malicious input: is not the active player",
            ),
            (
                RuleError::WrongPhase {
                    action: ActionKind::BuySquare,
                    phase: magnate_core::PhaseName::RollTheDices,
                },
                "[7] Potentially malicious input: cannot perform action ActionBuySquare object (9) in phase roll_the_dices",
            ),
            (
                RuleError::Invalid(magnate_core::Invalid::SelfTrade),
                "[7] Potentially malicious input: cannot trade with themselves",
            ),
            (
                RuleError::InsufficientFunds {
                    needed: 10,
                    available: 5,
                },
                "[7] Potentially malicious input: does not have enough money",
            ),
            (
                RuleError::NotInGame { player },
                "[7] Potentially malicious input: is not in the game",
            ),
            (
                RuleError::Logic(magnate_core::LogicError::NoAuction),
                "Internal logic error: No active auction",
            ),
            (
                RuleError::GameFinished,
                "Internal logic error: game was already ended",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(rule_error_message(&error, player, 9), expected);
        }
    }
}
