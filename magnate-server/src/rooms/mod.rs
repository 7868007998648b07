//! Private rooms (docs/protocol.md): one task per room owns its members, host, ready flags and
//! settings, and processes joins, commands and leaves one at a time.
//!
//! [`Lobbies`] is the index of live rooms (code → room task) and of memberships (user → the one
//! socket that is in a room). A lobby socket reaches its room only through it: [`Lobbies::enter`]
//! finds or creates the room and queues the join while holding the index lock, and a room deletes
//! itself under the same lock only when its inbox is empty, so a join never lands in a room that
//! is being deleted. The index also keeps [`crate::state::RoomRegistry`] (read by R12/R13) in step.

pub mod socket;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, MutexGuard, PoisonError,
    },
};

use magnate_core::BotLevel;
use magnate_protocol::lobby::{rejection_frame, LobbyFrame, RoomPlayer};
use tokio::sync::{mpsc, oneshot};

use crate::{
    config::GameSizes,
    error::ApiError,
    games::create_bot_user,
    queue::{GameCreator, GameRequest, Seat},
    state::AppState,
    store::{GameId, User, UserId},
    ws::ConnId,
};

/// Fewest seats of a game (the core's `PLAYER_COUNT`); bots make up the difference at start.
const MIN_GAME_SEATS: u32 = *magnate_core::PLAYER_COUNT.start() as u32;
/// Rejection: the room is gone (also for a malformed code).
pub const ROOM_NOT_FOUND: &str = "Sala no encontrada.";
/// Rejection: the room has `MAX_PRIVATE_GAME_PLAYERS` members.
pub const ROOM_FULL: &str = "Sala llena.";
/// Rejection: the user already has a socket in this room.
pub const ALREADY_IN_ROOM: &str = "Ya estás en esta sala.";
/// `start_game` from a member who is not the host.
pub const ONLY_HOST_STARTS: &str = "Solo el host puede iniciar una partida.";
/// `start_game` while a member is not ready.
pub const NOT_ALL_READY: &str = "Todos los jugadores deben estar listos para iniciar la partida.";
/// `update_settings` from a member who is not the host.
pub const ONLY_HOST_CONFIGURES: &str = "Solo el host puede cambiar la configuración.";
/// `update_settings` with a value out of range.
pub const INVALID_SETTINGS: &str = "Configuración inválida.";
/// Sent to the host when the game could not be created (not in the reference's catalogue).
pub const GAME_NOT_CREATED: &str = "No se pudo crear la partida.";
/// `kick_player` from a member who is not the host.
pub const ONLY_HOST_KICKS: &str = "Solo el host puede expulsar jugadores.";
/// `kick_player` naming nobody in the room.
pub const PLAYER_NOT_IN_ROOM: &str = "Ese jugador no está en la sala.";
/// `kick_player` naming the host.
pub const CANNOT_KICK_YOURSELF: &str = "No puedes expulsarte a ti mismo.";
/// Sent to a removed member (as a rejection, `{"error": ...}`), and to them again if they try
/// to come back to the same room.
pub const KICKED: &str = "Has sido expulsado de esta sala.";
/// Users a room remembers as removed; the oldest is forgotten first.
const MAX_BANNED: usize = 32;

/// `start_game` while a member is still seated in an unfinished game.
pub fn still_playing(username: &str, game_id: GameId) -> String {
    format!("{username} todavía está jugando la partida {game_id}.")
}

/// `start_game` with fewer than `min` members.
pub fn not_enough_players(min: u32) -> String {
    format!("Se necesitan {min} jugadores para iniciar la partida.")
}

/// What a room sends to one member's socket.
#[derive(Debug, Clone, PartialEq)]
pub enum LobbyEvent {
    /// A frame's text, to write as is.
    Frame(String),
    /// The user moved to another room: this socket has left and should close.
    Moved,
}

pub use magnate_protocol::lobby::{InvalidSettings, LobbyCommand, SettingsUpdate};

/// The live rooms and memberships; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Lobbies {
    index: Arc<Mutex<Index>>,
}

#[derive(Debug, Default)]
struct Index {
    rooms: HashMap<String, mpsc::UnboundedSender<RoomCommand>>,
    /// For each user in a room, the room and the socket that is in it.
    members: HashMap<UserId, (String, ConnId)>,
}

/// A socket's way into its room, returned by [`Lobbies::enter`].
#[derive(Debug)]
pub struct Entry {
    /// The room's inbox.
    pub room: RoomLink,
    /// The admission result; a dropped sender means the room was deleted first.
    pub admission: oneshot::Receiver<Result<(), &'static str>>,
}

/// Sends a member's commands to its room.
#[derive(Debug, Clone)]
pub struct RoomLink {
    sender: mpsc::UnboundedSender<RoomCommand>,
    conn: ConnId,
}

impl RoomLink {
    /// Hands `command` to the room and waits until it has been handled. Returns `false` if the
    /// room no longer exists (the game started, or it was deleted).
    pub async fn act(&self, command: LobbyCommand) -> bool {
        let (done, handled) = oneshot::channel();
        let sent = self.sender.send(RoomCommand::Act {
            conn: self.conn,
            command,
            done,
        });
        sent.is_ok() && handled.await.is_ok()
    }

    /// Tells the room that this socket closed.
    pub fn leave(&self) {
        let _ = self.sender.send(RoomCommand::Leave {
            conn: self.conn,
            moved: false,
        });
    }
}

impl Lobbies {
    /// Finds the room `code` or creates it (spawning its task), and queues `user`'s join for the
    /// socket `conn`, whose events go to `outbound`. `code` must already be valid.
    ///
    /// `outbound` bounds the frames waiting for the socket: a member whose queue is full when
    /// the room has something to tell them is too slow and is removed from the room, as if they
    /// had left (the others get `player_left`); their socket sees its full queue and closes.
    pub fn enter(
        &self,
        state: &AppState,
        code: &str,
        user: &User,
        conn: ConnId,
        outbound: mpsc::Sender<LobbyEvent>,
    ) -> Entry {
        let (reply, admission) = oneshot::channel();
        // Joining tells whether a code is in use, like R12, so it shares R12's throttle.
        let now = tokio::time::Instant::now();
        if state
            .throttles
            .room_code_per_user
            .take(user.id, now)
            .is_err()
        {
            let _ = reply.send(Err(crate::auth::TOO_MANY_ROOM_TRIES));
            let (sender, _) = mpsc::unbounded_channel();
            return Entry {
                room: RoomLink { sender, conn },
                admission,
            };
        }
        let join = RoomCommand::Join {
            user: user.id,
            username: user.username.clone(),
            piece: user.user_piece,
            conn,
            outbound,
            reply,
        };
        let mut index = self.lock();
        let sender = match index.rooms.get(code) {
            Some(sender) => sender.clone(),
            None => {
                let (sender, inbox) = mpsc::unbounded_channel();
                index.rooms.insert(code.to_owned(), sender.clone());
                state.rooms.insert(code);
                let room = Room::new(code.to_owned(), state.config.sizes);
                tokio::spawn(run_room(state.clone(), room, inbox));
                sender
            }
        };
        // The room task cannot have ended: it removes itself from the index (under this lock)
        // before it stops, so a send can only fail if the task panicked, and then the dropped
        // reply reads as "room not found".
        let _ = sender.send(join);
        Entry {
            room: RoomLink { sender, conn },
            admission,
        }
    }

    /// Number of live rooms.
    pub fn len(&self) -> usize {
        self.lock().rooms.len()
    }

    /// Whether no room is live.
    pub fn is_empty(&self) -> bool {
        self.lock().rooms.is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, Index> {
        // Every critical section leaves the index consistent, so a poisoned lock is still usable.
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that `conn` now holds `user`'s membership in `code`, and makes the socket that
    /// held it before (in another room) leave that room.
    fn claim(&self, user: UserId, code: &str, conn: ConnId) {
        let mut index = self.lock();
        let previous = index.members.insert(user, (code.to_owned(), conn));
        if let Some((previous_code, previous_conn)) = previous {
            if previous_conn != conn {
                if let Some(room) = index.rooms.get(&previous_code) {
                    let _ = room.send(RoomCommand::Leave {
                        conn: previous_conn,
                        moved: true,
                    });
                }
            }
        }
    }

    /// Forgets `user`'s membership if `conn` holds it.
    fn release(&self, user: UserId, conn: ConnId) {
        let mut index = self.lock();
        if index
            .members
            .get(&user)
            .is_some_and(|(_, holder)| *holder == conn)
        {
            index.members.remove(&user);
        }
    }

    /// Deletes the room `code` if its inbox is empty; returns whether it did.
    fn remove_if_idle(
        &self,
        state: &AppState,
        code: &str,
        inbox: &mpsc::UnboundedReceiver<RoomCommand>,
    ) -> bool {
        let mut index = self.lock();
        if !inbox.is_empty() {
            return false;
        }
        index.rooms.remove(code);
        state.rooms.remove(code);
        true
    }

    /// Deletes the room `code` after its game started, with its members' memberships.
    fn remove_started(&self, state: &AppState, code: &str, members: &[Member]) {
        let mut index = self.lock();
        index.rooms.remove(code);
        state.rooms.remove(code);
        for member in members {
            if index
                .members
                .get(&member.user)
                .is_some_and(|(_, holder)| *holder == member.conn)
            {
                index.members.remove(&member.user);
            }
        }
    }
}

/// A message to a room task.
#[derive(Debug)]
enum RoomCommand {
    Join {
        user: UserId,
        username: String,
        piece: i64,
        conn: ConnId,
        outbound: mpsc::Sender<LobbyEvent>,
        reply: oneshot::Sender<Result<(), &'static str>>,
    },
    Act {
        conn: ConnId,
        command: LobbyCommand,
        done: oneshot::Sender<()>,
    },
    Leave {
        conn: ConnId,
        /// The user joined another room with another socket.
        moved: bool,
    },
}

#[derive(Debug)]
struct Member {
    user: UserId,
    username: String,
    /// The user's piece when they joined (the desktop client draws it: `user_piece`).
    piece: i64,
    conn: ConnId,
    ready: bool,
    outbound: mpsc::Sender<LobbyEvent>,
    /// A frame did not fit in `outbound`: the member is removed after the current command.
    too_slow: AtomicBool,
}

impl Member {
    fn send(&self, frame: &LobbyFrame<'_>) {
        let frame = frame.to_text();
        // A closed outbound means the socket is closing; its leave is on the way. A full one
        // means the socket's peer does not keep up.
        if let Err(mpsc::error::TrySendError::Full(_)) =
            self.outbound.try_send(LobbyEvent::Frame(frame))
        {
            self.too_slow.store(true, Ordering::Relaxed);
        }
    }
}

/// One room's state; only its task touches it.
#[derive(Debug)]
struct Room {
    code: String,
    sizes: GameSizes,
    /// `None` until the first member joins: the room is fresh.
    owner: Option<UserId>,
    /// Human members in join order.
    members: Vec<Member>,
    target_players: u32,
    bot_level: BotLevel,
    /// The room's turn limit; `None` leaves the server's `MAX_TURNS`.
    max_turns: Option<u32>,
    /// Users the host removed, who may not come back while the room lives.
    banned: std::collections::VecDeque<UserId>,
}

async fn run_room(
    state: AppState,
    mut room: Room,
    mut inbox: mpsc::UnboundedReceiver<RoomCommand>,
) {
    while let Some(command) = inbox.recv().await {
        match command {
            RoomCommand::Join {
                user,
                username,
                piece,
                conn,
                outbound,
                reply,
            } => {
                let admitted = room.admit(user, (username, piece), conn, outbound);
                if admitted.is_ok() {
                    state.lobbies.claim(user, &room.code, conn);
                }
                let _ = reply.send(admitted);
            }
            RoomCommand::Act {
                conn,
                command,
                done,
            } => {
                if let Some(game_id) = room.act(&state, conn, command).await {
                    // Deleted before anyone hears of the game, so R12 already says so.
                    state
                        .lobbies
                        .remove_started(&state, &room.code, &room.members);
                    for member in &room.members {
                        member.send(&LobbyFrame::GameStart { game_id });
                    }
                    let _ = done.send(());
                    tracing::info!(code = %room.code, game_id, "private game started");
                    // Dropping the inbox and the members' outbounds tells every socket that
                    // the room is gone; queued commands are answered "Sala no encontrada.".
                    return;
                }
                let _ = done.send(());
            }
            RoomCommand::Leave { conn, moved } => {
                if let Some(user) = room.leave(conn, moved) {
                    state.lobbies.release(user, conn);
                }
            }
        }
        for (user, conn) in room.remove_too_slow() {
            tracing::debug!(code = %room.code, user, "room member too slow; removed");
            state.lobbies.release(user, conn);
        }
        if room.members.is_empty() {
            if state.lobbies.remove_if_idle(&state, &room.code, &inbox) {
                return;
            }
            // A join is already queued: carry on as a fresh room, as if it had been deleted and
            // created again by that join.
            room = Room::new(room.code, room.sizes);
        }
    }
}

impl Room {
    fn new(code: String, sizes: GameSizes) -> Self {
        Self {
            code,
            sizes,
            owner: None,
            members: Vec::new(),
            target_players: 0,
            bot_level: BotLevel::Medium,
            max_turns: None,
            banned: std::collections::VecDeque::new(),
        }
    }

    fn owner_name(&self) -> &str {
        self.members
            .iter()
            .find(|member| Some(member.user) == self.owner)
            .map_or("", |member| member.username.as_str())
    }

    fn players(&self) -> Vec<RoomPlayer<'_>> {
        self.members
            .iter()
            .map(|member| RoomPlayer {
                ready_to_play: member.ready,
                user_piece: member.piece,
                username: &member.username,
            })
            .collect()
    }

    fn member(&self, conn: ConnId) -> Option<&Member> {
        self.members.iter().find(|member| member.conn == conn)
    }

    /// Admission checks and join (docs/protocol.md steps 3–6).
    fn admit(
        &mut self,
        user: UserId,
        (username, piece): (String, i64),
        conn: ConnId,
        outbound: mpsc::Sender<LobbyEvent>,
    ) -> Result<(), &'static str> {
        if self.members.len() >= self.sizes.max_private_game_players as usize {
            return Err(ROOM_FULL);
        }
        if self.members.iter().any(|member| member.user == user) {
            return Err(ALREADY_IN_ROOM);
        }
        if self.banned.contains(&user) {
            return Err(KICKED);
        }
        if self.owner.is_none() {
            self.owner = Some(user);
            // The socket's queue is empty: this always fits.
            let _ = outbound.try_send(LobbyEvent::Frame(
                LobbyFrame::RoomCreated {
                    room_code: &self.code,
                }
                .to_text(),
            ));
        }
        self.members.push(Member {
            user,
            username: username.clone(),
            piece,
            conn,
            ready: false,
            outbound,
            too_slow: AtomicBool::new(false),
        });
        if self.target_players < self.sizes.max_private_game_players {
            self.target_players += 1;
        }
        let owner = self.owner_name().to_owned();
        let players = self.players();
        for member in &self.members {
            member.send(&LobbyFrame::Joined {
                bot_level: self.bot_level.as_str(),
                is_owner: Some(member.user) == self.owner,
                max_turns: self.max_turns,
                owner: &owner,
                players: &players,
                target_players: self.target_players,
                user: &username,
            });
        }
        Ok(())
    }

    /// Removes the member on `conn` (docs/protocol.md); returns their user id if they were a
    /// member.
    fn leave(&mut self, conn: ConnId, moved: bool) -> Option<UserId> {
        let position = self.members.iter().position(|member| member.conn == conn)?;
        let left = self.members.remove(position);
        if moved {
            // If it does not fit, the socket finds its queue full and closes anyway.
            let _ = left.outbound.try_send(LobbyEvent::Moved);
        }
        if self.members.is_empty() {
            return Some(left.user);
        }
        if self.owner == Some(left.user) {
            self.owner = Some(self.members[0].user);
        }
        if self.target_players > self.sizes.min_private_game_players {
            self.target_players -= 1;
        }
        let owner = self.owner_name().to_owned();
        let players = self.players();
        for member in &self.members {
            member.send(&LobbyFrame::PlayerLeft {
                is_owner: Some(member.user) == self.owner,
                owner: &owner,
                players: &players,
                user_left: &left.username,
            });
        }
        Some(left.user)
    }

    /// Removes every member whose queue overflowed, as if they had left (the others are told,
    /// which may overflow another queue); returns who was removed, to release their membership.
    fn remove_too_slow(&mut self) -> Vec<(UserId, ConnId)> {
        let mut removed = Vec::new();
        while let Some(conn) = self
            .members
            .iter()
            .find(|member| member.too_slow.load(Ordering::Relaxed))
            .map(|member| member.conn)
        {
            if let Some(user) = self.leave(conn, false) {
                removed.push((user, conn));
            }
        }
        removed
    }

    /// Handles one command from `conn`; returns the game id once the game has been created
    /// (`game_start` is then still to be sent).
    async fn act(
        &mut self,
        state: &AppState,
        conn: ConnId,
        command: LobbyCommand,
    ) -> Option<GameId> {
        let Some(sender) = self.member(conn) else {
            // A command that raced with this socket's own leave.
            return None;
        };
        let (user, username) = (sender.user, sender.username.clone());
        let is_host = self.owner == Some(user);
        match command {
            LobbyCommand::SetReady(is_ready) => {
                if let Some(member) = self.members.iter_mut().find(|member| member.conn == conn) {
                    member.ready = is_ready;
                }
                let owner = self.owner_name().to_owned();
                for member in &self.members {
                    member.send(&LobbyFrame::ReadyStatus {
                        is_owner: Some(member.user) == self.owner,
                        is_ready,
                        owner: &owner,
                        user: &username,
                    });
                }
            }
            LobbyCommand::Chat(message) => {
                for member in &self.members {
                    member.send(&LobbyFrame::ChatMessage {
                        message: &message,
                        user: &username,
                    });
                }
            }
            LobbyCommand::UpdateSettings(update) => {
                if !is_host {
                    self.send_error(conn, ONLY_HOST_CONFIGURES);
                    return None;
                }
                let Ok(update) = update else {
                    self.send_error(conn, INVALID_SETTINGS);
                    return None;
                };
                if let Some(bot_level) = update.bot_level {
                    self.bot_level = bot_level;
                }
                if let Some(target_players) = update.target_players {
                    // Clients send what they show (the web: visible slots, 1 for a lone host;
                    // both GUIs: 1 after removing the last bot): store the nearest playable
                    // size and say what was stored.
                    let smallest = MIN_GAME_SEATS.max(self.members.len() as u32);
                    let largest = self.sizes.max_private_game_players.max(smallest);
                    self.target_players = target_players.clamp(smallest, largest);
                }
                if let Some(max_turns) = update.max_turns {
                    self.max_turns = (max_turns > 0).then_some(max_turns);
                }
                for member in &self.members {
                    member.send(&LobbyFrame::SettingsChanged {
                        bot_level: self.bot_level.as_str(),
                        max_turns: self.max_turns,
                        target_players: self.target_players,
                    });
                }
            }
            LobbyCommand::StartGame => return self.start(state, conn, is_host).await,
            LobbyCommand::Kick(target) => self.kick(state, conn, is_host, &target),
        }
        None
    }

    /// `kick_player`: the host removes a member, who is told with a rejection frame, has their
    /// socket closed, and may not come back to this room.
    fn kick(&mut self, state: &AppState, conn: ConnId, is_host: bool, target: &str) {
        if !is_host {
            self.send_error(conn, ONLY_HOST_KICKS);
            return;
        }
        let Some(kicked) = self.members.iter().find(|member| member.username == target) else {
            self.send_error(conn, PLAYER_NOT_IN_ROOM);
            return;
        };
        if kicked.conn == conn {
            self.send_error(conn, CANNOT_KICK_YOURSELF);
            return;
        }
        let (user, kicked_conn) = (kicked.user, kicked.conn);
        let _ = kicked
            .outbound
            .try_send(LobbyEvent::Frame(rejection_frame(KICKED)));
        // `Moved` makes the socket close without leaving again.
        let _ = kicked.outbound.try_send(LobbyEvent::Moved);
        if self.banned.len() >= MAX_BANNED {
            self.banned.pop_front();
        }
        self.banned.push_back(user);
        if self.leave(kicked_conn, false).is_some() {
            state.lobbies.release(user, kicked_conn);
        }
        tracing::info!(code = %self.code, user, "host removed a member");
    }

    fn send_error(&self, conn: ConnId, message: &str) {
        if let Some(member) = self.member(conn) {
            member.send(&LobbyFrame::Error { message });
        }
    }

    /// `start_game` (docs/protocol.md): checks, bot accounts and game creation.
    async fn start(&mut self, state: &AppState, conn: ConnId, is_host: bool) -> Option<GameId> {
        let min = self.sizes.min_private_game_players;
        if !is_host {
            self.send_error(conn, ONLY_HOST_STARTS);
            return None;
        }
        if self.members.len() < min as usize {
            self.send_error(conn, &not_enough_players(min));
            return None;
        }
        if self.members.iter().any(|member| !member.ready) {
            self.send_error(conn, NOT_ALL_READY);
            return None;
        }
        // One unfinished game per user (issue 13), as for the public queue.
        for member in &self.members {
            match crate::queue::seated_game(state, member.user).await {
                Ok(None) => {}
                Ok(Some(game_id)) => {
                    self.send_error(conn, &still_playing(&member.username, game_id));
                    return None;
                }
                Err(error) => {
                    tracing::error!(code = %self.code, %error, "cannot look up a member's unfinished game");
                }
            }
        }
        match self.create_game(state).await {
            Ok(game_id) => Some(game_id),
            Err(error) => {
                tracing::error!(code = %self.code, %error, "cannot create a private game");
                self.send_error(conn, GAME_NOT_CREATED);
                None
            }
        }
    }

    async fn create_game(&self, state: &AppState) -> Result<GameId, ApiError> {
        let humans = self.members.len() as u32;
        // A game needs two players: with MIN_PRIVATE_GAME_PLAYERS = 1, a host alone in a room
        // whose target is 1 plays against one bot rather than getting "game not created".
        let bot_count = self
            .target_players
            .max(MIN_GAME_SEATS)
            .saturating_sub(humans);
        let mut seats: Vec<Seat> = self
            .members
            .iter()
            .map(|member| Seat {
                user_id: member.user,
                bot_level: None,
            })
            .collect();
        let mut bots = Vec::new();
        for number in 1..=bot_count {
            match create_bot(state, &self.code, number, self.bot_level).await {
                Ok(bot) => bots.push(bot),
                Err(error) => {
                    retire_bots(state, &bots).await;
                    return Err(error);
                }
            }
        }
        seats.extend(bots.iter().map(|&user_id| Seat {
            user_id,
            bot_level: Some(self.bot_level),
        }));
        let created = state
            .create_game(GameRequest {
                seats,
                public: false,
                max_turns: self.max_turns,
            })
            .await;
        if created.is_err() {
            retire_bots(state, &bots).await;
        }
        created
    }
}

/// Creates a fresh bot account `Bot_<code>_<number>`, adding `_<n>` when the name is taken
/// (docs/protocol.md). Bot accounts have no password, so they can never log in.
async fn create_bot(
    state: &AppState,
    code: &str,
    number: u32,
    level: BotLevel,
) -> Result<UserId, ApiError> {
    const ATTEMPTS: u32 = 1000;
    for attempt in 1..=ATTEMPTS {
        let username = if attempt == 1 {
            format!("Bot_{code}_{number}")
        } else {
            format!("Bot_{code}_{number}_{attempt}")
        };
        let created = create_bot_user(&state.store, &username, level, state.clock.now()).await?;
        if let Some(bot) = created {
            return Ok(bot);
        }
    }
    Err(ApiError::Internal(format!(
        "no free bot name for room {code} after {ATTEMPTS} attempts"
    )))
}

/// Deactivates bot accounts made for a game that could not be created.
async fn retire_bots(state: &AppState, bots: &[UserId]) {
    for &bot in bots {
        if let Err(error) = state.store.set_active(bot, false).await {
            tracing::warn!(bot, %error, "cannot deactivate an unused bot account");
        }
    }
}
