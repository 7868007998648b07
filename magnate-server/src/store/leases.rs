//! Cluster leases (docs/cluster.md): who owns a game, a room, and which nodes are alive. Only
//! the PostgreSQL store has them (the SQL is in `pg/leases.rs`); on SQLite every method answers
//! [`StoreError::NotPostgres`].

use magnate_core::RecordHeader;

use super::{pg, GameId, NewGame, Store, StoreError, UserId};

/// An entry of the shared public queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedPlayer {
    /// The queued user.
    pub user: UserId,
    /// The node holding the entry.
    pub node: String,
    /// The holding queue socket on that node (0: a REST join, no socket).
    pub conn: i64,
}

/// A lease held with its fencing token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The node holding the lease.
    pub node: String,
    /// The token of this tenure; every take-over increments it.
    pub token: i64,
}

impl Store {
    fn cluster_pg(&self) -> Result<&pg::Postgres, StoreError> {
        self.postgres().ok_or(StoreError::NotPostgres)
    }

    /// Creates the lease table if it is missing.
    pub async fn prepare_leases(&self) -> Result<(), StoreError> {
        pg::leases::prepare(self.cluster_pg()?).await
    }

    /// Takes the lease `(kind, key)` for `node` when free, expired or `node`'s own; the new
    /// token, or `None` when another node holds it.
    pub async fn acquire_lease(
        &self,
        kind: &str,
        key: &str,
        node: &str,
        ttl_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        pg::leases::acquire(self.cluster_pg()?, kind, key, node, ttl_ms).await
    }

    /// Extends the leases still held with the given tokens; returns those renewed.
    pub async fn renew_leases(
        &self,
        ttl_ms: i64,
        held: &[(String, String, i64)],
    ) -> Result<Vec<(String, String)>, StoreError> {
        if held.is_empty() {
            return Ok(Vec::new());
        }
        pg::leases::renew(self.cluster_pg()?, ttl_ms, held).await
    }

    /// Expires the lease if `node` still holds it with `token`.
    pub async fn release_lease(
        &self,
        kind: &str,
        key: &str,
        node: &str,
        token: i64,
    ) -> Result<bool, StoreError> {
        pg::leases::release(self.cluster_pg()?, kind, key, node, token).await
    }

    /// The node holding the unexpired lease `(kind, key)`.
    pub async fn lease_holder(&self, kind: &str, key: &str) -> Result<Option<String>, StoreError> {
        pg::leases::holder(self.cluster_pg()?, kind, key).await
    }

    /// Keys of the unexpired leases of `kind` (`"node"`: the nodes alive).
    pub async fn live_leases(&self, kind: &str) -> Result<Vec<String>, StoreError> {
        pg::leases::alive(self.cluster_pg()?, kind).await
    }

    /// Unfinished games no node holds (no lease, or an expired one).
    pub async fn orphaned_games(&self) -> Result<Vec<GameId>, StoreError> {
        pg::leases::orphaned_games(self.cluster_pg()?).await
    }

    /// Creates the lease and shared-queue tables if they are missing.
    pub async fn prepare_cluster_tables(&self) -> Result<(), StoreError> {
        let pg = self.cluster_pg()?;
        pg::leases::prepare(pg).await?;
        pg::shared_queue::prepare(pg).await
    }

    /// Queues `user` in the shared queue, held by `node`'s socket `conn` (0: REST).
    pub async fn enqueue_shared(
        &self,
        user: UserId,
        node: &str,
        conn: i64,
    ) -> Result<(), StoreError> {
        pg::shared_queue::enqueue(self.cluster_pg()?, user, node, conn).await
    }

    /// Removes `user`'s shared-queue entry if `node` (and socket `conn`, when given) holds it.
    pub async fn dequeue_shared(
        &self,
        user: UserId,
        node: &str,
        conn: Option<i64>,
    ) -> Result<(), StoreError> {
        pg::shared_queue::dequeue(self.cluster_pg()?, user, node, conn).await
    }

    /// Removes the shared-queue entries of dead nodes (and all of `node`'s, when given).
    pub async fn purge_shared_queue(&self, node: Option<&str>) -> Result<u64, StoreError> {
        pg::shared_queue::purge(self.cluster_pg()?, node).await
    }

    /// Matches the `players` oldest shared-queue entries into the game `build` describes, in
    /// one transaction; `None` when fewer wait.
    pub async fn match_shared_queue(
        &self,
        players: usize,
        build: impl FnOnce(
            &[UserId],
        ) -> Result<(NewGame, Vec<(UserId, bool)>, RecordHeader), StoreError>,
    ) -> Result<Option<(GameId, Vec<QueuedPlayer>)>, StoreError> {
        pg::shared_queue::match_group(self.cluster_pg()?, players, build).await
    }
}
