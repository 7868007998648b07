//! The public queue shared by the nodes of a cluster (docs/cluster.md).
//!
//! Each node's matchmaker keeps its own sockets' entries as before, and mirrors every entry into
//! PostgreSQL (`cluster_queue`: user, node, socket, join order). Matching takes the oldest
//! entries of live nodes with `FOR UPDATE SKIP LOCKED` in the transaction that creates the game,
//! so each queued user is matched exactly once however many nodes match at the same time; the
//! node that made the match owns the game and tells each player's node over Redis, whose
//! matchmaker sends `match_found` to the holding socket.

use super::Queue;
use crate::cluster::{relay::Envelope, Cluster};
use crate::state::AppState;
use crate::store::UserId;
use crate::ws::ConnId;

/// The shared queue as one node's matchmaker sees it.
pub struct SharedQueue {
    state: AppState,
    cluster: Cluster,
}

impl SharedQueue {
    /// The shared queue of `state`'s cluster, in cluster mode.
    pub(super) fn of(state: &AppState) -> Option<SharedQueue> {
        let cluster = state.games.cluster()?;
        Some(SharedQueue {
            state: state.clone(),
            cluster,
        })
    }

    /// Mirrors a join (socket `conn`, or REST) into the shared queue.
    pub(super) async fn joined(&self, user: UserId, conn: Option<ConnId>) {
        let conn = conn.map_or(0, |conn| conn.get() as i64);
        let stored = self
            .state
            .store
            .enqueue_shared(user, self.cluster.node(), conn)
            .await;
        if let Err(error) = stored {
            tracing::error!(user, %error, "cannot queue a player in the shared queue");
        }
    }

    /// Mirrors a leave (socket `conn`, or REST whoever holds it here).
    pub(super) async fn left(&self, user: UserId, conn: Option<ConnId>) {
        let conn = conn.map(|conn| conn.get() as i64);
        let removed = self
            .state
            .store
            .dequeue_shared(user, self.cluster.node(), conn)
            .await;
        if let Err(error) = removed {
            tracing::error!(user, %error, "cannot remove a player from the shared queue");
        }
    }

    /// Creates games while enough players wait on any node; tells every player's node.
    pub(super) async fn match_players(&self, queue: &mut Queue) {
        if self.cluster.is_draining() {
            return;
        }
        loop {
            let matched = self
                .state
                .games
                .create_from_shared_queue(&self.state, queue.players_per_game)
                .await;
            let (game_id, group) = match matched {
                Ok(Some(matched)) => matched,
                Ok(None) => return,
                Err(error) => {
                    tracing::error!(%error, "cannot create a public game; the players stay queued");
                    return;
                }
            };
            tracing::info!(
                game_id,
                players = group.len(),
                "public match found (shared queue)"
            );
            for player in group {
                let conn = (player.conn > 0).then(|| ConnId::from_raw(player.conn as u64));
                if player.node == self.cluster.node() {
                    queue.matched_elsewhere(player.user, conn, game_id);
                } else {
                    let envelope = Envelope::Matched {
                        user: player.user,
                        conn: player.conn as u64,
                        game: game_id,
                    };
                    self.cluster
                        .relay()
                        .send(Some(&player.node), &envelope)
                        .await;
                }
            }
        }
    }
}
