//! PostgreSQL under real concurrency (`MAGNATE_TEST_POSTGRES`; skipped, saying so, without
//! it): what SQLite's single writer gave for free must hold with a pool of connections.

use std::sync::Arc;

use chrono::Utc;
use magnate_server::{
    games::journal::Commit,
    store::{BuyOutcome, CreateUserOutcome, NewGame, NewUser, StoreError},
    Store,
};
use tokio::sync::Barrier;

use crate::backend::{postgres_database, postgres_or_skip};

async fn fresh_store(url: &str) -> Store {
    Store::open_database(&postgres_database(url).await)
        .await
        .unwrap()
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: name.to_owned(),
        password_hash: None,
        bot_level: None,
        date_joined: Utc::now(),
    }
}

async fn create(store: &Store, name: &str) -> i64 {
    match store.create_user(new_user(name)).await.unwrap() {
        CreateUserOutcome::Created(user) => user.id,
        CreateUserOutcome::UsernameTaken => panic!("{name} is taken"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_purchases_of_one_item_succeed_exactly_once_on_postgres() {
    let Some(url) = postgres_or_skip() else {
        return;
    };
    let store = fresh_store(&url).await;
    for round in 0..5 {
        let user = create(&store, &format!("buyer{round}")).await;
        // Enough points for eight purchases: only ownership can stop the second one.
        store.grant_points(user, 800).await.unwrap();
        let barrier = Arc::new(Barrier::new(8));
        let buys: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.buy_item(user, 1).await.unwrap()
                })
            })
            .collect();
        let mut bought = 0;
        for buy in buys {
            match buy.await.unwrap() {
                BuyOutcome::Bought { .. } => bought += 1,
                BuyOutcome::AlreadyOwned => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(bought, 1, "round {round}");
        let points = store.user(user).await.unwrap().unwrap().points;
        assert_eq!(points, 700, "the price is taken once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_name_give_one_user_on_postgres() {
    let Some(url) = postgres_or_skip() else {
        return;
    };
    let store = fresh_store(&url).await;
    for round in 0..5 {
        let name = format!("twin{round}");
        let barrier = Arc::new(Barrier::new(8));
        let tries: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let barrier = Arc::clone(&barrier);
                let name = name.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.create_user(new_user(&name)).await.unwrap()
                })
            })
            .collect();
        let mut created = 0;
        for attempt in tries {
            match attempt.await.unwrap() {
                CreateUserOutcome::Created(_) => created += 1,
                CreateUserOutcome::UsernameTaken => {}
            }
        }
        assert_eq!(created, 1, "round {round}");
        let count = store
            .raw_int(
                "SELECT COUNT(*) FROM users WHERE username = ?1",
                vec![name.into()],
            )
            .await
            .unwrap();
        assert_eq!(count, 1);
    }
}

fn commit(game_id: i64, index: u64) -> Commit {
    Commit {
        game_id,
        entries: vec![(index, 1_000, format!("{{\"index\":{index}}}"))],
        eliminated: Vec::new(),
        fence: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_record_index_is_written_once_and_a_second_writer_is_told_it_lost_the_game() {
    let Some(url) = postgres_or_skip() else {
        return;
    };
    let store = fresh_store(&url).await;
    let alice = create(&store, "alice").await;
    let bob = create(&store, "bob").await;
    let game = |players: Vec<i64>| NewGame {
        created_at: Utc::now(),
        players,
        is_private: false,
    };
    let contested = store.create_game(game(vec![alice])).await.unwrap();
    let other = store.create_game(game(vec![bob])).await.unwrap();
    // Two writers (as two servers would) race to store entry 0 of the same game, each in a
    // batch with other work.
    let barrier = Arc::new(Barrier::new(2));
    let writers: Vec<_> = (0..2u64)
        .map(|writer| {
            let store = store.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                let batch = vec![commit(contested, 0), commit(other, 1 + writer)];
                store.write_batch(batch).await
            })
        })
        .collect();
    let mut contested_ok = 0;
    for writer in writers {
        let results = writer
            .await
            .unwrap()
            .expect("the batch transaction commits");
        assert_eq!(results.len(), 2);
        match &results[0] {
            Ok(()) => contested_ok += 1,
            Err(error) => assert!(error.contains("owned by another writer"), "{error}"),
        }
        assert_eq!(results[1], Ok(()), "the rest of the batch is written");
    }
    assert_eq!(contested_ok, 1);
    let stored = |game: i64| {
        let store = store.clone();
        async move {
            store
                .raw_int(
                    "SELECT COUNT(*) FROM game_records WHERE game_id = ?1",
                    vec![game.into()],
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(stored(contested).await, 1);
    assert_eq!(stored(other).await, 2);
    // The store keeps working after the violation.
    assert_eq!(
        store.write_batch(vec![commit(contested, 1)]).await.unwrap(),
        vec![Ok(())]
    );
}

#[tokio::test]
async fn a_second_server_on_one_postgres_database_is_refused() {
    let Some(url) = postgres_or_skip() else {
        return;
    };
    let magnate_server::store::Database::Postgres(schema_url) = postgres_database(&url).await
    else {
        unreachable!("a PostgreSQL location");
    };
    let (_store, lock) = Store::open_postgres_locked(&schema_url).await.unwrap();
    assert!(matches!(
        Store::open_postgres_locked(&schema_url).await,
        Err(StoreError::Locked)
    ));
    drop(lock);
    // The lock goes with its session.
    let mut reopened = None;
    for _ in 0..50 {
        match Store::open_postgres_locked(&schema_url).await {
            Ok(opened) => {
                reopened = Some(opened);
                break;
            }
            Err(StoreError::Locked) => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(error) => panic!("{error}"),
        }
    }
    assert!(
        reopened.is_some(),
        "the lock is free once its holder is gone"
    );
}

#[tokio::test]
async fn the_server_copies_a_sqlite_database_into_an_empty_postgres_one() {
    let Some(url) = postgres_or_skip() else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let sqlite = directory.path().join("magnate.db");
    let source = Store::open(&sqlite).unwrap();
    let alice = create(&source, "alice").await;
    let bob = create(&source, "bob").await;
    source.grant_points(bob, 300).await.unwrap();
    assert!(matches!(
        source.buy_item(bob, 2).await.unwrap(),
        BuyOutcome::Bought { .. }
    ));
    let game = source
        .create_game(NewGame {
            created_at: Utc::now(),
            players: vec![alice, bob],
            is_private: true,
        })
        .await
        .unwrap();
    source
        .jwt_secret_or_insert("kept-secret".into())
        .await
        .unwrap();
    drop(source);

    let magnate_server::store::Database::Postgres(target) = postgres_database(&url).await else {
        unreachable!("a PostgreSQL location");
    };
    let copy = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_magnate-server"))
            .args(["--database-url", &target, "--copy-from-sqlite"])
            .arg(&sqlite)
            .env("LOG_LEVEL", "warn")
            .output()
            .unwrap()
    };
    let copied = copy();
    let stdout = String::from_utf8_lossy(&copied.stdout);
    assert!(
        copied.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("users ") && line.ends_with(" 2 rows")),
        "{stdout}"
    );

    let store = Store::open_database(&magnate_server::store::Database::Postgres(target.clone()))
        .await
        .unwrap();
    let copied_bob = store.user_by_username("bob".into()).await.unwrap().unwrap();
    assert_eq!(copied_bob.id, bob);
    assert_eq!(copied_bob.points, 100);
    assert_eq!(copied_bob.active_game_id, Some(game));
    assert_eq!(store.games_played(alice).await.unwrap(), vec![game]);
    assert_eq!(
        store.jwt_secret_or_insert("new".into()).await.unwrap(),
        "kept-secret"
    );
    // Ids continue after the copied ones.
    assert_eq!(create(&store, "carol").await, bob + 1);
    assert!(matches!(
        store.buy_item(bob, 2).await.unwrap(),
        BuyOutcome::AlreadyOwned
    ));

    // A database that already holds data is never merged into.
    let again = copy();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
