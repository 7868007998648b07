//! The relay between nodes over Redis pub/sub (docs/cluster.md).
//!
//! Every node subscribes to its own channel `<prefix>:node:<id>` and to `<prefix>:all`. A game
//! socket that lands on a node that does not own its game is *held* there and relayed: the
//! holder sends `join`, then the client's frames (`input`, as the client wrote them, already
//! validated and rate-limited) and finally `leave` to the owner's channel; the owner attaches a
//! local connection to the game's actor exactly as for a socket of its own, and forwards what the
//! actor queues for it (`frames`: only committed steps, in the actor's order) back to the
//! holder's channel. Each node publishes from one task, in order, and Redis delivers one
//! publisher's messages in order, so every client sees the frames of a single node in the same
//! order. When Redis drops the subscription, messages may be lost: every relayed socket is then
//! closed with 1012 and its client reconnects to a fresh snapshot.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::games::{Command, ConnId, JoinRefused, Wants};
use crate::state::AppState;
use crate::store::{GameId, UserId};
use crate::ws::CLOSE_SERVICE_RESTART;
use magnate_protocol::game::{self as wire, ClientFrame};

/// How long a holder waits for the owner's answer to a join.
const JOIN_TIMEOUT: Duration = Duration::from_secs(3);
/// Messages published per pipeline.
const PUBLISH_BATCH: usize = 256;
/// Messages waiting to be published before senders wait.
const OUTGOING_CAPACITY: usize = 65_536;
/// Frames forwarded in one `frames` message.
const FRAMES_BATCH: usize = 64;

/// One relay message.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(crate) enum Envelope {
    /// Holder → owner: attach a relayed socket.
    Join {
        from: String,
        conn: u64,
        game: GameId,
        user: UserId,
        legal: bool,
        snapshots: bool,
    },
    /// Owner → holder: the join's answer (`refused`: `not_found`, `not_participant`,
    /// `unavailable`, `not_owner`).
    Joined {
        from: String,
        conn: u64,
        refused: Option<String>,
    },
    /// Holder → owner: a client frame, as the client sent it.
    Input {
        from: String,
        conn: u64,
        user: UserId,
        username: String,
        text: String,
    },
    /// Holder → owner: the socket closed.
    Leave { from: String, conn: u64 },
    /// Owner → holder: frames for the socket, in order.
    Frames {
        from: String,
        conn: u64,
        frames: Vec<String>,
    },
    /// Owner → holder: the owner dropped the connection (with this close code, if any).
    Closed { conn: u64, code: Option<u16> },
    /// To every node: leases were released, look for orphaned games now.
    Released,
    /// To every node: `node` (re)started; relayed sockets of an earlier process with this node
    /// id are gone.
    Hello { node: String },
    /// To the node holding a queue socket: its entry was matched into `game`.
    Matched {
        user: UserId,
        conn: u64,
        game: GameId,
    },
}

/// A socket held on this node for a game owned elsewhere.
struct Held {
    owner: String,
    outbound: mpsc::Sender<Message>,
    joined: Option<oneshot::Sender<Result<(), JoinRefused>>>,
}

/// A connection of this node's actor for a socket held on another node.
struct Remote {
    conn: ConnId,
    actor: mpsc::Sender<Command>,
}

/// The relay of one node; shared by its sockets and its subscriber task.
pub(crate) struct Relay {
    node: String,
    prefix: String,
    outgoing: mpsc::Sender<(String, String)>,
    held: Mutex<HashMap<u64, Held>>,
    remote: Mutex<HashMap<(String, u64), Remote>>,
    client: redis::Client,
    ping: redis::aio::MultiplexedConnection,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every update is one map operation, so a poisoned lock is still consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Relay {
    /// Connects to Redis (one connection to publish, one to subscribe later in [`Relay::run`]).
    pub(crate) async fn connect(
        url: &str,
        node: &str,
        prefix: &str,
    ) -> Result<(Arc<Relay>, mpsc::Receiver<(String, String)>), redis::RedisError> {
        let client = redis::Client::open(url)?;
        let ping = client.get_multiplexed_async_connection().await?;
        let (outgoing, receiver) = mpsc::channel(OUTGOING_CAPACITY);
        let relay = Arc::new(Relay {
            node: node.to_owned(),
            prefix: prefix.to_owned(),
            outgoing,
            held: Mutex::default(),
            remote: Mutex::default(),
            client,
            ping,
        });
        Ok((relay, receiver))
    }

    fn channel(&self, node: &str) -> String {
        format!("{}:node:{node}", self.prefix)
    }

    /// Whether Redis answers a `PING`.
    pub(crate) async fn reachable(&self) -> bool {
        let mut connection = self.ping.clone();
        let pong: Result<String, _> = redis::cmd("PING").query_async(&mut connection).await;
        pong.is_ok()
    }

    /// Queues `envelope` for `node`'s channel (`None`: every node).
    pub(crate) async fn send(&self, node: Option<&str>, envelope: &Envelope) -> bool {
        let channel = match node {
            Some(node) => self.channel(node),
            None => format!("{}:all", self.prefix),
        };
        let Ok(text) = serde_json::to_string(envelope) else {
            return false;
        };
        self.outgoing.send((channel, text)).await.is_ok()
    }

    /// Publishes the queued messages in order, a pipeline at a time.
    pub(crate) async fn publish(self: Arc<Self>, mut receiver: mpsc::Receiver<(String, String)>) {
        let mut connection = self.ping.clone();
        let mut batch = Vec::with_capacity(PUBLISH_BATCH);
        while receiver.recv_many(&mut batch, PUBLISH_BATCH).await > 0 {
            let mut pipe = redis::pipe();
            for (channel, text) in batch.drain(..) {
                pipe.cmd("PUBLISH").arg(channel).arg(text).ignore();
            }
            let sent: Result<(), _> = pipe.query_async(&mut connection).await;
            if let Err(error) = sent {
                tracing::error!(%error, "cannot publish relay messages; closing relayed sockets");
                self.reset();
            }
        }
    }

    /// Subscribes and dispatches messages until the process ends, resubscribing after a lost
    /// connection (closing every relayed socket, whose messages may have been lost).
    pub(crate) async fn run(self: Arc<Self>, state: AppState, cluster: super::Cluster) {
        loop {
            match self.client.get_async_pubsub().await {
                Ok(mut pubsub) => {
                    let channels = [self.channel(&self.node), format!("{}:all", self.prefix)];
                    if let Err(error) = pubsub.subscribe(&channels).await {
                        tracing::error!(%error, "cannot subscribe to the relay channels");
                    } else {
                        cluster.relay_subscribed();
                        let hello = Envelope::Hello {
                            node: self.node.clone(),
                        };
                        self.send(None, &hello).await;
                        let mut messages = pubsub.on_message();
                        while let Some(message) = messages.next().await {
                            let payload: String = match message.get_payload() {
                                Ok(payload) => payload,
                                Err(_) => continue,
                            };
                            match serde_json::from_str::<Envelope>(&payload) {
                                Ok(envelope) => self.dispatch(envelope, &state, &cluster).await,
                                Err(error) => {
                                    tracing::warn!(%error, "unreadable relay message ignored")
                                }
                            }
                        }
                    }
                    tracing::error!("lost the relay subscription; closing relayed sockets");
                }
                Err(error) => tracing::error!(%error, "cannot connect to Redis for the relay"),
            }
            self.reset();
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn dispatch(&self, envelope: Envelope, state: &AppState, cluster: &super::Cluster) {
        match envelope {
            Envelope::Join {
                from,
                conn,
                game,
                user,
                legal,
                snapshots,
            } => {
                let wants = Wants {
                    legal_actions: legal,
                    snapshots,
                };
                let state = state.clone();
                let relay = cluster.relay();
                tokio::spawn(async move {
                    relay.owner_join(state, from, conn, game, user, wants).await
                });
            }
            Envelope::Input {
                from,
                conn,
                user,
                username,
                text,
            } => {
                let actor = lock(&self.remote)
                    .get(&(from, conn))
                    .map(|remote| (remote.conn, remote.actor.clone()));
                let Some((local, actor)) = actor else { return };
                let command = match wire::parse_frame(&text) {
                    Ok(ClientFrame::Action { action, echo }) => Command::Action {
                        conn: local,
                        user,
                        action,
                        echo,
                    },
                    Ok(ClientFrame::Chat(msg)) => Command::Chat { username, msg },
                    _ => return,
                };
                let _ = actor.send(command).await;
            }
            Envelope::Leave { from, conn } => {
                let removed = lock(&self.remote).remove(&(from, conn));
                if let Some(remote) = removed {
                    let _ = remote
                        .actor
                        .send(Command::Leave { conn: remote.conn })
                        .await;
                }
            }
            Envelope::Joined {
                from,
                conn,
                refused,
            } => {
                let waiting = lock(&self.held)
                    .get_mut(&conn)
                    .and_then(|entry| entry.joined.take());
                let Some(reply) = waiting else {
                    // The join timed out here: the owner must not keep the connection.
                    if refused.is_none() {
                        self.leave_unknown(&from, conn).await;
                    }
                    return;
                };
                let answer = match refused.as_deref() {
                    None => Ok(()),
                    Some("not_participant") => Err(JoinRefused::NotParticipant),
                    Some("unavailable") => Err(JoinRefused::Unavailable),
                    Some(_) => Err(JoinRefused::NotFound),
                };
                let _ = reply.send(answer);
            }
            Envelope::Frames { from, conn, frames } => {
                let dropped = {
                    let mut held = lock(&self.held);
                    match held.get(&conn) {
                        None => Err(()),
                        Some(entry) => {
                            let delivered = frames.into_iter().all(|frame| {
                                entry.outbound.try_send(Message::Text(frame.into())).is_ok()
                            });
                            // A socket that cannot keep up is dropped, as the actor drops a
                            // local one.
                            Ok((!delivered).then(|| held.remove(&conn)).flatten())
                        }
                    }
                };
                match dropped {
                    Err(()) => self.leave_unknown(&from, conn).await,
                    Ok(Some(_)) => self.leave_unknown(&from, conn).await,
                    Ok(None) => {}
                }
            }
            Envelope::Closed { conn, code } => {
                let removed = lock(&self.held).remove(&conn);
                if let Some(entry) = removed {
                    close_held(entry, code);
                }
            }
            Envelope::Released => cluster.scan_soon(),
            Envelope::Hello { node } => {
                if node != self.node {
                    self.forget_node(&node).await;
                }
            }
            Envelope::Matched { user, conn, game } => {
                let conn = (conn > 0).then(|| crate::ws::ConnId::from_raw(conn));
                if let Err(error) = state.matchmaker.matched(user, conn, game).await {
                    tracing::warn!(user, game, %error, "cannot tell a matched player");
                }
            }
        }
    }

    /// Tells `owner` that this node holds no socket `conn` (it timed out, closed or was
    /// dropped here), so that the owner detaches its connection.
    async fn leave_unknown(&self, owner: &str, conn: u64) {
        let leave = Envelope::Leave {
            from: self.node.clone(),
            conn,
        };
        self.send(Some(owner), &leave).await;
    }

    /// Owner side of a join: attach a local connection whose frames go to the holder.
    async fn owner_join(
        self: Arc<Self>,
        state: AppState,
        from: String,
        conn: u64,
        game: GameId,
        user: UserId,
        wants: Wants,
    ) {
        let (outbound, outbound_rx) = mpsc::channel(state.config.sockets.outgoing_queue);
        let refused = match state
            .games
            .join_owned(&state, game, user, wants, outbound)
            .await
        {
            Ok((local, actor)) => {
                lock(&self.remote).insert((from.clone(), conn), Remote { conn: local, actor });
                tokio::spawn(self.clone().forward(from.clone(), conn, outbound_rx));
                None
            }
            Err(None) => Some("not_owner"),
            Err(Some(JoinRefused::NotParticipant)) => Some("not_participant"),
            Err(Some(JoinRefused::Unavailable)) => Some("unavailable"),
            Err(Some(JoinRefused::NotFound)) => Some("not_found"),
        };
        let answer = Envelope::Joined {
            from: self.node.clone(),
            conn,
            refused: refused.map(str::to_owned),
        };
        self.send(Some(&from), &answer).await;
    }

    /// Forwards what the actor queues for a relayed connection to its holder.
    async fn forward(
        self: Arc<Self>,
        holder: String,
        conn: u64,
        mut outbound_rx: mpsc::Receiver<Message>,
    ) {
        let mut batch = Vec::with_capacity(FRAMES_BATCH);
        let code = loop {
            if outbound_rx.recv_many(&mut batch, FRAMES_BATCH).await == 0 {
                break None;
            }
            let mut frames = Vec::with_capacity(batch.len());
            let mut close = None;
            for message in batch.drain(..) {
                match message {
                    Message::Text(text) => frames.push(text.as_str().to_owned()),
                    Message::Close(frame) => {
                        close = Some(frame.map(|frame| frame.code));
                        break;
                    }
                    _ => {}
                }
            }
            if !frames.is_empty() {
                let envelope = Envelope::Frames {
                    from: self.node.clone(),
                    conn,
                    frames,
                };
                if !self.send(Some(&holder), &envelope).await {
                    break None;
                }
            }
            if let Some(code) = close {
                break code;
            }
        };
        let still_attached = lock(&self.remote).remove(&(holder.clone(), conn));
        if let Some(remote) = still_attached {
            let _ = remote.actor.try_send(Command::Leave { conn: remote.conn });
            self.send(Some(&holder), &Envelope::Closed { conn, code })
                .await;
        }
    }

    /// Holder side: asks `owner` to attach a socket; frames then arrive on `outbound`.
    /// `Err(None)`: no answer in time, or the owner no longer owns the game (look it up again).
    pub(crate) async fn join_remote(
        self: &Arc<Self>,
        owner: &str,
        conn: ConnId,
        game: GameId,
        user: UserId,
        wants: Wants,
        outbound: mpsc::Sender<Message>,
    ) -> Result<RemoteLink, Option<JoinRefused>> {
        let (joined, answer) = oneshot::channel();
        lock(&self.held).insert(
            conn,
            Held {
                owner: owner.to_owned(),
                outbound,
                joined: Some(joined),
            },
        );
        let join = Envelope::Join {
            from: self.node.clone(),
            conn,
            game,
            user,
            legal: wants.legal_actions,
            snapshots: wants.snapshots,
        };
        let sent = self.send(Some(owner), &join).await;
        let answer = match tokio::time::timeout(JOIN_TIMEOUT, answer).await {
            Ok(Ok(answer)) if sent => answer,
            _ => {
                lock(&self.held).remove(&conn);
                return Err(None);
            }
        };
        match answer {
            Ok(()) => Ok(RemoteLink {
                relay: self.clone(),
                owner: owner.to_owned(),
                conn,
            }),
            Err(JoinRefused::NotFound) => {
                lock(&self.held).remove(&conn);
                Err(None)
            }
            Err(refused) => {
                lock(&self.held).remove(&conn);
                Err(Some(refused))
            }
        }
    }

    /// Closes every relayed socket on either side whose other node is `node`.
    async fn forget_node(&self, node: &str) {
        let mut alive = HashSet::new();
        alive.extend(lock(&self.held).values().map(|entry| entry.owner.clone()));
        alive.extend(lock(&self.remote).keys().map(|(holder, _)| holder.clone()));
        alive.remove(node);
        self.prune(&alive).await;
    }

    /// Closes every relayed socket on either side whose other node is not in `alive`.
    pub(crate) async fn prune(&self, alive: &HashSet<String>) {
        let dead: Vec<Held> = {
            let mut held = lock(&self.held);
            let gone: Vec<u64> = held
                .iter()
                .filter(|(_, entry)| !alive.contains(&entry.owner))
                .map(|(conn, _)| *conn)
                .collect();
            gone.iter().filter_map(|conn| held.remove(conn)).collect()
        };
        for entry in dead {
            close_held(entry, Some(CLOSE_SERVICE_RESTART));
        }
        let orphans: Vec<Remote> = {
            let mut remote = lock(&self.remote);
            let gone: Vec<(String, u64)> = remote
                .keys()
                .filter(|(node, _)| !alive.contains(node))
                .cloned()
                .collect();
            gone.iter().filter_map(|key| remote.remove(key)).collect()
        };
        for orphan in orphans {
            let _ = orphan
                .actor
                .send(Command::Leave { conn: orphan.conn })
                .await;
        }
    }

    /// Closes every relayed socket held here (1012) and detaches every connection relayed to
    /// this node's actors: after a lost subscription, frames may have been lost.
    pub(crate) fn reset(&self) {
        let held: Vec<Held> = lock(&self.held).drain().map(|(_, entry)| entry).collect();
        for entry in held {
            close_held(entry, Some(CLOSE_SERVICE_RESTART));
        }
        let remote: Vec<Remote> = lock(&self.remote).drain().map(|(_, entry)| entry).collect();
        for entry in remote {
            let _ = entry.actor.try_send(Command::Leave { conn: entry.conn });
        }
    }
}

/// Ends a held socket: its close frame (if any) is queued, then the queue ends.
fn close_held(entry: Held, code: Option<u16>) {
    if let Some(code) = code {
        let frame = CloseFrame {
            code,
            reason: "".into(),
        };
        let _ = entry.outbound.try_send(Message::Close(Some(frame)));
    }
    if let Some(reply) = entry.joined {
        let _ = reply.send(Err(JoinRefused::NotFound));
    }
}

/// A game socket's link to the actor of another node.
#[derive(Clone)]
pub(crate) struct RemoteLink {
    relay: Arc<Relay>,
    owner: String,
    conn: ConnId,
}

impl RemoteLink {
    /// Sends a client frame (already validated here) to the owner. `false` when the relay is
    /// gone or the owner dropped the connection.
    pub(crate) async fn input(&self, user: UserId, username: &str, text: &str) -> bool {
        if !lock(&self.relay.held).contains_key(&self.conn) {
            return false;
        }
        let envelope = Envelope::Input {
            from: self.relay.node.clone(),
            conn: self.conn,
            user,
            username: username.to_owned(),
            text: text.to_owned(),
        };
        self.relay.send(Some(&self.owner), &envelope).await
    }

    /// The socket closed: tell the owner.
    pub(crate) async fn leave(&self) {
        if lock(&self.relay.held).remove(&self.conn).is_some() {
            let envelope = Envelope::Leave {
                from: self.relay.node.clone(),
                conn: self.conn,
            };
            self.relay.send(Some(&self.owner), &envelope).await;
        }
    }

    /// [`RemoteLink::leave`] from synchronous code (a failed upgrade).
    pub(crate) fn leave_later(&self) {
        let link = self.clone();
        tokio::spawn(async move { link.leave().await });
    }
}
