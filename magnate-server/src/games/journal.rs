//! Durable game records in SQLite, written with group commit.
//!
//! A game's record header (the core's `RecordHeader`: format, seed, setup, start time) is stored
//! in `games.setup` when the game is created; every accepted input is one `game_records` row whose
//! `input` column holds the core's `RecordEntry` JSON (index, time, input, state hash).
//!
//! One writer task serves every game: it takes whatever commits are queued, writes them in one
//! transaction (a savepoint per commit, so one bad commit cannot sink the others), and then
//! acknowledges each. A game actor awaits its acknowledgement before anyone hears of the input,
//! so what clients saw is always on disk (WAL, `synchronous=NORMAL`: durable across a process
//! kill; a power cut may lose the last few commits).

use magnate_core::{RecordEntry, RecordHeader};
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::{mpsc, oneshot};

use crate::store::{GameId, Store, StoreError, UserId};

/// Largest number of commits written in one transaction.
const MAX_BATCH: usize = 4096;

/// One game's durable step: its new record entries and the players it eliminated.
#[derive(Debug, Default)]
pub struct Commit {
    /// The game.
    pub game_id: GameId,
    /// `(index, now, RecordEntry JSON)` of each new input, in order.
    pub entries: Vec<(u64, u64, String)>,
    /// Players eliminated by these inputs: removed from `game_players`, active game cleared.
    pub eliminated: Vec<UserId>,
}

struct Job {
    commit: Commit,
    ack: oneshot::Sender<Result<(), String>>,
}

/// Handle to the group-commit writer; cheap to clone.
#[derive(Clone, Debug)]
pub struct Journal {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Journal {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Store) -> Journal {
        let (jobs, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run_writer(store, receiver));
        Journal { jobs }
    }

    /// Writes `commit` and waits until it is durable. `Err` carries a description for the log.
    pub async fn commit(&self, commit: Commit) -> Result<(), String> {
        if commit.entries.is_empty() && commit.eliminated.is_empty() {
            return Ok(());
        }
        let (ack, acked) = oneshot::channel();
        self.jobs
            .send(Job { commit, ack })
            .map_err(|_| "the journal writer has stopped".to_owned())?;
        acked
            .await
            .map_err(|_| "the journal writer dropped a commit".to_owned())?
    }
}

async fn run_writer(store: Store, mut receiver: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = receiver.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (commits, acks): (Vec<Commit>, Vec<_>) =
            jobs.into_iter().map(|job| (job.commit, job.ack)).unzip();
        let count = commits.len();
        metrics::histogram!("magnate_journal_batch_commits").record(count as f64);
        let started = std::time::Instant::now();
        let outcome = store
            .call(move |connection| Ok(write_batch(connection, &commits)))
            .await;
        metrics::histogram!("magnate_journal_commit_seconds")
            .record(started.elapsed().as_secs_f64());
        match outcome {
            Ok(Ok(results)) => {
                for (ack, result) in acks.into_iter().zip(results) {
                    let _ = ack.send(result);
                }
            }
            Ok(Err(error)) | Err(error) => {
                tracing::error!(%error, commits = count, "cannot write game records");
                for ack in acks {
                    let _ = ack.send(Err(error.to_string()));
                }
            }
        }
    }
}

/// Writes every commit in one transaction; each commit gets its own result.
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

/// Serializes an entry for [`Commit::entries`].
pub fn encode_entry(entry: &RecordEntry) -> Result<String, serde_json::Error> {
    serde_json::to_string(entry)
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

/// Why a stored game could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No game has this id, or it has no record header (not a live game).
    #[error("game {0} has no record")]
    NotFound(GameId),
    /// The record does not replay (a bug, or a damaged database). The game is quarantined: kept
    /// exactly as stored, never run or cut, refused to clients, reported by `magnate verify-db`.
    #[error("the record of game {game} does not replay: {error}")]
    Unreplayable {
        /// The game.
        game: GameId,
        /// Why.
        error: magnate_core::ReplayError,
    },
}

/// Stores the header of a new game (in the transaction that creates it).
pub fn write_header(
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
pub async fn load(store: &Store, game_id: GameId) -> Result<StoredGame, LoadError> {
    let found = store
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
        .await?;
    found.ok_or(LoadError::NotFound(game_id))
}

/// Ids of the games that have a record and are not finished.
pub async fn unfinished_games(store: &Store) -> Result<Vec<GameId>, StoreError> {
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
