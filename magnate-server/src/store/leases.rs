//! Cluster leases (docs/cluster.md): who owns a game, a room, and which nodes are alive. Only
//! the PostgreSQL store has them (the SQL is in `pg/leases.rs`); on SQLite every method answers
//! [`StoreError::NotPostgres`].

use super::{pg, GameId, Store, StoreError};

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

    /// Extends the leases `node` still holds with the given tokens; returns those renewed.
    pub async fn renew_leases(
        &self,
        node: &str,
        ttl_ms: i64,
        held: &[(String, String, i64)],
    ) -> Result<Vec<(String, String)>, StoreError> {
        if held.is_empty() {
            return Ok(Vec::new());
        }
        pg::leases::renew(self.cluster_pg()?, node, ttl_ms, held).await
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
}
