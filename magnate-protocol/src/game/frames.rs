//! Server frames out: `game_response` from the core's events, `game_action` echoes, chat and
//! the `game_state` snapshot (error frames are in `errors.rs`), with integers for every square reference.

use std::collections::BTreeMap;

use magnate_core::{
    Action, AuctionOutcome, Event, EventKind, Game, Phase, PlayerId, SquareId, Timer, View,
};
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
    json!({"event_type": "game_action", "data": echo}).to_string()
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
pub fn response_frame(event: &Event) -> Option<String> {
    let mut data = base(response_type(&event.kind)?, &event.view);
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
        EventKind::GameEnded {
            bonuses,
            winner,
            reason,
            ..
        } => {
            // Additive: the reference's clients read only `bonuses`.
            data.insert("winner".into(), json!(winner));
            data.insert("reason".into(), json!(reason));
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
        // The other facts are plain `Response`s (or `ResponseSkipPhase`): the common fields only
        // (`response_type` decides which, and that no frame is sent for a bot's wake-up).
        _ => {}
    }
    Some(json!({"event_type": "game_response", "data": data}).to_string())
}

fn base(wire_type: &str, view: &View) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("type".into(), json!(wire_type));
    data.insert("money".into(), json!(view.money));
    data.insert("positions".into(), json!(view.positions));
    data.insert("phase".into(), json!(phase_name(view.phase)));
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
    // The desktop client runs `int()` on `winner` and `final_amount`, which fails on null: an
    // auction with no sale says so with `sold: false`, `winner` 0 (no user has id 0) and
    // `final_amount` 0 (docs/protocol.md, "ResponseAuction").
    let winner = auction.winner.map_or(0, |player| player.0);
    let final_amount = auction.final_amount.unwrap_or(0);
    let sold = auction.winner.is_some();
    data.insert(
        "auction".into(),
        json!({
            "id": auction.id,
            "square": auction.square,
            "winner": winner,
            "final_amount": final_amount,
            "sold": sold,
            "is_active": false,
            "is_tie": auction.is_tie,
            "bids": bids,
        }),
    );
    data.insert("winner".into(), json!(winner));
    data.insert("final_amount".into(), json!(final_amount));
    data.insert("sold".into(), json!(sold));
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
