//! Live games: creation, one actor task per game, durable records, restart recovery and the
//! game socket `/ws/game/<id>/` (docs/protocol.md).
//!
//! * [`GameRegistry::create`] is the single way to start a game (the public queue and private
//!   rooms call it).
//! * Each live game is owned by one actor task (`actor.rs`) that serializes player actions, chat,
//!   socket joins and leaves, timer ticks and bot moves.
//! * Every accepted input is committed to SQLite (`journal.rs`, group commit) before any client
//!   hears of it; at startup [`GameRegistry::restore`] replays every unfinished game and re-arms
//!   its timers from the restored deadlines.
//! * `socket.rs` is the WebSocket handler; the frame formats are `magnate_protocol::game`.

mod actor;
pub mod journal;
mod owned;
mod socket;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use axum::extract::ws::Message;
use magnate_core::{
    record::verify, BotLevel, GameRecord, HouseRules, Millis, PlayerId, PlayerSpec, RecordHeader,
    Seed, Setup, TimerSettings, Timestamp,
};
use tokio::sync::{mpsc, oneshot};

use self::actor::{ActorContext, LiveGame};
pub(crate) use self::actor::{Command, ConnId, JoinRefused, Wants};
use self::journal::{Journal, LoadError};
use crate::cluster::Cluster;
use crate::config::Timers;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{CreateUserOutcome, Fence, GameId, NewGame, NewUser, Store, StoreError, UserId};

pub use self::socket::router;

/// Commands queued for one actor before senders wait.
const COMMAND_CAPACITY: usize = 1024;

/// A game to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLiveGame {
    /// Participants in joining order (queue order, or room members then bots); 2 to 4, distinct.
    pub players: Vec<NewLivePlayer>,
    /// `true` for a public-queue game, `false` for a private room.
    pub public: bool,
    /// A turn limit for this game; `None` leaves the server's `MAX_TURNS` setting.
    pub max_turns: Option<u32>,
}

/// One seat of a new game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLivePlayer {
    /// The user id. For bots, an existing bot account (see [`GameRegistry::create`]).
    pub user_id: i64,
    /// `None` for humans; the difficulty for bots.
    pub bot_level: Option<BotLevel>,
}

/// Options every game of a registry gets.
#[derive(Debug, Clone, Default)]
pub struct GameOptions {
    /// House rules (the reference's rules by default). Tests of bot-only games set `max_turns`.
    pub rules: HouseRules,
    /// A fixed seed for every new game instead of OS randomness: reproducible games for tests
    /// and experiments. `None` (the default, and the only sensible production value) draws one.
    pub seed: Option<u64>,
}

/// A game worked out and ready to store.
struct Prepared {
    row: NewGame,
    seats: Vec<(UserId, bool)>,
    header: RecordHeader,
    game: magnate_core::Game,
    created_at: chrono::DateTime<chrono::Utc>,
    public: bool,
}

/// The live games of the server; cheap to clone.
#[derive(Clone)]
pub struct GameRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    options: Mutex<GameOptions>,
    live: Mutex<HashMap<GameId, mpsc::Sender<Command>>>,
    journal: OnceLock<Journal>,
    next_conn: AtomicU64,
    /// Set once in cluster mode (docs/cluster.md).
    cluster: OnceLock<Cluster>,
}

impl std::fmt::Debug for GameRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GameRegistry")
            .field("options", &self.options())
            .field("live_games", &self.live_count())
            .finish()
    }
}

impl Default for GameRegistry {
    fn default() -> Self {
        Self::new(GameOptions::default())
    }
}

/// The policy bots play with (the expected-value bot of docs/bots.md). Swapping the bot
/// implementation is a one-line change here.
pub(crate) fn policy(level: BotLevel) -> impl magnate_core::Policy {
    magnate_core::bot::EvBot::new(level)
}

impl GameRegistry {
    /// An empty registry whose games get `options`.
    pub fn new(options: GameOptions) -> Self {
        Self {
            inner: Arc::new(Inner {
                options: Mutex::new(options),
                live: Mutex::new(HashMap::new()),
                journal: OnceLock::new(),
                next_conn: AtomicU64::new(1),
                cluster: OnceLock::new(),
            }),
        }
    }

    /// Creates and starts a game (docs/protocol.md); returns its id.
    ///
    /// In one transaction it creates the `games` row, one `game_players` row and one zeroed
    /// statistics row per participant, sets their `active_game`, clears their private room, and
    /// stores the record header (seed from OS randomness, timers from the configuration). Then it
    /// spawns the game's actor; if the first player is a bot, its move is scheduled at once.
    ///
    /// **Bots are created by the caller**, because their names depend on where they come from
    /// (`Bot_<code>_<n>` for private rooms): create a bot account first (for example with
    /// [`create_bot_user`]) and pass its id with `bot_level: Some(level)`. `create` checks that
    /// every seat names an existing account and that `bot_level` is set exactly for bot accounts.
    ///
    /// Errors: fewer than 2 or more than 4 players, a repeated user, an unknown user, or a
    /// bot flag that does not match the account → [`ApiError::Internal`] (a caller bug, logged).
    pub async fn create(&self, state: &AppState, new_game: NewLiveGame) -> Result<i64, ApiError> {
        let prepared = self.prepare(state, &new_game)?;
        let game_id = crate::store::records::create_game_with_record(
            &state.store,
            prepared.row.clone(),
            prepared.seats.clone(),
            prepared.header.clone(),
        )
        .await?;
        self.launch(state, prepared, game_id).await;
        Ok(game_id)
    }

    /// Everything [`GameRegistry::create`] stores and starts, worked out before any write.
    fn prepare(&self, state: &AppState, new_game: &NewLiveGame) -> Result<Prepared, ApiError> {
        let setup = Setup {
            players: new_game
                .players
                .iter()
                .map(|p| PlayerSpec {
                    id: PlayerId(p.user_id.max(0) as u64),
                    is_bot: p.bot_level.is_some(),
                })
                .collect(),
            rules: HouseRules {
                max_turns: new_game
                    .max_turns
                    .or(state.config.max_turns)
                    .or(self.options().rules.max_turns),
                ..self.options().rules
            },
            timers: timer_settings(&state.config.timers),
        };
        if let Err(error) = setup.validate() {
            return Err(ApiError::Internal(format!("invalid new game: {error}")));
        }
        if new_game.players.iter().any(|p| p.user_id <= 0) {
            return Err(ApiError::Internal("invalid new game: bad user id".into()));
        }
        let now = state.clock.now();
        let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        let created_at = chrono::DateTime::from_timestamp_millis(now_ms as i64).unwrap_or(now);
        let seed = Seed(self.options().seed.unwrap_or_else(rand::random));
        let mut header = RecordHeader::new(setup, seed, Timestamp(now_ms));
        header.bot_levels = new_game
            .players
            .iter()
            .filter_map(|p| p.bot_level.map(|level| (PlayerId(p.user_id as u64), level)))
            .collect();
        let game = header
            .create_game()
            .map_err(|error| ApiError::Internal(format!("cannot create game: {error}")))?;
        let row = NewGame {
            created_at,
            players: new_game.players.iter().map(|p| p.user_id).collect(),
            is_private: !new_game.public,
        };
        let seats: Vec<(UserId, bool)> = new_game
            .players
            .iter()
            .map(|p| (p.user_id, p.bot_level.is_some()))
            .collect();
        Ok(Prepared {
            row,
            seats,
            header,
            game,
            created_at,
            public: new_game.public,
        })
    }

    /// Starts the actor of a game just stored (in cluster mode, if this node gets its lease).
    async fn launch(&self, state: &AppState, prepared: Prepared, game_id: GameId) {
        let players = prepared.row.players.clone();
        let mut live = LiveGame {
            game_id,
            game: prepared.game,
            next_index: 0,
            created_at: crate::clock::format_datetime(prepared.created_at),
            finalized: false,
            bot_levels: prepared.header.bot_levels,
            fence: None,
        };
        match self.cluster() {
            None => self.spawn(state, live),
            Some(cluster) => {
                // The creator owns the game unless another node took it already (its failover
                // scan saw the new game first): then the players are relayed there.
                let _taking = cluster.take_lock().await;
                if let Ok(Some(fence)) = cluster.acquire_game(game_id).await {
                    live.fence = Some(fence);
                    self.spawn(state, live);
                }
            }
        }
        crate::metrics::game_started(game_id, prepared.public, &players);
    }

    /// Cluster mode: matches the oldest `players` entries of the shared public queue (queued on
    /// any live node) into a new game, in the transaction that creates it, and starts it here.
    /// `None` when fewer wait.
    pub(crate) async fn create_from_shared_queue(
        &self,
        state: &AppState,
        players: usize,
    ) -> Result<Option<(GameId, Vec<crate::store::QueuedPlayer>)>, ApiError> {
        let mut prepared = None;
        let matched = state
            .store
            .match_shared_queue(players, |users| {
                let new_game = NewLiveGame {
                    players: users
                        .iter()
                        .map(|&user_id| NewLivePlayer {
                            user_id,
                            bot_level: None,
                        })
                        .collect(),
                    public: true,
                    max_turns: None,
                };
                let made = self
                    .prepare(state, &new_game)
                    .map_err(|error| StoreError::Config(format!("{error:?}")))?;
                let parts = (made.row.clone(), made.seats.clone(), made.header.clone());
                prepared = Some(made);
                Ok(parts)
            })
            .await?;
        let (Some((game_id, group)), Some(prepared)) = (matched, prepared) else {
            return Ok(None);
        };
        self.launch(state, prepared, game_id).await;
        Ok(Some((game_id, group)))
    }

    /// Reloads every unfinished game from its record and starts its actor; returns how many.
    /// Called once at startup (by [`crate::serve`]).
    /// In cluster mode it takes only the games no node holds ([`GameRegistry::take_orphans`]).
    pub async fn restore(&self, state: &AppState) -> Result<usize, StoreError> {
        if self.cluster().is_some() {
            return self.take_orphans(state).await;
        }
        let ids = journal::unfinished_games(&state.store).await?;
        let mut restored = 0;
        let mut quarantined = Vec::new();
        for game_id in ids {
            if self.handle(game_id).is_some() {
                continue;
            }
            match load_live_game(&state.store, game_id).await {
                Ok(live) => {
                    self.spawn(state, live);
                    restored += 1;
                }
                Err(error @ LoadError::Unreplayable { .. }) => {
                    tracing::error!(game = game_id, %error, "game quarantined: its record is kept as it is and clients are refused");
                    quarantined.push(game_id);
                }
                Err(error) => {
                    tracing::error!(game = game_id, %error, "cannot restore a game");
                }
            }
        }
        if !quarantined.is_empty() {
            tracing::error!(
                games = ?quarantined,
                "{} unfinished game(s) quarantined because their records do not replay; \
                 `magnate verify-db --db <database>` reports each one",
                quarantined.len()
            );
        }
        if restored > 0 {
            tracing::info!(games = restored, "restored unfinished games");
        }
        Ok(restored)
    }

    /// Switches the registry to cluster mode (once; later calls are ignored).
    pub fn enable_cluster(&self, cluster: Cluster) {
        let _ = self.inner.cluster.set(cluster);
    }

    /// The cluster this node belongs to, in cluster mode.
    pub fn cluster(&self) -> Option<Cluster> {
        self.inner.cluster.get().cloned()
    }

    /// The options new games get.
    pub fn options(&self) -> GameOptions {
        self.inner
            .options
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Changes the options of games created from now on (every clone of the registry sees it).
    pub fn set_options(&self, options: GameOptions) {
        *self
            .inner
            .options
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = options;
    }

    /// Whether the game has a running actor (an unfinished game that is not quarantined, or a
    /// finished one someone is watching).
    pub fn is_live(&self, game_id: GameId) -> bool {
        self.lock().contains_key(&game_id)
    }

    /// Number of games with a running actor.
    pub fn live_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<GameId, mpsc::Sender<Command>>> {
        // The map cannot be left half-updated by a panic, so a poisoned lock is still usable.
        self.inner
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn journal(&self, store: &Store) -> Journal {
        self.inner
            .journal
            .get_or_init(|| Journal::start(store.clone()))
            .clone()
    }

    fn next_conn(&self) -> ConnId {
        self.inner.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    fn handle(&self, game_id: GameId) -> Option<mpsc::Sender<Command>> {
        self.lock().get(&game_id).cloned()
    }

    /// Removes a game's entry if it still points at `handle`.
    pub(crate) fn forget(&self, game_id: GameId, handle: &mpsc::Sender<Command>) {
        let mut live = self.lock();
        if live
            .get(&game_id)
            .is_some_and(|current| current.same_channel(handle))
        {
            live.remove(&game_id);
        }
    }

    fn context(&self, state: &AppState) -> ActorContext {
        ActorContext {
            store: state.store.clone(),
            clock: state.clock.clone(),
            rewards: state.config.rewards,
            journal: self.journal(&state.store),
            registry: self.clone(),
            first_connection_timeout: state.config.first_connection_timeout,
        }
    }

    fn spawn(&self, state: &AppState, live: LiveGame) {
        let (sender, receiver) = mpsc::channel(COMMAND_CAPACITY);
        self.lock().insert(live.game_id, sender.clone());
        tokio::spawn(actor::run(live, self.context(state), receiver, sender));
    }

    /// The actor of a game, loading a finished or not-yet-running game from the database on
    /// demand. Loading runs inside the new task, so concurrent joins share one load.
    /// In cluster mode `fence` is the lease just taken for an unfinished game (`None` for a
    /// finished one, which is read-only).
    fn handle_or_load(
        &self,
        state: &AppState,
        game_id: GameId,
        fence: Option<Fence>,
    ) -> mpsc::Sender<Command> {
        let mut live = self.lock();
        if let Some(handle) = live.get(&game_id) {
            return handle.clone();
        }
        let (sender, mut receiver) = mpsc::channel(COMMAND_CAPACITY);
        live.insert(game_id, sender.clone());
        drop(live);
        let registry = self.clone();
        let context = self.context(state);
        let store = state.store.clone();
        let handle = sender.clone();
        tokio::spawn(async move {
            match load_live_game(&store, game_id).await {
                Ok(mut game) => {
                    game.fence = fence;
                    actor::run(game, context, receiver, sender).await
                }
                Err(error) => {
                    if let (Some(cluster), Some(fence)) = (registry.cluster(), fence) {
                        if matches!(error, LoadError::Unreplayable { .. }) {
                            cluster.quarantine(game_id);
                        }
                        cluster.release_game(game_id, &fence);
                    }
                    let refusal = match error {
                        LoadError::NotFound(_) => JoinRefused::NotFound,
                        LoadError::Unreplayable { .. } => JoinRefused::Unavailable,
                        LoadError::Store(_) => JoinRefused::NotFound,
                    };
                    if !matches!(error, LoadError::NotFound(_)) {
                        tracing::error!(game = game_id, %error, "cannot load a game");
                    }
                    registry.forget(game_id, &sender);
                    receiver.close();
                    while let Some(command) = receiver.recv().await {
                        if let Command::Join { reply, .. } = command {
                            let _ = reply.send(Err(refusal));
                        }
                    }
                }
            }
        });
        handle
    }

    /// Attaches a socket of `user` to a game: the snapshot is queued on `outbound` as its first
    /// frame. Returns the connection id and the actor handle for its later inputs.
    pub(crate) async fn join(
        &self,
        state: &AppState,
        game_id: GameId,
        user: UserId,
        wants: Wants,
        outbound: mpsc::Sender<Message>,
    ) -> Result<(ConnId, Link), JoinRefused> {
        let conn = self.next_conn();
        if let Some(cluster) = self.cluster() {
            let link = self
                .join_cluster(state, &cluster, conn, game_id, user, wants, outbound)
                .await?;
            return Ok((conn, link));
        }
        // An actor may be shutting down as we look it up; the second attempt loads it afresh.
        for _ in 0..2 {
            let handle = self.handle_or_load(state, game_id, None);
            match self.attach(&handle, conn, user, wants, &outbound).await {
                Some(Ok(())) => return Ok((conn, Link::Local(handle))),
                Some(Err(refused)) => return Err(refused),
                None => self.forget(game_id, &handle),
            }
        }
        Err(JoinRefused::NotFound)
    }

    /// Asks the actor `handle` to attach a connection; `None` when the actor has stopped.
    async fn attach(
        &self,
        handle: &mpsc::Sender<Command>,
        conn: ConnId,
        user: UserId,
        wants: Wants,
        outbound: &mpsc::Sender<Message>,
    ) -> Option<Result<(), JoinRefused>> {
        let (reply, replied) = oneshot::channel();
        let command = Command::Join {
            conn,
            user,
            wants,
            outbound: outbound.clone(),
            reply,
        };
        handle.send(command).await.ok()?;
        replied.await.ok()
    }
}

/// Where a game socket's inputs go: the game's actor on this node, or (cluster mode) the relay
/// to the node that owns the game.
pub(crate) enum Link {
    /// The actor runs here.
    Local(mpsc::Sender<Command>),
    /// The actor runs on another node.
    Remote(crate::cluster::relay::RemoteLink),
}

/// The core's timer settings from the server's configuration. The core draws bot bid delays as
/// `bot_delay + below(5) × jitter`, so the jitter step spreads the configured range over 5 steps.
pub fn timer_settings(timers: &Timers) -> TimerSettings {
    let (min, max) = timers.bot_auction_delay_ms;
    TimerSettings {
        phase_timeout: Millis(timers.next_phase_ms),
        auction_timeout: Millis(timers.auction_ms),
        roll_timeout: None,
        kick_out_after: timers.kick_out_ms.map(Millis),
        bot_delay: Millis(timers.bot_delay_ms),
        bot_auction_jitter: Millis(max.saturating_sub(min) / 4),
    }
}

/// Creates a bot account (no password, `is_bot`, the given level) named `username`.
pub async fn create_bot_user(
    store: &Store,
    username: &str,
    level: BotLevel,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<UserId>, StoreError> {
    let outcome = store
        .create_user(NewUser {
            username: username.to_owned(),
            password_hash: None,
            bot_level: Some(level.as_str().to_owned()),
            date_joined: now,
        })
        .await?;
    Ok(match outcome {
        CreateUserOutcome::Created(user) => Some(user.id),
        CreateUserOutcome::UsernameTaken => None,
    })
}

/// Rebuilds a game from its stored record. A record that does not replay is never cut (every
/// entry in it was acknowledged to someone): the game is quarantined instead
/// ([`LoadError::Unreplayable`]).
async fn load_live_game(store: &Store, game_id: GameId) -> Result<LiveGame, LoadError> {
    let stored = journal::load(store, game_id).await?;
    let bot_levels = stored.header.bot_levels.clone();
    let record = GameRecord {
        header: stored.header,
        entries: stored.entries,
    };
    // Checks every hash and keeps no events: the actor needs only the final game.
    let game = verify(&record).map_err(|error| LoadError::Unreplayable {
        game: game_id,
        error,
    })?;
    let created_at = crate::clock::parse_datetime(&stored.created_at)
        .map(crate::clock::format_datetime)
        .unwrap_or(stored.created_at);
    Ok(LiveGame {
        game_id,
        game,
        next_index: record.entries.len() as u64,
        created_at,
        finalized: stored.finished,
        bot_levels,
        fence: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_timers_give_bot_bids_two_to_six_seconds() {
        let settings = timer_settings(&Timers::default());
        assert_eq!(settings.auction_timeout, Millis(20_000));
        assert_eq!(settings.phase_timeout, Millis(50_000_000));
        assert_eq!(settings.bot_delay, Millis(2_000));
        // The core waits `bot_delay + below(5) × jitter`: 2, 3, 4, 5 or 6 seconds.
        assert_eq!(settings.bot_auction_jitter, Millis(1_000));
        assert_eq!(settings.kick_out_after, None);
        assert_eq!(settings.roll_timeout, None);
    }
}
