//! Games nobody plays and players who leave (issue 13 items 3 and 9), against a real server:
//! one unfinished game per user, the first-connection deadline, restore, and the turn player
//! surrendering during their own auction.

use std::time::Duration;

use magnate_server::{games::GameOptions, Config};
use serde_json::{json, Value};

use crate::game_support::{
    game_config, humans, responses, Client, Management, Player, Server, Table,
};
use crate::ws_game::{players, server, server_with};
use crate::ws_support::eventually;

/// `POST /game/join/` over HTTP: status and body.
async fn join(server: &Server, player: &Player) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.http("/game/join/"))
        .bearer_auth(&player.access)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn still_playing(game_id: i64) -> Value {
    json!({
        "detail": format!(
            "Ya estás jugando la partida {game_id}; termínala o ríndete antes de volver a la cola."
        ),
        "game_id": game_id,
    })
}

/// Item 3: two accounts alternating `POST /game/join/` used to create a public game per pair
/// of requests, without end. A user seated in an unfinished game is refused the queue (REST)
/// or sent to that game (socket) until they leave it.
#[tokio::test]
async fn a_user_seated_in_an_unfinished_game_is_not_queued_again() {
    let server = server().await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    assert_eq!(join(&server, &alice).await.0, 201);
    let (status, matched) = join(&server, &bob).await;
    assert_eq!(status, 201);
    let game = matched["game_id"].as_i64().unwrap();
    for _ in 0..20 {
        assert_eq!(join(&server, &alice).await, (409, still_playing(game)));
        assert_eq!(join(&server, &bob).await, (409, still_playing(game)));
    }
    assert_eq!(
        server.state.games.live_count(),
        1,
        "no further game was created"
    );
    // A queue socket goes straight to the game the user plays in, without queueing.
    let url = format!(
        "ws://{}/ws/queue/public/?token={}",
        server.address, alice.access
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let frame = tokio::time::timeout(
        Duration::from_secs(5),
        futures_util::StreamExt::next(&mut socket),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    let frame: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(frame, json!({"action": "match_found", "game_id": game}));
    let (status, body) = server.get("/game/queue/", &alice.access).await;
    assert_eq!(
        (status, body),
        (200, json!({"status": "matched", "game_id": game}))
    );
    // Once out of the game (a surrender ends this 2-player game), both may queue again.
    let (mut client, _) = Client::connect(&server, game, &alice).await;
    let frames = client.act(json!({"type": "ActionSurrender"})).await;
    assert!(responses(&frames).iter().any(|r| r["phase"] == "end_game"));
    eventually("the game is finalized", || async {
        server.state.store.is_game_finished(game).await.unwrap() == Some(true)
    })
    .await;
    assert_eq!(
        join(&server, &alice).await,
        (201, json!({"status": "queued", "position": 1}))
    );
}

/// Item 3: a private room does not start a game for a member who still plays another one.
#[tokio::test]
async fn a_private_game_does_not_start_while_a_member_still_plays_another() {
    let server = crate::ws_support::Server::start().await;
    let alice = server.app.register("alice").await;
    let bob = server.app.register("bob").await;
    let carol = server.app.register("carol").await;
    let join = |user: &crate::support::TestUser| {
        let token = user.access.clone();
        let app = &server.app;
        async move { app.post("/game/join/", Some(&token), json!({})).await }
    };
    assert_eq!(join(&alice).await.status.as_u16(), 201);
    let game = join(&bob).await.json()["game_id"].as_i64().unwrap();
    let path = "/ws/queue/private/SEATS/";
    let mut host = server.connect(path, &carol).await;
    assert_eq!(host.recv().await["action"], "room_created");
    assert_eq!(host.recv().await["user"], "carol");
    let mut guest = server.connect(path, &alice).await;
    assert_eq!(guest.recv().await["user"], "alice");
    assert_eq!(host.recv().await["user"], "alice");
    for client in [&mut host, &mut guest] {
        client
            .send_json(json!({"command": "ready_status", "is_ready": true}))
            .await;
    }
    for _ in 0..2 {
        assert_eq!(host.recv().await["action"], "ready_status");
        assert_eq!(guest.recv().await["action"], "ready_status");
    }
    host.send_json(json!({"command": "start_game"})).await;
    assert_eq!(
        host.recv().await,
        json!({"action": "error", "message": format!("alice todavía está jugando la partida {game}.")})
    );
    assert_eq!(server.app.state.games.live_count(), 1);
    server.shut_down().await;
}

fn deadline_config(timeout: Option<Duration>) -> Config {
    let mut config = game_config(60_000);
    config.first_connection_timeout = timeout;
    config
}

/// Item 3: a human who never opens the game's socket leaves the game at the first-connection
/// deadline; the one who came wins, and the absent one may queue again.
#[tokio::test]
async fn a_human_who_never_connects_leaves_the_game_at_the_deadline() {
    let server = server_with(deadline_config(Some(Duration::from_millis(500)))).await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    assert_eq!(join(&server, &alice).await.0, 201);
    let game = join(&server, &bob).await.1["game_id"].as_i64().unwrap();
    let (mut client, _) = Client::connect(&server, game, &alice).await;
    server.advance(500);
    let frames = client
        .recv_until(|frame| frame["data"]["phase"] == "end_game")
        .await;
    assert!(
        frames
            .iter()
            .any(|frame| frame["event_type"] == "game_action"
                && frame["data"]["type"] == "ActionSurrender"
                && frame["data"]["player"] == bob.id),
        "{frames:?}"
    );
    eventually("the game is finalized", || async {
        server.state.store.is_game_finished(game).await.unwrap() == Some(true)
    })
    .await;
    let (_, summary) = server
        .get(&format!("/game/summary/{game}/"), &alice.access)
        .await;
    assert_eq!(summary["final_money"]["bob"], 0, "{summary}");
    assert_eq!(join(&server, &bob).await.0, 201);
}

/// Item 3: a game whose humans never connect ends by rule, bots included.
#[tokio::test]
async fn a_game_nobody_connects_to_ends_by_itself() {
    let server = server_with(deadline_config(Some(Duration::from_millis(300)))).await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    let public = server.create_game(&humans(&[&alice, &bob])).await;
    let carol = server.register("carol").await;
    let (seats, _bots) =
        crate::ws_game::seats_with_bots(&server, &carol, "B", magnate_core::BotLevel::Easy, 2)
            .await;
    let with_bots = server.create_game(&seats).await;
    server.advance(300);
    for game in [public, with_bots] {
        eventually("the abandoned game is over", || async {
            server.state.store.is_game_finished(game).await.unwrap() == Some(true)
        })
        .await;
    }
    eventually("the finished games left memory", || async {
        server.state.games.live_count() == 0
    })
    .await;
}

/// Item 3: restore does not resurrect a game nobody played past its deadline, and a game
/// someone played keeps its absent players for a fresh timeout.
#[tokio::test]
async fn restore_ends_games_nobody_played_past_their_deadline() {
    let directory = tempfile::tempdir().unwrap();
    let database = crate::backend::test_database(directory.path()).await;
    let first = Server::start_killable(deadline_config(None), GameOptions::default(), &database);
    let [alice, bob, carol, dave] = [
        first.register("alice").await,
        first.register("bob").await,
        first.register("carol").await,
        first.register("dave").await,
    ];
    let untouched = first.create_game(&humans(&[&alice, &bob])).await;
    let played = first.create_game(&humans(&[&carol, &dave])).await;
    let (mut client, snapshot) = Client::connect(&first, played, &carol).await;
    let starter = snapshot["game_state"]["active_phase_player"]
        .as_i64()
        .unwrap();
    let mover = if starter == carol.id {
        carol.clone()
    } else {
        dave.clone()
    };
    if mover.id != carol.id {
        client.close().await;
        client = Client::connect(&first, played, &mover).await.0;
    }
    let frames = client.act(json!({"type": "ActionThrowDices"})).await;
    assert!(!responses(&frames).is_empty(), "{frames:?}");
    drop(client);
    let clock = first.clock.clone();
    first.kill();

    // Restarted with a 1 s deadline, 1.5 s after the games were created: the game nobody
    // played is past it and ends at once; the played one gives its absent player 1 s from the
    // restart.
    clock.advance(chrono::Duration::milliseconds(1500));
    let second = Server::start_killable_at(
        deadline_config(Some(Duration::from_secs(1))),
        GameOptions::default(),
        &database,
        clock,
    );
    let store = second.state.store.clone();
    eventually("the game nobody played is ended at restore", || async {
        store.is_game_finished(untouched).await.unwrap() == Some(true)
    })
    .await;
    let (mut watcher, snapshot) = Client::connect(&second, played, &mover).await;
    assert_ne!(snapshot["game_state"]["phase"], "end_game");
    watcher.expect_silence().await;
    second.advance(1_000);
    let frames = watcher
        .recv_until(|frame| frame["data"]["phase"] == "end_game")
        .await;
    let absent = if mover.id == carol.id { &dave } else { &carol };
    assert!(
        frames
            .iter()
            .any(|frame| frame["data"]["type"] == "ActionSurrender"
                && frame["data"]["player"] == absent.id),
        "{frames:?}"
    );
    second.kill();
}

/// Item 9: the auction result sent when the turn player surrenders during their own auction
/// already shows the game without them: the next player acts, and money and positions no
/// longer list the one who left.
#[tokio::test]
async fn the_turn_player_surrendering_in_their_own_auction_gets_a_consistent_result() {
    let server = server().await;
    let [alice, bob, carol] =
        <[Player; 3]>::try_from(players(&server, &["alice", "bob", "carol"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob, &carol])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob, &carol]).await;
    table
        .drive(Management::Drop, 400, |t| t.phase() == "auction")
        .await;
    let dropper = table.active();
    let frames = table.act(dropper, json!({"type": "ActionSurrender"})).await;
    let responses = responses(&frames);
    let kinds: Vec<&str> = responses
        .iter()
        .map(|response| response["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"ResponseAuction"), "{kinds:?}");
    let eliminated = responses.last().unwrap();
    let next = eliminated["active_phase_player"].clone();
    assert_ne!(next, json!(dropper));
    for response in &responses {
        assert_eq!(response["active_phase_player"], next, "{response}");
        assert_eq!(response["active_turn_player"], next, "{response}");
        assert_eq!(response["phase"], "roll_the_dices", "{response}");
        let money = response["money"].as_object().unwrap();
        assert_eq!(money.len(), 2, "{response}");
        assert!(!money.contains_key(&dropper.to_string()), "{response}");
        let positions = response["positions"].as_object().unwrap();
        assert!(!positions.contains_key(&dropper.to_string()), "{response}");
    }
}
