//! The PostgreSQL backend (tokio-postgres with a deadpool connection pool).
//!
//! The same tables as SQLite, created by the same migrations ([`super::migrations`]) translated
//! to PostgreSQL's dialect; timestamps are the same text, so every answer is byte-identical
//! across backends. Each module here mirrors the SQLite module of the same name.

pub(super) mod games;
pub(crate) mod leases;
pub(super) mod records;
pub(super) mod settings;
pub(crate) mod shared_queue;
pub(super) mod shop;
pub(super) mod users;

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::{error::SqlState, Client, GenericClient, NoTls};

use super::{migrations, StoreError};

/// Connections in the pool: the journal writer, restore and the REST handlers share them.
const POOL_SIZE: usize = 16;

/// First key of the advisory lock a server holds on its database (and schema).
const LOCK_KEY: i32 = 0x4d47_4e54; // "MGNT"

/// A PostgreSQL database: the pool and the text of its connection settings (for tools).
#[derive(Clone)]
pub(crate) struct Postgres {
    pub(crate) pool: Pool,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Postgres").finish_non_exhaustive()
    }
}

/// Parses a `postgres://` (or `postgresql://`) URL or a `key=value` connection string.
pub(crate) fn parse_config(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    tokio_postgres::Config::from_str(url).map_err(|error| StoreError::Config(error.to_string()))
}

/// Connects once, outside the pool, and drives the connection on the current runtime.
pub(crate) async fn connect(config: &tokio_postgres::Config) -> Result<Client, StoreError> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "a PostgreSQL connection closed");
        }
    });
    Ok(client)
}

impl Postgres {
    /// A pool over `config`; no connection is made until one is needed.
    pub(crate) fn pool(config: tokio_postgres::Config) -> Result<Self, StoreError> {
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|error| StoreError::Pool(error.to_string()))?;
        Ok(Self { pool })
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|error| StoreError::Pool(error.to_string()))
    }
}

/// Applies the pending migrations and seeds the shop, on one connection, serialized with any
/// other server or tool migrating the same schema by a transaction-scoped advisory lock.
pub(crate) async fn prepare(client: &mut Client) -> Result<(), StoreError> {
    let transaction = client.transaction().await?;
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
            &[&(LOCK_KEY + 1)],
        )
        .await?;
    let found = match stored_version(&transaction).await? {
        Some(found) => found,
        None => {
            transaction
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS magnate_schema_version (version BIGINT NOT NULL); \
                     INSERT INTO magnate_schema_version (version) VALUES (0)",
                )
                .await?;
            0
        }
    };
    if found > migrations::SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: migrations::SCHEMA_VERSION,
        });
    }
    for (index, sql) in migrations::postgres()
        .iter()
        .enumerate()
        .skip(found as usize)
    {
        transaction.batch_execute(sql).await?;
        transaction
            .execute(
                "UPDATE magnate_schema_version SET version = $1",
                &[&(index as i64 + 1)],
            )
            .await?;
        tracing::info!(version = index + 1, "applied database migration");
    }
    shop::seed_items(&transaction).await?;
    transaction.commit().await?;
    Ok(())
}

/// The schema version recorded in the database (0 before the first migration).
pub(crate) async fn current_version(client: &Client) -> Result<i64, StoreError> {
    Ok(stored_version(client).await?.unwrap_or(0))
}

/// The version row of `magnate_schema_version`, `None` when the table or its row is missing.
async fn stored_version(client: &impl GenericClient) -> Result<Option<i64>, StoreError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('magnate_schema_version') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !exists {
        return Ok(None);
    }
    Ok(client
        .query_opt("SELECT version FROM magnate_schema_version", &[])
        .await?
        .map(|row| row.get(0)))
}

/// Takes the session advisory lock that makes this server the only one on the database's
/// schema. `Ok(false)` when another session holds it.
pub(crate) async fn try_lock(client: &Client) -> Result<bool, StoreError> {
    Ok(client
        .query_one(
            "SELECT pg_try_advisory_lock($1, hashtext(current_schema()))",
            &[&LOCK_KEY],
        )
        .await?
        .get(0))
}

/// Whether `error` is a unique-constraint violation.
pub(crate) fn is_unique_violation(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// Reads a 0/1 integer column as a flag (the schema keeps SQLite's integer flags).
pub(crate) fn flag(value: i64) -> bool {
    value != 0
}
