//! The backend under test: embedded SQLite by default; PostgreSQL with
//! `MAGNATE_TEST_BACKEND=postgres` and `MAGNATE_TEST_POSTGRES=postgres://…` (what `.ci/run`
//! sets for the suite's second run). Each store gets its own throw-away schema there.

use std::{path::Path, sync::Once};

use magnate_server::store::{Database, Store};

/// The PostgreSQL server for the tests that need one, from `MAGNATE_TEST_POSTGRES`.
pub fn postgres_url() -> Option<String> {
    std::env::var("MAGNATE_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Whether the whole suite runs on PostgreSQL (`MAGNATE_TEST_BACKEND=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("MAGNATE_TEST_BACKEND").is_ok_and(|backend| backend == "postgres")
}

fn suite_postgres_url() -> String {
    postgres_url().expect(
        "MAGNATE_TEST_BACKEND=postgres needs MAGNATE_TEST_POSTGRES=postgres://user@host:port/db",
    )
}

/// `MAGNATE_TEST_POSTGRES`, or `None` after saying once that PostgreSQL-only tests are skipped.
pub fn postgres_or_skip() -> Option<String> {
    static SAID: Once = Once::new();
    let url = postgres_url();
    if url.is_none() {
        SAID.call_once(|| {
            eprintln!(
                "PostgreSQL tests skipped: set MAGNATE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
                 to run them (and MAGNATE_TEST_BACKEND=postgres to run the whole suite on PostgreSQL)"
            );
        });
    }
    url
}

/// A fresh, private, migrated store: in-memory SQLite, or a new schema on PostgreSQL.
pub async fn test_store() -> Store {
    if on_postgres() {
        let (database, _) = Database::postgres_scratch(&suite_postgres_url())
            .await
            .expect("a scratch schema");
        return Store::open_database(&database)
            .await
            .expect("postgres store");
    }
    Store::open_in_memory().expect("in-memory store")
}

/// A fresh database location for tests that reopen it (restarts): `dir/magnate.db`, or a new
/// schema on PostgreSQL.
pub async fn test_database(dir: &Path) -> Database {
    if on_postgres() {
        return Database::postgres_scratch(&suite_postgres_url())
            .await
            .expect("a scratch schema")
            .0;
    }
    Database::Sqlite(dir.join("magnate.db"))
}

/// A fresh schema on the PostgreSQL server of `MAGNATE_TEST_POSTGRES` (for PostgreSQL-only
/// tests), whatever the suite's backend.
pub async fn postgres_database(url: &str) -> Database {
    Database::postgres_scratch(url)
        .await
        .expect("a scratch schema")
        .0
}

/// The arguments that point the server binary at `database`.
pub fn database_args(database: &Database) -> Vec<String> {
    match database {
        Database::Sqlite(path) => vec!["--database".into(), path.display().to_string()],
        Database::Postgres(url) => vec!["--database-url".into(), url.clone()],
    }
}
