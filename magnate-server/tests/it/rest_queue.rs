//! The public queue over REST (`/game/join/`, `/game/leave/`, `/game/queue/`), served by the
//! same matchmaker as the queue socket.

use axum::http::Method;
use serde_json::{json, Value};

use crate::{
    support::{check, TestApp},
    ws_support::{Ending, Server},
};

const QUEUE: &str = "/ws/queue/public/";

#[tokio::test]
async fn join_status_and_leave_have_documented_shapes() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let alice_token = Some(alice.access.as_str());

    check(
        &app.get("/game/queue/", alice_token).await,
        200,
        json!({"status": "idle"}),
    );
    check(
        &app.post("/game/join/", alice_token, json!({})).await,
        201,
        json!({"status": "queued", "position": 1}),
    );
    // Joining again keeps the place.
    check(
        &app.call(Method::POST, "/game/join/", alice_token, None)
            .await,
        200,
        json!({"status": "queued", "position": 1}),
    );
    check(
        &app.get("/game/queue/", alice_token).await,
        200,
        json!({"status": "queued", "position": 1}),
    );
    // The second player completes a game (NUM_PUBLIC_GAME_PLAYERS = 2).
    let response = app.post("/game/join/", Some(&bob.access), json!({})).await;
    assert_eq!(response.status.as_u16(), 201);
    let game_id = response.json()["game_id"].as_i64().expect("matched");
    check(
        &response,
        201,
        json!({"status": "matched", "game_id": game_id}),
    );
    check(
        &app.get("/game/queue/", alice_token).await,
        200,
        json!({"status": "matched", "game_id": game_id}),
    );
    // A matched user is no longer queued.
    check(
        &app.post("/game/leave/", alice_token, json!({})).await,
        404,
        json!({"detail": "No estás en la cola."}),
    );
    // Leaving while queued.
    let carol_token = Some(carol.access.as_str());
    check(
        &app.post("/game/join/", carol_token, json!({})).await,
        201,
        json!({"status": "queued", "position": 1}),
    );
    check(
        &app.post("/game/leave/", carol_token, json!({})).await,
        200,
        json!({"status": "left"}),
    );
    check(
        &app.get("/game/queue/", carol_token).await,
        200,
        json!({"status": "idle"}),
    );
    // A user still seated in an unfinished game is not queued again (issue 13); the answer
    // names the game.
    check(
        &app.post("/game/join/", alice_token, json!({})).await,
        409,
        json!({
            "detail": format!(
                "Ya estás jugando la partida {game_id}; termínala o ríndete antes de volver a la cola."
            ),
            "game_id": game_id,
        }),
    );
}

#[tokio::test]
async fn queue_endpoints_need_a_bearer_token_and_follow_the_path_rules() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let no_credentials = json!({"detail": "Las credenciales de autenticación no se proveyeron."});
    for (method, path) in [
        (Method::POST, "/game/join/"),
        (Method::POST, "/game/leave/"),
        (Method::GET, "/game/queue/"),
    ] {
        let response = app.call(method.clone(), path, None, None).await;
        check(&response, 401, no_credentials.clone());
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer realm=\"api\"")
        );
        let response = app.call(method, path, Some("garbage"), None).await;
        assert_eq!(response.status.as_u16(), 401);
        assert_eq!(response.json()["code"], "token_not_valid");
    }
    check(
        &app.get("/game/join/", Some(&alice.access)).await,
        405,
        json!({"detail": "Método \"GET\" no permitido."}),
    );
    let response = app.post("/game/join", Some(&alice.access), json!({})).await;
    assert_eq!(response.status.as_u16(), 308);
    assert_eq!(response.header("location"), Some("/game/join/"));
    // The failed calls queued nobody.
    check(
        &app.get("/game/queue/", Some(&alice.access)).await,
        200,
        json!({"status": "idle"}),
    );
}

async fn game_players(server: &Server, game_id: i64) -> Vec<i64> {
    server
        .app
        .store()
        .raw_query(
            "SELECT user_id FROM game_players WHERE game_id = ?1 ORDER BY seat",
            vec![game_id.into()],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|row| row[0].as_deref().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn a_rest_user_and_a_socket_user_match_each_other() {
    let server = Server::start().await;
    let app = &server.app;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    // REST first, socket second.
    check(
        &app.post("/game/join/", Some(&alice.access), json!({}))
            .await,
        201,
        json!({"status": "queued", "position": 1}),
    );
    let mut bob_socket = server.connect(QUEUE, &bob).await;
    let frame = bob_socket.recv().await;
    assert_eq!(frame["action"], "match_found");
    let game_id = frame["game_id"].as_i64().unwrap();
    check(
        &app.get("/game/queue/", Some(&alice.access)).await,
        200,
        json!({"status": "matched", "game_id": game_id}),
    );
    assert_eq!(game_players(&server, game_id).await, vec![alice.id, bob.id]);
    bob_socket.close().await;

    // Socket first, REST second.
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let mut carol_socket = server.connect(QUEUE, &carol).await;
    let response = app.post("/game/join/", Some(&dave.access), json!({})).await;
    assert_eq!(response.status.as_u16(), 201);
    let body: Value = response.json();
    assert_eq!(body["status"], "matched");
    let second_game = body["game_id"].as_i64().unwrap();
    assert_ne!(second_game, game_id);
    assert_eq!(
        carol_socket.recv().await,
        json!({"action": "match_found", "game_id": second_game})
    );
    assert_eq!(
        game_players(&server, second_game).await,
        vec![carol.id, dave.id]
    );
    carol_socket.close().await;
    server.shut_down().await;
}

/// The fault run's lost match: a server that stops after creating a game and before a player
/// hears `match_found` forgets the match (it lives in the matchmaker's memory). The status then
/// comes from the database: the unfinished game the user still plays in, until they leave it.
#[tokio::test]
async fn the_status_names_an_unfinished_game_the_matchmaker_does_not_know() {
    use magnate_server::queue::{GameCreator, GameRequest, Seat};
    let server = Server::start().await;
    let app = &server.app;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    check(
        &app.get("/game/queue/", Some(&alice.access)).await,
        200,
        json!({"status": "idle"}),
    );
    // Created without the matchmaker, as if its match_found was lost with the old process.
    let seats = [alice.id, bob.id]
        .map(|user_id| Seat {
            user_id,
            bot_level: None,
        })
        .to_vec();
    let game_id = app
        .state
        .create_game(GameRequest {
            seats,
            public: true,
            max_turns: None,
        })
        .await
        .unwrap();
    for user in [&alice, &bob] {
        check(
            &app.get("/game/queue/", Some(&user.access)).await,
            200,
            json!({"status": "matched", "game_id": game_id}),
        );
    }
    // Once the game is over (bob surrenders, alice wins), both are idle again.
    let mut game = server.connect(&format!("/ws/game/{game_id}/"), &bob).await;
    assert_eq!(game.recv().await["event_type"], "game_state");
    game.send_json(json!({"type": "ActionSurrender"})).await;
    crate::ws_support::eventually("the game is over", || async {
        let status: Value = app.get("/game/queue/", Some(&alice.access)).await.json();
        status == json!({"status": "idle"})
    })
    .await;
    check(
        &app.get("/game/queue/", Some(&bob.access)).await,
        200,
        json!({"status": "idle"}),
    );
    game.close().await;
    server.shut_down().await;
}

#[tokio::test]
async fn rest_leave_closes_the_holding_socket_and_rest_join_keeps_it() {
    let server = Server::start().await;
    let app = &server.app;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let mut socket = server.connect(QUEUE, &alice).await;
    check(
        &app.post("/game/leave/", Some(&alice.access), json!({}))
            .await,
        200,
        json!({"status": "left"}),
    );
    assert_eq!(socket.ending().await, Ending::Closed(4000));

    // A REST join while a socket holds the entry keeps both the place and the socket.
    let mut socket = server.connect(QUEUE, &alice).await;
    check(
        &app.post("/game/join/", Some(&alice.access), json!({}))
            .await,
        200,
        json!({"status": "queued", "position": 1}),
    );
    check(
        &app.post("/game/join/", Some(&bob.access), json!({})).await,
        201,
        json!({"status": "matched", "game_id": 1}),
    );
    assert_eq!(
        socket.recv().await,
        json!({"action": "match_found", "game_id": 1})
    );
    socket.close().await;
    server.shut_down().await;
}

/// Thirty users join at once, some over REST, some on sockets, and some leave over REST right
/// after joining: the one matchmaker keeps every game at `NUM_PUBLIC_GAME_PLAYERS` distinct
/// players and never matches anyone twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rest_and_socket_joins_are_matched_consistently() {
    use std::collections::{BTreeMap, BTreeSet};

    const USERS: usize = 30;
    let server = Server::start().await;
    let mut users = Vec::new();
    for index in 0..USERS {
        users.push(server.app.register(&format!("player{index}")).await);
    }
    let server_ref = &server;
    let outcomes =
        futures_util::future::join_all(users.iter().enumerate().map(|(index, user)| async move {
            match index % 3 {
                0 => {
                    let socket = server_ref.connect(QUEUE, user).await;
                    (user, false, Some(socket))
                }
                1 => {
                    let response = server_ref
                        .app
                        .post("/game/join/", Some(&user.access), json!({}))
                        .await;
                    assert_eq!(response.status.as_u16(), 201);
                    (user, false, None)
                }
                _ => {
                    server_ref
                        .app
                        .post("/game/join/", Some(&user.access), json!({}))
                        .await;
                    let response = server_ref
                        .app
                        .post("/game/leave/", Some(&user.access), json!({}))
                        .await;
                    // 404 when a match came first.
                    assert!([200, 404].contains(&response.status.as_u16()));
                    (user, true, None)
                }
            }
        }))
        .await;
    let mut games: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut waiting = 0;
    for (user, left, socket) in outcomes {
        let status = server
            .app
            .get("/game/queue/", Some(&user.access))
            .await
            .json();
        match status["status"].as_str() {
            Some("matched") => {
                let game_id = status["game_id"].as_i64().unwrap();
                if let Some(mut socket) = socket {
                    assert_eq!(
                        socket.recv().await,
                        json!({"action": "match_found", "game_id": game_id})
                    );
                    socket.close().await;
                }
                assert!(games.entry(game_id).or_default().insert(user.id));
            }
            Some("queued") => {
                assert!(!left, "a user who left is still queued");
                waiting += 1;
            }
            Some("idle") => assert!(left, "user {} was lost", user.id),
            _ => panic!("unexpected status {status}"),
        }
    }
    assert!(waiting < 2, "{waiting} users still waiting");
    for (game_id, players) in &games {
        assert_eq!(players.len(), 2, "game {game_id}");
        let stored: BTreeSet<i64> = game_players(&server, *game_id).await.into_iter().collect();
        assert_eq!(&stored, players);
    }
    server.shut_down().await;
}

/// Issue 12: once the matched game has ended, `GET /game/queue/` stops saying `matched`.
#[tokio::test]
async fn the_status_is_idle_again_once_the_matched_game_ended() {
    let server = Server::start().await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    server
        .app
        .post("/game/join/", Some(&alice.access), json!({}))
        .await;
    let matched = server
        .app
        .post("/game/join/", Some(&bob.access), json!({}))
        .await;
    let game_id = matched.json()["game_id"].as_i64().expect("matched");
    let mut socket = server
        .connect(&format!("/ws/game/{game_id}/"), &alice)
        .await;
    assert_eq!(socket.recv().await["event_type"], "game_state");
    socket.send_json(json!({"type": "ActionSurrender"})).await;
    for user in [&alice, &bob] {
        crate::ws_support::eventually("the status is idle after the end", || async {
            let status = server.app.get("/game/queue/", Some(&user.access)).await;
            status.json() == json!({"status": "idle"})
        })
        .await;
    }
    socket.close().await;
    server.shut_down().await;
}
