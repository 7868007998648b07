//! R8–R11: C21–C25.

use std::sync::Arc;

use serde_json::json;

use crate::support::{check, TestApp};

fn seed(owned: &[i64]) -> serde_json::Value {
    let items = [
        (1, "piece", 100),
        (2, "piece", 200),
        (3, "piece", 500),
        (4, "piece", 1000),
        (5, "emoji", 250),
        (6, "emoji", 500),
    ];
    json!(items
        .iter()
        .map(|(id, kind, price)| json!({
            "custom_id": id, "itemType": kind, "price": price, "owned": owned.contains(id)
        }))
        .collect::<Vec<_>>())
}

#[tokio::test]
async fn c21_items_lists_the_six_seeded_items_with_owned_flags() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    check(
        &app.get("/shop/items/", Some(&alice.access)).await,
        200,
        seed(&[]),
    );
    app.store().give_item(alice.id, 2).await.unwrap();
    app.store().give_item(alice.id, 6).await.unwrap();
    check(
        &app.get("/shop/items/", Some(&alice.access)).await,
        200,
        seed(&[2, 6]),
    );
    // `owned` is about the caller only.
    check(
        &app.get("/shop/items/", Some(&bob.access)).await,
        200,
        seed(&[]),
    );
    check(
        &app.get("/shop/items/", None).await,
        401,
        json!({"detail": "Las credenciales de autenticación no se proveyeron."}),
    );
}

#[tokio::test]
async fn c22_buying_deducts_points_and_marks_the_item_owned() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    app.store().grant_points(user.id, 1000).await.unwrap();
    let response = app
        .post("/shop/buy/", Some(&user.access), json!({"custom_id": 1}))
        .await;
    check(
        &response,
        200,
        json!({
            "message": "Purchase successful.",
            "item": {"custom_id": 1, "itemType": "piece", "price": 100, "owned": true},
            "points_remaining": 900
        }),
    );
    assert_eq!(app.profile(&user).await["points"], 900);
    // Buying does not equip the piece.
    assert_eq!(app.profile(&user).await["user_piece"], 1);
    check(
        &app.get("/shop/items/", Some(&user.access)).await,
        200,
        seed(&[1]),
    );
}

#[tokio::test]
async fn c23_buy_refusals_have_exact_messages_and_change_nothing() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    app.store().grant_points(user.id, 300).await.unwrap();
    app.store().give_item(user.id, 2).await.unwrap();
    let cases = [
        (json!({}), "Este campo es requerido."),
        (json!({"item_id": 1}), "Este campo es requerido."),
        (
            json!({"custom_id": "uno"}),
            "Introduzca un número entero válido.",
        ),
        (
            json!({"custom_id": 1.5}),
            "Introduzca un número entero válido.",
        ),
        (
            json!({"custom_id": true}),
            "Introduzca un número entero válido.",
        ),
        (
            json!({"custom_id": [1]}),
            "Introduzca un número entero válido.",
        ),
        (json!({"custom_id": 42}), "Item not found."),
        (json!({"custom_id": 2}), "You already own this item."),
        (
            json!({"custom_id": 3}),
            "Not enough points. You have 300, item costs 500.",
        ),
    ];
    for (body, message) in cases {
        let response = app
            .post("/shop/buy/", Some(&user.access), body.clone())
            .await;
        check(&response, 400, json!({"custom_id": [message]}));
    }
    assert_eq!(app.profile(&user).await["points"], 300);
    check(
        &app.get("/shop/items/", Some(&user.access)).await,
        200,
        seed(&[2]),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn c24_concurrent_double_buy_succeeds_exactly_once() {
    let app = Arc::new(TestApp::new().await);
    let user = app.register("mario").await;
    // Same item twice: one purchase, one "already own".
    app.store().grant_points(user.id, 1000).await.unwrap();
    let buys: Vec<_> = (0..8)
        .map(|_| {
            let app = Arc::clone(&app);
            let token = user.access.clone();
            tokio::spawn(async move {
                app.post("/shop/buy/", Some(&token), json!({"custom_id": 4}))
                    .await
            })
        })
        .collect();
    let mut successes = 0;
    for buy in buys {
        let response = buy.await.unwrap();
        match response.status.as_u16() {
            200 => successes += 1,
            400 => assert_eq!(
                response.json(),
                json!({"custom_id": ["You already own this item."]})
            ),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(successes, 1);
    assert_eq!(app.profile(&user).await["points"], 0);

    // Two different items the points only cover one of.
    app.store().grant_points(user.id, 500).await.unwrap();
    let first = {
        let app = Arc::clone(&app);
        let token = user.access.clone();
        tokio::spawn(async move {
            app.post("/shop/buy/", Some(&token), json!({"custom_id": 3}))
                .await
        })
    };
    let second = {
        let app = Arc::clone(&app);
        let token = user.access.clone();
        tokio::spawn(async move {
            app.post("/shop/buy/", Some(&token), json!({"custom_id": 6}))
                .await
        })
    };
    let statuses = [
        first.await.unwrap().status.as_u16(),
        second.await.unwrap().status.as_u16(),
    ];
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(app.profile(&user).await["points"], 0);
}

#[tokio::test]
async fn c25_user_pieces_and_emojis_list_only_owned_items_of_their_kind() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    for custom_id in [4, 1, 6] {
        app.store().give_item(user.id, custom_id).await.unwrap();
    }
    check(
        &app.get("/shop/user-pieces/", Some(&user.access)).await,
        200,
        json!([
            {"custom_id": 1, "itemType": "piece", "price": 100, "owned": true},
            {"custom_id": 4, "itemType": "piece", "price": 1000, "owned": true}
        ]),
    );
    check(
        &app.get("/shop/user-emojis/", Some(&user.access)).await,
        200,
        json!([{"custom_id": 6, "itemType": "emoji", "price": 500, "owned": true}]),
    );
    let other = app.register("luigi").await;
    check(
        &app.get("/shop/user-pieces/", Some(&other.access)).await,
        200,
        json!([]),
    );
    check(
        &app.get("/shop/user-emojis/", Some(&other.access)).await,
        200,
        json!([]),
    );
}
