//! Cluster leases on PostgreSQL (docs/cluster.md): one row per owned thing (`game`, `room`, or a
//! `node`'s own liveness), with the owning node, a fencing token and an expiry. Every time is
//! PostgreSQL's `now()`, so the nodes' clocks never have to agree.
//!
//! A lease is taken with one upsert that succeeds only when the row is free, expired, or
//! already this node's; every successful take increments the token, so a token names one
//! tenure. Releasing expires the row instead of deleting it: tokens only ever grow.

use super::Postgres;
use crate::store::{GameId, StoreError};

/// Creates the lease table when it is missing (cluster mode only; a single server never
/// touches it).
pub(crate) async fn prepare(pg: &Postgres) -> Result<(), StoreError> {
    let client = pg.client().await?;
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS cluster_leases (
                 kind TEXT NOT NULL,
                 key TEXT NOT NULL,
                 node TEXT NOT NULL,
                 token BIGINT NOT NULL,
                 expires_at TIMESTAMPTZ NOT NULL,
                 PRIMARY KEY (kind, key)
             )",
        )
        .await?;
    Ok(())
}

/// Takes the lease `(kind, key)` for `node` for `ttl_ms` when it is free, expired or already
/// `node`'s; returns the new token, `None` when another node holds it.
///
/// The row is locked `FOR UPDATE` first, which waits for every journal commit holding it
/// `FOR KEY SHARE` ([`holds_game`]): a take-over happens between commits, and the new owner's
/// load sees every commit of the old one. Renewals (which change no key) never wait for
/// commits, so a busy game cannot delay its owner's renewal.
pub(crate) async fn acquire(
    pg: &Postgres,
    kind: &str,
    key: &str,
    node: &str,
    ttl_ms: i64,
) -> Result<Option<i64>, StoreError> {
    let mut client = pg.client().await?;
    let transaction = client.transaction().await?;
    let current = transaction
        .query_opt(
            "SELECT node, token, expires_at <= now() FROM cluster_leases
             WHERE kind = $1 AND key = $2 FOR UPDATE",
            &[&kind, &key],
        )
        .await?;
    let token = match current {
        None => transaction
            .query_opt(
                "INSERT INTO cluster_leases (kind, key, node, token, expires_at)
                 VALUES ($1, $2, $3, 1, now() + $4 * interval '1 millisecond')
                 ON CONFLICT (kind, key) DO NOTHING RETURNING token",
                &[&kind, &key, &node, &(ttl_ms as f64)],
            )
            .await?
            .map(|row| row.get::<_, i64>(0)),
        Some(row) => {
            let (holder, token, expired): (String, i64, bool) =
                (row.get(0), row.get(1), row.get(2));
            if holder == node || expired {
                transaction
                    .execute(
                        "UPDATE cluster_leases
                         SET node = $3, token = $4,
                             expires_at = now() + $5 * interval '1 millisecond'
                         WHERE kind = $1 AND key = $2",
                        &[&kind, &key, &node, &(token + 1), &(ttl_ms as f64)],
                    )
                    .await?;
                Some(token + 1)
            } else {
                None
            }
        }
    };
    transaction.commit().await?;
    Ok(token)
}

/// Extends every lease in `held` (`(kind, key, token)`) still held with that token (a token
/// names one tenure of one node); returns the ones renewed (the others were taken over).
pub(crate) async fn renew(
    pg: &Postgres,
    ttl_ms: i64,
    held: &[(String, String, i64)],
) -> Result<Vec<(String, String)>, StoreError> {
    let client = pg.client().await?;
    let kinds: Vec<&str> = held.iter().map(|(kind, _, _)| kind.as_str()).collect();
    let keys: Vec<&str> = held.iter().map(|(_, key, _)| key.as_str()).collect();
    let tokens: Vec<i64> = held.iter().map(|(_, _, token)| *token).collect();
    let rows = client
        .query(
            "UPDATE cluster_leases AS l
                 SET expires_at = now() + $1 * interval '1 millisecond'
                 FROM unnest($2::text[], $3::text[], $4::bigint[]) AS h(kind, key, token)
                 WHERE l.kind = h.kind AND l.key = h.key AND l.token = h.token
             RETURNING l.kind, l.key",
            &[&(ttl_ms as f64), &kinds, &keys, &tokens],
        )
        .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// Expires the lease if `node` still holds it with `token` (others may take it at once).
pub(crate) async fn release(
    pg: &Postgres,
    kind: &str,
    key: &str,
    node: &str,
    token: i64,
) -> Result<bool, StoreError> {
    let client = pg.client().await?;
    let changed = client
        .execute(
            "UPDATE cluster_leases SET expires_at = now() - interval '1 millisecond'
             WHERE kind = $1 AND key = $2 AND node = $3 AND token = $4",
            &[&kind, &key, &node, &token],
        )
        .await?;
    Ok(changed > 0)
}

/// The node holding the unexpired lease `(kind, key)`, if any.
pub(crate) async fn holder(
    pg: &Postgres,
    kind: &str,
    key: &str,
) -> Result<Option<String>, StoreError> {
    let client = pg.client().await?;
    let row = client
        .query_opt(
            "SELECT node FROM cluster_leases WHERE kind = $1 AND key = $2 AND expires_at > now()",
            &[&kind, &key],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

/// The keys of every unexpired lease of `kind` (for `node` leases: the nodes alive).
pub(crate) async fn alive(pg: &Postgres, kind: &str) -> Result<Vec<String>, StoreError> {
    let client = pg.client().await?;
    let rows = client
        .query(
            "SELECT key FROM cluster_leases WHERE kind = $1 AND expires_at > now()",
            &[&kind],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Unfinished games (with a record) that no node holds: no lease row, or an expired one.
pub(crate) async fn orphaned_games(pg: &Postgres) -> Result<Vec<GameId>, StoreError> {
    let client = pg.client().await?;
    let rows = client
        .query(
            "SELECT g.id FROM games g
             LEFT JOIN cluster_leases l ON l.kind = 'game' AND l.key = g.id::text
             WHERE g.finished = 0 AND g.setup IS NOT NULL
               AND (l.key IS NULL OR l.expires_at <= now())
             ORDER BY g.id",
            &[],
        )
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Inside a journal commit's transaction: whether `node` still holds game `game_id`'s lease
/// with `token`. The row is locked `FOR KEY SHARE` until the commit ends: a take-over
/// ([`acquire`], `FOR UPDATE`) waits for it, and its new owner's load sees it; a renewal does
/// not (an `UPDATE` of no key column does not conflict with it, so no deadlock either).
pub(crate) async fn holds_game(
    client: &deadpool_postgres::Transaction<'_>,
    game_id: GameId,
    node: &str,
    token: i64,
) -> Result<bool, tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "SELECT 1 FROM cluster_leases
             WHERE kind = 'game' AND key = $1::bigint::text AND node = $2 AND token = $3
             FOR KEY SHARE",
        )
        .await?;
    Ok(client
        .query_opt(&statement, &[&game_id, &node, &token])
        .await?
        .is_some())
}
