//! The game actor: one task per live game that owns its `Game` and serializes every input.
//!
//! A thin driver: the core's [`Driver`] applies inputs, plays the bots it wakes (with their
//! fallback) and makes the record entries; the actor waits for a command or the game's next
//! deadline, commits the step's entries through the journal, and only then sends the resulting
//! frames to every connection, in the same order to all. Bots' moves are committed in the same
//! step as the input that woke them, so a crash cannot lose a wake-up.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

mod first_connection;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use magnate_core::{
    Action, Applied, BotLevel, Driver, Event, Game, Input, PlayerId, Timer, Timestamp,
};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, oneshot};

use super::journal::{encode_entry, Commit, Journal};
use super::GameRegistry;
use crate::clock::Clock;
use crate::config::Rewards;
use crate::store::{Fence, GameId, GameResult, Store, StoreError, UserId};
use magnate_protocol::game::{self as wire, SnapshotContext, WireAction};

/// A connection's id within the registry.
pub(crate) type ConnId = u64;

/// Why a socket may not attach to a game (the handshake answers 403, or 503 when unavailable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinRefused {
    /// No such game.
    NotFound,
    /// The caller never took part in the game.
    NotParticipant,
    /// The game is quarantined: its record does not replay.
    Unavailable,
}

/// An input to the actor.
pub(crate) enum Command {
    /// Attach a socket: register it and queue the snapshot as its first frame, atomically.
    Join {
        conn: ConnId,
        user: UserId,
        /// The optional frames the client asked for (`?legal=1`, `?snapshots=1`).
        wants: Wants,
        outbound: mpsc::Sender<Message>,
        reply: oneshot::Sender<Result<(), JoinRefused>>,
    },
    /// A socket closed.
    Leave { conn: ConnId },
    /// A validated action from a socket.
    Action {
        conn: ConnId,
        user: UserId,
        action: WireAction,
        echo: Map<String, Value>,
    },
    /// A chat message to broadcast.
    Chat {
        username: String,
        msg: serde_json::Value,
    },
    /// Cluster mode: stop now (the lease is lost, or the node drains). Every socket is closed
    /// with 1012 so that its client reconnects, to whichever node owns the game next.
    Stop,
}

/// Everything the actor needs from the server.
#[derive(Clone)]
pub(crate) struct ActorContext {
    pub store: Store,
    pub clock: Clock,
    pub rewards: Rewards,
    pub journal: Journal,
    pub registry: GameRegistry,
    /// `FIRST_CONNECTION_TIMEOUT` (see `first_connection`).
    pub first_connection_timeout: Option<Duration>,
}

/// The restored or new game an actor starts with.
pub(crate) struct LiveGame {
    pub game_id: GameId,
    pub game: Game,
    /// Number of recorded inputs (the next entry's index).
    pub next_index: u64,
    /// `games.created_at`, as sent in `datetime`.
    pub created_at: String,
    /// Whether end-of-game bookkeeping has run.
    pub finalized: bool,
    /// Bot levels by player.
    pub bot_levels: BTreeMap<PlayerId, BotLevel>,
    /// Cluster mode: the game's lease as this node holds it; every commit is fenced by it.
    pub fence: Option<Fence>,
}

/// The optional frames a game socket asked for in its query string (docs/protocol.md).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Wants {
    /// A `legal_actions` frame after the snapshot and after every change (`legal=1`).
    pub legal_actions: bool,
    /// A fresh `game_state` snapshot after every change (`snapshots=1`).
    pub snapshots: bool,
}

struct Connection {
    user: UserId,
    /// The optional frames this socket asked for.
    wants: Wants,
    outbound: mpsc::Sender<Message>,
}

impl Connection {
    /// Queues this player's `legal_actions` frame if the client asked for them; `false` when
    /// the queue is full or closed (the connection is then dropped, like any slow reader).
    fn send_legal_actions(&self, game: &Game) -> bool {
        if !self.wants.legal_actions {
            return true;
        }
        let frame = wire::legal_actions_frame(game, PlayerId(self.user.max(0) as u64));
        self.outbound.try_send(Message::Text(frame.into())).is_ok()
    }
}

/// The result of applying inputs in one step, before it is committed and sent.
#[derive(Default)]
struct Step {
    entries: Vec<(u64, u64, String)>,
    eliminated: Vec<UserId>,
    frames: Vec<Utf8Bytes>,
    ended: bool,
    /// An entry could not be encoded: the step must not be committed or sent.
    unencodable: bool,
}

/// What the actor knows of its game besides the game itself.
struct Meta {
    game_id: GameId,
    /// `games.created_at`, as sent in `datetime`.
    created_at: String,
    /// Whether end-of-game bookkeeping has run.
    finalized: bool,
    /// The lease fencing every commit (cluster mode).
    fence: Option<Fence>,
}

struct Actor {
    live: Meta,
    driver: Driver<'static>,
    /// The game's view as its clients know it, folded from the events sent.
    tracker: wire::ViewTracker,
    context: ActorContext,
    connections: HashMap<ConnId, Connection>,
    first_connection: first_connection::FirstConnection,
}

/// Runs the actor until its game is over and no socket is attached (or the journal fails, or
/// it is stopped); then, in cluster mode, releases the game's lease.
pub(crate) async fn run(
    live: LiveGame,
    context: ActorContext,
    commands: mpsc::Receiver<Command>,
    self_handle: mpsc::Sender<Command>,
) {
    let (game_id, fence) = (live.game_id, live.fence.clone());
    let cluster = context.registry.cluster();
    run_actor(live, context, commands, self_handle).await;
    if let (Some(cluster), Some(fence)) = (cluster, fence) {
        cluster.release_game(game_id, &fence);
    }
}

async fn run_actor(
    live: LiveGame,
    context: ActorContext,
    mut commands: mpsc::Receiver<Command>,
    self_handle: mpsc::Sender<Command>,
) {
    let game_id = live.game_id;
    let first_connection = first_connection::FirstConnection::load(
        &context.store,
        &live,
        context.first_connection_timeout,
        now_ms(&context.clock),
    )
    .await;
    let LiveGame {
        game,
        next_index,
        created_at,
        finalized,
        bot_levels,
        fence,
        ..
    } = live;
    // Bots' random streams are seeded by their seat in turn order.
    let bots: Vec<(usize, PlayerId, BotLevel)> = game
        .participants()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_bot)
        .map(|(seat, p)| {
            let level = bot_levels.get(&p.id).copied().unwrap_or(BotLevel::Medium);
            (seat, p.id, level)
        })
        .collect();
    let tracker = wire::ViewTracker::new(game.view());
    let mut driver = Driver::recording(game, next_index);
    for (seat, player, level) in bots {
        driver = driver.with_bot(player, seat, super::policy(level));
    }
    let mut actor = Actor {
        live: Meta {
            game_id,
            created_at,
            finalized,
            fence,
        },
        driver,
        tracker,
        context,
        connections: HashMap::new(),
        first_connection,
    };
    if actor.recover().await.is_err() {
        actor.context.registry.forget(game_id, &self_handle);
        return;
    }
    loop {
        if actor.live.finalized && actor.connections.is_empty() {
            match commands.try_recv() {
                Ok(command) => {
                    if actor.handle(command).await.is_err() {
                        actor.context.registry.forget(game_id, &self_handle);
                        return;
                    }
                    continue;
                }
                Err(_) => {
                    // A finished game nobody watches leaves memory. Joins that raced with this
                    // are dropped unanswered; `GameRegistry::join` then loads a fresh actor.
                    actor.context.registry.forget(game_id, &self_handle);
                    commands.close();
                    while commands.recv().await.is_some() {}
                    return;
                }
            }
        }
        let deadline = actor.driver.next_deadline();
        let now = actor.now_ms();
        let absent_at = actor
            .first_connection
            .remaining(now)
            .map(|left| now.saturating_add(u64::try_from(left.as_millis()).unwrap_or(u64::MAX)));
        let clock = actor.context.clock.clone();
        let outcome = tokio::select! {
            command = commands.recv() => match command {
                Some(command) => actor.handle(command).await,
                None => return,
            },
            () = sleep_until(&clock, absent_at) => actor.first_connection_expired().await,
            () = sleep_until(&clock, deadline.map(|at| at.0)) => {
                let due = deadline.map_or(0, |at| at.0);
                actor.tick(due).await
            }
        };
        if outcome.is_err() {
            actor.context.registry.forget(game_id, &self_handle);
            actor.connections.clear();
            return;
        }
    }
}

/// Waits until the server's clock reaches `at` (milliseconds), forever for `None`.
async fn sleep_until(clock: &Clock, at: Option<u64>) {
    match at {
        Some(at) => clock.sleep_until_ms(at).await,
        None => std::future::pending().await,
    }
}

/// A failed commit: the in-memory game is ahead of the disk, so the actor stops and the game is
/// reloaded from the database on the next connect.
struct Fatal;

fn now_ms(clock: &Clock) -> u64 {
    clock.now_ms()
}

impl Actor {
    fn now_ms(&self) -> u64 {
        now_ms(&self.context.clock)
    }

    fn game(&self) -> &Game {
        self.driver.game()
    }

    /// Brings a restored game up to date: end-of-game bookkeeping that did not run before a
    /// crash, and bots that were woken but had not acted yet.
    async fn recover(&mut self) -> Result<(), Fatal> {
        if self.game().is_finished() && !self.live.finalized {
            self.finalize().await;
        }
        let now = self.now_ms().max(self.game().now().0);
        let applied = self.driver.wake_waiting_bots(Timestamp(now));
        if applied.is_empty() {
            return Ok(());
        }
        let mut step = Step::default();
        self.absorb(applied, None, &mut step);
        self.finish_step(step).await
    }

    async fn handle(&mut self, command: Command) -> Result<(), Fatal> {
        match command {
            Command::Join {
                conn,
                user,
                wants,
                outbound,
                reply,
            } => {
                if self.game().player(PlayerId(user.max(0) as u64)).is_none() {
                    let _ = reply.send(Err(JoinRefused::NotParticipant));
                    return Ok(());
                }
                self.first_connection
                    .connected(PlayerId(user.max(0) as u64));
                let snapshot = self.snapshot();
                if outbound.try_send(Message::Text(snapshot.into())).is_ok() {
                    let connection = Connection {
                        user,
                        wants,
                        outbound,
                    };
                    let deadlines = Message::Text(self.deadlines_frame().into());
                    let sent = !wants.snapshots || connection.outbound.try_send(deadlines).is_ok();
                    if sent && connection.send_legal_actions(self.driver.game()) {
                        self.connections.insert(conn, connection);
                    }
                }
                let _ = reply.send(Ok(()));
                Ok(())
            }
            Command::Leave { conn } => {
                self.connections.remove(&conn);
                Ok(())
            }
            Command::Stop => {
                let frame = CloseFrame {
                    code: crate::ws::CLOSE_SERVICE_RESTART,
                    reason: "".into(),
                };
                for connection in self.connections.values() {
                    let _ = connection
                        .outbound
                        .try_send(Message::Close(Some(frame.clone())));
                }
                self.connections.clear();
                Err(Fatal)
            }
            Command::Chat { username, msg } => {
                let frame = wire::chat_frame(self.live.game_id, &username, &msg);
                self.broadcast(&[frame.into()], false);
                Ok(())
            }
            Command::Action {
                conn,
                user,
                action,
                echo,
            } => self.player_action(conn, user, action, echo).await,
        }
    }

    async fn player_action(
        &mut self,
        conn: ConnId,
        user: UserId,
        action: WireAction,
        echo: Map<String, Value>,
    ) -> Result<(), Fatal> {
        let _timer = crate::metrics::ActionTimer::start();
        let player = PlayerId(user.max(0) as u64);
        let action = match action.resolve(self.live.game_id, self.game()) {
            Ok(action) => action,
            Err(error) => {
                crate::metrics::action("unresolved", false);
                self.send_to(conn, &error);
                return Ok(());
            }
        };
        let kind = crate::metrics::action_kind(&action);
        let now = Timestamp(self.now_ms());
        match self.driver.act(player, action, now) {
            Ok(applied) => {
                crate::metrics::action(kind, true);
                let mut step = Step::default();
                self.absorb(applied, Some(echo), &mut step);
                self.finish_step(step).await
            }
            Err(error) => {
                crate::metrics::action(kind, false);
                self.send_to(conn, &wire::rule_error(&error));
                Ok(())
            }
        }
    }

    async fn tick(&mut self, due: u64) -> Result<(), Fatal> {
        // The timer fired, so the deadline is due even if the wall clock reads a little earlier.
        let now = self.now_ms().max(due);
        metrics::counter!("magnate_timer_ticks_total").increment(1);
        let applied = self.driver.tick(Timestamp(now));
        let mut step = Step::default();
        self.absorb(applied, None, &mut step);
        self.finish_step(step).await
    }

    /// Turns what the driver applied into record entries, frames and side effects. The first
    /// input's echo is `echo` when a client sent it (its own object, extra keys kept); every bot
    /// move is echoed as the server writes it. Bids are never echoed.
    fn absorb(
        &mut self,
        applied: Vec<Applied>,
        mut echo: Option<Map<String, Value>>,
        step: &mut Step,
    ) {
        let game_id = self.live.game_id;
        for input in applied {
            if let Some(entry) = &input.entry {
                match encode_entry(entry) {
                    Ok(text) => step.entries.push((entry.index, entry.now.0, text)),
                    Err(error) => {
                        tracing::error!(game = game_id, %error, "cannot encode a record entry");
                        step.unencodable = true;
                    }
                }
            }
            if let Input::Action { player, action } = &input.input {
                if input.by_bot {
                    metrics::counter!("magnate_bot_moves_total").increment(1);
                }
                if let Some((refused, error)) = &input.refused {
                    tracing::warn!(game = game_id, bot = player.0, ?refused, %error, "a bot action was refused; played the safe default");
                }
                let object = match echo.take() {
                    Some(object) if !input.by_bot => Some(object),
                    _ => Some(wire::bot_action_object(action, game_id)),
                };
                if let (Some(object), false) = (object, matches!(action, Action::Bid { .. })) {
                    let frame = wire::action_echo_frame(object, game_id, *player);
                    step.frames.push(frame.into());
                }
            }
            for event in &input.events {
                match event {
                    Event::PlayerEliminated { player, .. } => {
                        step.eliminated.push(player.0 as UserId);
                    }
                    Event::GameEnded { .. } => step.ended = true,
                    _ => {}
                }
                if let Some(frame) = self.tracker.frame(event) {
                    step.frames.push(frame.into());
                }
            }
        }
    }

    /// Commits a step, runs end-of-game bookkeeping, then sends its frames.
    async fn finish_step(&mut self, step: Step) -> Result<(), Fatal> {
        if step.unencodable {
            // The game in memory is ahead of what can be stored: reload it from the disk,
            // where nothing of this step was written, and tell nobody anything of it.
            let error = wire::FrameError::new(wire::code::INTERNAL, wire::UNEXPECTED);
            let frame: Utf8Bytes = wire::error_frame(&error).into();
            self.broadcast(&[frame], false);
            return Err(Fatal);
        }
        let commit = Commit {
            game_id: self.live.game_id,
            entries: step.entries,
            eliminated: step.eliminated,
            fence: self.live.fence.clone(),
        };
        if let Err(error) = self.context.journal.commit(commit).await {
            tracing::error!(game = self.live.game_id, %error, "cannot persist a game step; reloading the game");
            let error = wire::FrameError::new(wire::code::INTERNAL, wire::UNEXPECTED);
            let frame: Utf8Bytes = wire::error_frame(&error).into();
            self.broadcast(&[frame], false);
            return Err(Fatal);
        }
        if step.ended && !self.live.finalized {
            self.finalize().await;
        }
        self.broadcast(&step.frames, true);
        Ok(())
    }

    /// End-of-game bookkeeping (docs/protocol.md): summary, counters, bots retired.
    async fn finalize(&mut self) {
        let game = self.driver.game();
        let Some(outcome) = game.outcome() else {
            return;
        };
        crate::metrics::game_ended(self.live.game_id, game, self.driver.next_index());
        // A finished game no longer changes, so its net worths are the final ones.
        let survivors = game
            .ordered_players()
            .map(|id| (id.0 as UserId, game.net_worth(id)))
            .collect();
        let result = GameResult {
            game_id: self.live.game_id,
            ended_at: chrono::DateTime::from_timestamp_millis(outcome.ended_at.0 as i64)
                .unwrap_or_else(|| self.context.clock.now()),
            winner: Some(outcome.winner.0 as UserId),
            survivors,
        };
        match self
            .context
            .store
            .finish_game(result, self.context.rewards)
            .await
        {
            Ok(_) | Err(StoreError::GameAlreadyFinished(_)) => self.live.finalized = true,
            Err(error) => {
                tracing::error!(game = self.live.game_id, %error, "cannot finalize a finished game");
            }
        }
    }

    fn snapshot(&self) -> String {
        wire::snapshot_frame(
            self.driver.game(),
            &SnapshotContext {
                game_id: self.live.game_id,
                datetime: &self.live.created_at,
            },
        )
    }

    /// The `deadlines` frame of `snapshots=1` sockets: the game's pending timers a person waits
    /// for (bots' own wake-ups left out), each with the milliseconds left (docs/protocol.md).
    fn deadlines_frame(&self) -> String {
        let now = self.now_ms();
        let deadlines: Vec<serde_json::Value> = self
            .game()
            .deadlines()
            .iter()
            .filter_map(|deadline| {
                let (timer, player) = match deadline.timer {
                    Timer::PhaseTimeout { player } => ("phase_timeout", Some(player.0)),
                    Timer::RollTimeout { player } => ("roll_timeout", Some(player.0)),
                    Timer::KickOut { player } => ("kick_out", Some(player.0)),
                    Timer::AuctionClose { .. } => ("auction_close", None),
                    Timer::BotWake { .. } => return None,
                };
                Some(json!({
                    "timer": timer,
                    "player": player,
                    "in_ms": deadline.at.0.saturating_sub(now),
                }))
            })
            .collect();
        json!({"event_type": "deadlines", "deadlines": deadlines}).to_string()
    }

    fn send_to(&mut self, conn: ConnId, error: &wire::FrameError) {
        let frame = Message::Text(wire::error_frame(error).into());
        if let Some(connection) = self.connections.get(&conn) {
            if connection.outbound.try_send(frame).is_err() {
                self.connections.remove(&conn);
            }
        }
    }

    /// Queues frames for every connection, and after a change of the game (`changed`) the
    /// fresh snapshot and the `legal_actions` frame of each connection that asked for them; a
    /// connection whose queue is full or closed is dropped (its socket closes when its sender
    /// goes away).
    fn broadcast(&mut self, frames: &[Utf8Bytes], changed: bool) {
        if frames.is_empty() {
            return;
        }
        let wants_snapshot = changed
            && self
                .connections
                .values()
                .any(|connection| connection.wants.snapshots);
        let snapshot: Option<[Utf8Bytes; 2]> =
            wants_snapshot.then(|| [self.snapshot().into(), self.deadlines_frame().into()]);
        let game = self.driver.game();
        self.connections.retain(|_, connection| {
            let extra: &[Utf8Bytes] = match (&snapshot, connection.wants.snapshots) {
                (Some(snapshot), true) => snapshot,
                _ => &[],
            };
            frames.iter().chain(extra).all(|frame| {
                connection
                    .outbound
                    .try_send(Message::Text(frame.clone()))
                    .is_ok()
            }) && (!changed || connection.send_legal_actions(game))
        });
    }

    /// The user ids attached, for tests and diagnostics.
    #[allow(dead_code, reason = "kept for debugging sessions")]
    fn attached_users(&self) -> Vec<UserId> {
        self.connections.values().map(|c| c.user).collect()
    }
}
