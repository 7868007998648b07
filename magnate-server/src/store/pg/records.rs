//! Game records on PostgreSQL (mirrors `store/records.rs`).

use std::collections::BTreeSet;

use magnate_core::{Input, PlayerId, RecordEntry, RecordHeader};
use tokio_postgres::GenericClient;

use super::{flag, is_unique_violation, Postgres};
use crate::store::{
    records::{Commit, StoredGame},
    GameId, NewGame, StoreError, UserId,
};

/// Why one commit of a batch was not written.
enum CommitError {
    /// An entry index of the game is already stored: another writer (a second server on the
    /// same database) owns this game. The game must reload, never overwrite.
    Owned(GameId),
    /// In cluster mode: this node's lease of the game is gone (another node took it over).
    LeaseLost(GameId),
    /// Anything else.
    Store(StoreError),
}

impl From<tokio_postgres::Error> for CommitError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Store(error.into())
    }
}

/// Writes every commit in one transaction (a savepoint per commit); each gets its own result,
/// acknowledged by the caller only after the transaction committed.
pub(crate) async fn write_batch(
    pg: &Postgres,
    commits: &[Commit],
) -> Result<Vec<Result<(), String>>, StoreError> {
    let mut client = pg.client().await?;
    let mut transaction = client.transaction().await?;
    // Prepared once per pooled connection (deadpool's statement cache), not once per batch.
    let insert = transaction
        .prepare_cached(
            "INSERT INTO game_records (game_id, seq, at_ms, input) VALUES ($1, $2, $3, $4)",
        )
        .await?;
    let delete = transaction
        .prepare_cached("DELETE FROM game_players WHERE game_id = $1 AND user_id = $2")
        .await?;
    let clear = transaction
        .prepare_cached(
            "UPDATE users SET active_game_id = NULL WHERE id = $1 AND active_game_id = $2",
        )
        .await?;
    let mut results = Vec::with_capacity(commits.len());
    for commit in commits {
        let savepoint = transaction.savepoint("journal_commit").await?;
        let written = async {
            if let Some(fence) = &commit.fence {
                if !super::leases::holds_game(&savepoint, commit.game_id, &fence.node, fence.token)
                    .await?
                {
                    return Err(CommitError::LeaseLost(commit.game_id));
                }
            }
            for (index, now, entry) in &commit.entries {
                let index = i64::try_from(*index).unwrap_or(i64::MAX);
                let now = i64::try_from(*now).unwrap_or(i64::MAX);
                match savepoint
                    .execute(&insert, &[&commit.game_id, &index, &now, entry])
                    .await
                {
                    Ok(_) => {}
                    Err(error) if is_unique_violation(&error) => {
                        return Err(CommitError::Owned(commit.game_id))
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            for user in &commit.eliminated {
                savepoint.execute(&delete, &[&commit.game_id, user]).await?;
                savepoint.execute(&clear, &[user, &commit.game_id]).await?;
            }
            Ok(())
        }
        .await;
        match written {
            Ok(()) => {
                savepoint.commit().await?;
                results.push(Ok(()));
            }
            Err(error) => {
                savepoint.rollback().await?;
                let text = match error {
                    CommitError::Owned(game) => {
                        tracing::warn!(
                            game,
                            "a record entry of this game is already stored: someone else owns \
                             this game (a second server on the database?); it is not written"
                        );
                        format!("game {game} is owned by another writer (entry already stored)")
                    }
                    CommitError::LeaseLost(game) => {
                        tracing::warn!(
                            game,
                            "this node no longer holds the game's lease; not written"
                        );
                        format!("game {game}: lease lost (another node owns it)")
                    }
                    CommitError::Store(error) => {
                        tracing::error!(game = commit.game_id, %error, "cannot write a game commit");
                        error.to_string()
                    }
                };
                results.push(Err(text));
            }
        }
    }
    transaction.commit().await?;
    Ok(results)
}

pub(crate) async fn load_record(
    pg: &Postgres,
    game_id: GameId,
) -> Result<Option<StoredGame>, StoreError> {
    let client = pg.client().await?;
    let row = client
        .query_opt(
            "SELECT setup, created_at, finished FROM games WHERE id = $1",
            &[&game_id],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let header: Option<String> = row.try_get(0)?;
    let Some(header) = header else {
        return Ok(None);
    };
    let header: RecordHeader = magnate_protocol::record::parse_header(&header)?;
    let entries = client
        .query(
            "SELECT input FROM game_records WHERE game_id = $1 ORDER BY seq",
            &[&game_id],
        )
        .await?
        .iter()
        .map(|row| {
            let text: String = row.try_get(0)?;
            Ok(magnate_protocol::record::parse_entry(&text)?)
        })
        .collect::<Result<Vec<RecordEntry>, StoreError>>()?;
    Ok(Some(StoredGame {
        header,
        entries,
        created_at: row.try_get(1)?,
        finished: flag(row.try_get(2)?),
    }))
}

pub(crate) async fn unfinished_games(pg: &Postgres) -> Result<Vec<GameId>, StoreError> {
    let client = pg.client().await?;
    client
        .query(
            "SELECT id FROM games WHERE finished = 0 AND setup IS NOT NULL ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(|row| Ok(row.try_get(0)?))
        .collect()
}

pub(crate) async fn players_who_acted(
    pg: &Postgres,
    game_id: GameId,
) -> Result<BTreeSet<PlayerId>, StoreError> {
    let client = pg.client().await?;
    let mut acted = BTreeSet::new();
    for row in client
        .query(
            "SELECT input FROM game_records WHERE game_id = $1",
            &[&game_id],
        )
        .await?
    {
        let text: String = row.try_get(0)?;
        let entry = magnate_protocol::record::parse_entry(&text)?;
        if let Input::Action { player, .. } = entry.input {
            acted.insert(player);
        }
    }
    Ok(acted)
}

pub(crate) async fn create_game_with_record(
    pg: &Postgres,
    row: NewGame,
    seats: Vec<(UserId, bool)>,
    header: RecordHeader,
) -> Result<GameId, StoreError> {
    let mut client = pg.client().await?;
    let transaction = client.transaction().await?;
    let game_id = create_in(&*transaction, &row, &seats, &header).await?;
    transaction.commit().await?;
    Ok(game_id)
}

/// Creates a game with its players and record header inside the caller's transaction, after
/// checking that every seat names an existing account whose bot flag matches.
pub(crate) async fn create_in(
    transaction: &impl GenericClient,
    row: &NewGame,
    seats: &[(UserId, bool)],
    header: &RecordHeader,
) -> Result<GameId, StoreError> {
    for (user, is_bot) in seats {
        let found = transaction
            .query_opt("SELECT is_bot FROM users WHERE id = $1", &[user])
            .await?
            .map(|row| row.try_get::<_, i64>(0))
            .transpose()?;
        match found {
            Some(flag_value) if flag(flag_value) == *is_bot => {}
            _ => return Err(StoreError::UserNotFound(*user)),
        }
    }
    let game_id = super::games::create_game_in(transaction, row).await?;
    write_header(transaction, game_id, header).await?;
    Ok(game_id)
}

async fn write_header(
    client: &impl GenericClient,
    game_id: GameId,
    header: &RecordHeader,
) -> Result<(), StoreError> {
    client
        .execute(
            "UPDATE games SET setup = $2, seed = $3, log_version = $4 WHERE id = $1",
            &[
                &game_id,
                &serde_json::to_string(header)?,
                &header.seed.0.to_string(),
                &i64::from(header.version),
            ],
        )
        .await?;
    Ok(())
}
