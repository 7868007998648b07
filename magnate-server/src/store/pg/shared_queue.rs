//! The public queue shared by the nodes of a cluster (docs/cluster.md): one row per queued
//! user, naming the node and the socket that hold the entry, in join order.

use magnate_core::RecordHeader;

use super::Postgres;
use crate::store::{GameId, NewGame, QueuedPlayer, StoreError, UserId};

/// Creates the queue table when it is missing.
pub(crate) async fn prepare(pg: &Postgres) -> Result<(), StoreError> {
    let client = pg.client().await?;
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS cluster_queue (
                 user_id BIGINT PRIMARY KEY,
                 node TEXT NOT NULL,
                 conn BIGINT NOT NULL,
                 seq BIGSERIAL NOT NULL
             )",
        )
        .await?;
    Ok(())
}

/// Queues `user` (held by `node`'s socket `conn`, 0 for REST), keeping an existing entry's
/// place.
pub(crate) async fn enqueue(
    pg: &Postgres,
    user: UserId,
    node: &str,
    conn: i64,
) -> Result<(), StoreError> {
    let client = pg.client().await?;
    client
        .execute(
            "INSERT INTO cluster_queue (user_id, node, conn) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET node = EXCLUDED.node, conn = EXCLUDED.conn",
            &[&user, &node, &conn],
        )
        .await?;
    Ok(())
}

/// Removes `user`'s entry if `node` holds it (with socket `conn`, when given).
pub(crate) async fn dequeue(
    pg: &Postgres,
    user: UserId,
    node: &str,
    conn: Option<i64>,
) -> Result<(), StoreError> {
    let client = pg.client().await?;
    client
        .execute(
            "DELETE FROM cluster_queue
             WHERE user_id = $1 AND node = $2 AND ($3::bigint IS NULL OR conn = $3)",
            &[&user, &node, &conn],
        )
        .await?;
    Ok(())
}

/// Removes the entries of nodes that are not alive (and every entry of `node`, which is
/// starting afresh, when given).
pub(crate) async fn purge(pg: &Postgres, node: Option<&str>) -> Result<u64, StoreError> {
    let client = pg.client().await?;
    Ok(client
        .execute(
            "DELETE FROM cluster_queue WHERE node = $1 OR node NOT IN (
                 SELECT key FROM cluster_leases WHERE kind = 'node' AND expires_at > now())",
            &[&node],
        )
        .await?)
}

/// In one transaction: locks the `players` oldest entries of live nodes (skipping entries
/// another node is matching), removes them, and creates the game `build` describes. `None`
/// (nothing written) when fewer wait.
pub(crate) async fn match_group(
    pg: &Postgres,
    players: usize,
    build: impl FnOnce(&[UserId]) -> Result<(NewGame, Vec<(UserId, bool)>, RecordHeader), StoreError>,
) -> Result<Option<(GameId, Vec<QueuedPlayer>)>, StoreError> {
    let mut client = pg.client().await?;
    let transaction = client.transaction().await?;
    let rows = transaction
        .query(
            "SELECT q.user_id, q.node, q.conn FROM cluster_queue q
             JOIN cluster_leases l ON l.kind = 'node' AND l.key = q.node AND l.expires_at > now()
             ORDER BY q.seq LIMIT $1 FOR UPDATE OF q SKIP LOCKED",
            &[&(players as i64)],
        )
        .await?;
    if rows.len() < players {
        return Ok(None);
    }
    let group: Vec<QueuedPlayer> = rows
        .iter()
        .map(|row| QueuedPlayer {
            user: row.get(0),
            node: row.get(1),
            conn: row.get(2),
        })
        .collect();
    let users: Vec<UserId> = group.iter().map(|player| player.user).collect();
    transaction
        .execute(
            "DELETE FROM cluster_queue WHERE user_id = ANY($1)",
            &[&users],
        )
        .await?;
    let (row, seats, header) = build(&users)?;
    let game_id = super::records::create_in(&*transaction, &row, &seats, &header).await?;
    transaction.commit().await?;
    Ok(Some((game_id, group)))
}
