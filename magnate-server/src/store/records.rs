//! Game records in SQLite: headers in `games.setup`, one `game_records` row per accepted input
//! (the core's `RecordEntry` JSON, read through magnate-protocol so every format version reads),
//! the journal's batched writes and the reads of restore and the first-connection deadline.

use std::collections::BTreeSet;

use magnate_core::{Input, PlayerId, RecordEntry, RecordHeader};
use rusqlite::{params, Connection, OptionalExtension};

use super::{pg, GameId, NewGame, Store, StoreError, UserId};

/// One game's durable step: its new record entries and the players it eliminated.
#[derive(Debug, Default)]
pub struct Commit {
    /// The game.
    pub game_id: GameId,
    /// `(index, now, RecordEntry JSON)` of each new input, in order.
    pub entries: Vec<(u64, u64, String)>,
    /// Players eliminated by these inputs: removed from `game_players`, active game cleared.
    pub eliminated: Vec<UserId>,
    /// In cluster mode, the game's lease as the writer holds it: the commit fails unless the
    /// lease row still names this node and token (checked in the commit's transaction).
    pub fence: Option<super::leases::Fence>,
}

/// A stored game: header, entries, creation time and the finished flag.
#[derive(Debug)]
pub struct StoredGame {
    /// The record header.
    pub header: RecordHeader,
    /// Every recorded input, in order.
    pub entries: Vec<RecordEntry>,
    /// The `games.created_at` text.
    pub created_at: String,
    /// Whether end-of-game bookkeeping has run.
    pub finished: bool,
}

impl Store {
    /// Writes every commit in one transaction (a savepoint per commit, so one bad commit cannot
    /// sink the others); each commit gets its own result, known only after the transaction
    /// committed. `Err` when the transaction itself failed (nothing was written). The journal's
    /// group commit.
    pub async fn write_batch(
        &self,
        commits: Vec<Commit>,
    ) -> Result<Vec<Result<(), String>>, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::records::write_batch(pg, &commits).await;
        }
        self.call(move |connection| write_batch(connection, &commits))
            .await
    }

    /// [`Store::write_batch`] on the calling thread, for a writer that owns a thread (the
    /// journal on SQLite): no hand-off to the blocking pool. `None` on PostgreSQL, whose
    /// writes are asynchronous.
    pub(crate) fn write_batch_here(
        &self,
        commits: &[Commit],
    ) -> Option<Result<Vec<Result<(), String>>, StoreError>> {
        self.with_sqlite(|connection| write_batch(connection, commits))
    }

    /// Whether `user` took part in `game_id`, eliminated or not (one lookup of the unique
    /// `(user_id, game_id)` key of the statistics rows, which every participant gets at
    /// creation).
    pub async fn took_part(&self, game_id: GameId, user: UserId) -> Result<bool, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::games::took_part(&**pg.client().await?, game_id, user).await;
        }
        self.call(move |connection| {
            Ok(connection
                .query_row(
                    "SELECT 1 FROM player_game_statistics WHERE game_id = ?1 AND user_id = ?2",
                    [game_id, user],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
        .await
    }
}

/// Writes every commit in one transaction (a savepoint per commit, so one bad commit cannot
/// sink the others); each commit gets its own result. Runs on the journal writer's thread.
fn write_batch(
    connection: &mut Connection,
    commits: &[Commit],
) -> Result<Vec<Result<(), String>>, StoreError> {
    let mut transaction = connection.transaction()?;
    let mut results = Vec::with_capacity(commits.len());
    for commit in commits {
        let mut savepoint = transaction.savepoint()?;
        match write_commit(&savepoint, commit) {
            Ok(()) => {
                savepoint.commit()?;
                results.push(Ok(()));
            }
            Err(error) => {
                savepoint.rollback()?;
                drop(savepoint);
                tracing::error!(game = commit.game_id, %error, "cannot write a game commit");
                results.push(Err(error.to_string()));
            }
        }
    }
    transaction.commit()?;
    Ok(results)
}

fn write_commit(connection: &Connection, commit: &Commit) -> Result<(), StoreError> {
    let mut insert = connection.prepare_cached(
        "INSERT INTO game_records (game_id, seq, at_ms, input) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (index, now, entry) in &commit.entries {
        insert.execute(params![
            commit.game_id,
            i64::try_from(*index).unwrap_or(i64::MAX),
            i64::try_from(*now).unwrap_or(i64::MAX),
            entry
        ])?;
    }
    for user in &commit.eliminated {
        connection
            .prepare_cached("DELETE FROM game_players WHERE game_id = ?1 AND user_id = ?2")?
            .execute([commit.game_id, *user])?;
        connection
            .prepare_cached(
                "UPDATE users SET active_game_id = NULL WHERE id = ?1 AND active_game_id = ?2",
            )?
            .execute([*user, commit.game_id])?;
    }
    Ok(())
}

/// Stores the header of a new game (in the transaction that creates it).
fn write_header(
    connection: &Connection,
    game_id: GameId,
    header: &RecordHeader,
) -> Result<(), StoreError> {
    connection.execute(
        "UPDATE games SET setup = ?2, seed = ?3, log_version = ?4 WHERE id = ?1",
        params![
            game_id,
            serde_json::to_string(header)?,
            header.seed.0.to_string(),
            header.version
        ],
    )?;
    Ok(())
}

/// Reads a game's header and entries.
pub async fn load_record(store: &Store, game_id: GameId) -> Result<Option<StoredGame>, StoreError> {
    if let Some(pg) = store.postgres() {
        return pg::records::load_record(pg, game_id).await;
    }
    store
        .call(move |connection| {
            let row: Option<(Option<String>, String, bool)> = connection
                .query_row(
                    "SELECT setup, created_at, finished FROM games WHERE id = ?1",
                    [game_id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            let Some((Some(header), created_at, finished)) = row else {
                return Ok(None);
            };
            let header: RecordHeader = magnate_protocol::record::parse_header(&header)?;
            let mut statement = connection
                .prepare("SELECT input FROM game_records WHERE game_id = ?1 ORDER BY seq")?;
            let texts = statement
                .query_map([game_id], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            let entries = texts
                .iter()
                .map(|text| magnate_protocol::record::parse_entry(text))
                .collect::<Result<Vec<RecordEntry>, _>>()?;
            Ok(Some(StoredGame {
                header,
                entries,
                created_at,
                finished,
            }))
        })
        .await
}

/// Ids of the games that have a record and are not finished.
pub async fn unfinished_games(store: &Store) -> Result<Vec<GameId>, StoreError> {
    if let Some(pg) = store.postgres() {
        return pg::records::unfinished_games(pg).await;
    }
    store
        .call(|connection| {
            let mut statement = connection.prepare(
                "SELECT id FROM games WHERE finished = 0 AND setup IS NOT NULL ORDER BY id",
            )?;
            let ids = statement
                .query_map([], |row| row.get(0))?
                .collect::<Result<Vec<GameId>, _>>()?;
            Ok(ids)
        })
        .await
}

/// The players with at least one action in the game's record.
pub async fn players_who_acted(
    store: &Store,
    game_id: GameId,
) -> Result<BTreeSet<PlayerId>, StoreError> {
    if let Some(pg) = store.postgres() {
        return pg::records::players_who_acted(pg, game_id).await;
    }
    store
        .call(move |connection| {
            let mut statement =
                connection.prepare("SELECT input FROM game_records WHERE game_id = ?1")?;
            let mut acted = BTreeSet::new();
            for text in statement.query_map([game_id], |row| row.get::<_, String>(0))? {
                let entry = magnate_protocol::record::parse_entry(&text?)?;
                if let Input::Action { player, .. } = entry.input {
                    acted.insert(player);
                }
            }
            Ok(acted)
        })
        .await
}

/// Creates a game with its players and record header, in one transaction, after checking that
/// every seat names an existing account whose bot flag matches (`seats`: user, is bot).
pub async fn create_game_with_record(
    store: &Store,
    row: NewGame,
    seats: Vec<(UserId, bool)>,
    header: RecordHeader,
) -> Result<GameId, StoreError> {
    if let Some(pg) = store.postgres() {
        return pg::records::create_game_with_record(pg, row, seats, header).await;
    }
    store
        .call(move |connection| {
            let transaction = connection.transaction()?;
            for (user, is_bot) in &seats {
                let found: Option<bool> = transaction
                    .query_row("SELECT is_bot FROM users WHERE id = ?1", [*user], |row| {
                        row.get(0)
                    })
                    .optional()?;
                match found {
                    Some(flag) if flag == *is_bot => {}
                    _ => return Err(StoreError::UserNotFound(*user)),
                }
            }
            let game_id = super::games::create_game_in(&transaction, &row)?;
            write_header(&transaction, game_id, &header)?;
            transaction.commit()?;
            Ok(game_id)
        })
        .await
}
