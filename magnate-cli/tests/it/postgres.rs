//! `--db postgres://…`: an operator's SQLite database copied into PostgreSQL reads and verifies
//! the same (`MAGNATE_TEST_POSTGRES`; skipped, saying so, without it).

use std::time::Duration;

use magnate_server::{store::Database, Store};

use crate::{export::played_game, magnate, stderr, stdout, temp_dir};

#[test]
fn a_sqlite_database_copied_into_postgres_exports_and_verifies_the_same() {
    let Some(url) = std::env::var("MAGNATE_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        eprintln!(
            "PostgreSQL test skipped: set MAGNATE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test to run it"
        );
        return;
    };
    let dir = temp_dir("copy-postgres");
    let (db, played) = played_game(&dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (target, second_copy) = runtime.block_on(async {
        let (target, _) = Database::postgres_scratch(&url).await.unwrap();
        let store = Store::open_database(&target).await.unwrap();
        let report = store.copy_from_sqlite(&db).await.unwrap();
        let records = report
            .tables
            .iter()
            .find(|(table, _)| *table == "game_records")
            .unwrap()
            .1;
        assert!(records > 10, "{report:?}");
        // A database that already holds data is never merged into.
        let second_copy = store.copy_from_sqlite(&db).await.map(|_| ());
        (target, second_copy)
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    let error = second_copy
        .expect_err("the second copy is refused")
        .to_string();
    assert!(error.contains("not empty"), "{error}");
    let Database::Postgres(pg) = target else {
        unreachable!("a PostgreSQL location")
    };
    let sqlite = db.to_str().unwrap();

    let listed = |db: &str| magnate(&["export", "--db", db, "--list"]);
    let (from_sqlite, from_pg) = (listed(sqlite), listed(&pg));
    assert!(from_pg.status.success(), "{}", stderr(&from_pg));
    assert_eq!(stdout(&from_pg), stdout(&from_sqlite));

    let game = played.game.to_string();
    let exported = |db: &str| magnate(&["export", "--db", db, "--game", &game]);
    let (from_sqlite, from_pg) = (exported(sqlite), exported(&pg));
    assert!(from_pg.status.success(), "{}", stderr(&from_pg));
    assert_eq!(from_pg.stdout, from_sqlite.stdout, "the same record");

    let verified = magnate(&["verify-db", "--db", &pg, "--expect-finished"]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(
        stdout(&verified).starts_with("1 games (1 finished, 0 running), "),
        "{}",
        stdout(&verified)
    );
    let sqlite_verified = magnate(&["verify-db", "--db", sqlite, "--expect-finished"]);
    assert_eq!(stdout(&verified), stdout(&sqlite_verified));

    // An empty schema is not a Magnate database.
    let empty = format!("{url}?options=-c%20search_path%3Dno_such_schema");
    let refused = magnate(&["verify-db", "--db", &empty]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("database schema version 0"),
        "{}",
        stderr(&refused)
    );
}
