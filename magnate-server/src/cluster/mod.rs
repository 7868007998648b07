//! Cluster mode (docs/cluster.md): several `magnate-server` processes on one PostgreSQL database
//! and one Redis act as one server.
//!
//! * **Ownership:** every running game is owned by one node through a lease row in PostgreSQL
//!   (`cluster_leases`, `store/pg/leases.rs`) with a fencing token. The owner renews its leases
//!   every third of their lifetime; a node that cannot renew stops its actors before its
//!   leases can expire (the watchdog), and every journal commit checks the token in its own
//!   transaction, with the record's unique entry index as the last fence.
//! * **Relay:** a game socket on a node that does not own its game is relayed to the owner
//!   over Redis pub/sub (`relay.rs`).
//! * **Failover:** every node looks for unfinished games whose lease expired (or that have
//!   none) and takes them over: replay from the record, timers re-armed, bots resumed.
//! * **Drain:** on SIGTERM a node answers `/readyz` with 503, stops taking games, stops its
//!   actors (their sockets close with 1012), releases their leases and tells the others to
//!   take them at once.
//! * **Liveness:** each node holds a lease on itself (`kind = 'node'`); relayed sockets whose
//!   other side is no longer alive are closed.

pub mod config;
pub(crate) mod relay;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::time::Instant;

pub use self::config::{ClusterArgs, ClusterSettings};
use self::relay::{Envelope, Relay};
use crate::state::AppState;
use crate::store::{Fence, GameId, Store, StoreError};

/// Lease kind of a game.
pub const GAME: &str = "game";
/// Lease kind of a node's own liveness.
pub const NODE: &str = "node";

/// One node's membership of the cluster; cheap to clone.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Cluster")
            .field("node", &self.inner.settings.node_id)
            .finish_non_exhaustive()
    }
}

enum Release {
    Lease(String, String, i64),
    Flush(oneshot::Sender<()>),
}

struct Inner {
    settings: ClusterSettings,
    /// This process's name in its own node lease (`<node id>#<random>`).
    incarnation: String,
    store: Store,
    relay: Arc<Relay>,
    draining: AtomicBool,
    subscribed: AtomicBool,
    /// Leases this node holds: `(kind, key)` → token.
    held: Mutex<HashMap<(String, String), i64>>,
    /// Serializes take-overs on this node, so one game is never loaded twice here.
    take: tokio::sync::Mutex<()>,
    /// Until when this node's leases are surely its own (last successful renewal).
    healthy_until: watch::Sender<Instant>,
    scan: Notify,
    quarantined: Mutex<HashSet<GameId>>,
    releases: mpsc::UnboundedSender<Release>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why a node cannot join the cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Redis failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Another live node has this node's id.
    #[error("another running node has NODE_ID {0}")]
    NodeIdTaken(String),
}

impl Cluster {
    /// Joins the cluster: creates the lease table if needed, takes this node's own lease,
    /// connects to Redis, and starts the background tasks (renewal, watchdog, failover scan,
    /// relay). From then on `state`'s game registry works in cluster mode.
    pub async fn start(settings: ClusterSettings, state: &AppState) -> Result<Self, ClusterError> {
        let store = state.store.clone();
        store.prepare_cluster_tables().await?;
        let ttl_ms = settings.lease.as_millis() as i64;
        let started = Instant::now();
        // The node's own lease names this process, so a second process with the same NODE_ID
        // waits for the first one's lease to run out (a restart after a crash), then gives up.
        let incarnation = format!("{}#{:08x}", settings.node_id, rand::random::<u32>());
        let give_up = started + settings.lease + Duration::from_secs(1);
        let (token, asked) = loop {
            let asked = Instant::now();
            match store
                .acquire_lease(NODE, &settings.node_id, &incarnation, ttl_ms)
                .await?
            {
                Some(token) => break (token, asked),
                None if Instant::now() < give_up => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                None => return Err(ClusterError::NodeIdTaken(settings.node_id.clone())),
            }
        };
        // Entries this node id left in the shared queue in an earlier life are gone.
        store.purge_shared_queue(Some(&settings.node_id)).await?;
        let (relay, outgoing) =
            Relay::connect(&settings.redis_url, &settings.node_id, &settings.prefix).await?;
        let (releases, release_rx) = mpsc::unbounded_channel();
        let (healthy_until, healthy_rx) = watch::channel(asked + safe_part(settings.lease));
        let cluster = Cluster {
            inner: Arc::new(Inner {
                held: Mutex::new(HashMap::from([(
                    (NODE.to_owned(), settings.node_id.clone()),
                    token,
                )])),
                settings,
                incarnation,
                store,
                relay: relay.clone(),
                draining: AtomicBool::new(false),
                subscribed: AtomicBool::new(false),
                take: tokio::sync::Mutex::new(()),
                healthy_until,
                scan: Notify::new(),
                quarantined: Mutex::default(),
                releases,
            }),
        };
        state.games.enable_cluster(cluster.clone());
        tokio::spawn(relay.clone().publish(outgoing));
        tokio::spawn(relay.run(state.clone(), cluster.clone()));
        tokio::spawn(cluster.clone().release_worker(release_rx));
        tokio::spawn(cluster.clone().renew_loop(state.clone()));
        tokio::spawn(cluster.clone().watchdog(state.clone(), healthy_rx));
        tokio::spawn(cluster.clone().scan_loop(state.clone()));
        tracing::info!(node = %cluster.node(), lease_ms = ttl_ms, "joined the cluster");
        Ok(cluster)
    }

    /// This node's id.
    pub fn node(&self) -> &str {
        &self.inner.settings.node_id
    }

    fn ttl_ms(&self) -> i64 {
        self.inner.settings.lease.as_millis() as i64
    }

    pub(crate) fn relay(&self) -> Arc<Relay> {
        self.inner.relay.clone()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Whether the node is draining (SIGTERM): it takes no new games.
    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }

    /// Why the node is not ready for traffic (`/readyz`), if it is not.
    pub async fn unready(&self) -> Option<&'static str> {
        if self.is_draining() {
            return Some("draining");
        }
        if !self.inner.subscribed.load(Ordering::SeqCst) || !self.inner.relay.reachable().await {
            return Some("redis unreachable");
        }
        None
    }

    pub(crate) fn relay_subscribed(&self) {
        self.inner.subscribed.store(true, Ordering::SeqCst);
    }

    /// Asks the failover scan to run now.
    pub(crate) fn scan_soon(&self) {
        self.inner.scan.notify_one();
    }

    /// Held while this node takes a game over (see [`Inner::take`]).
    pub(crate) async fn take_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.take.lock().await
    }

    /// Takes the lease of game `game_id` unless the node drains or another node holds it.
    pub(crate) async fn acquire_game(&self, game_id: GameId) -> Result<Option<Fence>, StoreError> {
        if self.is_draining() {
            return Ok(None);
        }
        let key = game_id.to_string();
        let token = self
            .inner
            .store
            .acquire_lease(GAME, &key, self.node(), self.ttl_ms())
            .await?;
        Ok(token.map(|token| {
            lock(&self.inner.held).insert((GAME.to_owned(), key), token);
            Fence {
                node: self.node().to_owned(),
                token,
            }
        }))
    }

    /// The node holding game `game_id`'s unexpired lease.
    pub(crate) async fn game_owner(&self, game_id: GameId) -> Result<Option<String>, StoreError> {
        self.inner
            .store
            .lease_holder(GAME, &game_id.to_string())
            .await
    }

    /// The actor of game `game_id` ended: its lease (if this tenure still holds it) is
    /// released so another node may take the game at once.
    pub(crate) fn release_game(&self, game_id: GameId, fence: &Fence) {
        let key = (GAME.to_owned(), game_id.to_string());
        let mut held = lock(&self.inner.held);
        if held.get(&key) == Some(&fence.token) {
            held.remove(&key);
        }
        drop(held);
        let _ = self
            .inner
            .releases
            .send(Release::Lease(key.0, key.1, fence.token));
    }

    pub(crate) fn quarantine(&self, game_id: GameId) {
        lock(&self.inner.quarantined).insert(game_id);
    }

    pub(crate) fn is_quarantined(&self, game_id: GameId) -> bool {
        lock(&self.inner.quarantined).contains(&game_id)
    }

    async fn release_worker(self, mut releases: mpsc::UnboundedReceiver<Release>) {
        while let Some(release) = releases.recv().await {
            match release {
                Release::Lease(kind, key, token) => {
                    let released = self
                        .inner
                        .store
                        .release_lease(&kind, &key, self.node(), token)
                        .await;
                    if let Err(error) = released {
                        tracing::warn!(%error, kind, key, "cannot release a lease (it expires)");
                    }
                }
                Release::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    }

    /// Renews every held lease each third of the lease lifetime; stops the actors of the games
    /// whose lease another node took; closes relayed sockets of dead nodes.
    async fn renew_loop(self, state: AppState) {
        let period = self.inner.settings.lease / 3;
        loop {
            tokio::time::sleep(period).await;
            let held: Vec<(String, String, i64)> = lock(&self.inner.held)
                .iter()
                .map(|((kind, key), token)| (kind.clone(), key.clone(), *token))
                .collect();
            let started = Instant::now();
            let renewal =
                tokio::time::timeout(period, self.inner.store.renew_leases(self.ttl_ms(), &held))
                    .await;
            let renewed: HashSet<(String, String)> = match renewal {
                Ok(Ok(renewed)) => renewed.into_iter().collect(),
                Ok(Err(error)) => {
                    tracing::error!(%error, "cannot renew this node's leases");
                    continue;
                }
                Err(_) => {
                    tracing::error!("renewing this node's leases timed out");
                    continue;
                }
            };
            let node_key = (NODE.to_owned(), self.node().to_owned());
            if !renewed.contains(&node_key) && !self.is_draining() {
                // Nobody should take a node's own lease; if it expired, take it back.
                tracing::error!(node = %self.node(), "this node's own lease was lost; retaking it");
                match self
                    .inner
                    .store
                    .acquire_lease(NODE, self.node(), &self.inner.incarnation, self.ttl_ms())
                    .await
                {
                    Ok(Some(token)) => {
                        lock(&self.inner.held).insert(node_key, token);
                    }
                    _ => continue,
                }
            }
            self.inner
                .healthy_until
                .send_replace(started + safe_part(self.inner.settings.lease));
            // Only leases of this renewal's list can have been lost by it, and only if their
            // token did not change meanwhile (a game released and taken again).
            let lost: Vec<GameId> = {
                let mut current = lock(&self.inner.held);
                let mut lost = Vec::new();
                for (kind, key, token) in held {
                    let id = (kind, key);
                    if id.0 == GAME && !renewed.contains(&id) && current.get(&id) == Some(&token) {
                        current.remove(&id);
                        lost.extend(id.1.parse::<GameId>().ok());
                    }
                }
                lost
            };
            for game_id in lost {
                tracing::warn!(
                    game = game_id,
                    "another node took this game's lease; stopping its actor"
                );
                state.games.stop_game(game_id).await;
            }
            if let Err(error) = self.inner.store.purge_shared_queue(None).await {
                tracing::warn!(%error, "cannot purge the shared queue of dead nodes");
            }
            match self.inner.store.live_leases(NODE).await {
                Ok(alive) => {
                    let alive: HashSet<String> = alive.into_iter().collect();
                    self.inner.relay.prune(&alive).await;
                }
                Err(error) => tracing::warn!(%error, "cannot list the live nodes"),
            }
        }
    }

    /// Stops every actor of this node when its leases may have expired without a renewal.
    async fn watchdog(self, state: AppState, mut healthy: watch::Receiver<Instant>) {
        loop {
            let until = *healthy.borrow_and_update();
            tokio::select! {
                changed = healthy.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep_until(until) => {
                    if *healthy.borrow() == until {
                        tracing::error!("leases not renewed in time: stopping every game of this node");
                        lock(&self.inner.held).retain(|(kind, _), _| kind != GAME);
                        state.games.stop_all().await;
                        // Until a renewal succeeds again, there is nothing more to stop.
                        if healthy.changed().await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Takes orphaned games every half lease lifetime (and at once when told leases were
    /// released).
    async fn scan_loop(self, state: AppState) {
        let period = self.inner.settings.lease / 2;
        loop {
            tokio::select! {
                () = tokio::time::sleep(period) => {}
                () = self.inner.scan.notified() => {}
            }
            if self.is_draining() {
                continue;
            }
            if let Err(error) = state.games.take_orphans(&state).await {
                tracing::warn!(%error, "cannot look for orphaned games");
            }
        }
    }

    /// Drains the node (SIGTERM): not ready, no new games, every actor stopped (sockets closed
    /// with 1012), leases released, the other nodes told to take the games at once.
    pub async fn drain(&self, state: &AppState) {
        self.inner.draining.store(true, Ordering::SeqCst);
        let games = state.games.live_count();
        tracing::info!(node = %self.node(), games, "draining: handing games over");
        state.games.stop_all().await;
        let deadline = Instant::now() + Duration::from_secs(2);
        while state.games.live_count() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (done, flushed) = oneshot::channel();
        if self.inner.releases.send(Release::Flush(done)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(2), flushed).await;
        }
        self.inner.relay.send(None, &Envelope::Released).await;
        // Give the publisher a moment to send it before the process ends.
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.inner.relay.reset();
        // This node's queue entries go, and so does its own lease: the others close the
        // sockets they relay to it at once instead of when it expires.
        if let Err(error) = self.inner.store.purge_shared_queue(Some(self.node())).await {
            tracing::warn!(%error, "cannot remove this node's shared-queue entries");
        }
        let node_key = (NODE.to_owned(), self.node().to_owned());
        let token = lock(&self.inner.held).remove(&node_key);
        if let Some(token) = token {
            let released = self
                .inner
                .store
                .release_lease(NODE, self.node(), &self.inner.incarnation, token)
                .await;
            if let Err(error) = released {
                tracing::warn!(%error, "cannot release this node's own lease (it expires)");
            }
        }
        tracing::info!(node = %self.node(), "drained");
    }
}

/// The part of a lease lifetime a node trusts its leases after a renewal began: four fifths,
/// leaving a fifth for clock-rate differences and the time a stop takes.
fn safe_part(lease: Duration) -> Duration {
    lease * 4 / 5
}
