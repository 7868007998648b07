//! Durable game records, written with group commit (the SQL is in `store/records.rs`).
//!
//! A game's record header (the core's `RecordHeader`: format, seed, setup, start time) is stored
//! when the game is created; every accepted input is one stored row holding the core's
//! `RecordEntry` JSON (index, time, input, state hash).
//!
//! One writer (a thread on SQLite, a task on PostgreSQL) serves every game: it takes whatever
//! commits are queued, writes them in one transaction (a savepoint per commit, so one bad
//! commit cannot sink the others), and then acknowledges each. A game actor awaits its acknowledgement before anyone hears of the input,
//! so what clients saw is always on disk (SQLite: WAL, `synchronous=NORMAL`: durable across a
//! process kill; a power cut may lose the last few commits. PostgreSQL: one transaction per
//! batch, acknowledged after its commit). An entry index already stored for the game (the
//! unique key of the records) fails that game's commit only: someone else owns the game, so
//! its actor reloads instead of overwriting.

use magnate_core::RecordEntry;
use tokio::sync::{mpsc, oneshot};

use crate::store::records::load_record;
pub use crate::store::records::{Commit, StoredGame};
use crate::store::{GameId, Store, StoreError};

/// Largest number of commits written in one transaction.
const MAX_BATCH: usize = 4096;

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
    /// Starts the writer: on SQLite a thread of its own, which writes each batch where it
    /// receives it (one hand-off less per commit than a task and the blocking pool); on
    /// PostgreSQL a task on the current runtime.
    pub fn start(store: Store) -> Journal {
        let (jobs, receiver) = mpsc::unbounded_channel();
        if store.is_postgres() {
            tokio::spawn(run_writer(store, receiver));
        } else {
            let spawned = std::thread::Builder::new().name("journal".into()).spawn({
                let store = store.clone();
                move || run_sqlite_writer(&store, receiver)
            });
            if let Err(error) = spawned {
                // The receiver went with the failed thread; commits are refused, never lost.
                tracing::error!(%error, "cannot start the journal thread");
            }
        }
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

/// A commit slower than this is logged: checkpoints are off the commit path, so it means the
/// disk or the database server stalled.
const SLOW_COMMIT: std::time::Duration = std::time::Duration::from_millis(50);

async fn run_writer(store: Store, mut receiver: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = receiver.recv().await {
        let (commits, acks) = batch(first, &mut receiver);
        let started = std::time::Instant::now();
        let outcome = store.write_batch(commits).await;
        finish(outcome, acks, started);
    }
}

fn run_sqlite_writer(store: &Store, mut receiver: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = receiver.blocking_recv() {
        let (commits, acks) = batch(first, &mut receiver);
        let started = std::time::Instant::now();
        let outcome = store
            .write_batch_here(&commits)
            .unwrap_or(Err(StoreError::NotSqlite));
        finish(outcome, acks, started);
    }
}

type Acks = Vec<oneshot::Sender<Result<(), String>>>;

/// `first` and whatever else is queued, up to [`MAX_BATCH`] commits.
fn batch(first: Job, receiver: &mut mpsc::UnboundedReceiver<Job>) -> (Vec<Commit>, Acks) {
    let mut jobs = vec![first];
    while jobs.len() < MAX_BATCH {
        match receiver.try_recv() {
            Ok(job) => jobs.push(job),
            Err(_) => break,
        }
    }
    let batch: (Vec<Commit>, Acks) = jobs.into_iter().map(|job| (job.commit, job.ack)).unzip();
    metrics::histogram!("magnate_journal_batch_commits").record(batch.0.len() as f64);
    batch
}

/// Records the commit's time and acknowledges each commit of the batch with its result.
fn finish(
    outcome: Result<Vec<Result<(), String>>, StoreError>,
    acks: Acks,
    started: std::time::Instant,
) {
    let count = acks.len();
    let took = started.elapsed();
    metrics::histogram!("magnate_journal_commit_seconds").record(took.as_secs_f64());
    if took > SLOW_COMMIT {
        metrics::counter!("magnate_journal_slow_commits_total").increment(1);
        tracing::warn!(
            ms = took.as_millis() as u64,
            commits = count,
            "slow journal commit"
        );
    }
    match outcome {
        Ok(results) => {
            for (ack, result) in acks.into_iter().zip(results) {
                let _ = ack.send(result);
            }
        }
        Err(error) => {
            tracing::error!(%error, commits = count, "cannot write game records");
            for ack in acks {
                let _ = ack.send(Err(error.to_string()));
            }
        }
    }
}

/// Serializes an entry for [`Commit::entries`].
pub fn encode_entry(entry: &RecordEntry) -> Result<String, serde_json::Error> {
    serde_json::to_string(entry)
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

/// Reads a game's header and entries.
pub async fn load(store: &Store, game_id: GameId) -> Result<StoredGame, LoadError> {
    load_record(store, game_id)
        .await?
        .ok_or(LoadError::NotFound(game_id))
}

/// Ids of the games that have a record and are not finished.
pub use crate::store::records::unfinished_games;
