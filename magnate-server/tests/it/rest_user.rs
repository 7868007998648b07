//! R4–R7: C20, C26, C27, C28.

use chrono::Duration;
use magnate_server::store::NewGame;
use serde_json::json;

use crate::support::{check, TestApp};

#[tokio::test]
async fn c20_profile_has_the_exact_nine_keys() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    app.store().grant_points(user.id, 1000).await.unwrap();
    let response = app.get("/user/info/", Some(&user.access)).await;
    check(
        &response,
        200,
        json!({
            "pk": user.id, "username": "mario", "points": 1000, "exp": 0, "elo": 0,
            "date_joined": "2026-04-16T10:15:30.123456Z",
            "num_played_games": 0, "num_won_games": 0, "user_piece": 1
        }),
    );
    assert_eq!(response.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn c26_change_piece_accepts_owned_pieces_only() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    app.store().give_item(user.id, 3).await.unwrap();
    app.store().give_item(user.id, 5).await.unwrap();
    let token = Some(user.access.as_str());

    let response = app
        .post("/user/change-piece/", token, json!({"custom_id": 3}))
        .await;
    check(
        &response,
        200,
        json!({"message": "Piece changed successfully.", "user_piece": 3}),
    );
    assert_eq!(app.profile(&user).await["user_piece"], 3);

    let cases = [
        (json!({}), "Este campo es requerido."),
        (
            json!({"custom_id": "tres"}),
            "Introduzca un número entero válido.",
        ),
        (json!({"custom_id": 99}), "Item not found."),
        (json!({"custom_id": 5}), "Item is not a piece."),
        (json!({"custom_id": 2}), "You do not own this piece."),
    ];
    for (body, message) in cases {
        let response = app.post("/user/change-piece/", token, body).await;
        check(&response, 400, json!({"custom_id": [message]}));
    }
    // None of the refusals changed the equipped piece.
    assert_eq!(app.profile(&user).await["user_piece"], 3);

    // A numeric string is accepted too.
    app.store().give_item(user.id, 4).await.unwrap();
    let response = app
        .post("/user/change-piece/", token, json!({"custom_id": "4"}))
        .await;
    check(
        &response,
        200,
        json!({"message": "Piece changed successfully.", "user_piece": 4}),
    );
}

#[tokio::test]
async fn c27_user_name_piece_is_open_and_404s_for_unknown_users() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    app.store().give_item(user.id, 2).await.unwrap();
    app.post(
        "/user/change-piece/",
        Some(&user.access),
        json!({"custom_id": 2}),
    )
    .await;
    let response = app
        .get(&format!("/info/user-name-piece/{}/", user.id), None)
        .await;
    check(&response, 200, json!({"username": "mario", "piece": 2}));
    let response = app
        .get(
            &format!("/info/user-name-piece/{}/", user.id),
            Some(&user.access),
        )
        .await;
    check(&response, 200, json!({"username": "mario", "piece": 2}));
    let bot = app.create_bot("Bot_ABC123_1", None).await;
    let response = app
        .get(&format!("/info/user-name-piece/{bot}/"), None)
        .await;
    check(
        &response,
        200,
        json!({"username": "Bot_ABC123_1", "piece": 1}),
    );
    for missing in ["999", "99999999999999999999999"] {
        let response = app
            .get(&format!("/info/user-name-piece/{missing}/"), None)
            .await;
        check(
            &response,
            404,
            json!({"detail": "No CustomUser matches the given query."}),
        );
    }
    // `<int:pk>` only matches digits: anything else is an unknown path.
    let response = app.get("/info/user-name-piece/abc/", None).await;
    assert_eq!(response.status.as_u16(), 404);
    assert_ne!(
        response.json(),
        json!({"detail": "No CustomUser matches the given query."})
    );
}

#[tokio::test]
async fn c28_games_played_lists_running_finished_and_eliminated_games() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let store = app.store();
    let now = app.clock.now();
    let first = store
        .create_game(NewGame {
            created_at: now,
            players: vec![alice.id, bob.id],
            is_private: false,
        })
        .await
        .unwrap();
    let second = store
        .create_game(NewGame {
            created_at: now + Duration::minutes(1),
            players: vec![bob.id, carol.id],
            is_private: true,
        })
        .await
        .unwrap();
    let third = store
        .create_game(NewGame {
            created_at: now + Duration::minutes(2),
            players: vec![carol.id, alice.id],
            is_private: false,
        })
        .await
        .unwrap();
    // Alice is eliminated from the first game; it stays in her list.
    store.eliminate_player(first, alice.id).await.unwrap();

    let games = |user: &crate::support::TestUser| {
        let token = user.access.clone();
        let app = &app;
        async move { app.get("/user/games-played/", Some(&token)).await }
    };
    check(&games(&alice).await, 200, json!({"games": [first, third]}));
    check(&games(&bob).await, 200, json!({"games": [first, second]}));
    check(&games(&carol).await, 200, json!({"games": [second, third]}));
    let dave = app.register("dave").await;
    check(&games(&dave).await, 200, json!({"games": []}));
}
