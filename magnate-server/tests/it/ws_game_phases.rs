//! The game socket against a real server, continued: auctions, timers, bots, trades and fantasy
//! cards (docs/protocol.md C67–C70, C75–C76, C79).

use std::collections::BTreeSet;

use magnate_core::{BotLevel, HouseRules};
use magnate_server::games::GameOptions;
use serde_json::{json, Value};

use crate::game_support::{
    error_message, expect_quiet, game_config, humans, responses, Client, Management, Player,
    Server, Table,
};
use crate::ws_game::{keys, players, seats_with_bots, server, server_with, set, with_base};

/// C69: bids are hidden; the last eligible bid closes the auction with the superset shape.
#[tokio::test]
async fn bids_close_an_auction_with_the_superset_response() {
    let server = server().await;
    let [alice, bob, carol] =
        <[Player; 3]>::try_from(players(&server, &["alice", "bob", "carol"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob, &carol])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob, &carol]).await;
    table
        .drive(Management::Drop, 400, |t| t.phase() == "auction")
        .await;
    let dropper = table.active();
    let square = table.view["positions"][dropper.to_string()].clone();
    let (_peek, snapshot) = Client::connect(&server, game, &alice).await;
    assert_eq!(
        snapshot["game_state"]["current_auction"]["square"], square,
        "the snapshot names the auctioned square"
    );
    assert!(snapshot["game_state"]["auction_task_id"].is_string());
    let bidders: Vec<i64> = [alice.id, bob.id, carol.id]
        .into_iter()
        .filter(|id| *id != dropper)
        .collect();
    let frames = table
        .act(dropper, json!({"type": "ActionBid", "amount": 5}))
        .await;
    assert_eq!(
        error_message(&frames),
        Some("You cannot bid in an auction you started.".to_owned())
    );
    let frames = table
        .act(bidders[0], json!({"type": "ActionBid", "amount": 10}))
        .await;
    assert!(frames.iter().all(|f| f["event_type"] != "game_action"));
    assert_eq!(responses(&frames)[0]["phase"], "auction");
    let frames = table
        .act(bidders[1], json!({"type": "ActionBid", "amount": 0}))
        .await;
    assert!(frames.iter().all(|f| f["event_type"] != "game_action"));
    let closed = &responses(&frames)[0];
    assert_eq!(closed["type"], "ResponseAuction");
    assert_eq!(
        keys(closed),
        with_base(&[
            "auction",
            "winner",
            "final_amount",
            "sold",
            "is_tie",
            "bids"
        ])
    );
    let bids = json!({bidders[0].to_string(): 10, bidders[1].to_string(): 0});
    assert_eq!(
        closed["auction"],
        json!({"id": closed["auction"]["id"], "square": square, "winner": bidders[0],
            "final_amount": 10, "sold": true, "is_active": false, "is_tie": false, "bids": bids})
    );
    assert_eq!(closed["winner"], json!(bidders[0]));
    assert_eq!(closed["final_amount"], 10);
    assert_eq!(closed["is_tie"], false);
    assert_eq!(closed["bids"], bids);
}

/// C70: the auction timer closes an auction with only a `game_response`.
#[tokio::test]
async fn the_auction_timer_closes_an_auction() {
    let server = server_with(game_config(300)).await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    table
        .drive(Management::Drop, 400, |t| t.phase() == "auction")
        .await;
    server.advance(299);
    expect_quiet(&mut table.clients).await;
    server.advance(1);
    for client in &mut table.clients {
        let frame = client.recv().await;
        assert_eq!(frame["event_type"], "game_response", "{frame}");
        assert_eq!(frame["data"]["type"], "ResponseAuction");
        // No sale, in a shape the desktop client's `int()` accepts: winner 0, amount 0.
        assert_eq!(frame["data"]["winner"], 0);
        assert_eq!(frame["data"]["final_amount"], 0);
        assert_eq!(frame["data"]["sold"], false);
        assert_eq!(frame["data"]["auction"]["winner"], 0);
        assert_eq!(frame["data"]["auction"]["final_amount"], 0);
        assert_eq!(frame["data"]["auction"]["sold"], false);
        assert_eq!(frame["data"]["bids"], json!({}));
    }
}

/// C79: a short next-phase timeout moves the game on with `ResponseSkipPhase`.
#[tokio::test]
async fn the_next_phase_timeout_skips_the_phase() {
    let mut config = game_config(60_000);
    config.timers.next_phase_ms = 300;
    let server = server_with(config).await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    let active = table.active();
    table.act(active, json!({"type": "ActionThrowDices"})).await;
    let phase = table.phase();
    // Virtual time: each step moves the clock one timeout on; the fantasy choice and later
    // phases time out in turn until a phase is skipped.
    let mut frames = Vec::new();
    for _ in 0..10 {
        server.advance(300);
        let (_, heard) = table.clients[0].sync().await;
        frames.extend(heard);
        if let Some(at) = frames
            .iter()
            .position(|f| f["data"]["type"] == "ResponseSkipPhase")
        {
            frames.truncate(at + 1);
            break;
        }
    }
    let frames: Vec<Value> = frames
        .into_iter()
        .filter(|f| f["event_type"] != "chat_message")
        .collect();
    assert!(
        frames
            .iter()
            .any(|f| f["data"]["type"] == "ResponseSkipPhase"),
        "{frames:?}"
    );
    assert!(
        frames.iter().all(|f| f["event_type"] == "game_response"),
        "only responses, no game_action: {frames:?}"
    );
    let last = &frames.last().unwrap()["data"];
    // Management on a square nobody owns times out into an auction; otherwise the turn moves
    // on (to the next player, or to the same one after a double; a kick-out may end the game).
    assert!(
        ["auction", "roll_the_dices", "end_game"].contains(&last["phase"].as_str().unwrap()),
        "unexpected phase after a timeout from {phase}: {last}"
    );
}

/// C75, C76, D31: bots play every phase; a game whose only human surrenders at once is played
/// to its end by the bots (house rule `max_turns` = 40 bounds the game).
#[tokio::test]
async fn bots_play_a_game_to_its_end() {
    let options = GameOptions {
        seed: None,
        rules: HouseRules {
            max_turns: Some(40),
            ..HouseRules::default()
        },
    };
    let server = Server::start(
        game_config(60_000),
        options,
        crate::backend::test_store().await,
    )
    .await;
    let human = server.register("human").await;
    let (seats, bots) = seats_with_bots(&server, &human, "Bot_TEST01", BotLevel::Medium, 3).await;
    let game = server.create_game(&seats).await;
    let (mut client, _) = Client::connect(&server, game, &human).await;
    client.send(json!({"type": "ActionSurrender"})).await;
    let frames = client
        .recv_until(|f| f["data"]["type"] == "ResponseBonus")
        .await;
    let bot_actions: Vec<&Value> = frames
        .iter()
        .filter(|f| f["event_type"] == "game_action" && f["data"]["player"] != json!(human.id))
        .collect();
    assert!(bot_actions.len() > 10, "bots acted: {}", bot_actions.len());
    for action in &bot_actions {
        assert!(bots.contains(&action["data"]["player"].as_i64().unwrap()));
        assert_eq!(action["data"]["game"], json!(game));
        assert_ne!(action["data"]["type"], "ActionBid", "bids stay hidden");
    }
    let (status, summary) = server
        .get(&format!("/game/summary/{game}/"), &human.access)
        .await;
    assert_eq!(status, 200);
    assert_eq!(summary["final_money"]["human"], 0);
    assert_eq!(summary["final_money"].as_object().unwrap().len(), 4);
    let profile = server.profile(&human).await;
    assert_eq!(profile["num_played_games"], 1);
    assert_eq!(profile["num_won_games"], 0);
}

/// C76, docs/protocol.md: when a human declines a square, every bot in the game bids (bid delays
/// are 0 in
/// tests) and the last bot bid closes the auction; bids never produce a `game_action`.
#[tokio::test]
async fn bots_bid_in_a_human_auction() {
    let server = server().await;
    let human = server.register("human").await;
    let (seats, bots) = seats_with_bots(&server, &human, "Bot_BIDS01", BotLevel::Expert, 2).await;
    let game = server.create_game(&seats).await;
    let mut table = Table::open(&server, game, &[&human]).await;
    let board = magnate_core::Board::standard();
    let mut bid_in_this_auction = false;
    for _ in 0..5000 {
        let phase = table.phase();
        if phase != "auction" {
            bid_in_this_auction = false;
        }
        let my_move = table.active() == human.id && phase != "auction";
        if phase == "auction" && !bid_in_this_auction {
            // A bot's auction: the human passes (a 0 bid), so it closes at once.
            bid_in_this_auction = true;
            table
                .act(human.id, json!({"type": "ActionBid", "amount": 0}))
                .await;
            continue;
        }
        if !my_move {
            // A bot's turn: watch it play.
            let frame = table.clients[0].recv().await;
            if frame["event_type"] == "game_response" {
                if frame["data"]["type"] == "ResponseThrowDices" {
                    table.destinations = frame["data"]["destinations"].as_array().unwrap().clone();
                }
                table.view = frame["data"].clone();
            }
            continue;
        }
        let action = match phase.as_str() {
            "roll_the_dices" => json!({"type": "ActionThrowDices"}),
            "choose_square" => json!({"type": "ActionMoveTo", "square": table.destinations[0]}),
            "choose_fantasy" => json!({"type": "ActionChooseCard"}),
            "management" => {
                let here = table.view["positions"][human.id.to_string()]
                    .as_u64()
                    .unwrap() as u16;
                let ownable = board
                    .square(magnate_core::SquareId(here))
                    .is_some_and(|s| s.is_ownable());
                if ownable {
                    let mut frames = table
                        .act(
                            human.id,
                            json!({"type": "ActionDropPurchase", "square": here}),
                        )
                        .await;
                    if error_message(&frames).is_none() {
                        if !frames
                            .iter()
                            .any(|f| f["data"]["type"] == "ResponseAuction")
                        {
                            frames.extend(
                                table.clients[0]
                                    .recv_until(|f| f["data"]["type"] == "ResponseAuction")
                                    .await,
                            );
                        }
                        let start = frames
                            .iter()
                            .position(|f| f["data"]["phase"] == "auction")
                            .unwrap();
                        let end = frames
                            .iter()
                            .position(|f| f["data"]["type"] == "ResponseAuction")
                            .unwrap();
                        assert!(
                            frames[start..=end]
                                .iter()
                                .all(|f| f["event_type"] != "game_action"),
                            "bot bids are hidden: {frames:?}"
                        );
                        let outcome = &frames[end]["data"];
                        let expected: BTreeSet<String> =
                            bots.iter().map(|id| id.to_string()).collect();
                        // A bot that declined this square before may not bid; every
                        // other bot bids, and the last bid closes the auction at once.
                        let bidders = keys(&outcome["bids"]);
                        assert!(
                            !bidders.is_empty() && bidders.is_subset(&expected),
                            "bots bid: {outcome}"
                        );
                        return;
                    }
                }
                json!({"type": "ActionNextPhase"})
            }
            "business" | "liquidation" => json!({"type": "ActionNextPhase"}),
            "proposal_acceptance" => json!({"type": "ActionTradeAnswer", "choose": false}),
            other => panic!("unexpected phase {other}"),
        };
        table.act(human.id, action).await;
    }
    panic!("the human never declined a square");
}

/// Two humans play until the turn player, in business with money on both sides, owns a square
/// it bought; returns the table, the game, the proposer, the recipient and that square's
/// `property_relationships` entry.
async fn business_with_a_bought_square(server: &Server) -> (Table, i64, Player, i64, i64, Value) {
    let [alice, bob] = <[Player; 2]>::try_from(players(server, &["alice", "bob"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(server, game, &[&alice, &bob]).await;
    table
        .drive(Management::Buy, 400, |t| {
            let active = json!(t.active());
            // Games are seeded at random: the recipient must be able to pay the 1 asked below.
            let solvent = t.view["money"]
                .as_object()
                .is_some_and(|money| money.values().all(|m| m.as_i64().is_some_and(|m| m >= 1)));
            t.phase() == "business"
                && solvent
                && t.log.iter().any(|f| {
                    f["event_type"] == "game_action"
                        && f["data"]["type"] == "ActionBuySquare"
                        && f["data"]["player"] == active
                })
        })
        .await;
    let proposer = table.active();
    let recipient = if proposer == alice.id {
        bob.id
    } else {
        alice.id
    };
    let (_peek, snapshot) = Client::connect(server, game, &alice).await;
    let relationship = snapshot["game_state"]["property_relationships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["owner"] == json!(proposer))
        .cloned()
        .unwrap();

    (table, game, alice, proposer, recipient, relationship)
}

/// C68, docs/protocol.md notes: trades name property relationships by the `id` the snapshot gives;
/// the
/// recipient answers and control returns to the proposer; unknown ids are invalid data.
#[tokio::test]
async fn trades_use_relationship_ids_from_the_snapshot() {
    let server = server().await;
    let (mut table, game, alice, proposer, recipient, relationship) =
        business_with_a_bought_square(&server).await;
    let id = relationship["id"].as_i64().unwrap();

    let frames = table
        .act(
            proposer,
            json!({"type": "ActionTradeProposal", "destination_user": recipient,
                "offered_properties": [999_999]}),
        )
        .await;
    assert_eq!(
        error_message(&frames).as_deref(),
        Some(
            r#"Invalid data: {"offered_properties":["Clave primaria \"999999\" inválida - objeto no existe."]}"#
        )
    );
    let frames = table
        .act(
            proposer,
            json!({"type": "ActionTradeProposal", "destination_user": recipient,
                "offered_properties": [id], "asked_money": 1}),
        )
        .await;
    assert_eq!(
        frames[0]["data"]["offered_properties"],
        json!([id]),
        "the echo keeps the client's ids"
    );
    let proposed = &responses(&frames)[0];
    assert_eq!(proposed["phase"], "proposal_acceptance");
    assert_eq!(proposed["active_phase_player"], json!(recipient));
    let (_peek, pending) = Client::connect(&server, game, &alice).await;
    assert_eq!(
        pending["game_state"]["proposal"]["offered_properties"],
        json!([id])
    );
    let frames = table
        .act(
            recipient,
            json!({"type": "ActionTradeAnswer", "choose": true}),
        )
        .await;
    let answered = responses(&frames);
    let answered = answered
        .first()
        .unwrap_or_else(|| panic!("the answer was refused: {frames:?}"));
    assert_eq!(answered["phase"], "business");
    assert_eq!(answered["active_phase_player"], json!(proposer));
    let (_peek, after) = Client::connect(&server, game, &alice).await;
    let moved = after["game_state"]["property_relationships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["square"] == relationship["square"])
        .cloned()
        .unwrap();
    assert_eq!(moved["owner"], json!(recipient), "the square changed hands");
}

/// The reference's GUI clients name squares by tile in trade proposals (desktop `[16]`, web
/// `["016"]`) and answer with `accept` (web), and read `property_relationships[].square` as a
/// tile: all three work, and the snapshot's square is the tile the proposer bought.
#[tokio::test]
async fn gui_clients_trade_by_tile_and_answer_with_accept() {
    let server = server().await;
    let (mut table, game, alice, proposer, recipient, relationship) =
        business_with_a_bought_square(&server).await;
    let tile = relationship["square"].as_u64().unwrap();
    let bought: Vec<Value> = table
        .log
        .iter()
        .filter(|f| f["event_type"] == "game_action" && f["data"]["type"] == "ActionBuySquare")
        .map(|f| f["data"]["square"].clone())
        .collect();
    assert!(
        bought.iter().any(|square| square.as_u64() == Some(tile)
            || square.as_str().and_then(|s| s.parse::<u64>().ok()) == Some(tile)),
        "the snapshot names the bought tile {tile}, bought: {bought:?}"
    );
    let frames = table
        .act(
            proposer,
            json!({"type": "ActionTradeProposal", "destination_user": recipient,
                "offered_properties": [format!("{tile:03}")], "asked_properties": [],
                "offered_money": 0, "asked_money": 1}),
        )
        .await;
    assert_eq!(
        responses(&frames)
            .first()
            .unwrap_or_else(|| panic!("the proposal was refused: {frames:?}"))["phase"],
        "proposal_acceptance"
    );
    let frames = table
        .act(
            recipient,
            json!({"type": "ActionTradeAnswer", "accept": true}),
        )
        .await;
    assert!(
        !responses(&frames).is_empty(),
        "the answer was refused: {frames:?}"
    );
    let (_peek, after) = Client::connect(&server, game, &alice).await;
    let moved = after["game_state"]["property_relationships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["square"] == json!(tile))
        .cloned()
        .unwrap();
    assert_eq!(
        moved["owner"],
        json!(recipient),
        "an accepted trade moved the tile"
    );
}

/// C67: landing on a fantasy square reveals the card in the move's response; choosing it
/// answers `ResponseChooseFantasy` with the card and its result.
#[tokio::test]
async fn fantasy_cards_are_revealed_and_applied() {
    let server = server().await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    table
        .drive(Management::Pass, 600, |t| t.phase() == "choose_fantasy")
        .await;
    let revealed = table.view["fantasy_event"].clone();
    assert_eq!(
        keys(&revealed),
        set(&["fantasy_type", "value", "card_cost"]),
        "the move's response reveals the card: {}",
        table.view
    );
    let (_peek, snapshot) = Client::connect(&server, game, &alice).await;
    assert_eq!(snapshot["game_state"]["fantasy_event"], revealed);
    let chooser = table.active();
    let frames = table
        .act(
            chooser,
            json!({"type": "ActionChooseCard", "chosen_revealed_card": true}),
        )
        .await;
    let applied = responses(&frames)
        .into_iter()
        .find(|r| r["type"] == "ResponseChooseFantasy")
        .unwrap();
    assert_eq!(keys(&applied), with_base(&["fantasy_result"]));
    assert_eq!(applied["fantasy_result"]["fantasy_event"], revealed);
    assert!(applied["fantasy_result"]
        .as_object()
        .unwrap()
        .contains_key("result"));
}
