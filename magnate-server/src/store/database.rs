//! Where the database is: a SQLite file or a PostgreSQL URL, and opening either.

use std::path::PathBuf;

use tokio_postgres::Client;

use super::{pg, Backend, Store, StoreError};

/// A database location, as `DATABASE_URL` (or `magnate --db`) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user@host:port/database?options=...`).
    Postgres(String),
}

impl Database {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite:PATH` (or `sqlite://PATH`)
    /// and anything else is the path of an SQLite file.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Self::Postgres(text.to_owned());
        }
        let path = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
            .unwrap_or(text);
        Self::Sqlite(PathBuf::from(path))
    }

    /// The server's setting: the URL (`DATABASE_URL`) when given, else the SQLite file
    /// (`DATABASE_PATH`).
    pub fn from_settings(path: &std::path::Path, url: Option<&str>) -> Self {
        match url {
            Some(url) => Self::parse(url),
            None => Self::Sqlite(path.to_owned()),
        }
    }

    /// A description for logs: the path, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(url) => redact(url),
        }
    }

    /// Creates a fresh, empty schema in the PostgreSQL database at `base_url` and returns the
    /// location whose connections use it (its `search_path`): a throw-away database for tests
    /// and benchmarks, named `magnate_t_<process id>_<random>`. Dropping it is the caller's
    /// business (`DROP SCHEMA … CASCADE`).
    pub async fn postgres_scratch(base_url: &str) -> Result<(Self, String), StoreError> {
        let config = pg::parse_config(base_url)?;
        let client = pg::connect(&config).await?;
        // The process id lets a later run drop the schemas of processes that are gone.
        let schema = format!(
            "magnate_t_{}_{}",
            std::process::id(),
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .get(..12)
                .unwrap_or("0")
        );
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await?;
        let separator = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{separator}options=-c%20search_path%3D{schema}");
        Ok((Self::Postgres(url), schema))
    }
}

/// `scheme://user:secret@host` → `scheme://user:***@host`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// The session that holds a server's PostgreSQL advisory lock; the lock goes when it is
/// dropped (or the process dies, which closes the session).
pub struct PostgresLock {
    _client: Client,
}

impl std::fmt::Debug for PostgresLock {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PostgresLock")
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (migrating and seeding) the database at `location`; SQLite as [`Store::open`].
    pub async fn open_database(location: &Database) -> Result<Self, StoreError> {
        match location {
            Database::Sqlite(path) => Self::open(path),
            Database::Postgres(url) => Self::open_postgres(url).await,
        }
    }

    /// Opens the PostgreSQL database at `url`: applies pending migrations (the same as
    /// SQLite's, in PostgreSQL's dialect) and seeds the shop.
    pub async fn open_postgres(url: &str) -> Result<Self, StoreError> {
        let config = pg::parse_config(url)?;
        let mut client = pg::connect(&config).await?;
        pg::prepare(&mut client).await?;
        Ok(Self {
            backend: Backend::Postgres(pg::Postgres::pool(config)?),
        })
    }

    /// Opens the PostgreSQL database at `url` for a server: first takes the advisory lock that
    /// keeps a second server off the same database and schema (refused with
    /// [`StoreError::Locked`] while another holds it), then opens as [`Store::open_postgres`].
    /// Keep the returned lock as long as the server runs.
    pub async fn open_postgres_locked(url: &str) -> Result<(Self, PostgresLock), StoreError> {
        let config = pg::parse_config(url)?;
        let client = pg::connect(&config).await?;
        if !pg::try_lock(&client).await? {
            return Err(StoreError::Locked);
        }
        let store = Self::open_postgres(url).await?;
        Ok((store, PostgresLock { _client: client }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_by_scheme() {
        assert_eq!(
            Database::parse("postgres://u@h/db"),
            Database::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            Database::parse("postgresql://u@h/db"),
            Database::Postgres("postgresql://u@h/db".into())
        );
        assert_eq!(
            Database::parse("sqlite:x.db"),
            Database::Sqlite("x.db".into())
        );
        assert_eq!(
            Database::parse("sqlite:///tmp/x.db"),
            Database::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            Database::parse("magnate.db"),
            Database::Sqlite("magnate.db".into())
        );
    }

    #[test]
    fn passwords_are_not_described() {
        assert_eq!(
            Database::parse("postgres://u:secret@h/db").describe(),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            Database::parse("postgres://u@h/db").describe(),
            "postgres://u@h/db"
        );
    }
}
