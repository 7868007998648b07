//! The first-connection deadline (issue 13): a game whose humans never show up ends by rule.
//!
//! Every human of a new game has `FIRST_CONNECTION_TIMEOUT` from the game's creation to open its
//! socket. One who has not by then leaves the game as if they had surrendered (an ordinary
//! `Surrender` input, recorded and replayed like any other), which clears their unfinished game
//! so they may queue again. If that leaves only bots, the bots leave too, one by one, until the
//! game is over, so no game runs on for nobody.
//!
//! Connections are not stored, so after a restart "has connected" means "has acted": the humans
//! who have no action in the record wait again. If no human of the game ever acted, the deadline
//! stays the creation time plus the timeout, so a game nobody played that is past it ends as
//! soon as it is restored; otherwise the absent humans get a fresh timeout from the restart.

use std::{collections::BTreeSet, time::Duration};

use magnate_core::{Action, PlayerId, Timestamp};

use super::{Actor, Fatal, LiveGame, Step};
use crate::store::Store;

/// Who has yet to connect, and until when.
#[derive(Debug, Default)]
pub(super) struct FirstConnection {
    /// Game-clock milliseconds; `None` once nobody is waited for.
    deadline_ms: Option<u64>,
    waiting: BTreeSet<PlayerId>,
}

impl FirstConnection {
    /// The deadline of `live`, a new or restored game, as of `now_ms`; `timeout` is the
    /// configured one (`None`: disabled).
    pub(super) async fn load(
        store: &Store,
        live: &LiveGame,
        timeout: Option<Duration>,
        now_ms: u64,
    ) -> Self {
        let Some(timeout) = timeout else {
            return Self::default();
        };
        let game = &live.game;
        if game.is_finished() {
            return Self::default();
        }
        let humans: BTreeSet<PlayerId> = game
            .participants()
            .iter()
            .filter(|player| !player.is_bot && game.is_in_game(player.id))
            .map(|player| player.id)
            .collect();
        let acted = if live.next_index == 0 {
            BTreeSet::new()
        } else {
            match crate::store::records::players_who_acted(store, live.game_id).await {
                Ok(acted) => acted,
                Err(error) => {
                    tracing::warn!(game = live.game_id, %error, "cannot read who acted; no first-connection deadline");
                    return Self::default();
                }
            }
        };
        let waiting: BTreeSet<PlayerId> = humans.difference(&acted).copied().collect();
        if waiting.is_empty() {
            return Self::default();
        }
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let created_ms = crate::clock::parse_datetime(&live.created_at)
            .and_then(|created| u64::try_from(created.timestamp_millis()).ok())
            .unwrap_or(now_ms);
        let mut deadline = created_ms.saturating_add(timeout_ms);
        if humans.iter().any(|human| acted.contains(human)) {
            deadline = deadline.max(now_ms.saturating_add(timeout_ms));
        }
        Self {
            deadline_ms: Some(deadline),
            waiting,
        }
    }

    /// `player` attached a socket.
    pub(super) fn connected(&mut self, player: PlayerId) {
        self.waiting.remove(&player);
        if self.waiting.is_empty() {
            self.deadline_ms = None;
        }
    }

    /// How long until the deadline, as of `now_ms`; `None` if there is none.
    pub(super) fn remaining(&self, now_ms: u64) -> Option<Duration> {
        self.deadline_ms
            .map(|deadline| Duration::from_millis(deadline.saturating_sub(now_ms)))
    }
}

impl Actor {
    /// The deadline passed: every human still waited for leaves the game, then, if no human
    /// is left, the bots, until the game is over. One step, committed and sent like any other.
    pub(super) async fn first_connection_expired(&mut self) -> Result<(), Fatal> {
        let absent = std::mem::take(&mut self.first_connection).waiting;
        let now = self.now_ms().max(self.game().now().0);
        let mut step = Step::default();
        for player in absent {
            self.leave_game(player, now, &mut step);
        }
        let game = self.game();
        let humans_left = game
            .participants()
            .iter()
            .any(|player| !player.is_bot && game.is_in_game(player.id));
        if !humans_left {
            let bots: Vec<PlayerId> = game.ordered_players().collect();
            for bot in bots {
                self.leave_game(bot, now, &mut step);
            }
        }
        tracing::info!(
            game = self.live.game_id,
            ended = self.game().is_finished(),
            "first-connection deadline: absent players left the game"
        );
        self.finish_step(step).await
    }

    /// Applies `player`'s surrender if they are still in a game that is not over.
    fn leave_game(&mut self, player: PlayerId, now: u64, step: &mut Step) {
        if self.game().is_finished() || !self.game().is_in_game(player) {
            return;
        }
        // Echoed as the server writes a surrender (no client sent it).
        if let Ok(applied) = self.driver.act(player, Action::Surrender, Timestamp(now)) {
            self.absorb(applied, None, step);
        }
    }
}
