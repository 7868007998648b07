//! The store: migrations, the kept JWT key, and end-of-game bookkeeping (docs/protocol.md).

use chrono::Duration;
use magnate_server::{
    auth::Passwords,
    config::Rewards,
    store::{GameResult, NewGame, StoreError, SummaryLookup, SCHEMA_VERSION},
    AppState, Clock, Config, Store,
};

use crate::{
    backend::{on_postgres, test_database, test_store},
    support::TestApp,
};

#[tokio::test]
async fn opening_a_file_migrates_once_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let database = test_database(dir.path()).await;
    let store = Store::open_database(&database).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    if !store.is_postgres() {
        let mode: String = store
            .call(|connection| {
                Ok(connection.query_row("PRAGMA journal_mode", [], |row| row.get(0))?)
            })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }
    let secret = store.jwt_secret_or_insert("first".into()).await.unwrap();
    assert_eq!(secret, "first");
    drop(store);

    let reopened = Store::open_database(&database).await.unwrap();
    assert_eq!(reopened.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(
        reopened
            .jwt_secret_or_insert("second".into())
            .await
            .unwrap(),
        "first"
    );
    let items = reopened
        .raw_int("SELECT COUNT(*) FROM items", vec![])
        .await
        .unwrap();
    assert_eq!(items, 6);
}

#[tokio::test]
async fn a_database_from_a_newer_server_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    if on_postgres() {
        let database = test_database(dir.path()).await;
        let store = Store::open_database(&database).await.unwrap();
        store
            .raw_execute(&format!(
                "UPDATE magnate_schema_version SET version = {}",
                SCHEMA_VERSION + 1
            ))
            .await
            .unwrap();
        assert!(matches!(
            Store::open_database(&database).await,
            Err(StoreError::SchemaTooNew { .. })
        ));
        return;
    }
    let path = dir.path().join("magnate.db");
    {
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::SchemaTooNew { .. })
    ));
}

#[tokio::test]
async fn generated_secret_is_kept_so_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = test_database(dir.path()).await;
    let clock = Clock::manual(crate::support::start_time());
    let state = AppState::new(
        Config::default(),
        Store::open_database(&database).await.unwrap(),
        None,
        clock.clone(),
        Passwords::insecure_fast(),
    )
    .await
    .unwrap();
    let token = state
        .jwt
        .issue(magnate_server::auth::TokenKind::Access, 1, clock.now());
    drop(state);
    let state = AppState::new(
        Config::default(),
        Store::open_database(&database).await.unwrap(),
        None,
        clock.clone(),
        Passwords::insecure_fast(),
    )
    .await
    .unwrap();
    assert!(state
        .jwt
        .verify(&token, magnate_server::auth::TokenKind::Access, clock.now())
        .is_ok());
    // A different database generates a different key.
    let other = AppState::new(
        Config::default(),
        test_store().await,
        None,
        clock.clone(),
        Passwords::insecure_fast(),
    )
    .await
    .unwrap();
    assert!(other
        .jwt
        .verify(&token, magnate_server::auth::TokenKind::Access, clock.now())
        .is_err());
}

struct Finished {
    app: TestApp,
    alice: i64,
    bob: i64,
    bot: i64,
    game: i64,
}

async fn game_with_alice_bob_and_a_bot() -> Finished {
    let app = TestApp::new().await;
    let alice = app.register("alice").await.id;
    let bob = app.register("bob").await.id;
    let bot = app.create_bot("Bot_ROOM_1", None).await;
    let game = app
        .store()
        .create_game(NewGame {
            created_at: app.clock.now(),
            players: vec![alice, bob, bot],
            is_private: true,
        })
        .await
        .unwrap();
    Finished {
        app,
        alice,
        bob,
        bot,
        game,
    }
}

async fn user(app: &TestApp, id: i64) -> magnate_server::store::User {
    app.store().user(id).await.unwrap().unwrap()
}

#[tokio::test]
async fn creating_a_game_sets_active_game_and_statistics_rows() {
    let setup = game_with_alice_bob_and_a_bot().await;
    for id in [setup.alice, setup.bob, setup.bot] {
        assert_eq!(user(&setup.app, id).await.active_game_id, Some(setup.game));
        assert_eq!(
            setup.app.store().games_played(id).await.unwrap(),
            [setup.game]
        );
    }
    assert_eq!(
        setup
            .app
            .store()
            .is_game_finished(setup.game)
            .await
            .unwrap(),
        Some(false)
    );
}

#[tokio::test]
async fn finishing_a_game_updates_counters_summary_and_retires_bots() {
    let Finished {
        app,
        alice,
        bob,
        bot,
        game,
    } = game_with_alice_bob_and_a_bot().await;
    let store = app.store();
    store.eliminate_player(game, bob).await.unwrap();
    assert_eq!(user(&app, bob).await.active_game_id, None);
    store.eliminate_player(game, bot).await.unwrap();
    let ended_at = app.clock.now() + Duration::hours(1);
    let summary = store
        .finish_game(
            GameResult {
                game_id: game,
                ended_at,
                winner: Some(alice),
                survivors: vec![(alice, 4200)],
            },
            Rewards::default(),
        )
        .await
        .unwrap();
    assert_eq!(summary.game, game);
    assert_eq!(summary.start_date, app.clock.now());
    assert_eq!(summary.end_date, ended_at);
    assert_eq!(
        summary.final_money.into_iter().collect::<Vec<_>>(),
        [
            ("Bot_ROOM_1".to_owned(), 0),
            ("alice".to_owned(), 4200),
            ("bob".to_owned(), 0)
        ]
    );
    assert_eq!(store.is_game_finished(game).await.unwrap(), Some(true));

    let alice_after = user(&app, alice).await;
    assert_eq!(
        (alice_after.num_played_games, alice_after.num_won_games),
        (1, 1)
    );
    assert_eq!(alice_after.active_game_id, None);
    // Default rewards are zero, as in the reference.
    assert_eq!(
        (alice_after.points, alice_after.exp, alice_after.elo),
        (0, 0, 0)
    );
    let bob_after = user(&app, bob).await;
    assert_eq!(
        (bob_after.num_played_games, bob_after.num_won_games),
        (1, 0)
    );
    let bot_after = user(&app, bot).await;
    assert!(!bot_after.is_active);
    assert_eq!(bot_after.num_played_games, 0);
    // The bot's statistics row survives.
    assert_eq!(store.games_played(bot).await.unwrap(), [game]);
    assert!(matches!(
        store.summary_for(game, bob).await.unwrap(),
        SummaryLookup::Found(_)
    ));
}

#[tokio::test]
async fn finishing_twice_fails_and_changes_nothing() {
    let Finished {
        app, alice, game, ..
    } = game_with_alice_bob_and_a_bot().await;
    let result = GameResult {
        game_id: game,
        ended_at: app.clock.now(),
        winner: Some(alice),
        survivors: vec![(alice, 1)],
    };
    let rewards = Rewards {
        points_win: 10,
        ..Rewards::default()
    };
    app.store()
        .finish_game(result.clone(), rewards)
        .await
        .unwrap();
    let error = app.store().finish_game(result, rewards).await.unwrap_err();
    assert!(matches!(error, StoreError::GameAlreadyFinished(id) if id == game));
    let alice_after = user(&app, alice).await;
    assert_eq!(
        (
            alice_after.num_played_games,
            alice_after.num_won_games,
            alice_after.points
        ),
        (1, 1, 10)
    );
}

#[tokio::test]
async fn finishing_with_a_stranger_or_unknown_game_fails_without_changes() {
    let Finished {
        app, alice, game, ..
    } = game_with_alice_bob_and_a_bot().await;
    let stranger = app.register("eve").await.id;
    let error = app
        .store()
        .finish_game(
            GameResult {
                game_id: game,
                ended_at: app.clock.now(),
                winner: Some(stranger),
                survivors: vec![(stranger, 5)],
            },
            Rewards::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotAParticipant { user, .. } if user == stranger));
    // A winner who is not among the survivors is refused too.
    let error = app
        .store()
        .finish_game(
            GameResult {
                game_id: game,
                ended_at: app.clock.now(),
                winner: Some(alice),
                survivors: vec![],
            },
            Rewards::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotAParticipant { user, .. } if user == alice));
    assert_eq!(
        app.store().is_game_finished(game).await.unwrap(),
        Some(false)
    );
    assert_eq!(user(&app, alice).await.num_played_games, 0);
    let error = app
        .store()
        .finish_game(
            GameResult {
                game_id: 999,
                ended_at: app.clock.now(),
                winner: None,
                survivors: vec![],
            },
            Rewards::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::GameNotFound(999)));
}

#[tokio::test]
async fn rewards_and_elo_apply_to_humans_and_never_go_below_zero() {
    let Finished {
        app,
        alice,
        bob,
        bot,
        game,
    } = game_with_alice_bob_and_a_bot().await;
    let rewards = Rewards {
        points_win: 50,
        points_play: 10,
        exp_win: 7,
        exp_play: -3,
        elo_k: 32,
    };
    app.store()
        .finish_game(
            GameResult {
                game_id: game,
                ended_at: app.clock.now(),
                winner: Some(alice),
                survivors: vec![(alice, 100)],
            },
            rewards,
        )
        .await
        .unwrap();
    let alice_after = user(&app, alice).await;
    // Equal ratings: the expected score is one half, so K/2 moves each way.
    assert_eq!(
        (alice_after.points, alice_after.exp, alice_after.elo),
        (60, 4, 16)
    );
    let bob_after = user(&app, bob).await;
    assert_eq!((bob_after.points, bob_after.exp, bob_after.elo), (10, 0, 0));
    let bot_after = user(&app, bot).await;
    assert_eq!((bot_after.points, bot_after.exp, bot_after.elo), (0, 0, 0));
}

#[tokio::test]
async fn a_game_without_a_winner_counts_as_played_for_everyone() {
    let Finished {
        app,
        alice,
        bob,
        game,
        ..
    } = game_with_alice_bob_and_a_bot().await;
    app.store()
        .finish_game(
            GameResult {
                game_id: game,
                ended_at: app.clock.now(),
                winner: None,
                survivors: vec![(alice, 10), (bob, 20)],
            },
            Rewards {
                elo_k: 32,
                ..Rewards::default()
            },
        )
        .await
        .unwrap();
    for id in [alice, bob] {
        let after = user(&app, id).await;
        assert_eq!(
            (after.num_played_games, after.num_won_games, after.elo),
            (1, 0, 0)
        );
    }
}
