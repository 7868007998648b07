//! Helpers for live-game tests: a real server on 127.0.0.1:0 and real WebSocket clients.

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use magnate_server::{
    auth::Passwords,
    config::Rate,
    games::{GameOptions, NewLiveGame, NewLivePlayer},
    store::Database,
    AppState, Clock, Config, Store,
};
use serde_json::{json, Value};
use tokio::{net::TcpStream, runtime::Runtime};
use tokio_tungstenite::{
    tungstenite::{self, Message},
    MaybeTlsStream, WebSocketStream,
};

use crate::support::PASSWORD;

/// How long a test waits for one frame before failing.
pub const RECEIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// A configuration with instant bots and the given auction duration, and no frame rate limits:
/// the drivers here play at machine speed and sync with a chat marker after every action, like
/// the load generator (`limits.rs` tests the limits).
pub fn game_config(auction_ms: u64) -> Config {
    let mut config = Config::default();
    config.timers.auction_ms = auction_ms;
    config.timers.bot_delay_ms = 0;
    config.timers.bot_auction_delay_ms = (0, 0);
    config.sockets.actions = Rate::UNLIMITED;
    config.sockets.chat = Rate::UNLIMITED;
    config
}

/// A registered user.
#[derive(Debug, Clone)]
pub struct Player {
    pub id: i64,
    pub access: String,
}

/// Anything that serves game sockets.
pub trait Endpoint {
    fn address(&self) -> SocketAddr;

    fn ws_url(&self, game: &str, token: &str) -> String {
        format!("ws://{}/ws/game/{game}/?token={token}", self.address())
    }
}

impl Endpoint for Server {
    fn address(&self) -> SocketAddr {
        self.address
    }
}

/// A server in another process.
pub struct Remote {
    address: SocketAddr,
}

impl Remote {
    pub fn new(address: SocketAddr) -> Remote {
        Remote { address }
    }
}

impl Endpoint for Remote {
    fn address(&self) -> SocketAddr {
        self.address
    }
}

/// A server listening on loopback.
///
/// Its clock is manual (virtual time): game timers fire when a test calls
/// [`Server::advance`], never after a real wait.
pub struct Server {
    pub address: SocketAddr,
    pub state: AppState,
    /// The server's clock; a restarted server continues it.
    pub clock: Clock,
    /// Set when the server runs on its own runtime, so a test can kill it abruptly.
    runtime: Option<Runtime>,
}

impl Server {
    /// Starts a server on the test's runtime.
    pub async fn start(config: Config, options: GameOptions, store: Store) -> Server {
        let clock = Clock::manual(crate::support::start_time());
        let state = state(config, options, store, clock.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let served = state.clone();
        tokio::spawn(async move {
            magnate_server::serve(listener, served, std::future::pending())
                .await
                .unwrap();
        });
        Server {
            address,
            state,
            clock,
            runtime: None,
        }
    }

    /// Starts a server on a runtime of its own, on `database` (reopened by the next start).
    pub fn start_killable(config: Config, options: GameOptions, database: &Database) -> Server {
        let clock = Clock::manual(crate::support::start_time());
        Self::start_killable_at(config, options, database, clock)
    }

    /// As [`Server::start_killable`], on `clock` (a killed server's, so time goes on).
    pub fn start_killable_at(
        config: Config,
        options: GameOptions,
        database: &Database,
        clock: Clock,
    ) -> Server {
        let served_clock = clock.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let database = database.clone();
        let (state, address) = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    runtime.block_on(async move {
                        let store = Store::open_database(&database).await.unwrap();
                        let state = state(config, options, store, served_clock).await;
                        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                        let address = listener.local_addr().unwrap();
                        let served = state.clone();
                        tokio::spawn(async move {
                            let _ = magnate_server::serve(listener, served, std::future::pending())
                                .await;
                        });
                        (state, address)
                    })
                })
                .join()
                .unwrap()
        });
        Server {
            address,
            state,
            clock,
            runtime: Some(runtime),
        }
    }

    /// Moves the server's clock `ms` milliseconds forward: game timers due by then fire.
    pub fn advance(&self, ms: u64) {
        self.clock
            .advance(chrono::Duration::milliseconds(i64::try_from(ms).unwrap()));
    }

    /// Stops a killable server at once: every task (actors, journal writer, sockets) is dropped
    /// wherever it was, with no graceful shutdown.
    pub fn kill(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn ws_url(&self, game: &str, token: &str) -> String {
        Endpoint::ws_url(self, game, token)
    }

    /// Registers a user over HTTP.
    pub async fn register(&self, name: &str) -> Player {
        let response = reqwest::Client::new()
            .post(self.http("/auth/register/"))
            .json(&json!({"username": name, "password": PASSWORD, "password2": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let body: Value = response.json().await.unwrap();
        Player {
            id: body["user"]["pk"].as_i64().unwrap(),
            access: body["tokens"]["access"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates a game of humans (and optional bots) through the registry.
    /// The game's actor runs on the server's runtime, like games the server creates itself.
    pub async fn create_game(&self, players: &[NewLivePlayer]) -> i64 {
        let state = self.state.clone();
        let new_game = NewLiveGame {
            players: players.to_vec(),
            public: true,
            max_turns: None,
        };
        let create = async move { state.games.create(&state, new_game).await.unwrap() };
        match &self.runtime {
            Some(runtime) => runtime.spawn(create).await.unwrap(),
            None => create.await,
        }
    }

    /// `GET path` with a Bearer token; returns status and JSON body.
    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .get(self.http(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The user's profile (R4).
    pub async fn profile(&self, player: &Player) -> Value {
        let (status, body) = self.get("/user/info/", &player.access).await;
        assert_eq!(status, 200);
        body
    }
}

async fn state(config: Config, options: GameOptions, store: Store, clock: Clock) -> AppState {
    let state = AppState::new(
        config,
        store,
        Some(crate::support::SECRET.to_owned()),
        clock,
        Passwords::insecure_fast(),
    )
    .await
    .unwrap();
    // Every game of a test server gets the same seed, so a test replays the same game each run.
    let seed = options.seed.or(Some(TEST_SEED));
    state.games.set_options(GameOptions { seed, ..options });
    state
}

/// The seed of every game on a test server (unless a test sets its own).
pub const TEST_SEED: u64 = 1;

/// Seats of human players.
pub fn humans(players: &[&Player]) -> Vec<NewLivePlayer> {
    players
        .iter()
        .map(|p| NewLivePlayer {
            user_id: p.id,
            bot_level: None,
        })
        .collect()
}

/// A WebSocket client attached to a game.
pub struct Client {
    pub id: i64,
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    markers: u64,
}

/// The status code of a refused handshake.
pub async fn handshake_status(url: &str) -> u16 {
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => 101,
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected handshake failure: {other}"),
    }
}

impl Client {
    /// Connects and returns the client with its first frame (the snapshot).
    pub async fn connect(server: &impl Endpoint, game: i64, player: &Player) -> (Client, Value) {
        Self::connect_with_query(server, game, player, "").await
    }

    /// As [`Client::connect`], with `extra` appended to the query string (`&legal=1`).
    pub async fn connect_with_query(
        server: &impl Endpoint,
        game: i64,
        player: &Player,
        extra: &str,
    ) -> (Client, Value) {
        let url = server.ws_url(&game.to_string(), &player.access) + extra;
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut client = Client {
            id: player.id,
            ws,
            markers: 0,
        };
        let first = client.recv().await;
        assert_eq!(first["event_type"], "game_state", "{first}");
        (client, first)
    }

    pub async fn send(&mut self, value: Value) {
        self.send_message(Message::text(value.to_string())).await;
    }

    pub async fn send_message(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    /// The next JSON frame (pings are skipped); fails after [`RECEIVE_TIMEOUT`].
    pub async fn recv(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(RECEIVE_TIMEOUT, self.ws.next())
                .await
                .expect("a frame within the timeout")
                .expect("socket open")
                .expect("valid frame");
            match message {
                Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Frames until the first one matching `done`, which is included last.
    pub async fn recv_until(&mut self, mut done: impl FnMut(&Value) -> bool) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let frame = self.recv().await;
            let stop = done(&frame);
            frames.push(frame);
            if stop {
                return frames;
            }
        }
    }

    /// Sends a chat marker and returns it with every frame before it: everything the server
    /// produced for this client's earlier frames (the actor handles one connection's frames in
    /// order).
    pub async fn sync(&mut self) -> (String, Vec<Value>) {
        self.markers += 1;
        let marker = format!("sync-{}-{}", self.id, self.markers);
        self.send(json!({"type": "ChatMessage", "msg": marker}))
            .await;
        let frames = self.until_chat(&marker).await;
        (marker, frames)
    }

    /// Asserts that the server has sent this client nothing since the last frame read (a chat
    /// marker proves it, without waiting); returns the marker other clients will also get.
    pub async fn expect_silence(&mut self) -> String {
        let (marker, frames) = self.sync().await;
        assert!(frames.is_empty(), "expected nothing yet, got {frames:?}");
        marker
    }

    /// Sends a frame and returns what the server sent back before the next marker.
    pub async fn act(&mut self, value: Value) -> Vec<Value> {
        self.send(value).await;
        self.sync().await.1
    }

    /// Reads frames until the chat marker sent by another client.
    pub async fn until_chat(&mut self, msg: &str) -> Vec<Value> {
        let mut frames = self
            .recv_until(|frame| frame["event_type"] == "chat_message" && frame["msg"] == msg)
            .await;
        frames.pop();
        frames
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// Asserts that no client has heard anything since its last read; every client reads the
/// chat marker that proves it, so the next frame each reads is new.
pub async fn expect_quiet(clients: &mut [Client]) {
    let (first, rest) = clients.split_first_mut().expect("at least one client");
    let marker = first.expect_silence().await;
    for client in rest {
        let frames = client.until_chat(&marker).await;
        assert!(
            frames.is_empty(),
            "expected only the marker, got {frames:?}"
        );
    }
}

/// The `data` of every `game_response` among `frames`.
pub fn responses(frames: &[Value]) -> Vec<Value> {
    frames
        .iter()
        .filter(|f| f["event_type"] == "game_response")
        .map(|f| f["data"].clone())
        .collect()
}

/// The message of the single `error` among `frames`, if any.
pub fn error_message(frames: &[Value]) -> Option<String> {
    frames
        .iter()
        .find(|f| f["event_type"] == "error")
        .map(|f| f["message"].as_str().unwrap().to_owned())
}

/// What the driver does in `management`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Management {
    /// Decline the square (starts an auction) when possible.
    Drop,
    /// Buy the square when possible.
    Buy,
    /// Always move on.
    Pass,
}

/// Every client of one game, kept in step, and the latest view they all saw.
pub struct Table {
    pub clients: Vec<Client>,
    /// The latest `game_response.data` (or the snapshot until the first response).
    pub view: Value,
    /// The destinations of the latest throw.
    pub destinations: Vec<Value>,
    /// Every frame the first client saw, snapshot excluded.
    pub log: Vec<Value>,
}

impl Table {
    /// Connects every player; the view starts from the first player's snapshot.
    pub async fn open(server: &impl Endpoint, game: i64, players: &[&Player]) -> Table {
        let mut clients = Vec::new();
        let mut view = Value::Null;
        for player in players {
            let (client, snapshot) = Client::connect(server, game, player).await;
            if view.is_null() {
                view = snapshot["game_state"].clone();
            }
            clients.push(client);
        }
        Table {
            clients,
            view,
            destinations: Vec::new(),
            log: Vec::new(),
        }
    }

    pub fn client(&mut self, id: i64) -> &mut Client {
        self.clients
            .iter_mut()
            .find(|c| c.id == id)
            .expect("a client of this player")
    }

    pub fn phase(&self) -> String {
        self.view["phase"].as_str().unwrap().to_owned()
    }

    pub fn active(&self) -> i64 {
        self.view["active_phase_player"].as_i64().unwrap()
    }

    /// Sends `action` from `id` and brings every client up to date; returns the frames the
    /// sender saw. Every client must see the same broadcasts.
    pub async fn act(&mut self, id: i64, action: Value) -> Vec<Value> {
        let client = self.client(id);
        client.send(action).await;
        let (marker, frames) = client.sync().await;
        let broadcast: Vec<Value> = frames
            .iter()
            .filter(|f| f["event_type"] != "error")
            .cloned()
            .collect();
        for other in self.clients.iter_mut().filter(|c| c.id != id) {
            let seen = other.until_chat(&marker).await;
            assert_eq!(seen, broadcast, "every socket sees the same events");
        }
        for data in responses(&frames) {
            if data["type"] == "ResponseThrowDices" {
                self.destinations = data["destinations"].as_array().unwrap().clone();
            }
            self.view = data;
        }
        self.log.extend(broadcast);
        frames
    }

    /// Plays for whoever must act until `stop` holds (checked before each move); fails after
    /// `max_moves` moves.
    pub async fn drive(
        &mut self,
        management: Management,
        max_moves: usize,
        mut stop: impl FnMut(&Table) -> bool,
    ) {
        for _ in 0..max_moves {
            if stop(self) {
                return;
            }
            let active = self.active();
            let action = match self.phase().as_str() {
                "roll_the_dices" => json!({"type": "ActionThrowDices"}),
                "choose_square" => json!({"type": "ActionMoveTo", "square": self.destinations[0]}),
                "choose_fantasy" => json!({"type": "ActionChooseCard"}),
                "management" => {
                    let here = self.view["positions"][active.to_string()].clone();
                    let kind = match management {
                        Management::Drop => Some("ActionDropPurchase"),
                        Management::Buy => Some("ActionBuySquare"),
                        Management::Pass => None,
                    };
                    let mut moved = false;
                    if let Some(kind) = kind {
                        let frames = self
                            .act(active, json!({"type": kind, "square": here}))
                            .await;
                        moved = error_message(&frames).is_none();
                    }
                    if moved {
                        continue;
                    }
                    json!({"type": "ActionNextPhase"})
                }
                "business" | "liquidation" => json!({"type": "ActionNextPhase"}),
                "proposal_acceptance" => json!({"type": "ActionTradeAnswer", "choose": false}),
                other => panic!("the driver cannot play phase {other}"),
            };
            let frames = self.act(active, action).await;
            if let Some(error) = error_message(&frames) {
                if self.phase() == "liquidation" {
                    self.act(active, json!({"type": "ActionSurrender"})).await;
                } else {
                    panic!("the driver's move was refused: {error}");
                }
            }
        }
        panic!("stop condition not reached in {max_moves} moves");
    }
}
