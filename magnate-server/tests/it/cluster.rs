//! Several `magnate-server` nodes as one (docs/cluster.md): real processes, one PostgreSQL
//! schema, one Redis. Skipped unless `MAGNATE_TEST_POSTGRES` and `MAGNATE_TEST_REDIS` are set.

use std::sync::Arc;

use chrono::Utc;
use magnate_server::{
    games::journal::Commit,
    store::{CreateUserOutcome, Fence, NewGame, NewUser},
    Store,
};
use serde_json::{json, Value};
use tokio::sync::Barrier;

use crate::cluster_support::{
    cluster_database, cluster_or_skip, match_found, queue, reconnect, record_len, until_closed,
    Node,
};
use crate::game_support::{error_message, responses, Client, Management, Table};
use crate::sigkill::register;

/// Opens a table whose players each sit on their own node.
async fn table_across(
    nodes: &[&Node],
    game: i64,
    players: &[&crate::game_support::Player],
) -> Table {
    let mut clients = Vec::new();
    let mut view = Value::Null;
    for (player, node) in players.iter().zip(nodes) {
        let (client, snapshot) = Client::connect(&node.remote(), game, player).await;
        if view.is_null() {
            view = snapshot["game_state"].clone();
        }
        clients.push(client);
    }
    Table {
        clients,
        view,
        destinations: Vec::new(),
        log: Vec::new(),
    }
}

/// The game action the active player of `state` (a snapshot's `game_state`) plays next.
fn next_move(state: &Value) -> Value {
    match state["phase"].as_str().unwrap() {
        "roll_the_dices" => json!({"type": "ActionThrowDices"}),
        "choose_square" => {
            let choices = state["possible_destinations"].as_object().unwrap();
            let square: u64 = choices.keys().next().unwrap().parse().unwrap();
            json!({"type": "ActionMoveTo", "square": square})
        }
        "choose_fantasy" => json!({"type": "ActionChooseCard"}),
        _ => json!({"type": "ActionNextPhase"}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_game_whose_players_sit_on_three_nodes_plays_to_its_end() {
    let Some((postgres, redis)) = cluster_or_skip() else {
        return;
    };
    let (database, prefix) = cluster_database(&postgres, "three").await;
    let extra = [("NUM_PUBLIC_GAME_PLAYERS", "3"), ("MAX_TURNS", "3")];
    let nodes: Vec<Node> = (0..3)
        .map(|i| Node::start(&database, &redis, &prefix, &format!("n{i}"), &extra))
        .collect();
    let mut players = Vec::new();
    for (i, name) in ["ana", "ben", "cy"].iter().enumerate() {
        players.push(register(nodes[i].address, name).await);
    }
    // Each player queues on a node of their own: the queue is shared.
    let mut sockets = Vec::new();
    for (player, node) in players.iter().zip(&nodes) {
        sockets.push(queue(node.address, player).await);
    }
    let mut games = Vec::new();
    for socket in &mut sockets {
        games.push(match_found(socket).await);
    }
    assert!(games.iter().all(|game| *game == games[0]), "{games:?}");
    let game = games[0];
    let refs: Vec<&Node> = nodes.iter().collect();
    let who: Vec<&crate::game_support::Player> = players.iter().collect();
    let mut table = table_across(&refs, game, &who).await;
    // Every move is checked: each socket, on whichever node, sees the same frames.
    table
        .drive(Management::Buy, 400, |t| {
            t.log.iter().any(|f| f["data"]["type"] == "ResponseBonus")
        })
        .await;
    let body: Value = reqwest::Client::new()
        .get(format!("http://{}/game/summary/{game}/", nodes[1].address))
        .bearer_auth(&players[0].access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["final_money"].as_object().map(|m| m.len()),
        Some(3),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_owner_s_game_resumes_on_another_node_with_nothing_acknowledged_lost() {
    let Some((postgres, redis)) = cluster_or_skip() else {
        return;
    };
    let (database, prefix) = cluster_database(&postgres, "kill").await;
    let nodes: Vec<Node> = (0..3)
        .map(|i| Node::start(&database, &redis, &prefix, &format!("n{i}"), &[]))
        .collect();
    let alice = register(nodes[0].address, "alice").await;
    let bob = register(nodes[0].address, "bob").await;
    let mut queued = vec![queue(nodes[0].address, &alice).await];
    queued.push(queue(nodes[0].address, &bob).await);
    let game = match_found(&mut queued[0]).await;
    assert_eq!(match_found(&mut queued[1]).await, game);
    // The game is owned by node 0 (it made the match); both players are relayed to it.
    let mut table = table_across(&[&nodes[1], &nodes[2]], game, &[&alice, &bob]).await;
    table
        .drive(Management::Buy, 80, |t| t.log.len() >= 20)
        .await;
    let acknowledged = table
        .log
        .iter()
        .filter(|f| f["event_type"] == "game_action")
        .count() as i64;
    let (_watcher, before) = Client::connect(&nodes[1].remote(), game, &alice).await;

    let mut nodes = nodes.into_iter();
    nodes.next().unwrap().kill();
    let survivors: Vec<Node> = nodes.collect();
    // The relayed sockets are closed (1012) once the dead node's lease runs out.
    for client in &mut table.clients {
        let (frames, code) = until_closed(client).await;
        assert_eq!(error_message(&frames), None, "{frames:?}");
        assert_eq!(code, Some(1012));
    }
    assert_eq!(record_len(&database, game).await, acknowledged);

    let (mut client, after) = reconnect(&survivors[0].remote(), game, &alice).await;
    assert_eq!(after["game_state"], before["game_state"], "the same state");
    let state = &after["game_state"];
    let active = state["active_phase_player"].as_i64().unwrap();
    if active != alice.id {
        client.close().await;
        client = reconnect(&survivors[1].remote(), game, &bob).await.0;
    }
    let frames = client.act(next_move(state)).await;
    assert_eq!(error_message(&frames), None, "{frames:?}");
    assert!(!responses(&frames).is_empty(), "play goes on: {frames:?}");
    assert_eq!(record_len(&database, game).await, acknowledged + 1);
    // The killed node comes back under its old name and relays to the game's new owner.
    let restarted = Node::start(&database, &redis, &prefix, "n0", &[]);
    let (mut watcher, snapshot) = reconnect(&restarted.remote(), game, &alice).await;
    let (_, now) = reconnect(&survivors[0].remote(), game, &alice).await;
    assert_eq!(snapshot["game_state"], now["game_state"]);
    // A chat line goes to the owner and back through the relay.
    let (_, relayed) = watcher.sync().await;
    assert_eq!(error_message(&relayed), None, "{relayed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drained_node_hands_its_game_over_without_a_client_error() {
    let Some((postgres, redis)) = cluster_or_skip() else {
        return;
    };
    let (database, prefix) = cluster_database(&postgres, "drain").await;
    let nodes: Vec<Node> = (0..2)
        .map(|i| Node::start(&database, &redis, &prefix, &format!("n{i}"), &[]))
        .collect();
    let alice = register(nodes[0].address, "alice").await;
    let bob = register(nodes[0].address, "bob").await;
    let mut queued = vec![queue(nodes[0].address, &alice).await];
    queued.push(queue(nodes[0].address, &bob).await);
    let game = match_found(&mut queued[0]).await;
    assert_eq!(match_found(&mut queued[1]).await, game);
    drop(queued);
    // Alice sits on the owner, Bob is relayed from node 1.
    let mut table = table_across(&[&nodes[0], &nodes[1]], game, &[&alice, &bob]).await;
    table
        .drive(Management::Buy, 60, |t| t.log.len() >= 10)
        .await;
    let acknowledged = table
        .log
        .iter()
        .filter(|f| f["event_type"] == "game_action")
        .count() as i64;

    let mut nodes = nodes.into_iter();
    let drained = nodes.next().unwrap();
    let survivor = nodes.next().unwrap();
    let exit = tokio::task::spawn_blocking(move || drained.terminate());
    for client in &mut table.clients {
        let (frames, code) = until_closed(client).await;
        assert_eq!(error_message(&frames), None, "{frames:?}");
        assert_eq!(code, Some(1012), "told to reconnect");
    }
    assert!(
        exit.await.unwrap().success(),
        "the drained node exits cleanly"
    );
    assert_eq!(record_len(&database, game).await, acknowledged);
    // Both reconnect to the survivor, which took the game over at once.
    let (alice_client, snapshot) = reconnect(&survivor.remote(), game, &alice).await;
    let (bob_client, _) = reconnect(&survivor.remote(), game, &bob).await;
    let mut table = Table {
        clients: vec![alice_client, bob_client],
        view: snapshot["game_state"].clone(),
        destinations: Vec::new(),
        log: Vec::new(),
    };
    if table.phase() == "choose_square" {
        let state = snapshot["game_state"].clone();
        table.act(table.active(), next_move(&state)).await;
    }
    table.drive(Management::Buy, 60, |t| t.log.len() >= 6).await;
    assert!(record_len(&database, game).await > acknowledged);
}

fn commit(game_id: i64, index: u64, fence: Option<Fence>) -> Commit {
    Commit {
        game_id,
        entries: vec![(index, 1_000, format!("{{\"index\":{index}}}"))],
        eliminated: Vec::new(),
        fence,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_racing_for_one_game_never_both_commit() {
    let Some((postgres, _)) = cluster_or_skip() else {
        return;
    };
    let database = crate::backend::postgres_database(&postgres).await;
    let store = Store::open_database(&database).await.unwrap();
    store.prepare_leases().await.unwrap();
    let user = match store
        .create_user(NewUser {
            username: "racer".into(),
            password_hash: None,
            bot_level: None,
            date_joined: Utc::now(),
        })
        .await
        .unwrap()
    {
        CreateUserOutcome::Created(user) => user.id,
        CreateUserOutcome::UsernameTaken => unreachable!(),
    };
    for round in 0..10u64 {
        let game = store
            .create_game(NewGame {
                created_at: Utc::now(),
                players: vec![user],
                is_private: false,
            })
            .await
            .unwrap();
        let key = game.to_string();
        // Both nodes try to take the free game at once: exactly one gets it.
        let barrier = Arc::new(Barrier::new(2));
        let takes: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|node| {
                let (store, barrier, key) = (store.clone(), barrier.clone(), key.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let token = store
                        .acquire_lease("game", &key, node, 60_000)
                        .await
                        .unwrap();
                    token.map(|token| Fence {
                        node: node.to_owned(),
                        token,
                    })
                })
            })
            .collect();
        let mut fences = Vec::new();
        for take in takes {
            fences.extend(take.await.unwrap());
        }
        assert_eq!(fences.len(), 1, "round {round}: one owner");
        let first = fences.pop().unwrap();
        // The owner stalls; its lease runs out and the other node takes the game over.
        let other = if first.node == "a" { "b" } else { "a" };
        assert!(store
            .release_lease("game", &key, &first.node, first.token)
            .await
            .unwrap());
        let second = Fence {
            node: other.to_owned(),
            token: store
                .acquire_lease("game", &key, other, 60_000)
                .await
                .unwrap()
                .expect("an expired lease is free"),
        };
        assert!(second.token > first.token, "tokens only grow");
        // Both write entry 0 (and the stale owner also entry 1) at the same time.
        let barrier = Arc::new(Barrier::new(2));
        let writes: Vec<_> = [
            (
                first.clone(),
                vec![
                    commit(game, 0, Some(first.clone())),
                    commit(game, 1, Some(first.clone())),
                ],
            ),
            (second.clone(), vec![commit(game, 0, Some(second.clone()))]),
        ]
        .into_iter()
        .map(|(fence, batch)| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                (fence, store.write_batch(batch).await.unwrap())
            })
        })
        .collect();
        for write in writes {
            let (fence, results) = write.await.unwrap();
            if fence == first {
                assert!(
                    results.iter().all(Result::is_err),
                    "round {round}: {results:?}"
                );
            } else {
                assert_eq!(results, vec![Ok(())], "round {round}");
            }
        }
        let stored = record_len(&database, game).await;
        assert_eq!(
            stored, 1,
            "round {round}: only the owner's entry is in the record"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_queued_on_different_nodes_are_each_matched_exactly_once() {
    let Some((postgres, redis)) = cluster_or_skip() else {
        return;
    };
    let (database, prefix) = cluster_database(&postgres, "queue").await;
    let nodes: Vec<Node> = (0..2)
        .map(|i| Node::start(&database, &redis, &prefix, &format!("n{i}"), &[]))
        .collect();
    let mut players = Vec::new();
    for i in 0..6 {
        players.push(register(nodes[i % 2].address, &format!("q{i}")).await);
    }
    // Everyone queues at once, alternating between the nodes.
    let joins: Vec<_> = players
        .iter()
        .enumerate()
        .map(|(i, player)| {
            let (address, player) = (nodes[i % 2].address, player.clone());
            tokio::spawn(async move {
                let mut socket = queue(address, &player).await;
                let game = match_found(&mut socket).await;
                (player.id, game)
            })
        })
        .collect();
    let mut seats: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for join in joins {
        let (player, game) = join.await.unwrap();
        seats.entry(game).or_default().push(player);
    }
    assert_eq!(seats.len(), 3, "{seats:?}");
    assert!(
        seats.values().all(|players| players.len() == 2),
        "{seats:?}"
    );
    let store = Store::open_database(&database).await.unwrap();
    for (game, players) in &seats {
        let stored = store
            .raw_int(
                "SELECT COUNT(*) FROM player_game_statistics WHERE game_id = ?1",
                vec![(*game).into()],
            )
            .await
            .unwrap();
        assert_eq!(stored, players.len() as i64);
    }
    let games = store
        .raw_int("SELECT COUNT(*) FROM games", vec![])
        .await
        .unwrap();
    assert_eq!(games, 3, "one game per pair, nobody matched twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn renewals_never_wait_for_or_deadlock_with_journal_commits() {
    let Some((postgres, _)) = cluster_or_skip() else {
        return;
    };
    let database = crate::backend::postgres_database(&postgres).await;
    let store = Store::open_database(&database).await.unwrap();
    store.prepare_leases().await.unwrap();
    let user = match store
        .create_user(NewUser {
            username: "busy".into(),
            password_hash: None,
            bot_level: None,
            date_joined: Utc::now(),
        })
        .await
        .unwrap()
    {
        CreateUserOutcome::Created(user) => user.id,
        CreateUserOutcome::UsernameTaken => unreachable!(),
    };
    let mut held = Vec::new();
    for _ in 0..16 {
        let game = store
            .create_game(NewGame {
                created_at: Utc::now(),
                players: vec![user],
                is_private: false,
            })
            .await
            .unwrap();
        let token = store
            .acquire_lease("game", &game.to_string(), "a", 60_000)
            .await
            .unwrap()
            .unwrap();
        held.push((game, token));
    }
    const STEPS: u64 = 60;
    // The journal: batches that fence every game, in an order that turns each time.
    let journal = {
        let (store, held) = (store.clone(), held.clone());
        tokio::spawn(async move {
            for step in 0..STEPS {
                let mut batch: Vec<Commit> = held
                    .iter()
                    .map(|&(game, token)| {
                        let fence = Fence {
                            node: "a".into(),
                            token,
                        };
                        commit(game, step, Some(fence))
                    })
                    .collect();
                batch.rotate_left(step as usize % held.len());
                let results = store.write_batch(batch).await.unwrap();
                assert!(results.iter().all(Result::is_ok), "{results:?}");
            }
        })
    };
    // Meanwhile the renewals, whose rows the commits check.
    let leases: Vec<(String, String, i64)> = held
        .iter()
        .map(|&(game, token)| ("game".to_owned(), game.to_string(), token))
        .collect();
    let mut renewals = 0;
    while !journal.is_finished() {
        let renewed = store.renew_leases(60_000, &leases).await;
        let renewed = renewed.expect("a renewal never fails next to commits");
        assert_eq!(renewed.len(), leases.len());
        renewals += 1;
    }
    journal.await.unwrap();
    assert!(renewals > 0);
    for (game, _) in held {
        assert_eq!(record_len(&database, game).await, STEPS as i64);
    }
}
