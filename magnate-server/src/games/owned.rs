//! The registry in cluster mode (docs/cluster.md): games run where their lease is; sockets of
//! games owned elsewhere are relayed; orphaned games are taken over.

use std::time::Duration;

use axum::extract::ws::Message;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Command, ConnId, GameRegistry, JoinRefused, Link, Wants};
use crate::cluster::Cluster;
use crate::state::AppState;
use crate::store::{GameId, StoreError, UserId};

/// How long a join looks for the game's owner (a dead owner's lease must expire first) before
/// it is refused as unavailable.
const FIND_OWNER_FOR: Duration = Duration::from_secs(15);
/// Pause between two looks.
const FIND_OWNER_PAUSE: Duration = Duration::from_millis(200);

impl GameRegistry {
    /// A join in cluster mode: to the local actor, to a game this node takes now, or relayed
    /// to the owner.
    #[allow(
        clippy::too_many_arguments,
        reason = "one join's parts, passed through"
    )]
    pub(super) async fn join_cluster(
        &self,
        state: &AppState,
        cluster: &Cluster,
        conn: ConnId,
        game_id: GameId,
        user: UserId,
        wants: Wants,
        outbound: mpsc::Sender<Message>,
    ) -> Result<Link, JoinRefused> {
        let give_up = Instant::now() + FIND_OWNER_FOR;
        loop {
            let local = match self.handle(game_id) {
                Some(handle) => Some(handle),
                None => match state.store.is_game_finished(game_id).await {
                    // A finished game never changes: any node shows it, without a lease.
                    Ok(Some(true)) => Some(self.handle_or_load(state, game_id, None)),
                    Ok(Some(false)) => self.take_game(state, cluster, game_id).await,
                    Ok(None) => return Err(JoinRefused::NotFound),
                    Err(error) => {
                        tracing::error!(game = game_id, %error, "cannot look a game up");
                        return Err(JoinRefused::Unavailable);
                    }
                },
            };
            if let Some(handle) = local {
                match self.attach(&handle, conn, user, wants, &outbound).await {
                    Some(Ok(())) => return Ok(Link::Local(handle)),
                    Some(Err(refused)) => return Err(refused),
                    None => self.forget(game_id, &handle),
                }
            } else if let Ok(Some(owner)) = cluster.game_owner(game_id).await {
                if owner != cluster.node() {
                    let relay = cluster.relay();
                    match relay
                        .join_remote(&owner, conn, game_id, user, wants, outbound.clone())
                        .await
                    {
                        Ok(link) => return Ok(Link::Remote(link)),
                        Err(Some(refused)) => return Err(refused),
                        Err(None) => {}
                    }
                }
            }
            if Instant::now() >= give_up {
                return Err(JoinRefused::Unavailable);
            }
            tokio::time::sleep(FIND_OWNER_PAUSE).await;
        }
    }

    /// Owner side of a relayed join: attaches to the local actor, taking the game if nobody
    /// holds it. `Err(None)` when another node owns it.
    pub(crate) async fn join_owned(
        &self,
        state: &AppState,
        game_id: GameId,
        user: UserId,
        wants: Wants,
        outbound: mpsc::Sender<Message>,
    ) -> Result<(ConnId, mpsc::Sender<Command>), Option<JoinRefused>> {
        let cluster = self.cluster().ok_or(None)?;
        let conn = self.next_conn();
        let handle = match self.handle(game_id) {
            Some(handle) => handle,
            None => self.take_game(state, &cluster, game_id).await.ok_or(None)?,
        };
        match self.attach(&handle, conn, user, wants, &outbound).await {
            Some(Ok(())) => Ok((conn, handle)),
            Some(Err(refused)) => Err(Some(refused)),
            None => {
                self.forget(game_id, &handle);
                Err(None)
            }
        }
    }

    /// Takes game `game_id` if no other node holds it and starts its actor here (loading its
    /// record after the lease is taken, so every commit of the previous owner is in it).
    async fn take_game(
        &self,
        state: &AppState,
        cluster: &Cluster,
        game_id: GameId,
    ) -> Option<mpsc::Sender<Command>> {
        if cluster.is_quarantined(game_id) {
            return None;
        }
        let _taking = cluster.take_lock().await;
        if let Some(handle) = self.handle(game_id) {
            return Some(handle);
        }
        match cluster.acquire_game(game_id).await {
            Ok(Some(fence)) => Some(self.handle_or_load(state, game_id, Some(fence))),
            Ok(None) => None,
            Err(error) => {
                tracing::error!(game = game_id, %error, "cannot take a game's lease");
                None
            }
        }
    }

    /// Cluster mode: takes every unfinished game that no node holds (never held, or its lease
    /// expired: its node died or drained) and starts its actor here: replay from the record,
    /// timers re-armed, waiting bots woken. Returns how many were taken.
    pub async fn take_orphans(&self, state: &AppState) -> Result<usize, StoreError> {
        let Some(cluster) = self.cluster() else {
            return Ok(0);
        };
        let mut taken = 0;
        for game_id in cluster.store().orphaned_games().await? {
            if cluster.is_draining() {
                break;
            }
            if self.is_live(game_id) || cluster.is_quarantined(game_id) {
                continue;
            }
            if self.take_game(state, &cluster, game_id).await.is_some() {
                taken += 1;
                metrics::counter!("magnate_cluster_takeovers_total").increment(1);
            }
        }
        if taken > 0 {
            tracing::info!(games = taken, node = %cluster.node(), "took over orphaned games");
        }
        Ok(taken)
    }

    /// Stops the actor of `game_id` (its lease is gone); its sockets close with 1012.
    pub(crate) async fn stop_game(&self, game_id: GameId) {
        if let Some(handle) = self.handle(game_id) {
            let _ = handle.send(Command::Stop).await;
        }
    }

    /// Stops every actor of this node (drain, or leases that could not be renewed).
    pub(crate) async fn stop_all(&self) {
        let handles: Vec<mpsc::Sender<Command>> = self.lock().values().cloned().collect();
        for handle in handles {
            let _ = handle.send(Command::Stop).await;
        }
    }
}
