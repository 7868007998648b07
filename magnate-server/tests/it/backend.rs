//! The backend under test: embedded SQLite by default; PostgreSQL with
//! `MAGNATE_TEST_BACKEND=postgres` and `MAGNATE_TEST_POSTGRES=postgres://…` (what `.ci/run`
//! sets for the suite's second run). Each store gets its own throw-away schema there; the first
//! one a test process makes drops the schemas of test processes that are gone.

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

/// Drops, once per process, the scratch schemas (`magnate_t_<pid>_…`) of processes that no
/// longer run: a test cannot drop its own schema while its server may still use it, so each
/// run cleans up after the earlier ones (CI also drops its whole database at the end).
async fn drop_stale_schemas(url: &str) {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        let Ok((client, connection)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await
        else {
            return;
        };
        let driver = tokio::spawn(connection);
        let schemas = client
            .query(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'magnate\\_t\\_%'",
                &[],
            )
            .await
            .unwrap_or_default();
        for row in schemas {
            let name: String = row.get(0);
            let pid = name
                .split('_')
                .nth(2)
                .and_then(|pid| pid.parse::<u32>().ok());
            let alive = pid.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
            if pid.is_some() && !alive {
                let _ = client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .await;
            }
        }
        driver.abort();
    })
    .await;
}

/// A fresh schema in the PostgreSQL database at `url`, after the once-per-process clean-up.
async fn scratch(url: &str) -> Database {
    drop_stale_schemas(url).await;
    Database::postgres_scratch(url)
        .await
        .expect("a scratch schema")
        .0
}

/// A fresh, private, migrated store: in-memory SQLite, or a new schema on PostgreSQL.
pub async fn test_store() -> Store {
    if on_postgres() {
        let database = scratch(&suite_postgres_url()).await;
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
        return scratch(&suite_postgres_url()).await;
    }
    Database::Sqlite(dir.join("magnate.db"))
}

/// A fresh schema on the PostgreSQL server of `MAGNATE_TEST_POSTGRES` (for PostgreSQL-only
/// tests), whatever the suite's backend.
pub async fn postgres_database(url: &str) -> Database {
    scratch(url).await
}

/// The arguments that point the server binary at `database`.
pub fn database_args(database: &Database) -> Vec<String> {
    match database {
        Database::Sqlite(path) => vec!["--database".into(), path.display().to_string()],
        Database::Postgres(url) => vec!["--database-url".into(), url.clone()],
    }
}
