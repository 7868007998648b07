//! Persistence with versioned migrations, on one of two backends behind the same methods:
//! embedded SQLite (rusqlite, the default) or PostgreSQL (tokio-postgres with a connection
//! pool, [`Database::Postgres`]).
//!
//! SQLite: one connection sits behind a mutex. Every query runs on a blocking thread through
//! [`Store::call`], which takes the mutex inside that thread, so no lock is ever held across an
//! `.await` and the async workers never block on SQLite. PostgreSQL: each method takes a pooled
//! connection; the SQL lives in `pg/`, one module per SQLite module.

pub mod checkpoint;
mod copy;
mod database;
mod games;
pub mod integrity;
pub mod leases;
pub mod lock;
mod migrations;
mod pg;
mod raw;
pub(crate) mod records;
mod settings;
mod shop;
mod users;

use std::{
    path::Path,
    sync::{Arc, Mutex, PoisonError},
};

use rusqlite::Connection;

pub use copy::CopyReport;
pub use database::{Database, PostgresLock};
pub use games::{GameResult, GameSummary, NewGame, SummaryLookup};
pub use integrity::{IntegrityError, WalState};
pub use leases::{Fence, QueuedPlayer};
pub use lock::{DatabaseLock, LockError};
pub use migrations::SCHEMA_VERSION;
pub use raw::RawValue;
pub use shop::{BuyOutcome, Item, ItemKind};
pub use users::{ChangePieceOutcome, CreateUserOutcome, NewUser, User};

/// A user's database id.
pub type UserId = i64;
/// A game's database id.
pub type GameId = i64;

/// A failure inside the store. It never reaches a client: the HTTP edge maps it to a generic 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error.
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be had from the pool.
    #[error("postgres connection pool: {0}")]
    Pool(String),
    /// The database URL cannot be used.
    #[error("database settings: {0}")]
    Config(String),
    /// Another server holds the database (PostgreSQL's advisory lock).
    #[error("another server is using this PostgreSQL database (schema); one server per database")]
    Locked,
    /// [`Store::call`] runs SQLite closures; the store is on PostgreSQL.
    #[error("this operation needs the SQLite backend")]
    NotSqlite,
    /// A cluster operation (leases) on an SQLite store: cluster mode needs PostgreSQL.
    #[error("cluster mode needs the PostgreSQL store")]
    NotPostgres,
    /// A JSON column could not be read or written.
    #[error("json column: {0}")]
    Json(#[from] serde_json::Error),
    /// A stored timestamp could not be parsed.
    #[error("bad timestamp in column {column}: {value:?}")]
    BadTimestamp {
        /// The column.
        column: &'static str,
        /// The stored text.
        value: String,
    },
    /// The blocking task running the query panicked or was cancelled.
    #[error("store task failed: {0}")]
    Task(String),
    /// The database was written by a newer server.
    #[error("database schema version {found} is newer than this server's {supported}")]
    SchemaTooNew {
        /// Version found in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// A database opened read-only does not have this build's schema.
    #[error("database schema version {found}, this build reads version {expected} (an empty or foreign file, or another server version: start this version's server on it once)")]
    SchemaMismatch {
        /// Version found in the file.
        found: i64,
        /// The version this build writes.
        expected: i64,
    },
    /// The game does not exist.
    #[error("game {0} not found")]
    GameNotFound(GameId),
    /// The game was already finalized; end-of-game bookkeeping runs once.
    #[error("game {0} is already finished")]
    GameAlreadyFinished(GameId),
    /// A user named in a game result has no statistics row for the game.
    #[error("user {user} did not take part in game {game}")]
    NotAParticipant {
        /// The game.
        game: GameId,
        /// The user.
        user: UserId,
    },
    /// A user id given to the store does not exist.
    #[error("user {0} not found")]
    UserNotFound(UserId),
}

/// SQLite's `synchronous` setting in WAL mode: how much a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Synchronous {
    /// A commit survives a crash of the process; a power cut or kernel crash may lose the last
    /// commits (never corrupts the database). The default.
    #[default]
    Normal,
    /// Every commit is on the disk before it is acknowledged: it survives a power cut too,
    /// at the cost of one `fsync` per commit.
    Full,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
        }
    }
}

/// Why [`Store::open_checked`] refused the database.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A start-up check failed.
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
    /// Opening or migrating failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(Arc<Mutex<Connection>>),
    Postgres(pg::Postgres),
}

impl Store {
    /// Opens (creating if needed) the database file at `path`, switches it to WAL mode, applies
    /// pending migrations and seeds the shop items.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        Self::prepare(connection)
    }

    /// Opens the server's database with the start-up checks: the write-ahead log is read before
    /// SQLite replays it ([`integrity::check_wal`]: refused when damaged before its end), then
    /// the journal mode must be WAL and `PRAGMA quick_check` must pass. `synchronous` is the
    /// durability level; checkpoints run off the commit path ([`checkpoint`]). The caller holds
    /// the [`DatabaseLock`]. Returns the store and what the
    /// log check found (a torn last frame is reported for the caller to log).
    pub fn open_checked(
        path: &Path,
        synchronous: Synchronous,
    ) -> Result<(Self, WalState), OpenError> {
        let wal = integrity::check_wal(path)?;
        let connection = Connection::open(path).map_err(StoreError::from)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(StoreError::from)?;
        connection
            .pragma_update(None, "synchronous", synchronous.pragma())
            .map_err(StoreError::from)?;
        integrity::check_open(&connection)?;
        let store = Self::prepare(connection)?;
        if let Backend::Sqlite(connection) = &store.backend {
            checkpoint::start(path, connection, checkpoint::CATCH_UP_FRAMES)?;
        }
        Ok((store, wal))
    }

    /// Opens an existing database read-only, for tools (`magnate export`, `magnate verify-db`):
    /// nothing is migrated, seeded or written, and a running server is not disturbed. The
    /// schema must be this build's.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let connection = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let found = migrations::current_version(&connection)?;
        if found != migrations::SCHEMA_VERSION {
            return Err(StoreError::SchemaMismatch {
                found,
                expected: migrations::SCHEMA_VERSION,
            });
        }
        Ok(Self {
            backend: Backend::Sqlite(Arc::new(Mutex::new(connection))),
        })
    }

    /// Opens a private in-memory database, migrated and seeded; used by tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut connection: Connection) -> Result<Self, StoreError> {
        connection.pragma_update(None, "foreign_keys", true)?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations::migrate(&mut connection)?;
        shop::seed_items(&connection)?;
        Ok(Self {
            backend: Backend::Sqlite(Arc::new(Mutex::new(connection))),
        })
    }

    /// Runs `work` with the SQLite connection on a blocking thread and returns its result
    /// ([`StoreError::NotSqlite`] on PostgreSQL). Only the store and tests use it.
    pub async fn call<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let Backend::Sqlite(connection) = &self.backend else {
            return Err(StoreError::NotSqlite);
        };
        let connection = Arc::clone(connection);
        tokio::task::spawn_blocking(move || {
            // A panic inside an earlier closure poisons the mutex; the connection itself is still
            // consistent because an unfinished transaction rolls back when it is dropped.
            let mut guard = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut guard)
        })
        .await
        .map_err(|error| StoreError::Task(error.to_string()))?
    }

    /// Runs `work` with the SQLite connection on the calling thread, which must be allowed to
    /// block (not an async worker); `None` on PostgreSQL.
    pub(crate) fn with_sqlite<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Option<Result<T, StoreError>> {
        let Backend::Sqlite(connection) = &self.backend else {
            return None;
        };
        let mut guard = connection.lock().unwrap_or_else(PoisonError::into_inner);
        Some(work(&mut guard))
    }

    /// The schema version recorded in the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::current_version(&**pg.client().await?).await;
        }
        self.call(|connection| migrations::current_version(connection))
            .await
    }

    /// Whether the store is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres().is_some()
    }

    fn postgres(&self) -> Option<&pg::Postgres> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(pg) => Some(pg),
        }
    }
}

fn read_timestamp(
    column: &'static str,
    value: String,
) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    crate::clock::parse_datetime(&value).ok_or(StoreError::BadTimestamp { column, value })
}
