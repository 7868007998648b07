//! What the browser client relies on: the page and its files at `/`, `GET /board/`,
//! `GET /game/replay/<id>/`, and the game socket's opt-in `snapshots=1` (docs/protocol.md).

use serde_json::{json, Value};

use crate::game_support::{humans, Client};
use crate::ws_game::{players, server};

#[tokio::test]
async fn the_page_and_its_modules_are_served_from_the_binary() {
    let server = server().await;
    let page = reqwest::get(server.http("/")).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let headers = page.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("/web/js/main.js"), "{html}");

    let module = reqwest::get(server.http("/web/js/main.js")).await.unwrap();
    assert_eq!(module.status().as_u16(), 200);
    assert!(module.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let missing = reqwest::get(server.http("/web/js/nothing.js"))
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}

#[tokio::test]
async fn the_board_lists_every_square_with_a_name_and_its_prices() {
    let server = server().await;
    let (status, board) = server.get("/board/", "").await;
    assert_eq!(status, 200, "{board}");
    let squares = board["squares"].as_array().unwrap();
    assert_eq!(squares.len(), 55);
    let square = |id: i64| squares.iter().find(|s| s["id"] == json!(id)).unwrap();
    assert_eq!(square(6)["kind"], "property");
    assert_eq!(square(6)["price"], 100);
    assert_eq!(square(6)["group"], 2);
    assert_eq!(square(15)["kind"], "bridge");
    assert_eq!(square(15)["out_successor"], 16);
    assert_eq!(square(201)["bail"], 40);
    assert!(squares
        .iter()
        .all(|s| s["name"].as_str().is_some_and(|name| !name.is_empty())));
}

#[tokio::test]
async fn a_socket_that_asks_for_snapshots_gets_one_after_every_change_with_its_deadlines() {
    let server = server().await;
    let players = players(&server, &["alice", "bob"]).await;
    let game = server
        .create_game(&humans(&[&players[0], &players[1]]))
        .await;
    let (mut asking, snapshot) =
        Client::connect_with_query(&server, game, &players[0], "&snapshots=1").await;
    let (mut plain, _) = Client::connect(&server, game, &players[1]).await;
    let deadlines = asking.recv().await;
    assert_eq!(deadlines["event_type"], "deadlines", "{deadlines}");
    assert!(deadlines["deadlines"].is_array());

    let active = snapshot["game_state"]["active_phase_player"]
        .as_i64()
        .unwrap();
    let thrower = if active == players[0].id {
        &mut asking
    } else {
        &mut plain
    };
    thrower.send(json!({"type": "ActionThrowDices"})).await;
    let frames = asking
        .recv_until(|frame| frame["event_type"] == "deadlines")
        .await;
    let fresh: &Value = frames
        .iter()
        .rev()
        .find(|frame| frame["event_type"] == "game_state")
        .expect("a snapshot after the throw");
    let response = frames
        .iter()
        .find(|frame| frame["data"]["type"] == "ResponseThrowDices")
        .expect("the throw's response before the snapshot");
    assert_eq!(
        fresh["game_state"]["positions"],
        response["data"]["positions"]
    );
    assert_eq!(fresh["game_state"]["phase"], response["data"]["phase"]);

    // The client that did not ask sees only the game's frames.
    let (_, seen) = plain.sync().await;
    assert!(
        seen.iter()
            .all(|frame| frame["event_type"] != "game_state" && frame["event_type"] != "deadlines"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_finished_game_replays_for_its_players_only() {
    let server = server().await;
    let players = players(&server, &["alice", "bob", "mallory"]).await;
    let game = server
        .create_game(&humans(&[&players[0], &players[1]]))
        .await;
    let path = format!("/game/replay/{game}/");
    let (status, _) = server.get(&path, &players[0].access).await;
    assert_eq!(status, 404, "a running game has no replay yet");

    let (mut alice, snapshot) = Client::connect(&server, game, &players[0]).await;
    let start_money = snapshot["game_state"]["money"].clone();
    alice.act(json!({"type": "ActionSurrender"})).await;

    let (status, replay) = server.get(&path, &players[1].access).await;
    assert_eq!(status, 200, "{replay}");
    let steps = replay["steps"].as_array().unwrap();
    assert_eq!(steps[0]["action"]["type"], "Start");
    assert_eq!(steps[0]["state"]["money"], start_money);
    let last = steps.last().unwrap();
    assert_eq!(last["action"]["type"], "ActionSurrender");
    assert_eq!(last["actor"], json!(players[0].id));
    assert_eq!(last["state"]["finished"], true);
    assert_eq!(last["worth"][players[0].id.to_string()], 0);
    assert_eq!(last["worth"][players[1].id.to_string()], 1500);
    let (status, summary) = server
        .get(&format!("/game/summary/{game}/"), &players[1].access)
        .await;
    assert_eq!(status, 200, "{summary}");

    // The eliminated player may watch it too; someone else may not.
    let (status, _) = server.get(&path, &players[0].access).await;
    assert_eq!(status, 200);
    let (status, body) = server.get(&path, &players[2].access).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = server.get("/game/replay/999999/", &players[2].access).await;
    assert_eq!(status, 403);
}
