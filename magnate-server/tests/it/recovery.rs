//! Durability and restart (docs/protocol.md C77): a server killed without any shutdown comes
//! back with every game at its last acknowledged input, and its timers re-armed.

use magnate_server::{games::GameOptions, Store};
use serde_json::json;

use crate::game_support::{
    expect_quiet, game_config, handshake_status, humans, responses, Client, Management, Server,
    Table,
};

/// C77, D6: a game killed during an auction resumes on restart with the state the clients last
/// saw, a bid placed before the kill still counts, and the auction closes at its deadline.
#[tokio::test]
async fn a_killed_server_resumes_its_games_and_closes_the_running_auction() {
    let directory = tempfile::tempdir().unwrap();
    let database = crate::backend::test_database(directory.path()).await;
    let config = game_config(3_000);
    let server = Server::start_killable(config.clone(), GameOptions::default(), &database);
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let game = server.create_game(&humans(&[&alice, &bob, &carol])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob, &carol]).await;
    table
        .drive(Management::Drop, 400, |t| t.phase() == "auction")
        .await;
    let dropper = table.active();
    let square = table.view["positions"][dropper.to_string()].clone();
    let bidder = [alice.id, bob.id, carol.id]
        .into_iter()
        .find(|id| *id != dropper)
        .unwrap();
    let frames = table
        .act(bidder, json!({"type": "ActionBid", "amount": 1}))
        .await;
    assert_eq!(responses(&frames)[0]["phase"], "auction");
    let seen = table.view.clone();

    let clock = server.clock.clone();
    server.kill();
    drop(table);

    let server = Server::start_killable_at(config, GameOptions::default(), &database, clock);
    let mut clients = Vec::new();
    for player in [&alice, &bob, &carol] {
        let (client, snapshot) = Client::connect(&server, game, player).await;
        let state = &snapshot["game_state"];
        assert_eq!(state["phase"], "auction");
        assert_eq!(state["money"], seen["money"]);
        assert_eq!(state["positions"], seen["positions"]);
        assert_eq!(state["active_phase_player"], seen["active_phase_player"]);
        assert_eq!(state["current_auction"]["square"], square);
        clients.push(client);
    }
    // Virtual time: the auction is open until the clock passes its 3 s deadline.
    expect_quiet(&mut clients).await;
    server.advance(3_000);
    let mut phase = String::new();
    for client in &mut clients {
        let frame = client.recv().await;
        phase = frame["data"]["phase"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(frame["event_type"], "game_response", "{frame}");
        let data = &frame["data"];
        assert_eq!(data["type"], "ResponseAuction");
        assert_eq!(
            data["winner"],
            json!(bidder),
            "the bid made before the kill won"
        );
        assert_eq!(data["final_amount"], 1);
    }
    // The game goes on.
    let mover = dropper;
    let client = clients.iter_mut().find(|c| c.id == mover).unwrap();
    let action = if phase == "business" {
        json!({"type": "ActionNextPhase"})
    } else {
        json!({"type": "ActionThrowDices"})
    };
    let frames = client.act(action).await;
    assert!(
        frames.iter().any(|f| f["event_type"] == "game_action"),
        "{frames:?}"
    );
    server.kill();
}

/// docs/protocol.md: a game that ended before a kill stays ended; its summary and counters are
/// there.
#[tokio::test]
async fn a_finished_game_stays_finished_after_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let database = crate::backend::test_database(directory.path()).await;
    let config = game_config(60_000);
    let server = Server::start_killable(config.clone(), GameOptions::default(), &database);
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    table.drive(Management::Buy, 20, |t| t.log.len() > 8).await;
    let frames = table.act(bob.id, json!({"type": "ActionSurrender"})).await;
    assert_eq!(responses(&frames).last().unwrap()["type"], "ResponseBonus");
    server.kill();
    drop(table);

    let server = Server::start_killable(config, GameOptions::default(), &database);
    assert_eq!(
        server.state.games.live_count(),
        0,
        "finished games are not restored"
    );
    let (mut client, snapshot) = Client::connect(&server, game, &alice).await;
    assert_eq!(snapshot["game_state"]["finished"], true);
    let frames = client.act(json!({"type": "ActionThrowDices"})).await;
    assert_eq!(
        frames,
        vec![json!({"event_type": "error", "code": "game_finished",
            "message": "The game has ended."})]
    );
    let (status, summary) = server
        .get(&format!("/game/summary/{game}/"), &alice.access)
        .await;
    assert_eq!(status, 200);
    assert_eq!(summary["final_money"]["bob"], 0);
    assert_eq!(server.profile(&alice).await["num_won_games"], 1);
    server.kill();
}

/// A record that no longer replays (here a tampered hash) is never cut at restart: the game is
/// quarantined, its entries stay as they were, and a client opening it is told it is
/// unavailable (503) instead of getting a shortened game.
#[tokio::test]
async fn a_record_that_does_not_replay_quarantines_its_game_and_keeps_every_entry() {
    let directory = tempfile::tempdir().unwrap();
    let database = crate::backend::test_database(directory.path()).await;
    let config = game_config(60_000);
    let server = Server::start_killable(config.clone(), GameOptions::default(), &database);
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    table.drive(Management::Buy, 20, |t| t.log.len() > 8).await;
    server.kill();
    drop(table);

    let store = Store::open_database(&database).await.unwrap();
    let count_sql = "SELECT COUNT(*) FROM game_records WHERE game_id = ?1";
    let stored = store.raw_int(count_sql, vec![game.into()]).await.unwrap();
    assert!(stored >= 3, "the game recorded inputs");
    let second = store
        .raw_query(
            "SELECT seq, input FROM game_records WHERE game_id = ?1 ORDER BY seq LIMIT 1 OFFSET 1",
            vec![game.into()],
        )
        .await
        .unwrap();
    let seq: i64 = second[0][0].as_deref().unwrap().parse().unwrap();
    let mut entry: serde_json::Value =
        serde_json::from_str(second[0][1].as_deref().unwrap()).unwrap();
    entry["hash"] = json!("0000000000000000");
    store
        .raw_query(
            "UPDATE game_records SET input = ?1 WHERE game_id = ?2 AND seq = ?3",
            vec![entry.to_string().into(), game.into(), seq.into()],
        )
        .await
        .unwrap();
    drop(store);

    let server = Server::start_killable(config, GameOptions::default(), &database);
    assert_eq!(server.state.games.live_count(), 0, "the game is not run");
    let url = server.ws_url(&game.to_string(), &alice.access);
    assert_eq!(handshake_status(&url).await, 503);
    server.kill();
    let store = Store::open_database(&database).await.unwrap();
    assert_eq!(
        store.raw_int(count_sql, vec![game.into()]).await.unwrap(),
        stored,
        "no entry was cut"
    );
}
