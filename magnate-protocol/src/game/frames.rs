//! Server frames out: `game_response` from the core's events, `game_action` echoes, chat and
//! the `game_state` snapshot (error frames are in `errors.rs`), with integers for every square reference.

use std::collections::BTreeMap;

use magnate_core::{
    Action, AuctionOutcome, EndReason, Event, Game, Phase, PlayerId, SquareId, Timer, View,
};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::ids::relationship_id;
use crate::names::{action_type, phase_name, response_type};

/// `{"event_type":"chat_message","game":G,"user":name,"msg":...}`; `msg` as the sender wrote it
/// (a string, or an object with a `text`).
pub fn chat_frame(game_id: i64, username: &str, msg: &Value) -> String {
    #[derive(Serialize)]
    struct Chat<'a> {
        event_type: &'static str,
        game: i64,
        msg: &'a Value,
        user: &'a str,
    }
    serde_json::to_string(&Chat {
        event_type: "chat_message",
        game: game_id,
        msg,
        user: username,
    })
    .unwrap_or_default()
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

/// Keeps a game's common view up to date from its events and writes the `game_response` frame
/// of each domain fact with the view right after it, as the reference sent them.
///
/// Start it from [`Game::view`] when the game is created or restored (or before an input), then
/// pass it every event [`Game::apply`] returns, in order, view facts included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewTracker {
    view: View,
}

impl ViewTracker {
    /// A tracker starting from `view` (normally [`Game::view`]).
    pub fn new(view: View) -> Self {
        ViewTracker { view }
    }

    /// The view so far.
    pub fn view(&self) -> &View {
        &self.view
    }

    /// Folds `event` into the view and returns its `game_response` frame, or `None` for view
    /// facts and driver-only events.
    pub fn frame(&mut self, event: &Event) -> Option<String> {
        self.view.apply(event);
        response_frame(event, &self.view)
    }
}

/// The `game_response` frame of a domain fact with `view`, the view right after it (see
/// [`ViewTracker`]), or `None` for view facts and driver-only events.
///
/// Written straight from typed fields (no `serde_json::Value` tree): the keys are declared in
/// byte order, as the reference's sorted objects have them, and player-keyed objects are sorted
/// by their decimal text, so the bytes are those of a sorted JSON object.
pub fn response_frame(event: &Event, view: &View) -> Option<String> {
    let mut data = Response::new(response_type(event)?, view);
    let bids: BTreeMap<String, i64>;
    let bonuses: BTreeMap<&str, Bonus<'_>>;
    match event {
        Event::DiceThrown {
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
        Event::SquareChosen {
            path,
            fantasy_event,
            ..
        } => {
            data.path = Some(path);
            data.fantasy_event = Some(json!(fantasy_event));
        }
        Event::FantasyApplied { fantasy_result, .. } => {
            data.fantasy_result = Some(json!(fantasy_result));
        }
        Event::AuctionClosed { auction } => {
            bids = auction
                .bids
                .iter()
                .map(|(player, amount)| (player.to_string(), *amount))
                .collect();
            add_auction(&mut data, auction, &bids);
        }
        Event::GameEnded {
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
    active_phase_player: u64,
    active_turn_player: u64,
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
            active_phase_player: view.active_phase_player.0,
            active_turn_player: view.active_turn_player.0,
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
/// (docs/protocol.md, "game_state"). Keys in byte order, as in every frame.
pub fn snapshot_frame(game: &Game, context: &SnapshotContext<'_>) -> String {
    let game_id = context.game_id;
    let mut property_relationships: Vec<Relationship> = game
        .holdings()
        .map(|(square, holding)| Relationship {
            houses: holding.houses,
            id: relationship_id(game_id, square),
            mortgage: holding.mortgaged,
            owner: holding.owner.0,
            // A tile id, as in every other frame (the reference sent the database id here,
            // which its own clients read as a tile).
            square,
        })
        .collect();
    property_relationships.sort_by_key(|relationship| relationship.id);
    let view = game.view();
    // Always an object (the reference sent `[]` before the first throw and an object after).
    let possible_destinations = DecimalMap::new(match game.phase() {
        Phase::ChooseSquare { destinations } => destinations
            .iter()
            .map(|(square, steps)| (u64::from(square.0), *steps))
            .collect(),
        _ => Vec::new(),
    });
    let jail_remaining_turns = DecimalMap::new(
        game.participants()
            .iter()
            .filter(|p| p.in_game && p.jail_turns > 0)
            .map(|p| (p.id.0, p.jail_turns))
            .collect(),
    );
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
    let ordered_players: Vec<u64> = game.ordered_players().map(|p| p.0).collect();
    let mut players = ordered_players.clone();
    players.sort_unstable();
    let ids = |squares: &[SquareId]| -> Vec<i64> {
        squares
            .iter()
            .map(|square| relationship_id(game_id, *square))
            .collect()
    };
    let proposal = match game.phase() {
        Phase::ProposalAcceptance(proposal) => Some(ProposalObject {
            asked_money: proposal.asked_money,
            asked_properties: ids(&proposal.asked_properties),
            destination_user: proposal.destination_user.0,
            id: proposal.id,
            offered_money: proposal.offered_money,
            offered_properties: ids(&proposal.offered_properties),
            player: proposal.player.0,
        }),
        _ => None,
    };
    let fantasy_event = match game.phase() {
        Phase::ChooseFantasy { card } => json!(card),
        _ => Value::Null,
    };
    let current_auction = match game.phase() {
        Phase::Auction(auction) => Some(CurrentAuction {
            id: auction.id,
            square: auction.square,
        }),
        _ => None,
    };
    let state = GameState {
        active_phase_player: view.active_phase_player.0,
        active_turn_player: view.active_turn_player.0,
        auction_task_id,
        current_auction,
        current_turn: game.current_turn(),
        datetime: context.datetime,
        fantasy_event,
        finished: game.is_finished(),
        id: game_id,
        jail_remaining_turns,
        max_turns: game.rules().max_turns,
        money: ByDecimalKey(&view.money),
        ordered_players,
        parking_money: game.parking_money(),
        phase: phase_name(view.phase),
        players,
        positions: ByDecimalKey(&view.positions),
        possible_destinations,
        property_relationships,
        proposal,
        streak: game.streak(),
    };
    #[derive(Serialize)]
    struct Frame<'a> {
        event_type: &'static str,
        game_state: GameState<'a>,
    }
    serde_json::to_string(&Frame {
        event_type: "game_state",
        game_state: state,
    })
    .unwrap_or_default()
}

/// The `game_state` object, keys in byte order.
#[derive(Serialize)]
struct GameState<'a> {
    active_phase_player: u64,
    active_turn_player: u64,
    auction_task_id: Option<String>,
    current_auction: Option<CurrentAuction>,
    current_turn: u32,
    datetime: &'a str,
    fantasy_event: Value,
    finished: bool,
    id: i64,
    jail_remaining_turns: DecimalMap<u8>,
    max_turns: Option<u32>,
    money: ByDecimalKey<'a, i64>,
    ordered_players: Vec<u64>,
    parking_money: i64,
    phase: &'static str,
    players: Vec<u64>,
    positions: ByDecimalKey<'a, SquareId>,
    possible_destinations: DecimalMap<u32>,
    property_relationships: Vec<Relationship>,
    proposal: Option<ProposalObject>,
    streak: u8,
}

/// One owned square in `property_relationships`.
#[derive(Serialize)]
struct Relationship {
    houses: i8,
    id: i64,
    mortgage: bool,
    owner: u64,
    square: SquareId,
}

/// The pending trade in a snapshot; squares as relationship ids.
#[derive(Serialize)]
struct ProposalObject {
    asked_money: i64,
    asked_properties: Vec<i64>,
    destination_user: u64,
    id: u32,
    offered_money: i64,
    offered_properties: Vec<i64>,
    player: u64,
}

/// The running auction in a snapshot.
#[derive(Serialize)]
struct CurrentAuction {
    id: u32,
    square: SquareId,
}

/// Number-keyed entries written as a JSON object with keys in the byte order of their decimal
/// text.
struct DecimalMap<V>(Vec<(u64, V)>);

impl<V> DecimalMap<V> {
    fn new(mut entries: Vec<(u64, V)>) -> Self {
        entries.sort_by(|(a, _), (b, _)| decimal_order(*a, *b));
        DecimalMap(entries)
    }
}

impl<V: Serialize> Serialize for DecimalMap<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
    }
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
