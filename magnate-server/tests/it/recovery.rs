//! Durability and restart (spec §6.5, §7, §10 C77): a server killed without any shutdown comes
//! back with every game at its last acknowledged input, and its timers re-armed.

use magnate_server::games::GameOptions;
use serde_json::json;

use crate::game_support::{game_config, humans, responses, Client, Management, Server, Table};

/// C77, D6: a game killed during an auction resumes on restart with the state the clients last
/// saw, a bid placed before the kill still counts, and the auction closes at its deadline.
#[tokio::test]
async fn a_killed_server_resumes_its_games_and_closes_the_running_auction() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("magnate.db");
    let config = game_config(3_000);
    let server = Server::start_killable(config.clone(), GameOptions::default(), &path);
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

    server.kill();
    drop(table);

    let server = Server::start_killable(config, GameOptions::default(), &path);
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

/// §7.3: a game that ended before a kill stays ended; its summary and counters are there.
#[tokio::test]
async fn a_finished_game_stays_finished_after_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("magnate.db");
    let config = game_config(60_000);
    let server = Server::start_killable(config.clone(), GameOptions::default(), &path);
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    table.drive(Management::Buy, 20, |t| t.log.len() > 8).await;
    let frames = table.act(bob.id, json!({"type": "ActionSurrender"})).await;
    assert_eq!(responses(&frames).last().unwrap()["type"], "ResponseBonus");
    server.kill();
    drop(table);

    let server = Server::start_killable(config, GameOptions::default(), &path);
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
        vec![json!({"event_type": "error",
            "message": "Internal logic error: game was already ended"})]
    );
    let (status, summary) = server
        .get(&format!("/game/summary/{game}/"), &alice.access)
        .await;
    assert_eq!(status, 200);
    assert_eq!(summary["final_money"]["bob"], 0);
    assert_eq!(server.profile(&alice).await["num_won_games"], 1);
    server.kill();
}
