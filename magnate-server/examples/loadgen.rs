//! Load generator for a running magnate-server: real users over REST, real games through the
//! public queue, real WebSocket clients.
//!
//! ```text
//! # the server: 4-player public games, instant bots (none are used), a fresh database
//! NUM_PUBLIC_GAME_PLAYERS=4 cargo run --release -p magnate-server -- --database /tmp/load.db
//! # play: 1,000 games of 4 clients, 200 actions per game, then all but one player surrender
//! ulimit -n 65536
//! cargo run --release -p magnate-server --example loadgen -- play --games 1000 \
//!     --database /tmp/load.db
//! # idle: 1,000 games, 5 sockets per player (20,000 sockets); RSS of the server process
//! cargo run --release -p magnate-server --example loadgen -- idle --games 1000 \
//!     --sockets-per-player 5 --server-pid $(pgrep -n magnate-server)
//! ```
//!
//! Users `<prefix><n>` are registered (or logged in when they exist). Games are created through
//! the public queue, as real clients would. Each client plays with a wire-level random policy:
//! the rules engine's bots (`RandomBot`, `EvBot`) need the whole `Game`, including its seed,
//! which a client never sees, so the policy here decides from what the socket shows (phase,
//! money, positions, its own record of owners) and picks at random among sensible moves.
//!
//! Reported: actions sent, acknowledged, refused (error frames) and lost (never answered);
//! round trip from sending an action to the first `game_response` after its echo (bids: the first
//! response); actions per second; with `--database`, records persisted per second.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use clap::{Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use magnate_core::{Board, GameRng, Seed, SquareId};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "Segura123!";

#[derive(Parser, Debug)]
#[command(about = "Load generator for magnate-server")]
struct Args {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8000", global = true)]
    server: String,
    /// Number of games.
    #[arg(long, default_value_t = 100, global = true)]
    games: usize,
    /// Players per game (the server's NUM_PUBLIC_GAME_PLAYERS).
    #[arg(long, default_value_t = 4, global = true)]
    players: usize,
    /// Username prefix.
    #[arg(long, default_value = "load", global = true)]
    prefix: String,
    /// Concurrent REST requests while preparing users.
    #[arg(long, default_value_t = 8, global = true)]
    rest_concurrency: usize,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Play complete games.
    Play {
        /// Actions every client must have seen before all but one player surrender.
        #[arg(long, default_value_t = 200)]
        actions_per_game: u64,
        /// The server's database, to count persisted records (opened read-only).
        #[arg(long)]
        database: Option<PathBuf>,
        /// Think time: each client waits this long before each action (0 = as fast as possible,
        /// a saturation test).
        #[arg(long, default_value_t = 0)]
        think_ms: u64,
    },
    /// Bot-only games: each user hosts a private room filled with bots, starts it and
    /// surrenders at once; the server's bots then play (server flags: MIN_PRIVATE_GAME_PLAYERS=1,
    /// BOT_DELAY_MS=0, BOT_AUCTION_DELAY_MIN_MS=0, BOT_AUCTION_DELAY_MAX_MS=0). Measures the
    /// records the server persists per second over `--seconds`.
    Bots {
        /// The server's database (opened read-only).
        #[arg(long)]
        database: PathBuf,
        /// Measuring window.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Bot level of the rooms.
        #[arg(long, default_value = "medium")]
        bot_level: String,
    },
    /// Hold idle sockets and measure the server.
    Idle {
        /// Game sockets per player.
        #[arg(long, default_value_t = 5)]
        sockets_per_player: usize,
        /// The server's process id, to read its resident memory.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Chat round trips to time while the sockets are open.
        #[arg(long, default_value_t = 500)]
        probes: usize,
    },
}

#[derive(Clone, Debug)]
struct User {
    id: i64,
    access: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let users = prepare_users(&args).await?;
    eprintln!(
        "{} users ready in {:.1}s",
        users.len(),
        started.elapsed().as_secs_f64()
    );
    if let Mode::Bots {
        database,
        seconds,
        bot_level,
    } = &args.mode
    {
        return bots(&args, &users, database, *seconds, bot_level).await;
    }
    let started = Instant::now();
    let games = create_games(&args, &users).await?;
    eprintln!(
        "{} games created through the public queue in {:.1}s",
        games.len(),
        started.elapsed().as_secs_f64()
    );
    match &args.mode {
        Mode::Play {
            actions_per_game,
            database,
            think_ms,
        } => play(&args, games, *actions_per_game, database.clone(), *think_ms).await,
        Mode::Idle {
            sockets_per_player,
            server_pid,
            probes,
        } => idle(&args, games, *sockets_per_player, *server_pid, *probes).await,
        Mode::Bots { .. } => Ok(()),
    }
}

/// Opens a WebSocket with Nagle's algorithm off, as latency-sensitive clients do.
async fn connect(
    url: String,
) -> Result<
    (
        Socket,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    tokio_tungstenite::tungstenite::Error,
> {
    tokio_tungstenite::connect_async_with_config(url, None, true).await
}

fn ws_base(server: &str) -> String {
    server
        .replacen("http://", "ws://", 1)
        .replacen("https://", "wss://", 1)
}

async fn prepare_users(args: &Args) -> anyhow::Result<Vec<User>> {
    let client = reqwest::Client::new();
    let limit = Arc::new(Semaphore::new(args.rest_concurrency));
    let mut tasks = Vec::new();
    for n in 0..args.games * args.players {
        let client = client.clone();
        let limit = Arc::clone(&limit);
        let server = args.server.clone();
        let name = format!("{}{n}", args.prefix);
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await?;
            let response = client
                .post(format!("{server}/auth/register/"))
                .json(&json!({"username": name, "password": PASSWORD, "password2": PASSWORD}))
                .send()
                .await?;
            let body: Value = if response.status().as_u16() == 201 {
                response.json().await?
            } else {
                client
                    .post(format!("{server}/auth/login/"))
                    .json(&json!({"username": name, "password": PASSWORD}))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?
            };
            anyhow::Ok(User {
                id: body["user"]["pk"]
                    .as_i64()
                    .ok_or_else(|| anyhow::anyhow!("no pk in {body}"))?,
                access: body["tokens"]["access"]
                    .as_str()
                    .ok_or_else(|| anyhow::anyhow!("no token in {body}"))?
                    .to_owned(),
            })
        }));
    }
    let mut users = Vec::new();
    for task in tasks {
        users.push(task.await??);
    }
    Ok(users)
}

/// Queues every user (in groups, so groups of `players` fill one after another) and returns each
/// game with its users.
async fn create_games(args: &Args, users: &[User]) -> anyhow::Result<Vec<(i64, Vec<User>)>> {
    let base = ws_base(&args.server);
    let mut by_game: BTreeMap<i64, Vec<User>> = BTreeMap::new();
    for chunk in users.chunks(args.players * 50) {
        let mut tasks = Vec::new();
        for user in chunk {
            let url = format!("{base}/ws/queue/public/?token={}", user.access);
            let user = user.clone();
            tasks.push(tokio::spawn(async move {
                let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
                loop {
                    let message = tokio::time::timeout(Duration::from_secs(60), socket.next())
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("queue socket closed"))??;
                    if let Message::Text(text) = message {
                        let frame: Value = serde_json::from_str(text.as_str())?;
                        if frame["action"] == "match_found" {
                            let _ = socket.close(None).await;
                            let game = frame["game_id"]
                                .as_i64()
                                .ok_or_else(|| anyhow::anyhow!("bad {frame}"))?;
                            return anyhow::Ok((game, user));
                        }
                    }
                }
            }));
        }
        for task in tasks {
            let (game, user) = task.await??;
            by_game.entry(game).or_default().push(user);
        }
    }
    Ok(by_game.into_iter().collect())
}

#[derive(Default)]
struct Totals {
    sent: u64,
    acknowledged: u64,
    refused: u64,
    lost: u64,
    finished_clients: u64,
    stalled_clients: u64,
    latencies_us: Vec<u32>,
    refusals: BTreeMap<String, u64>,
}

impl Totals {
    fn merge(&mut self, other: Totals) {
        self.sent += other.sent;
        self.acknowledged += other.acknowledged;
        self.refused += other.refused;
        self.lost += other.lost;
        self.finished_clients += other.finished_clients;
        self.stalled_clients += other.stalled_clients;
        self.latencies_us.extend(other.latencies_us);
        for (key, count) in other.refusals {
            *self.refusals.entry(key).or_default() += count;
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[index]) / 1000.0
}

fn count_records(database: &PathBuf) -> anyhow::Result<i64> {
    let connection = rusqlite::Connection::open_with_flags(
        database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    Ok(connection.query_row("SELECT COUNT(*) FROM game_records", [], |row| row.get(0))?)
}

async fn play(
    args: &Args,
    games: Vec<(i64, Vec<User>)>,
    actions_per_game: u64,
    database: Option<PathBuf>,
    think_ms: u64,
) -> anyhow::Result<()> {
    let base = ws_base(&args.server);
    let records_before = database.as_ref().map(count_records).transpose()?;
    // Connect everyone first, so play starts together.
    let mut sockets = Vec::new();
    for (game, users) in &games {
        for user in users {
            let url = format!("{base}/ws/game/{game}/?token={}", user.access);
            sockets.push((user.id, connect(url)));
        }
    }
    let mut connected = Vec::new();
    for (id, connecting) in sockets {
        let (socket, _) = connecting.await?;
        connected.push((id, socket));
    }
    eprintln!("{} game sockets connected; playing", connected.len());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (seat, (id, socket)) in connected.into_iter().enumerate() {
        tasks.push(tokio::spawn(play_client(
            id,
            socket,
            actions_per_game,
            seat as u64,
            Duration::from_millis(think_ms),
        )));
    }
    let mut totals = Totals::default();
    for task in tasks {
        totals.merge(task.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let records_after = database.as_ref().map(count_records).transpose()?;
    totals.latencies_us.sort_unstable();
    let lat = &totals.latencies_us;
    println!(
        "clients: {} ({} saw the game end, {} stalled)",
        games.iter().map(|g| g.1.len()).sum::<usize>(),
        totals.finished_clients,
        totals.stalled_clients
    );
    println!("elapsed: {elapsed:.2} s");
    println!(
        "actions: sent {}, acknowledged {}, refused {}, lost {}",
        totals.sent, totals.acknowledged, totals.refused, totals.lost
    );
    println!(
        "acknowledged actions/s: {:.0}",
        totals.acknowledged as f64 / elapsed
    );
    println!(
        "round trip ms: p50 {:.2}, p90 {:.2}, p99 {:.2}, p99.9 {:.2}, max {:.2} ({} samples)",
        percentile(lat, 0.50),
        percentile(lat, 0.90),
        percentile(lat, 0.99),
        percentile(lat, 0.999),
        percentile(lat, 1.0),
        lat.len()
    );
    if let (Some(before), Some(after)) = (records_before, records_after) {
        println!(
            "persisted records: {} ({:.0}/s)",
            after - before,
            (after - before) as f64 / elapsed
        );
    }
    for (message, count) in &totals.refusals {
        println!("refused {count}×: {message}");
    }
    Ok(())
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Pending {
    sent: Instant,
    bid: bool,
    echoed: bool,
    /// The square of a mortgage attempt, to skip it if refused.
    mortgage: Option<u16>,
}

/// What one client knows of its game.
struct View {
    me: i64,
    phase: String,
    active: i64,
    turn_player: i64,
    money: BTreeMap<i64, i64>,
    positions: BTreeMap<i64, u16>,
    destinations: Vec<u16>,
    owners: BTreeMap<u16, i64>,
    mortgaged: BTreeSet<u16>,
    declined: BTreeSet<u16>,
    bid_in_this_auction: bool,
    actions_seen: u64,
    surrendered: bool,
    refusals_in_a_row: u32,
}

fn int_map(value: &Value) -> BTreeMap<i64, i64> {
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
    fn update(&mut self, data: &Value) {
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

    fn in_game(&self) -> bool {
        self.money.contains_key(&self.me)
    }
}

async fn play_client(
    me: i64,
    mut socket: Socket,
    actions_per_game: u64,
    seed: u64,
    think: Duration,
) -> Totals {
    let mut totals = Totals::default();
    let mut rng = GameRng::new(Seed(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ me as u64));
    let board = Board::standard();
    let mut view = View {
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
    };
    let mut pending: Option<Pending> = None;
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
        let Ok(frame) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        let mut ended = false;
        match frame["event_type"].as_str() {
            Some("game_state") => view.update(&frame["game_state"]),
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
                    if let Some(p) = pending.as_mut() {
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
                if let Some(p) = &pending {
                    if p.echoed || p.bid {
                        view.refusals_in_a_row = 0;
                        totals.acknowledged += 1;
                        let micros = p.sent.elapsed().as_micros().min(u128::from(u32::MAX));
                        totals.latencies_us.push(micros as u32);
                        pending = None;
                    }
                }
            }
            Some("error") if pending.is_some() => {
                if let Some(square) = pending.take().and_then(|p| p.mortgage) {
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
        if ended {
            totals.finished_clients += 1;
            // An action sent as the game ended is still answered (with an error): wait for it.
            if pending.is_some() {
                while let Ok(Some(Ok(Message::Text(text)))) =
                    tokio::time::timeout(Duration::from_secs(5), socket.next()).await
                {
                    if text.as_str().contains("\"error\"") {
                        pending = None;
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
        if pending.is_some() || !view.in_game() {
            continue;
        }
        let Some((action, bid)) = decide(&mut view, board, &mut rng, actions_per_game) else {
            continue;
        };
        if !think.is_zero() {
            tokio::time::sleep(think).await;
        }
        let mortgage = (action["type"] == "ActionMortgageSet")
            .then(|| action["square"].as_u64().map(|square| square as u16))
            .flatten();
        pending = Some(Pending {
            sent: Instant::now(),
            bid,
            echoed: false,
            mortgage,
        });
        totals.sent += 1;
        if socket
            .send(Message::text(action.to_string()))
            .await
            .is_err()
        {
            break;
        }
    }
    if pending.is_some() {
        totals.lost += 1;
    }
    let _ = socket.close(None).await;
    totals
}

/// The wire-level random policy; `None` when this client has nothing to do now.
fn decide(
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

fn resident_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

async fn idle(
    args: &Args,
    games: Vec<(i64, Vec<User>)>,
    sockets_per_player: usize,
    server_pid: Option<u32>,
    probes: usize,
) -> anyhow::Result<()> {
    let base = ws_base(&args.server);
    let before = server_pid.and_then(resident_memory_kib);
    let started = Instant::now();
    let limit = Arc::new(Semaphore::new(256));
    let mut tasks = Vec::new();
    for (game, users) in &games {
        for user in users {
            for _ in 0..sockets_per_player {
                let url = format!("{base}/ws/game/{game}/?token={}", user.access);
                let limit = Arc::clone(&limit);
                tasks.push(tokio::spawn(async move {
                    let _permit = limit.acquire_owned().await?;
                    let (mut socket, _) = connect(url).await?;
                    let first = socket
                        .next()
                        .await
                        .ok_or_else(|| anyhow::anyhow!("closed before the snapshot"))??;
                    anyhow::ensure!(
                        matches!(&first, Message::Text(text) if text.as_str().contains("game_state")),
                        "first frame is not a snapshot"
                    );
                    anyhow::Ok(socket)
                }));
            }
        }
    }
    let mut sockets = Vec::new();
    for task in tasks {
        sockets.push(task.await??);
    }
    eprintln!(
        "{} idle game sockets open in {:.1}s",
        sockets.len(),
        started.elapsed().as_secs_f64()
    );
    let after = server_pid.and_then(resident_memory_kib);
    // Answer latency with every socket open: a chat's round trip on a sample of sockets (the
    // broadcast also reaches every other socket of that game, which the sample then drains).
    let mut rng = GameRng::new(Seed(7));
    let mut latencies = Vec::new();
    let count = sockets.len();
    for probe in 0..probes {
        let index = rng.below(count as u32) as usize;
        let socket = &mut sockets[index];
        let marker = format!("probe-{probe}");
        let sent = Instant::now();
        socket
            .send(Message::text(
                json!({"type": "ChatMessage", "msg": marker}).to_string(),
            ))
            .await?;
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
                .await?
                .ok_or_else(|| anyhow::anyhow!("socket closed"))??;
            if matches!(&message, Message::Text(text) if text.as_str().contains(&marker)) {
                break;
            }
        }
        latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
    }
    latencies.sort_unstable();
    let settled = server_pid.and_then(resident_memory_kib);
    println!("idle sockets: {}", sockets.len());
    if let (Some(before), Some(after), Some(settled)) = (before, after, settled) {
        println!(
            "server RSS: {:.1} MiB before, {:.1} MiB with the sockets open, {:.1} MiB after the probes",
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            settled as f64 / 1024.0
        );
    }
    println!(
        "chat round trip ms: p50 {:.2}, p99 {:.2}, max {:.2} ({} probes)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        latencies.len()
    );
    Ok(())
}

fn count_games(database: &PathBuf) -> anyhow::Result<(i64, i64)> {
    let connection = rusqlite::Connection::open_with_flags(
        database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    Ok(connection.query_row(
        "SELECT COUNT(*), COALESCE(SUM(finished), 0) FROM games",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?)
}

/// Starts one bot game per user through a private room, then measures persisted records.
async fn bots(
    args: &Args,
    users: &[User],
    database: &PathBuf,
    seconds: u64,
    bot_level: &str,
) -> anyhow::Result<()> {
    let base = ws_base(&args.server);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, user) in users.iter().enumerate() {
        let base = base.clone();
        let user = user.clone();
        let code = format!("B{n:05}");
        let level = bot_level.to_owned();
        let players = args.players;
        tasks.push(tokio::spawn(async move {
            let url = format!("{base}/ws/queue/private/{code}/?token={}", user.access);
            let (mut room, _) = connect(url).await?;
            for command in [
                json!({"command": "update_settings", "bot_level": level, "target_players": players}),
                json!({"command": "ready_status", "is_ready": true}),
                json!({"command": "start_game"}),
            ] {
                room.send(Message::text(command.to_string())).await?;
            }
            let game = loop {
                let message = tokio::time::timeout(Duration::from_secs(30), room.next())
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("room closed"))??;
                if let Message::Text(text) = message {
                    let frame: Value = serde_json::from_str(text.as_str())?;
                    if frame["action"] == "game_start" {
                        break frame["game_id"].as_i64().unwrap_or(0);
                    }
                    anyhow::ensure!(frame["action"] != "error", "room refused: {frame}");
                }
            };
            let _ = room.close(None).await;
            let url = format!("{base}/ws/game/{game}/?token={}", user.access);
            let (mut socket, _) = connect(url).await?;
            socket
                .send(Message::text(json!({"type": "ActionSurrender"}).to_string()))
                .await?;
            let _ = socket.close(None).await;
            anyhow::Ok(game)
        }));
    }
    for task in tasks {
        task.await??;
    }
    eprintln!(
        "{} bot games started in {:.1}s",
        users.len(),
        started.elapsed().as_secs_f64()
    );
    let before = count_records(database)?;
    let (_, finished_before) = count_games(database)?;
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let elapsed = window.elapsed().as_secs_f64();
    let after = count_records(database)?;
    let (games, finished_after) = count_games(database)?;
    println!(
        "bot games: {} started ({} games in the database, {} finished during the window)",
        users.len(),
        games,
        finished_after - finished_before
    );
    println!(
        "persisted records: {} in {elapsed:.1} s = {:.0}/s",
        after - before,
        (after - before) as f64 / elapsed
    );
    Ok(())
}
