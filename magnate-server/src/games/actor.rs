//! The game actor: one task per live game that owns its `Game` and serializes every input.
//!
//! The loop waits for a command or the game's next deadline, applies the input, commits the new
//! record entries through the journal, and only then sends the resulting frames to every
//! connection, in the same order to all. Bots are asked for a move when the core emits
//! `BotWoken`, and their moves are applied and committed in the same step as the tick that woke
//! them, so a crash cannot lose a wake-up.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

mod first_connection;

use axum::extract::ws::{Message, Utf8Bytes};
use magnate_core::record::format_hash;
use magnate_core::{
    bot_rng, Action, BotLevel, BotMove, Event, EventKind, Game, GameRng, Input, Phase, PlayerId,
    Policy, RecordEntry, RuleError, Timer, Timestamp,
};
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use super::journal::{encode_entry, Commit, Journal};
use super::GameRegistry;
use crate::clock::Clock;
use crate::config::Rewards;
use crate::store::{GameId, GameResult, Store, StoreError, UserId};
use magnate_protocol::game::{self as wire, SnapshotContext, WireAction};

/// Frames queued for one connection before it counts as too slow and is dropped.
pub(crate) const OUTBOUND_CAPACITY: usize = 1024;

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
        /// The client asked for `legal_actions` frames (`?legal=1`).
        legal: bool,
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
}

struct Connection {
    user: UserId,
    /// Sent a `legal_actions` frame after the snapshot and after every change.
    legal: bool,
    outbound: mpsc::Sender<Message>,
}

impl Connection {
    /// Queues this player's `legal_actions` frame if the client asked for them; `false` when
    /// the queue is full or closed (the connection is then dropped, like any slow reader).
    fn send_legal_actions(&self, game: &Game) -> bool {
        if !self.legal {
            return true;
        }
        let frame = wire::legal_actions_frame(game, PlayerId(self.user.max(0) as u64));
        self.outbound.try_send(Message::Text(frame.into())).is_ok()
    }
}

struct Bot {
    level: BotLevel,
    rng: GameRng,
    /// The turn `moves_this_turn` counts.
    turn: u32,
    moves_this_turn: u32,
}

/// Moves a bot may make in one turn before it is made to play its safe default.
const MAX_BOT_MOVES_PER_TURN: u32 = 60;

/// The result of applying inputs in one step, before it is committed and sent.
#[derive(Default)]
struct Step {
    entries: Vec<(u64, u64, String)>,
    eliminated: Vec<UserId>,
    frames: Vec<Utf8Bytes>,
    ended: bool,
}

struct Actor {
    live: LiveGame,
    context: ActorContext,
    connections: HashMap<ConnId, Connection>,
    bots: HashMap<PlayerId, Bot>,
    first_connection: first_connection::FirstConnection,
}

/// Runs the actor until its game is over and no socket is attached (or the journal fails).
pub(crate) async fn run(
    live: LiveGame,
    context: ActorContext,
    mut commands: mpsc::Receiver<Command>,
    self_handle: mpsc::Sender<Command>,
) {
    let game_id = live.game_id;
    let seed = live.game.seed();
    let bots = live
        .game
        .participants()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_bot)
        .map(|(seat, p)| {
            let level = live
                .bot_levels
                .get(&p.id)
                .copied()
                .unwrap_or(BotLevel::Medium);
            (
                p.id,
                Bot {
                    level,
                    rng: bot_rng(seed, seat),
                    turn: 0,
                    moves_this_turn: 0,
                },
            )
        })
        .collect();
    let mut actor = Actor {
        live,
        context,
        connections: HashMap::new(),
        bots,
        first_connection: Default::default(),
    };
    actor.first_connection = first_connection::FirstConnection::load(
        &actor.context.store,
        &actor.live,
        actor.context.first_connection_timeout,
        actor.now_ms(),
    )
    .await;
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
        let deadline = actor.live.game.next_deadline();
        let sleep = deadline.map(|deadline| {
            let now = actor.now_ms();
            Duration::from_millis(deadline.at.0.saturating_sub(now))
        });
        let absent_after = actor.first_connection.remaining(actor.now_ms());
        let outcome = tokio::select! {
            command = commands.recv() => match command {
                Some(command) => actor.handle(command).await,
                None => return,
            },
            () = sleep_for(absent_after) => actor.first_connection_expired().await,
            () = sleep_for(sleep) => {
                let due = deadline.map_or(0, |deadline| deadline.at.0);
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

async fn sleep_for(duration: Option<Duration>) {
    match duration {
        Some(duration) => tokio::time::sleep(duration).await,
        None => std::future::pending().await,
    }
}

/// A failed commit: the in-memory game is ahead of the disk, so the actor stops and the game is
/// reloaded from the database on the next connect.
struct Fatal;

impl Actor {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.context.clock.now().timestamp_millis()).unwrap_or(0)
    }

    /// Brings a restored game up to date: end-of-game bookkeeping that did not run before a
    /// crash, and bots that were woken but had not acted yet.
    async fn recover(&mut self) -> Result<(), Fatal> {
        if self.live.game.is_finished() && !self.live.finalized {
            self.finalize().await;
        }
        let now = self.now_ms().max(self.live.game.now().0);
        let waiting: Vec<PlayerId> = self
            .live
            .game
            .pending_actors()
            .into_iter()
            .filter(|player| {
                self.bots.contains_key(player)
                    && !self
                        .live
                        .game
                        .deadlines()
                        .iter()
                        .any(|d| d.timer == Timer::BotWake { player: *player })
            })
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        let mut step = Step::default();
        for bot in waiting {
            self.play_bot(bot, now, &mut step);
        }
        self.finish_step(step).await
    }

    async fn handle(&mut self, command: Command) -> Result<(), Fatal> {
        match command {
            Command::Join {
                conn,
                user,
                legal,
                outbound,
                reply,
            } => {
                if self
                    .live
                    .game
                    .player(PlayerId(user.max(0) as u64))
                    .is_none()
                {
                    let _ = reply.send(Err(JoinRefused::NotParticipant));
                    return Ok(());
                }
                self.first_connection
                    .connected(PlayerId(user.max(0) as u64));
                let snapshot = self.snapshot();
                if outbound.try_send(Message::Text(snapshot.into())).is_ok() {
                    let connection = Connection {
                        user,
                        legal,
                        outbound,
                    };
                    if connection.send_legal_actions(&self.live.game) {
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
        let action = match action.resolve(self.live.game_id, &self.live.game) {
            Ok(action) => action,
            Err(error) => {
                crate::metrics::action("unresolved", false);
                self.send_to(conn, &error);
                return Ok(());
            }
        };
        let is_bid = matches!(action, Action::Bid { .. });
        let kind = crate::metrics::action_kind(&action);
        let now = self.now_ms();
        let mut step = Step::default();
        match self.apply(Input::action(player, action), now, &mut step) {
            Ok(events) => {
                crate::metrics::action(kind, true);
                if !is_bid {
                    let frame = wire::action_echo_frame(echo, self.live.game_id, player);
                    step.frames.push(frame.into());
                }
                self.absorb(events, now, &mut step);
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
        let mut step = Step::default();
        if let Ok(events) = self.apply(Input::Tick, now, &mut step) {
            self.absorb(events, now, &mut step);
        }
        self.finish_step(step).await
    }

    /// Applies one input; records it if it changed anything.
    fn apply(&mut self, input: Input, now: u64, step: &mut Step) -> Result<Vec<Event>, RuleError> {
        // Only a tick can succeed without changing anything; skip recording those.
        let before = matches!(input, Input::Tick).then(|| self.live.game.state_hash());
        let events = self.live.game.apply(input.clone(), Timestamp(now))?;
        let after = self.live.game.state_hash();
        if events.is_empty() && before == Some(after) {
            return Ok(events);
        }
        let entry = RecordEntry {
            index: self.live.next_index,
            now: Timestamp(now),
            input,
            hash: format_hash(after),
        };
        match encode_entry(&entry) {
            Ok(text) => step.entries.push((entry.index, now, text)),
            Err(error) => {
                tracing::error!(game = self.live.game_id, %error, "cannot encode a record entry");
            }
        }
        self.live.next_index += 1;
        Ok(events)
    }

    /// Turns events into frames and side effects; asks woken bots for their moves.
    fn absorb(&mut self, events: Vec<Event>, now: u64, step: &mut Step) {
        let mut woken = Vec::new();
        for event in &events {
            match &event.kind {
                EventKind::BotWoken { player } => woken.push(*player),
                EventKind::PlayerEliminated { player, .. } => {
                    step.eliminated.push(player.0 as UserId);
                }
                EventKind::GameEnded { .. } => step.ended = true,
                _ => {}
            }
            let frame = wire::response_frame(event);
            if let Some(frame) = frame {
                step.frames.push(frame.into());
            }
        }
        for bot in woken {
            self.play_bot(bot, now, step);
        }
    }

    /// Asks a bot for its move and applies it, falling back to the phase's safe default and
    /// then to a surrender, so a bot never stalls the game (spec §6.4).
    fn play_bot(&mut self, bot: PlayerId, now: u64, step: &mut Step) {
        if !self.live.game.is_in_game(bot) {
            return;
        }
        let turn = self.live.game.current_turn();
        let Some(state) = self.bots.get_mut(&bot) else {
            return;
        };
        if state.turn != turn {
            state.turn = turn;
            state.moves_this_turn = 0;
        }
        state.moves_this_turn += 1;
        // A policy that keeps acting without ending its turn (say, mortgaging and lifting the
        // same square forever) is cut short: past the cap only the safe default is played.
        let decision = if state.moves_this_turn > MAX_BOT_MOVES_PER_TURN {
            BotMove::Idle
        } else {
            super::policy(state.level).decide(&self.live.game, bot, &mut state.rng)
        };
        let must_act = self.live.game.pending_actors().contains(&bot);
        let mut candidates = Vec::new();
        match decision {
            BotMove::Act(chosen) => candidates.push(chosen),
            // A bot that must act but has no idea still moves, so the game never stalls.
            BotMove::Idle if must_act => {}
            BotMove::Idle => return,
        }
        candidates.extend(self.safe_default(bot));
        candidates.push(Action::Surrender);
        for action in candidates {
            let echo = (!matches!(action, Action::Bid { .. }))
                .then(|| wire::bot_action_object(&action, self.live.game_id));
            match self.apply(Input::action(bot, action.clone()), now, step) {
                Ok(events) => {
                    metrics::counter!("magnate_bot_moves_total").increment(1);
                    if let Some(echo) = echo {
                        let frame = wire::action_echo_frame(echo, self.live.game_id, bot);
                        step.frames.push(frame.into());
                    }
                    self.absorb(events, now, step);
                    return;
                }
                Err(error) => {
                    tracing::warn!(
                        game = self.live.game_id,
                        bot = bot.0,
                        ?action,
                        %error,
                        "a bot action was refused; trying the safe default"
                    );
                }
            }
        }
    }

    /// The safe default of the current phase for `bot` (bots spec §8–9).
    fn safe_default(&self, bot: PlayerId) -> Option<Action> {
        let game = &self.live.game;
        let player = game.player(bot)?;
        Some(match game.phase() {
            Phase::RollTheDices => Action::ThrowDice,
            Phase::ChooseSquare { destinations } => Action::MoveTo {
                square: *destinations.keys().next()?,
            },
            Phase::ChooseFantasy { .. } => Action::ChooseCard {
                chosen_revealed_card: false,
            },
            Phase::Management => {
                let here = player.position;
                let buyable = game.board().square(here).is_some_and(|s| s.is_ownable());
                if buyable && game.holding(here).is_none() {
                    Action::DropPurchase { square: here }
                } else {
                    Action::NextPhase
                }
            }
            Phase::Business => Action::NextPhase,
            Phase::Liquidation if player.money >= 0 => Action::NextPhase,
            Phase::Liquidation => Action::Surrender,
            Phase::Auction(_) => Action::Bid { amount: 0 },
            Phase::ProposalAcceptance(_) => Action::TradeAnswer { choose: false },
            Phase::EndGame => return None,
        })
    }

    /// Commits a step, runs end-of-game bookkeeping, then sends its frames.
    async fn finish_step(&mut self, step: Step) -> Result<(), Fatal> {
        let commit = Commit {
            game_id: self.live.game_id,
            entries: step.entries,
            eliminated: step.eliminated,
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

    /// End-of-game bookkeeping (spec §7.3): summary, counters, bots retired.
    async fn finalize(&mut self) {
        let game = &self.live.game;
        let Some(outcome) = game.outcome() else {
            return;
        };
        crate::metrics::game_ended(self.live.game_id, game, self.live.next_index);
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
            &self.live.game,
            &SnapshotContext {
                game_id: self.live.game_id,
                datetime: &self.live.created_at,
            },
        )
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
    /// `legal_actions` frame of each connection that asked for it; a connection whose queue is
    /// full or closed is dropped (its socket closes when its sender goes away).
    fn broadcast(&mut self, frames: &[Utf8Bytes], changed: bool) {
        if frames.is_empty() {
            return;
        }
        let game = &self.live.game;
        self.connections.retain(|_, connection| {
            frames.iter().all(|frame| {
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
