//! One game client: what it knows of its game (`View`), the wire-level random policy
//! (`decide`) and the client loop of the `play` mode.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use magnate_core::{Board, GameRng, Seed, SquareId};
use magnate_protocol::ids::relationship_square;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{Socket, Totals};

/// The action a client sent and is waiting to see answered.
pub struct Pending {
    pub sent: Instant,
    pub bid: bool,
    pub echoed: bool,
    /// The square of a mortgage attempt, to skip it if refused.
    pub mortgage: Option<u16>,
}

/// What one client knows of its game.
pub struct View {
    pub me: i64,
    pub phase: String,
    pub active: i64,
    pub turn_player: i64,
    pub money: BTreeMap<i64, i64>,
    pub positions: BTreeMap<i64, u16>,
    pub destinations: Vec<u16>,
    pub owners: BTreeMap<u16, i64>,
    pub mortgaged: BTreeSet<u16>,
    pub declined: BTreeSet<u16>,
    pub bid_in_this_auction: bool,
    pub actions_seen: u64,
    pub surrendered: bool,
    pub refusals_in_a_row: u32,
}

pub fn int_map(value: &Value) -> BTreeMap<i64, i64> {
    value
        .as_object()
        .map(|object| {
            object
                .iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_i64()?)))
                .collect()
        })
        .unwrap_or_default()
}

impl View {
    pub fn new(me: i64) -> View {
        View {
            me,
            phase: String::new(),
            active: 0,
            turn_player: 0,
            money: BTreeMap::new(),
            positions: BTreeMap::new(),
            destinations: Vec::new(),
            owners: BTreeMap::new(),
            mortgaged: BTreeSet::new(),
            declined: BTreeSet::new(),
            bid_in_this_auction: false,
            actions_seen: 0,
            surrendered: false,
            refusals_in_a_row: 0,
        }
    }

    pub fn update(&mut self, data: &Value) {
        if let Some(phase) = data["phase"].as_str() {
            if phase == "auction" && self.phase != "auction" {
                self.bid_in_this_auction = false;
            }
            self.phase = phase.to_owned();
        }
        self.active = data["active_phase_player"].as_i64().unwrap_or(self.active);
        self.turn_player = data["active_turn_player"]
            .as_i64()
            .unwrap_or(self.turn_player);
        self.money = int_map(&data["money"]);
        self.positions = int_map(&data["positions"])
            .into_iter()
            .map(|(k, v)| (k, v as u16))
            .collect();
        // Squares of players who left go back to the bank.
        let money = &self.money;
        self.owners.retain(|_, owner| money.contains_key(owner));
    }

    /// Replaces everything the snapshot shows (a `game_state` frame's `game_state`, sent on
    /// every (re)connection): whatever happened while the socket was away is in it. Returns
    /// whether the game is over.
    pub fn resync(&mut self, game_id: i64, state: &Value) -> bool {
        // An auction in progress may already have this client's bid: it closes on its timer.
        let in_auction = self.phase == "auction";
        self.update(state);
        if self.phase == "auction" && !in_auction {
            self.bid_in_this_auction = true;
        }
        self.owners.clear();
        self.mortgaged.clear();
        for relationship in state["property_relationships"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let (Some(id), Some(owner)) =
                (relationship["id"].as_i64(), relationship["owner"].as_i64())
            else {
                continue;
            };
            let Some(square) = relationship_square(game_id, id) else {
                continue;
            };
            self.owners.insert(square.0, owner);
            if relationship["mortgage"].as_bool() == Some(true) {
                self.mortgaged.insert(square.0);
            }
        }
        self.destinations = state["possible_destinations"]
            .as_object()
            .map(|d| d.keys().filter_map(|k| k.parse().ok()).collect())
            .unwrap_or_default();
        // A surrender that was not applied is decided again.
        if self.in_game() {
            self.surrendered = false;
        }
        self.refusals_in_a_row = 0;
        state["finished"].as_bool() == Some(true)
    }

    pub fn in_game(&self) -> bool {
        self.money.contains_key(&self.me)
    }
}

/// One client's game: its view, its policy's generator and the action it waits on.
pub struct Client {
    pub view: View,
    pub pending: Option<Pending>,
    rng: GameRng,
    actions_per_game: u64,
}

impl Client {
    pub fn new(me: i64, seed: u64, actions_per_game: u64) -> Client {
        Client {
            view: View::new(me),
            pending: None,
            rng: GameRng::new(Seed(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ me as u64)),
            actions_per_game,
        }
    }

    /// Applies one received frame; returns whether it ended the game.
    pub fn observe(&mut self, frame: &Value, totals: &mut Totals) -> bool {
        let view = &mut self.view;
        let me = view.me;
        let mut ended = false;
        match frame["event_type"].as_str() {
            Some("game_state") => {
                let game_id = frame["game_state"]["id"].as_i64().unwrap_or(0);
                ended = view.resync(game_id, &frame["game_state"]);
            }
            Some("game_action") => {
                let data = &frame["data"];
                view.actions_seen += 1;
                let player = data["player"].as_i64().unwrap_or(0);
                let square = data["square"].as_u64().unwrap_or(0) as u16;
                match data["type"].as_str() {
                    Some("ActionBuySquare") => {
                        view.owners.insert(square, player);
                    }
                    Some("ActionDropPurchase") if player == me => {
                        view.declined.insert(square);
                    }
                    Some("ActionMortgageSet") if player == me => {
                        view.mortgaged.insert(square);
                    }
                    _ => {}
                }
                if player == me {
                    if let Some(p) = self.pending.as_mut() {
                        p.echoed = true;
                    }
                }
            }
            Some("game_response") => {
                let data = &frame["data"];
                match data["type"].as_str() {
                    Some("ResponseThrowDices") => {
                        view.destinations = data["destinations"]
                            .as_array()
                            .map(|d| {
                                d.iter()
                                    .filter_map(|v| v.as_u64())
                                    .map(|v| v as u16)
                                    .collect()
                            })
                            .unwrap_or_default();
                    }
                    Some("ResponseAuction") => {
                        if let (Some(winner), Some(square)) =
                            (data["winner"].as_i64(), data["auction"]["square"].as_u64())
                        {
                            view.owners.insert(square as u16, winner);
                        }
                    }
                    Some("ResponseBonus") => ended = true,
                    _ => {}
                }
                view.update(data);
                if let Some(p) = &self.pending {
                    if p.echoed || p.bid {
                        view.refusals_in_a_row = 0;
                        totals.acknowledged += 1;
                        let micros = p.sent.elapsed().as_micros().min(u128::from(u32::MAX));
                        totals.latencies_us.push(micros as u32);
                        self.pending = None;
                    }
                }
            }
            Some("error") if self.pending.is_some() => {
                if let Some(square) = self.pending.take().and_then(|p| p.mortgage) {
                    // A square with a (free) house cannot be mortgaged: try another one.
                    view.mortgaged.insert(square);
                }
                view.refusals_in_a_row += 1;
                totals.refused += 1;
                let message = frame["message"].as_str().unwrap_or("").to_owned();
                // Group refusals by their text without the player id.
                let key = message
                    .split_once("] ")
                    .map_or(message.clone(), |(_, rest)| rest.to_owned());
                let key = key.split(" object (").next().unwrap_or("").to_owned();
                *totals.refusals.entry(key).or_default() += 1;
            }
            _ => {}
        }
        ended
    }

    /// The next action to send, if this client has one now (it waits for the previous one's
    /// answer first): the action and whether it is a bid.
    pub fn decide(&mut self) -> Option<(Value, bool)> {
        if self.pending.is_some() || !self.view.in_game() {
            return None;
        }
        decide(
            &mut self.view,
            Board::standard(),
            &mut self.rng,
            self.actions_per_game,
        )
    }

    /// Notes `action` as sent.
    pub fn sent(&mut self, action: &Value, bid: bool, totals: &mut Totals) {
        let mortgage = (action["type"] == "ActionMortgageSet")
            .then(|| action["square"].as_u64().map(|square| square as u16))
            .flatten();
        self.pending = Some(Pending {
            sent: Instant::now(),
            bid,
            echoed: false,
            mortgage,
        });
        totals.sent += 1;
    }
}

pub async fn play_client(
    me: i64,
    mut socket: Socket,
    actions_per_game: u64,
    seed: u64,
    (think, random_think): (Duration, bool),
) -> Totals {
    let mut totals = Totals::default();
    let mut think_rng = magnate_core::GameRng::new(magnate_core::Seed(seed ^ 0x7417));
    let mut client = Client::new(me, seed, actions_per_game);
    let mut last_text = Instant::now();
    loop {
        // Protocol pings do not count as progress: a game silent for 30 s is stalled.
        let left = Duration::from_secs(30).saturating_sub(last_text.elapsed());
        let next = tokio::time::timeout(left, socket.next()).await;
        let message = match next {
            Ok(Some(Ok(message))) => message,
            _ => {
                totals.stalled_clients += 1;
                break;
            }
        };
        let Message::Text(text) = message else {
            continue;
        };
        last_text = Instant::now();
        totals.frames_received += 1;
        totals.bytes_received += text.len() as u64;
        let Ok(frame) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        if client.observe(&frame, &mut totals) {
            totals.finished_clients += 1;
            // An action sent as the game ended is still answered (with an error): wait for it.
            if client.pending.is_some() {
                while let Ok(Some(Ok(Message::Text(text)))) =
                    tokio::time::timeout(Duration::from_secs(5), socket.next()).await
                {
                    if text.as_str().contains("\"error\"") {
                        client.pending = None;
                        totals.refused += 1;
                        *totals
                            .refusals
                            .entry("sent as the game ended".into())
                            .or_default() += 1;
                        break;
                    }
                }
            }
            break;
        }
        let Some((action, bid)) = client.decide() else {
            continue;
        };
        let wait = crate::common::think_time(think, random_think, &mut think_rng);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        client.sent(&action, bid, &mut totals);
        if socket
            .send(Message::text(action.to_string()))
            .await
            .is_err()
        {
            break;
        }
    }
    if client.pending.is_some() {
        totals.lost += 1;
    }
    let _ = socket.close(None).await;
    totals
}

/// The wire-level random policy; `None` when this client has nothing to do now.
pub fn decide(
    view: &mut View,
    board: &Board,
    rng: &mut GameRng,
    actions_per_game: u64,
) -> Option<(Value, bool)> {
    let me = view.me;
    if view.phase == "end_game" {
        return None;
    }
    // A policy stuck on refusals (its picture of the game is wrong) leaves rather than loop.
    if view.refusals_in_a_row >= 5 && !view.surrendered {
        view.surrendered = true;
        return Some((json!({"type": "ActionSurrender"}), false));
    }
    // Past the action budget everyone but the highest remaining id leaves: the game ends.
    let last = view.money.keys().max().copied();
    if view.actions_seen >= actions_per_game && Some(me) != last && !view.surrendered {
        view.surrendered = true;
        return Some((json!({"type": "ActionSurrender"}), false));
    }
    if view.phase == "auction" {
        let square = *view.positions.get(&view.turn_player)?;
        if view.bid_in_this_auction || view.turn_player == me || view.declined.contains(&square) {
            return None;
        }
        view.bid_in_this_auction = true;
        let cash = view.money.get(&me).copied().unwrap_or(0).clamp(0, 100) as u32;
        let amount = rng.below(cash + 1);
        return Some((json!({"type": "ActionBid", "amount": amount}), true));
    }
    if view.active != me {
        return None;
    }
    let money = view.money.get(&me).copied().unwrap_or(0);
    let action = match view.phase.as_str() {
        "roll_the_dices" => json!({"type": "ActionThrowDices"}),
        "choose_square" => {
            let square = rng.choose(&view.destinations)?;
            json!({"type": "ActionMoveTo", "square": square})
        }
        "choose_fantasy" => {
            json!({"type": "ActionChooseCard", "chosen_revealed_card": rng.below(2) == 1})
        }
        "management" => {
            let here = *view.positions.get(&me)?;
            let square = board.square(SquareId(here))?;
            let unowned = square.is_ownable() && !view.owners.contains_key(&here);
            let roll = rng.below(10);
            if unowned && roll < 6 && money >= square.buy_price().unwrap_or(i64::MAX) {
                json!({"type": "ActionBuySquare", "square": here})
            } else if unowned && roll < 8 && !view.declined.contains(&here) {
                json!({"type": "ActionDropPurchase", "square": here})
            } else {
                json!({"type": "ActionNextPhase"})
            }
        }
        "business" => json!({"type": "ActionNextPhase"}),
        "liquidation" if money >= 0 => json!({"type": "ActionNextPhase"}),
        "liquidation" => {
            let mortgageable = view
                .owners
                .iter()
                .find(|(square, owner)| **owner == me && !view.mortgaged.contains(square))
                .map(|(square, _)| *square);
            match mortgageable {
                Some(square) => json!({"type": "ActionMortgageSet", "square": square}),
                None => {
                    view.surrendered = true;
                    json!({"type": "ActionSurrender"})
                }
            }
        }
        "proposal_acceptance" => json!({"type": "ActionTradeAnswer", "choose": false}),
        _ => return None,
    };
    Some((action, false))
}
