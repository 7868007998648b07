//! Cluster settings (docs/cluster.md): on when the store is PostgreSQL and `REDIS_URL` is set.

use std::time::Duration;

use crate::store::Database;

/// The command-line flags and environment variables of cluster mode (flattened into
/// [`crate::Args`]).
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// Redis URL (`redis://127.0.0.1:6379`). With a PostgreSQL `--database-url` it turns cluster
    /// mode on: several servers on one database act as one (docs/cluster.md).
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// This node's name in the cluster (letters, digits, `-`, `_`, `.`; at most 64); random
    /// when absent. Two running nodes may not share one.
    #[arg(long, env = "NODE_ID")]
    pub node_id: Option<String>,

    /// Prefix of this cluster's Redis channels, so that several clusters can share one Redis.
    #[arg(long, env = "REDIS_PREFIX", default_value = "magnate")]
    pub redis_prefix: String,

    /// Lifetime of a node's leases in milliseconds (1000 to 600000): a dead node's games move
    /// to another node within about this long. Renewed every third of it.
    #[arg(long, env = "CLUSTER_LEASE_MS", default_value_t = 5000)]
    pub cluster_lease_ms: u64,
}

/// Resolved cluster settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSettings {
    /// The Redis URL.
    pub redis_url: String,
    /// This node's id.
    pub node_id: String,
    /// Prefix of every Redis channel.
    pub prefix: String,
    /// Lease lifetime.
    pub lease: Duration,
}

impl ClusterArgs {
    /// The cluster settings: `Ok(None)` without `REDIS_URL` (a single server), an error for a
    /// Redis URL without a PostgreSQL store or for bad values.
    pub fn settings(&self, database: &Database) -> Result<Option<ClusterSettings>, String> {
        let Some(redis_url) = self.redis_url.as_deref().filter(|url| !url.is_empty()) else {
            return Ok(None);
        };
        if !matches!(database, Database::Postgres(_)) {
            return Err(
                "REDIS_URL (cluster mode) needs a PostgreSQL store: set DATABASE_URL=postgres://..."
                    .into(),
            );
        }
        if !(redis_url.starts_with("redis://") || redis_url.starts_with("rediss://")) {
            return Err("REDIS_URL must start with redis:// or rediss://".into());
        }
        if !(1_000..=600_000).contains(&self.cluster_lease_ms) {
            return Err("CLUSTER_LEASE_MS must be between 1000 and 600000".into());
        }
        let node_id = match &self.node_id {
            Some(id) => {
                if !valid_name(id) {
                    return Err(
                        "NODE_ID: 1 to 64 letters, digits, '-', '_' or '.' characters".into(),
                    );
                }
                id.clone()
            }
            None => format!("node-{:016x}", rand::random::<u64>()),
        };
        if !valid_name(&self.redis_prefix) {
            return Err("REDIS_PREFIX: 1 to 64 letters, digits, '-', '_' or '.' characters".into());
        }
        Ok(Some(ClusterSettings {
            redis_url: redis_url.to_owned(),
            node_id,
            prefix: self.redis_prefix.clone(),
            lease: Duration::from_millis(self.cluster_lease_ms),
        }))
    }
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(redis: Option<&str>) -> ClusterArgs {
        ClusterArgs {
            redis_url: redis.map(str::to_owned),
            node_id: None,
            redis_prefix: "magnate".into(),
            cluster_lease_ms: 5_000,
        }
    }

    #[test]
    fn without_redis_nothing_changes() {
        let sqlite = Database::Sqlite("x.db".into());
        assert_eq!(args(None).settings(&sqlite), Ok(None));
        assert_eq!(args(Some("")).settings(&sqlite), Ok(None));
    }

    #[test]
    fn redis_needs_postgres_and_valid_values() {
        let sqlite = Database::Sqlite("x.db".into());
        let pg = Database::Postgres("postgres://postgres@127.0.0.1/x".into());
        assert!(args(Some("redis://127.0.0.1")).settings(&sqlite).is_err());
        assert!(args(Some("http://127.0.0.1")).settings(&pg).is_err());
        let settings = args(Some("redis://127.0.0.1"))
            .settings(&pg)
            .unwrap()
            .unwrap();
        assert!(settings.node_id.starts_with("node-"));
        assert_eq!(settings.lease, Duration::from_secs(5));
        let mut named = args(Some("redis://127.0.0.1"));
        named.node_id = Some("a b".into());
        assert!(named.settings(&pg).is_err());
        named.node_id = Some("n1".into());
        assert_eq!(named.settings(&pg).unwrap().unwrap().node_id, "n1");
        named.cluster_lease_ms = 10;
        assert!(named.settings(&pg).is_err());
    }
}
