//! Server frames out: `game_response` from the core's events, `game_action` echoes, chat and
//! the `game_state` snapshot (error frames are in `errors.rs`), with integers for every square reference.

use std::collections::BTreeMap;

use magnate_core::{
    Action, AuctionOutcome, EndReason, Event, EventKind, Game, Phase, PlayerId, SquareId, Timer,
    View,
};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::ids::relationship_id;
use crate::names::{action_type, phase_name, response_type};

/// `{"event_type":"chat_message","game":G,"user":name,"msg":...}`; `msg` as the sender wrote it
/// (a string, or an object with a `text`).
pub fn chat_frame(game_id: i64, username: &str, msg: &Value) -> String {
    json!({"event_type": "chat_message", "game": game_id, "user": username, "msg": msg}).to_string()
}

/// `{"event_type":"game_action","data":<echo with game and player set>}`.
pub fn action_echo_frame(mut echo: Map<String, Value>, game_id: i64, player: PlayerId) -> String {
    echo.insert("game".into(), json!(game_id));
    echo.insert("player".into(), json!(player.0));
    // A map of JSON values always serializes.
    serde_json::to_string(&Envelope {
        data: &echo,
        event_type: "game_action",
    })
    .unwrap_or_default()
}

/// The echo of a bot's action: only the schema fields, squares in trades as relationship ids.
pub fn bot_action_object(action: &Action, game_id: i64) -> Map<String, Value> {
    let mut object = action_object(action);
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

/// An action as the reference writes it: its `type` and its fields (squares as tile ids).
pub fn action_object(action: &Action) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("type".into(), json!(action_type(action.kind())));
    let mut field = |name: &str, value: Value| {
        object.insert(name.into(), value);
    };
    match action {
        Action::ThrowDice | Action::PayBail | Action::NextPhase | Action::Surrender => {}
        Action::MoveTo { square }
        | Action::BuySquare { square }
        | Action::DropPurchase { square }
        | Action::TakeTram { square }
        | Action::MortgageSet { square }
        | Action::MortgageUnset { square } => field("square", json!(square)),
        Action::ChooseCard {
            chosen_revealed_card,
        } => field("chosen_revealed_card", json!(chosen_revealed_card)),
        Action::Build { square, houses } | Action::Demolish { square, houses } => {
            field("square", json!(square));
            field("houses", json!(houses));
        }
        Action::TradeProposal {
            destination_user,
            offered_money,
            asked_money,
            offered_properties,
            asked_properties,
        } => {
            field("destination_user", json!(destination_user));
            field("offered_money", json!(offered_money));
            field("asked_money", json!(asked_money));
            field("offered_properties", json!(offered_properties));
            field("asked_properties", json!(asked_properties));
        }
        Action::TradeAnswer { choose } => field("choose", json!(choose)),
        Action::Bid { amount } => field("amount", json!(amount)),
    }
    object
}

/// The `game_response` frame of an event, or `None` for driver-only events.
///
/// Written straight from typed fields (no `serde_json::Value` tree): the keys are declared in
/// byte order, as the reference's sorted objects have them, and player-keyed objects are sorted
/// by their decimal text, so the bytes are those of a sorted JSON object.
pub fn response_frame(event: &Event) -> Option<String> {
    let view = &event.view;
    let mut data = Response::new(response_type(&event.kind)?, view);
    let bids: BTreeMap<String, i64>;
    let bonuses: BTreeMap<&str, Bonus<'_>>;
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
            data.dice1 = Some(*dice1);
            data.dice2 = Some(*dice2);
            data.dice_bus = Some(*dice_bus);
            data.triple = Some(*triple);
            data.streak = Some(*streak);
            data.destinations = Some(destinations);
            data.path = Some(path);
            data.fantasy_event = Some(json!(fantasy_event));
        }
        EventKind::SquareChosen {
            path,
            fantasy_event,
            ..
        } => {
            data.path = Some(path);
            data.fantasy_event = Some(json!(fantasy_event));
        }
        EventKind::FantasyApplied { fantasy_result, .. } => {
            data.fantasy_result = Some(json!(fantasy_result));
        }
        EventKind::AuctionClosed { auction } => {
            bids = auction
                .bids
                .iter()
                .map(|(player, amount)| (player.to_string(), *amount))
                .collect();
            add_auction(&mut data, auction, &bids);
        }
        EventKind::GameEnded {
            bonuses: awards,
            winner,
            reason,
            ..
        } => {
            // Additive: the reference's clients read only `bonuses`.
            data.winner = Some(winner.0);
            data.reason = Some(*reason);
            bonuses = awards
                .iter()
                .map(|award| {
                    (
                        award.stat_field.as_str(),
                        Bonus {
                            bonus_amount: award.bonus_amount,
                            winners: &award.winners,
                        },
                    )
                })
                .collect();
            data.bonuses = Some(&bonuses);
        }
        // The other facts are plain `Response`s (or `ResponseSkipPhase`): the common fields only
        // (`response_type` decides which, and that no frame is sent for a bot's wake-up).
        _ => {}
    }
    serde_json::to_string(&Envelope {
        data,
        event_type: "game_response",
    })
    .ok()
}

/// `{"data": …, "event_type": …}`, keys in byte order.
#[derive(Serialize)]
struct Envelope<T> {
    data: T,
    event_type: &'static str,
}

/// The `data` of a `game_response`: the common fields and every event's own, in byte order;
/// `None` fields are left out (a field whose value may be `null` holds `Some(Value::Null)`).
#[derive(Serialize)]
struct Response<'a> {
    active_phase_player: Option<u64>,
    active_turn_player: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auction: Option<AuctionObject<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bids: Option<&'a BTreeMap<String, i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bonuses: Option<&'a BTreeMap<&'a str, Bonus<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destinations: Option<&'a [SquareId]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dice1: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dice2: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dice_bus: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fantasy_event: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fantasy_result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_tie: Option<bool>,
    money: ByDecimalKey<'a, i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a [SquareId]>,
    phase: &'static str,
    positions: ByDecimalKey<'a, SquareId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<EndReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sold: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    streak: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    triple: Option<bool>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    winner: Option<u64>,
}

impl<'a> Response<'a> {
    /// The common fields of every response.
    fn new(kind: &'static str, view: &'a View) -> Self {
        Response {
            active_phase_player: view.active_phase_player.map(|p| p.0),
            active_turn_player: view.active_turn_player.map(|p| p.0),
            auction: None,
            bids: None,
            bonuses: None,
            destinations: None,
            dice1: None,
            dice2: None,
            dice_bus: None,
            fantasy_event: None,
            fantasy_result: None,
            final_amount: None,
            is_tie: None,
            money: ByDecimalKey(&view.money),
            path: None,
            phase: phase_name(view.phase),
            positions: ByDecimalKey(&view.positions),
            reason: None,
            sold: None,
            streak: None,
            triple: None,
            kind,
            winner: None,
        }
    }
}

/// One end-of-game bonus category.
#[derive(Serialize)]
struct Bonus<'a> {
    bonus_amount: i64,
    winners: &'a [PlayerId],
}

/// The `auction` object of a `ResponseAuction`, keys in byte order.
#[derive(Serialize)]
struct AuctionObject<'a> {
    bids: &'a BTreeMap<String, i64>,
    final_amount: i64,
    id: u32,
    is_active: bool,
    is_tie: bool,
    sold: bool,
    square: SquareId,
    winner: u64,
}

/// A player-keyed map written as a JSON object whose keys are in the byte order of their
/// decimal text ("10" before "2"), as a sorted `serde_json` object has them.
struct ByDecimalKey<'a, V>(&'a BTreeMap<PlayerId, V>);

impl<V: Serialize> Serialize for ByDecimalKey<'_, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Keys of one length are already in decimal order (the common case).
        let first = self.0.keys().next().map(|key| digits(key.0));
        let last = self.0.keys().next_back().map(|key| digits(key.0));
        if first == last {
            return serializer.collect_map(self.0.iter().map(|(key, value)| (key.0, value)));
        }
        let mut entries: Vec<(&PlayerId, &V)> = self.0.iter().collect();
        entries.sort_unstable_by(|(a, _), (b, _)| decimal_order(a.0, b.0));
        serializer.collect_map(entries.into_iter().map(|(key, value)| (key.0, value)))
    }
}

/// The order of two numbers' decimal texts, compared byte by byte.
fn decimal_order(a: u64, b: u64) -> std::cmp::Ordering {
    let (a_digits, b_digits) = (digits(a), digits(b));
    // Shift the shorter one to the longer one's length: equal prefixes then order by length.
    let shift = |value: u64, by: u32| u128::from(value) * 10u128.pow(by);
    let width = a_digits.max(b_digits);
    shift(a, width - a_digits)
        .cmp(&shift(b, width - b_digits))
        .then(a_digits.cmp(&b_digits))
}

fn digits(value: u64) -> u32 {
    value.checked_ilog10().unwrap_or(0) + 1
}

fn add_auction<'a>(
    data: &mut Response<'a>,
    auction: &AuctionOutcome,
    bids: &'a BTreeMap<String, i64>,
) {
    // The desktop client runs `int()` on `winner` and `final_amount`, which fails on null: an
    // auction with no sale says so with `sold: false`, `winner` 0 (no user has id 0) and
    // `final_amount` 0 (docs/protocol.md, "ResponseAuction").
    let winner = auction.winner.map_or(0, |player| player.0);
    let final_amount = auction.final_amount.unwrap_or(0);
    let sold = auction.winner.is_some();
    data.auction = Some(AuctionObject {
        bids,
        final_amount,
        id: auction.id,
        is_active: false,
        is_tie: auction.is_tie,
        sold,
        square: auction.square,
        winner,
    });
    data.winner = Some(winner);
    data.final_amount = Some(final_amount);
    data.sold = Some(sold);
    data.is_tie = Some(auction.is_tie);
    data.bids = Some(bids);
}

/// What the snapshot needs besides the game.
#[derive(Debug, Clone)]
pub struct SnapshotContext<'a> {
    /// The game id.
    pub game_id: i64,
    /// Creation time, formatted.
    pub datetime: &'a str,
}

/// The `game_state` frame with the additive keys `proposal`, `fantasy_event`,
/// `current_auction`, `max_turns` and an `id` in each property relationship
/// (docs/protocol.md, "game_state").
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
                    // A tile id, as in every other frame (the reference sent the database id
                    // here, which its own clients read as a tile).
                    "square": square,
                    "houses": holding.houses,
                    "mortgage": holding.mortgaged,
                }),
            )
        })
        .collect();
    relationships.sort_by_key(|(id, _)| *id);
    let view = game.view();
    // Always an object (the reference sent `[]` before the first throw and an object after).
    let possible_destinations = match game.phase() {
        Phase::ChooseSquare { destinations } => {
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
        "phase": phase_name(view.phase),
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
        "max_turns": game.rules().max_turns,
    });
    json!({"event_type": "game_state", "game_state": state}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_order_is_the_order_of_the_decimal_texts() {
        let numbers = [
            0,
            1,
            2,
            9,
            10,
            11,
            19,
            2,
            20,
            99,
            100,
            101,
            1000,
            12_345,
            u64::MAX,
        ];
        for a in numbers {
            for b in numbers {
                assert_eq!(
                    decimal_order(a, b),
                    a.to_string().cmp(&b.to_string()),
                    "{a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn player_keyed_objects_are_written_in_sorted_key_order() {
        let map: BTreeMap<PlayerId, i64> = [(2, 20), (10, 100), (3, 30), (101, 1)]
            .into_iter()
            .map(|(id, money)| (PlayerId(id), money))
            .collect();
        let written = serde_json::to_string(&ByDecimalKey(&map)).unwrap();
        assert_eq!(written, r#"{"10":100,"101":1,"2":20,"3":30}"#);
        // The bytes of a sorted `serde_json` object of the same entries.
        let value: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(value.to_string(), written);
    }
}
