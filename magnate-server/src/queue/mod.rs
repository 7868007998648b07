//! The public matchmaking queue (docs/protocol.md) and the game-creation seam shared with private
//! rooms.
//!
//! One task, the matchmaker, owns the queue. Queue sockets (`/ws/queue/public/`) and the REST
//! endpoints (`/game/join/`, `/game/leave/`, `/game/queue/`) only send it commands over an
//! mpsc and wait for its answer, so joins, cancels and matches happen one at a time: nobody is
//! matched twice, lost, or matched with themselves, however the requests interleave.
//!
//! The queue holds at most one entry per user, in join order. An entry is held either by a
//! socket, which is told `match_found` and is the only one allowed to remove the entry by
//! closing, or by a REST client, which has no socket: the matchmaker remembers every match so
//! that `GET /game/queue/` can report the game id.
//!
//! A user seated in an unfinished game does not enter the queue (issue 13: otherwise two
//! accounts can create public games without end): a REST join is refused with the game's id,
//! and a queue socket is sent straight to that game with `match_found`, which is where a
//! reference client that lost its game goes anyway. The check runs again when a group is
//! matched, for users who got a seat elsewhere (a private room) while they waited. So a user
//! holds at most one seat in an unfinished game, and at most one more while a private game
//! and a public match are created at the same instant.

mod shared;
pub mod socket;

use std::{
    collections::{HashMap, VecDeque},
    future::Future,
};

use magnate_core::BotLevel;
use tokio::sync::{mpsc, oneshot};

use crate::{
    error::ApiError,
    games::{NewLiveGame, NewLivePlayer},
    state::AppState,
    store::{GameId, UserId},
    ws::ConnId,
};

/// One participant of a game to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat {
    /// The participant's user id (bots are users too).
    pub user_id: UserId,
    /// The bot level, for a bot; `None` for a human.
    pub bot_level: Option<BotLevel>,
}

/// Everything needed to create a game (docs/protocol.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameRequest {
    /// The participants, humans first in queue or join order, then bots.
    pub seats: Vec<Seat>,
    /// Whether the game comes from the public queue (`true`) or a private room (`false`).
    pub public: bool,
    /// The room's turn limit; `None` leaves the server's `MAX_TURNS` setting.
    pub max_turns: Option<u32>,
}

/// Creates games for the matchmaker and the private rooms.
///
/// The server's implementation is [`AppState`]'s, which hands the request to the live-game
/// registry ([`crate::games::GameRegistry::create`]); tests of the queue logic use a fake that
/// returns incrementing ids.
pub trait GameCreator: Send + Sync + 'static {
    /// Creates the game and returns its id.
    fn create_game(
        &self,
        request: GameRequest,
    ) -> impl Future<Output = Result<GameId, ApiError>> + Send;

    /// The unfinished game `user` is seated in, if any (see [`seated_game`]); the default says
    /// none, for fakes.
    fn seated_game(
        &self,
        user: UserId,
    ) -> impl Future<Output = Result<Option<GameId>, ApiError>> + Send {
        let _ = user;
        async { Ok(None) }
    }

    /// Cluster mode: the public queue shared by every node (docs/cluster.md); `None` (the
    /// default, and fakes) for a single server's own queue.
    fn shared_queue(&self) -> Option<shared::SharedQueue> {
        None
    }
}

/// The unfinished game `user` still plays in: their `active_game_id` (set when a game is
/// created, cleared when they are eliminated or the game ends), if that game is running. A
/// quarantined game (its record does not replay) does not hold its players back.
pub async fn seated_game(state: &AppState, user: UserId) -> Result<Option<GameId>, ApiError> {
    let Some(game_id) = state
        .store
        .user(user)
        .await?
        .and_then(|user| user.active_game_id)
    else {
        return Ok(None);
    };
    let unfinished = state.store.is_game_finished(game_id).await? == Some(false);
    // In cluster mode the game may run on another node.
    let running = state.games.is_live(game_id) || state.games.cluster().is_some();
    Ok((unfinished && running).then_some(game_id))
}

impl GameCreator for AppState {
    fn create_game(
        &self,
        request: GameRequest,
    ) -> impl Future<Output = Result<GameId, ApiError>> + Send {
        let new_game = NewLiveGame {
            players: request
                .seats
                .iter()
                .map(|seat| NewLivePlayer {
                    user_id: seat.user_id,
                    bot_level: seat.bot_level,
                })
                .collect(),
            public: request.public,
            max_turns: request.max_turns,
        };
        self.games.create(self, new_game)
    }

    fn seated_game(
        &self,
        user: UserId,
    ) -> impl Future<Output = Result<Option<GameId>, ApiError>> + Send {
        let state = self.clone();
        async move { seated_game(&state, user).await }
    }

    fn shared_queue(&self) -> Option<shared::SharedQueue> {
        shared::SharedQueue::of(self)
    }
}

/// What the matchmaker tells a queue socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueEvent {
    /// The socket holds the user's entry, at this 1-based place: send `queued` (an addition to
    /// the reference, which said nothing until the match).
    Queued(usize),
    /// The socket's entry was matched into this game: send `match_found`.
    MatchFound(GameId),
    /// The socket no longer holds the user's entry: a newer socket replaced it, or the user left
    /// the queue over REST. Close with 4000.
    Released,
}

/// Where a user stands, as `GET /game/queue/` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStatus {
    /// Waiting in the queue at this 1-based position.
    Queued {
        /// 1 for the oldest entry.
        position: usize,
    },
    /// Matched into this game since the user last joined.
    Matched {
        /// The game id.
        game_id: GameId,
    },
    /// Neither queued nor matched.
    Idle,
    /// Not queued: the user is still seated in this unfinished game (a join's answer only).
    Playing {
        /// The game id.
        game_id: GameId,
    },
}

/// The answer to a REST join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinOutcome {
    /// Whether this join appended a new entry (`false`: the user was already queued and keeps
    /// their place).
    pub created: bool,
    /// Where the user stands right after the join, matching included.
    pub status: QueueStatus,
}

/// Capacity of the matchmaker's inbox; senders wait when it is full.
const INBOX_CAPACITY: usize = 1024;

/// A handle to the matchmaker task; cheap to clone.
#[derive(Debug, Clone)]
pub struct Matchmaker {
    sender: mpsc::Sender<Command>,
}

/// A matchmaker whose task has not started yet; see [`Matchmaker::new`].
#[derive(Debug)]
pub struct PendingMatchmaker {
    receiver: mpsc::Receiver<Command>,
    players_per_game: usize,
}

impl PendingMatchmaker {
    /// Spawns the matchmaker task, which creates its games with `creator`.
    pub fn start<C: GameCreator>(self, creator: C) {
        let queue = Queue::new(self.players_per_game);
        tokio::spawn(run(self.receiver, queue, creator));
    }
}

impl Matchmaker {
    /// A handle, and the task to start once the game creator exists (the server's creator is the
    /// [`AppState`] that holds this handle). Games have `players_per_game` players (at least 1).
    pub fn new(players_per_game: usize) -> (Self, PendingMatchmaker) {
        let (sender, receiver) = mpsc::channel(INBOX_CAPACITY);
        (
            Self { sender },
            PendingMatchmaker {
                receiver,
                players_per_game: players_per_game.max(1),
            },
        )
    }

    /// Registers a queue socket for `user` and runs matchmaking; returns once that is done.
    ///
    /// A user without an entry is appended; otherwise the entry keeps its place and this socket
    /// replaces the previous one, which receives [`QueueEvent::Released`].
    pub async fn join_socket(
        &self,
        user: UserId,
        conn: ConnId,
        events: mpsc::Sender<QueueEvent>,
    ) -> Result<(), ApiError> {
        self.ask(|done| Command::JoinSocket {
            user,
            socket: SocketHolder { conn, events },
            done,
        })
        .await
    }

    /// Removes `user`'s entry if the socket `conn` still holds it; returns once that is done.
    pub async fn leave_socket(&self, user: UserId, conn: ConnId) -> Result<(), ApiError> {
        self.ask(|done| Command::LeaveSocket { user, conn, done })
            .await
    }

    /// Joins the queue without a socket (REST) and runs matchmaking.
    pub async fn join(&self, user: UserId) -> Result<JoinOutcome, ApiError> {
        self.ask(|reply| Command::Join { user, reply }).await
    }

    /// Removes `user`'s entry, whoever holds it; a holding socket is released (closed with
    /// 4000). Returns whether there was an entry.
    pub async fn leave(&self, user: UserId) -> Result<bool, ApiError> {
        self.ask(|reply| Command::Leave { user, reply }).await
    }

    /// Cluster mode: another node matched `user`'s entry (held by socket `conn` here, or by
    /// REST when `None`) into `game_id`; the socket is told `match_found`.
    pub async fn matched(
        &self,
        user: UserId,
        conn: Option<ConnId>,
        game_id: GameId,
    ) -> Result<(), ApiError> {
        self.ask(|done| Command::Matched {
            user,
            conn,
            game_id,
            done,
        })
        .await
    }

    /// Where `user` stands.
    pub async fn status(&self, user: UserId) -> Result<QueueStatus, ApiError> {
        self.ask(|reply| Command::Status { user, reply }).await
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(command(reply))
            .await
            .map_err(|_| ApiError::Internal("the matchmaker task has stopped".into()))?;
        answer
            .await
            .map_err(|_| ApiError::Internal("the matchmaker dropped a request".into()))
    }
}

/// A request to the matchmaker task.
#[derive(Debug)]
enum Command {
    JoinSocket {
        user: UserId,
        socket: SocketHolder,
        done: oneshot::Sender<()>,
    },
    LeaveSocket {
        user: UserId,
        conn: ConnId,
        done: oneshot::Sender<()>,
    },
    Join {
        user: UserId,
        reply: oneshot::Sender<JoinOutcome>,
    },
    Leave {
        user: UserId,
        reply: oneshot::Sender<bool>,
    },
    Status {
        user: UserId,
        reply: oneshot::Sender<QueueStatus>,
    },
    Matched {
        user: UserId,
        conn: Option<ConnId>,
        game_id: GameId,
        done: oneshot::Sender<()>,
    },
}

/// The socket that holds a queue entry.
#[derive(Debug)]
struct SocketHolder {
    conn: ConnId,
    events: mpsc::Sender<QueueEvent>,
}

impl SocketHolder {
    fn tell(&self, event: QueueEvent) {
        // The socket's inbox has room for every event it can receive (one match, one release);
        // a full or closed inbox means the socket is going away, and its close removes nothing.
        let _ = self.events.try_send(event);
    }
}

#[derive(Debug)]
struct Entry {
    user: UserId,
    /// `None` for an entry made over REST.
    socket: Option<SocketHolder>,
}

/// The queue itself; only the matchmaker task touches it.
#[derive(Debug)]
struct Queue {
    players_per_game: usize,
    entries: VecDeque<Entry>,
    /// The last game each user was matched into since they last joined.
    matched: HashMap<UserId, GameId>,
}

impl Queue {
    fn new(players_per_game: usize) -> Self {
        Self {
            players_per_game,
            entries: VecDeque::new(),
            matched: HashMap::new(),
        }
    }

    fn position(&self, user: UserId) -> Option<usize> {
        self.entries.iter().position(|entry| entry.user == user)
    }

    fn status(&self, user: UserId) -> QueueStatus {
        match (self.position(user), self.matched.get(&user)) {
            (Some(index), _) => QueueStatus::Queued {
                position: index + 1,
            },
            (None, Some(&game_id)) => QueueStatus::Matched { game_id },
            (None, None) => QueueStatus::Idle,
        }
    }

    /// Adds an entry for `user` or, if there is one, lets `socket` hold it. Returns whether a
    /// new entry was appended.
    fn join(&mut self, user: UserId, socket: Option<SocketHolder>) -> bool {
        self.matched.remove(&user);
        match self.position(user) {
            Some(index) => {
                if let Some(socket) = socket {
                    let entry = &mut self.entries[index];
                    if let Some(previous) = entry.socket.replace(socket) {
                        previous.tell(QueueEvent::Released);
                    }
                }
                false
            }
            None => {
                self.entries.push_back(Entry { user, socket });
                true
            }
        }
    }

    /// Removes `user`'s entry if `conn` holds it.
    fn leave_socket(&mut self, user: UserId, conn: ConnId) {
        if let Some(index) = self.position(user) {
            let held_by_conn = self.entries[index]
                .socket
                .as_ref()
                .is_some_and(|socket| socket.conn == conn);
            if held_by_conn {
                self.entries.remove(index);
            }
        }
    }

    /// Removes `user`'s entry whoever holds it, releasing the holding socket.
    fn leave(&mut self, user: UserId) -> bool {
        let Some(index) = self.position(user) else {
            return false;
        };
        if let Some(entry) = self.entries.remove(index) {
            if let Some(socket) = entry.socket {
                socket.tell(QueueEvent::Released);
            }
        }
        true
    }

    /// Takes the oldest entries for one game, if there are enough.
    fn take_group(&mut self) -> Option<Vec<Entry>> {
        if self.entries.len() < self.players_per_game {
            return None;
        }
        Some(self.entries.drain(..self.players_per_game).collect())
    }

    /// Puts a group whose game could not be created back at the front, in its order.
    fn restore_group(&mut self, group: Vec<Entry>) {
        for entry in group.into_iter().rev() {
            self.entries.push_front(entry);
        }
    }

    /// Cluster mode: `user`'s entry (held by `conn`, or by REST) was matched into `game_id` by
    /// another node, or by this node's shared-queue match.
    fn matched_elsewhere(&mut self, user: UserId, conn: Option<ConnId>, game_id: GameId) {
        let Some(index) = self.position(user) else {
            self.matched.insert(user, game_id);
            return;
        };
        let holder = self.entries[index]
            .socket
            .as_ref()
            .map(|socket| socket.conn);
        if conn.is_none() || holder == conn {
            if let Some(entry) = self.entries.remove(index) {
                self.record_match(std::slice::from_ref(&entry), game_id);
            }
        }
    }

    fn record_match(&mut self, group: &[Entry], game_id: GameId) {
        for entry in group {
            self.matched.insert(entry.user, game_id);
            if let Some(socket) = &entry.socket {
                socket.tell(QueueEvent::MatchFound(game_id));
            }
        }
    }
}

/// The matchmaker task: one command at a time until every handle is dropped.
async fn run<C: GameCreator>(mut inbox: mpsc::Receiver<Command>, mut queue: Queue, creator: C) {
    while let Some(command) = inbox.recv().await {
        match command {
            Command::JoinSocket { user, socket, done } => {
                match seated(&creator, user).await {
                    // Straight to the game the user still plays in.
                    Some(game_id) => socket.tell(QueueEvent::MatchFound(game_id)),
                    None => {
                        let conn = socket.conn;
                        queue.join(user, Some(socket));
                        if let Some(shared) = creator.shared_queue() {
                            shared.joined(user, Some(conn)).await;
                        }
                        match_players(&mut queue, &creator).await;
                        // Still waiting: say where.
                        if let Some(index) = queue.position(user) {
                            if let Some(socket) = &queue.entries[index].socket {
                                socket.tell(QueueEvent::Queued(index + 1));
                            }
                        }
                    }
                }
                let _ = done.send(());
            }
            Command::LeaveSocket { user, conn, done } => {
                queue.leave_socket(user, conn);
                if let Some(shared) = creator.shared_queue() {
                    shared.left(user, Some(conn)).await;
                }
                let _ = done.send(());
            }
            Command::Join { user, reply } => {
                if let Some(game_id) = seated(&creator, user).await {
                    let _ = reply.send(JoinOutcome {
                        created: false,
                        status: QueueStatus::Playing { game_id },
                    });
                    continue;
                }
                let created = queue.join(user, None);
                if let Some(shared) = creator.shared_queue() {
                    shared.joined(user, None).await;
                }
                match_players(&mut queue, &creator).await;
                let _ = reply.send(JoinOutcome {
                    created,
                    status: queue.status(user),
                });
            }
            Command::Leave { user, reply } => {
                if let Some(shared) = creator.shared_queue() {
                    shared.left(user, None).await;
                }
                let _ = reply.send(queue.leave(user));
            }
            Command::Matched {
                user,
                conn,
                game_id,
                done,
            } => {
                queue.matched_elsewhere(user, conn, game_id);
                let _ = done.send(());
            }
            Command::Status { user, reply } => {
                let _ = reply.send(queue.status(user));
            }
        }
        metrics::gauge!("magnate_queue_length").set(queue.entries.len() as f64);
    }
}

/// The unfinished game `user` is seated in; a failed lookup is logged and counts as none.
async fn seated<C: GameCreator>(creator: &C, user: UserId) -> Option<GameId> {
    creator.seated_game(user).await.unwrap_or_else(|error| {
        tracing::error!(user, %error, "cannot look up a user's unfinished game");
        None
    })
}

/// Creates games while enough players wait, oldest first (docs/protocol.md). In cluster mode
/// the oldest entries of the shared queue, queued on any node.
async fn match_players<C: GameCreator>(queue: &mut Queue, creator: &C) {
    if let Some(shared) = creator.shared_queue() {
        shared.match_players(queue).await;
        return;
    }
    while let Some(mut group) = queue.take_group() {
        // Users who got a seat elsewhere while they waited leave the queue for that game.
        let mut free = Vec::with_capacity(group.len());
        for entry in group.drain(..) {
            match seated(creator, entry.user).await {
                Some(game_id) => queue.record_match(std::slice::from_ref(&entry), game_id),
                None => free.push(entry),
            }
        }
        if free.len() < queue.players_per_game {
            queue.restore_group(free);
            continue;
        }
        let group = free;
        let request = GameRequest {
            seats: group
                .iter()
                .map(|entry| Seat {
                    user_id: entry.user,
                    bot_level: None,
                })
                .collect(),
            public: true,
            max_turns: None,
        };
        match creator.create_game(request).await {
            Ok(game_id) => {
                tracing::info!(game_id, players = group.len(), "public match found");
                queue.record_match(&group, game_id);
            }
            Err(error) => {
                // Nobody is lost: the group keeps its place and the next join tries again.
                tracing::error!(%error, "cannot create a public game; the players stay queued");
                queue.restore_group(group);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicI64, Ordering},
        Arc, Mutex,
    };

    use super::*;

    /// Every game the fake made: its id and its players in seat order.
    type GameLog = Vec<(GameId, Vec<UserId>)>;

    /// Returns incrementing ids and remembers every request.
    #[derive(Clone, Default)]
    struct FakeCreator {
        next_id: Arc<AtomicI64>,
        games: Arc<Mutex<GameLog>>,
        fail: Arc<std::sync::atomic::AtomicBool>,
    }

    impl GameCreator for FakeCreator {
        fn create_game(
            &self,
            request: GameRequest,
        ) -> impl Future<Output = Result<GameId, ApiError>> + Send {
            let outcome = if self.fail.load(Ordering::SeqCst) {
                Err(ApiError::Internal("fake failure".into()))
            } else {
                let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
                let users = request.seats.iter().map(|seat| seat.user_id).collect();
                self.games.lock().unwrap().push((id, users));
                Ok(id)
            };
            async move {
                tokio::task::yield_now().await;
                outcome
            }
        }
    }

    fn start(players_per_game: usize) -> (Matchmaker, FakeCreator) {
        let creator = FakeCreator::default();
        let (matchmaker, pending) = Matchmaker::new(players_per_game);
        pending.start(creator.clone());
        (matchmaker, creator)
    }

    #[tokio::test]
    async fn rest_join_reports_position_then_match() {
        let (matchmaker, creator) = start(3);
        let first = matchmaker.join(1).await.unwrap();
        assert_eq!(
            first,
            JoinOutcome {
                created: true,
                status: QueueStatus::Queued { position: 1 }
            }
        );
        let again = matchmaker.join(1).await.unwrap();
        assert!(!again.created);
        assert_eq!(
            matchmaker.join(2).await.unwrap().status,
            QueueStatus::Queued { position: 2 }
        );
        let last = matchmaker.join(3).await.unwrap();
        assert_eq!(last.status, QueueStatus::Matched { game_id: 1 });
        assert_eq!(
            matchmaker.status(1).await.unwrap(),
            QueueStatus::Matched { game_id: 1 }
        );
        assert_eq!(
            creator.games.lock().unwrap().clone(),
            vec![(1, vec![1, 2, 3])]
        );
        assert_eq!(matchmaker.status(4).await.unwrap(), QueueStatus::Idle);
    }

    #[tokio::test]
    async fn a_newer_socket_replaces_the_older_and_keeps_the_place() {
        let (matchmaker, _creator) = start(2);
        let (old_events, mut old_inbox) = mpsc::channel(4);
        let (new_events, mut new_inbox) = mpsc::channel(4);
        let old_conn = ConnId::next();
        let new_conn = ConnId::next();
        matchmaker
            .join_socket(7, old_conn, old_events)
            .await
            .unwrap();
        assert_eq!(old_inbox.recv().await, Some(QueueEvent::Queued(1)));
        matchmaker
            .join_socket(7, new_conn, new_events)
            .await
            .unwrap();
        assert_eq!(old_inbox.recv().await, Some(QueueEvent::Released));
        // The newer socket is told the place it keeps.
        assert_eq!(new_inbox.recv().await, Some(QueueEvent::Queued(1)));
        // The old socket closing does not remove the entry the new one holds.
        matchmaker.leave_socket(7, old_conn).await.unwrap();
        assert_eq!(
            matchmaker.status(7).await.unwrap(),
            QueueStatus::Queued { position: 1 }
        );
        matchmaker.join(8).await.unwrap();
        assert_eq!(new_inbox.recv().await, Some(QueueEvent::MatchFound(1)));
        assert!(old_inbox.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_failed_creation_keeps_the_players_queued_in_order() {
        let (matchmaker, creator) = start(2);
        creator.fail.store(true, Ordering::SeqCst);
        matchmaker.join(1).await.unwrap();
        let second = matchmaker.join(2).await.unwrap();
        assert_eq!(second.status, QueueStatus::Queued { position: 2 });
        creator.fail.store(false, Ordering::SeqCst);
        let third = matchmaker.join(3).await.unwrap();
        assert_eq!(third.status, QueueStatus::Queued { position: 1 });
        assert_eq!(creator.games.lock().unwrap().clone(), vec![(1, vec![1, 2])]);
    }

    #[tokio::test]
    async fn rest_leave_releases_the_holding_socket() {
        let (matchmaker, _creator) = start(2);
        let (events, mut inbox) = mpsc::channel(4);
        matchmaker
            .join_socket(5, ConnId::next(), events)
            .await
            .unwrap();
        assert_eq!(inbox.recv().await, Some(QueueEvent::Queued(1)));
        assert!(matchmaker.leave(5).await.unwrap());
        assert_eq!(inbox.recv().await, Some(QueueEvent::Released));
        assert!(!matchmaker.leave(5).await.unwrap());
        assert_eq!(matchmaker.status(5).await.unwrap(), QueueStatus::Idle);
    }
}
