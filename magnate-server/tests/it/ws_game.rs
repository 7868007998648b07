//! The game socket against a real server (docs/protocol.md C35–C36, C41, C58–C76, C78–C79).

use std::collections::BTreeSet;

use magnate_core::BotLevel;
use magnate_server::games::{create_bot_user, GameOptions, NewLivePlayer};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::game_support::{
    error_message, game_config, handshake_status, humans, responses, Client, Management, Player,
    Server, Table,
};

pub(crate) async fn server() -> Server {
    server_with(game_config(60_000)).await
}

/// A server with `config`, default game options and an in-memory store.
pub(crate) async fn server_with(config: magnate_server::Config) -> Server {
    Server::start(
        config,
        GameOptions::default(),
        crate::backend::test_store().await,
    )
    .await
}

pub(crate) async fn players(server: &Server, names: &[&str]) -> Vec<Player> {
    let mut players = Vec::new();
    for name in names {
        players.push(server.register(name).await);
    }
    players
}

/// Seats for a game of `human` and `count` new bots of `level` named `<prefix>_<n>`, and the
/// bots' user ids.
pub(crate) async fn seats_with_bots(
    server: &Server,
    human: &Player,
    prefix: &str,
    level: BotLevel,
    count: usize,
) -> (Vec<NewLivePlayer>, Vec<i64>) {
    let mut seats = vec![NewLivePlayer {
        user_id: human.id,
        bot_level: None,
    }];
    let mut bots = Vec::new();
    for n in 1..=count {
        let bot = create_bot_user(
            &server.state.store,
            &format!("{prefix}_{n}"),
            level,
            chrono::Utc::now(),
        )
        .await
        .unwrap()
        .unwrap();
        bots.push(bot);
        seats.push(NewLivePlayer {
            user_id: bot,
            bot_level: Some(level),
        });
    }
    (seats, bots)
}

pub(crate) fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

pub(crate) fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

const BASE_KEYS: &[&str] = &[
    "type",
    "money",
    "positions",
    "phase",
    "active_phase_player",
    "active_turn_player",
];

pub(crate) fn with_base(extra: &[&str]) -> BTreeSet<String> {
    BASE_KEYS
        .iter()
        .chain(extra)
        .map(|k| (*k).to_owned())
        .collect()
}

/// C41, C58: the snapshot is the first frame and has every key with the right types.
#[tokio::test]
async fn snapshot_is_the_first_frame_with_every_key() {
    let server = server().await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let (_client, frame) = Client::connect(&server, game, &alice).await;
    let state = &frame["game_state"];
    assert_eq!(
        keys(state),
        set(&[
            "id",
            "property_relationships",
            "datetime",
            "positions",
            "money",
            "phase",
            "ordered_players",
            "streak",
            "possible_destinations",
            "parking_money",
            "jail_remaining_turns",
            "finished",
            "auction_task_id",
            "current_turn",
            "active_phase_player",
            "active_turn_player",
            "players",
            "proposal",
            "fantasy_event",
            "current_auction",
            "max_turns",
        ])
    );
    let a = alice.id.to_string();
    let b = bob.id.to_string();
    assert_eq!(state["id"], json!(game));
    assert_eq!(state["property_relationships"], json!([]));
    assert_eq!(state["money"], json!({a.clone(): 1500, b.clone(): 1500}));
    assert_eq!(state["positions"], json!({a: 0, b: 0}));
    assert_eq!(state["phase"], "roll_the_dices");
    assert_eq!(state["streak"], 0);
    // Always an object (the reference sent `[]` before the first throw).
    assert_eq!(state["possible_destinations"], json!({}));
    assert_eq!(state["parking_money"], 0);
    assert_eq!(state["jail_remaining_turns"], json!({}));
    assert_eq!(state["finished"], false);
    assert_eq!(state["auction_task_id"], Value::Null);
    assert_eq!(state["current_turn"], 1);
    let mut ids = vec![alice.id, bob.id];
    ids.sort_unstable();
    assert_eq!(state["players"], json!(ids));
    let ordered: Vec<i64> = serde_json::from_value(state["ordered_players"].clone()).unwrap();
    let mut sorted = ordered.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ids, "ordered_players is a permutation");
    assert_eq!(state["active_phase_player"], json!(ordered[0]));
    assert_eq!(state["active_turn_player"], json!(ordered[0]));
    assert!(
        magnate_server::clock::parse_datetime(state["datetime"].as_str().unwrap()).is_some(),
        "datetime is RFC 3339"
    );
}

/// C35, C36, C59: refused handshakes never upgrade.
#[tokio::test]
async fn handshakes_without_access_are_refused() {
    let server = server().await;
    let [alice, bob, eve] =
        <[Player; 3]>::try_from(players(&server, &["alice", "bob", "eve"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let id = game.to_string();
    let address = server.address;
    assert_eq!(
        handshake_status(&format!("ws://{address}/ws/game/{id}/")).await,
        403,
        "no token"
    );
    assert_eq!(
        handshake_status(&server.ws_url(&id, "garbage")).await,
        403,
        "bad token"
    );
    assert_eq!(
        handshake_status(&server.ws_url(&id, &eve.access)).await,
        403,
        "not a participant"
    );
    assert_eq!(
        handshake_status(&server.ws_url("999999", &alice.access)).await,
        403,
        "no such game"
    );
    assert_eq!(
        handshake_status(&server.ws_url("abc", &alice.access)).await,
        403,
        "id not an integer"
    );
    assert_eq!(
        handshake_status(&format!(
            "ws://{address}/ws/game/{id}?token={}",
            alice.access
        ))
        .await,
        404,
        "missing trailing slash"
    );
    assert_eq!(
        handshake_status(&format!("ws://{address}/ws/nope/?token={}", alice.access)).await,
        404,
        "unknown path"
    );
    assert_eq!(
        handshake_status(&server.ws_url(&id, &alice.access)).await,
        101,
        "a participant connects"
    );
}

/// C60, D11: chat goes to everyone; falsy messages are ignored; long ones refused to the sender.
#[tokio::test]
async fn chat_is_broadcast_and_checked() {
    let server = server().await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    table
        .client(alice.id)
        .send(json!({"type": "ChatMessage", "msg": "hi"}))
        .await;
    for client in &mut table.clients {
        assert_eq!(
            client.recv().await,
            json!({"event_type": "chat_message", "game": game, "user": "alice", "msg": "hi"})
        );
    }
    let frames = table
        .act(alice.id, json!({"type": "ChatMessage", "msg": ""}))
        .await;
    assert_eq!(frames, Vec::<Value>::new(), "an empty message is ignored");
    let frames = table
        .act(
            alice.id,
            json!({"type": "ChatMessage", "msg": "x".repeat(501)}),
        )
        .await;
    assert_eq!(
        frames,
        vec![
            json!({"event_type": "error", "code": "invalid_chat", "message": "Invalid data: msg"})
        ]
    );
    let frames = table
        .act(
            bob.id,
            json!({"type": "ChatMessage", "msg": "y".repeat(500)}),
        )
        .await;
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["msg"], json!("y".repeat(500)));
}

/// C61, C71, D12: bad frames get error events and the socket stays usable.
#[tokio::test]
async fn bad_frames_get_errors_and_the_socket_stays_open() {
    let server = server().await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let (mut client, _) = Client::connect(&server, game, &alice).await;
    let cases: Vec<(Message, &str, &str)> = vec![
        (
            Message::text("not json"),
            "malformed_json",
            "Invalid data: malformed JSON",
        ),
        (
            Message::text("[1,2]"),
            "malformed_json",
            "Invalid data: malformed JSON",
        ),
        (
            Message::binary(vec![1u8, 2, 3]),
            "malformed_json",
            "Invalid data: malformed JSON",
        ),
        (
            Message::text(format!(
                r#"{{"type":"ChatMessage","msg":"{}"}}"#,
                "a".repeat(70_000)
            )),
            "too_large",
            "Invalid data: message too large",
        ),
        (
            Message::text("{}"),
            "invalid_data",
            r#"Invalid data: {"type":["This field is required to identify the action."]}"#,
        ),
        (
            Message::text(r#"{"type":"ActionMoveTo"}"#),
            "invalid_data",
            r#"Invalid data: {"square":["Este campo es requerido."]}"#,
        ),
    ];
    for (message, code, expected) in cases {
        client.send_message(message).await;
        let frames = client.sync().await.1;
        assert_eq!(
            frames,
            vec![json!({"event_type": "error", "code": code, "message": expected})]
        );
    }
    let frames = client.act(json!({"type": "Nope"})).await;
    assert_eq!(frames[0]["code"], "unknown_action");
    let message = error_message(&frames).unwrap();
    assert!(
        message.starts_with(r#"Invalid data: {"type":["Invalid action type 'Nope'. Valid options are: ['ActionThrowDices', "#),
        "{message}"
    );
}

/// C62, C63: refusals go to the sender only, in plain words with a stable `code`.
#[tokio::test]
async fn out_of_turn_and_wrong_phase_actions_are_refused_to_the_sender() {
    let server = server().await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    let active = table.active();
    let idle = if active == alice.id { bob.id } else { alice.id };
    let frames = table.act(idle, json!({"type": "ActionThrowDices"})).await;
    assert_eq!(
        frames,
        vec![json!({"event_type": "error", "code": "not_your_turn",
            "message": "It is not your turn to act."})]
    );
    let frames = table
        .act(active, json!({"type": "ActionBuySquare", "square": 1}))
        .await;
    assert_eq!(
        frames,
        vec![json!({"event_type": "error", "code": "wrong_phase",
            "message": "ActionBuySquare is not allowed now: the game is in phase roll_the_dices."})]
    );
    // Malformed frames keep the reference's field messages, with their own code.
    let frames = table.act(active, json!({"type": "ActionBuySquare"})).await;
    assert_eq!(
        frames,
        vec![json!({"event_type": "error", "code": "invalid_data",
            "message": "Invalid data: {\"square\":[\"Este campo es requerido.\"]}"})]
    );
}

/// C64, C65, C78: a throw is echoed with extra keys kept and answered with every key; moves with
/// several destinations take an `ActionMoveTo`; every socket sees the same order even when both
/// players send at once.
#[tokio::test]
async fn throws_are_echoed_and_answered_in_the_same_order_everywhere() {
    let server = server().await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    let active = table.active();
    let frames = table
        .act(
            active,
            json!({"type": "ActionThrowDices", "extra": 1, "game": 5, "player": 999}),
        )
        .await;
    assert_eq!(
        frames[0],
        json!({"event_type": "game_action",
            "data": {"type": "ActionThrowDices", "extra": 1, "game": game, "player": active}})
    );
    let response = &frames[1]["data"];
    assert_eq!(frames[1]["event_type"], "game_response");
    assert_eq!(
        keys(response),
        with_base(&[
            "fantasy_event",
            "path",
            "dice1",
            "dice2",
            "dice_bus",
            "destinations",
            "triple",
            "streak"
        ])
    );
    assert_eq!(response["type"], "ResponseThrowDices");
    for die in ["dice1", "dice2", "dice_bus"] {
        assert!((1..=6).contains(&response[die].as_i64().unwrap()), "{die}");
    }
    assert!(response["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_i64));
    assert!(response["path"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_i64));
    assert!(response["positions"]
        .as_object()
        .unwrap()
        .values()
        .all(Value::is_i64));

    // Play on until someone must choose among several destinations.
    table
        .drive(Management::Pass, 400, |t| t.phase() == "choose_square")
        .await;
    let chooser = table.active();
    let destination = table.destinations[0].clone();
    assert!(table.destinations.len() > 1 || table.destinations.len() == 1);
    let frames = table
        .act(
            chooser,
            json!({"type": "ActionMoveTo", "square": destination}),
        )
        .await;
    let moved = responses(&frames);
    assert_eq!(moved[0]["type"], "ResponseChooseSquare");
    assert_eq!(
        keys(&moved[0]),
        with_base(&["path", "fantasy_event"]),
        "{}",
        moved[0]
    );
    assert!(moved[0]["path"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_i64));

    // Both players send at once: the server orders everything once, for every socket.
    let [first, second] = &mut table.clients[..] else {
        panic!("two clients");
    };
    let burst = [
        json!({"type": "ChatMessage", "msg": "one"}),
        json!({"type": "ActionNextPhase"}),
        json!({"type": "ChatMessage", "msg": "two"}),
    ];
    for frame in &burst {
        first.send(frame.clone()).await;
        second.send(frame.clone()).await;
    }
    let (marker_a, mut all_a) = first.sync().await;
    let (marker_b, mut all_b) = second.sync().await;
    // Each socket reads until it has seen both markers, whichever came first.
    if !all_a.iter().any(|f| f["msg"] == json!(marker_b)) {
        all_a.extend(first.until_chat(&marker_b).await);
    }
    if !all_b.iter().any(|f| f["msg"] == json!(marker_a)) {
        all_b.extend(second.until_chat(&marker_a).await);
    }
    let markers = [json!(marker_a), json!(marker_b)];
    let order_a: Vec<Value> = all_a
        .into_iter()
        .filter(|f| f["event_type"] != "error" && !markers.contains(&f["msg"]))
        .collect();
    let order_b: Vec<Value> = all_b
        .into_iter()
        .filter(|f| f["event_type"] != "error" && !markers.contains(&f["msg"]))
        .collect();
    assert_eq!(order_a, order_b, "identical order on both sockets");
    for (index, frame) in order_a.iter().enumerate() {
        if frame["event_type"] == "game_action" {
            assert_eq!(
                order_a[index + 1]["event_type"],
                "game_response",
                "an action and its response are contiguous"
            );
        }
    }
}

/// C66: buying takes the price; passing the turn moves `current_turn` on.
#[tokio::test]
async fn buying_and_passing_the_turn() {
    let server = server().await;
    let [alice, bob] = <[Player; 2]>::try_from(players(&server, &["alice", "bob"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    let board = magnate_core::Board::standard();
    let owned = std::cell::RefCell::new(BTreeSet::new());
    table
        .drive(Management::Pass, 400, |t| {
            if t.phase() != "management" {
                return false;
            }
            let here = t.view["positions"][t.active().to_string()]
                .as_u64()
                .unwrap() as u16;
            let money = t.view["money"][t.active().to_string()].as_i64().unwrap();
            // Games are seeded at random: stop only where the active player can afford to buy.
            board
                .square(magnate_core::SquareId(here))
                .and_then(|s| s.buy_price())
                .is_some_and(|price| price <= money)
                && !owned.borrow().contains(&here)
        })
        .await;
    let buyer = table.active();
    let here = table.view["positions"][buyer.to_string()].as_u64().unwrap() as u16;
    let price = board
        .square(magnate_core::SquareId(here))
        .unwrap()
        .buy_price()
        .unwrap();
    let before = table.view["money"][buyer.to_string()].as_i64().unwrap();
    owned.borrow_mut().insert(here);
    let frames = table
        .act(buyer, json!({"type": "ActionBuySquare", "square": here}))
        .await;
    let responses = responses(&frames);
    let response = responses
        .first()
        .unwrap_or_else(|| panic!("the purchase was refused: {frames:?}"));
    assert_eq!(response["type"], "Response");
    assert_eq!(keys(response), with_base(&[]));
    assert_eq!(
        response["money"][buyer.to_string()].as_i64().unwrap(),
        before - price
    );
    let (watcher, snapshot) = Client::connect(&server, game, &alice).await;
    let turn = snapshot["game_state"]["current_turn"].as_i64().unwrap();
    let relationship = snapshot["game_state"]["property_relationships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["owner"] == json!(buyer))
        .cloned()
        .unwrap();
    assert_eq!(
        keys(&relationship),
        set(&["id", "owner", "square", "houses", "mortgage"])
    );
    if table.phase() == "business" {
        table.act(buyer, json!({"type": "ActionNextPhase"})).await;
        assert_ne!(table.active(), buyer, "the turn passed");
        watcher.close().await;
        let (_again, snapshot) = Client::connect(&server, game, &alice).await;
        assert_eq!(snapshot["game_state"]["current_turn"], json!(turn + 1));
    }
}

/// C72, C73, C31, D33, D36: a surrender that leaves one player ends the game at once; the
/// summary answers and the counters move; later actions are refused.
#[tokio::test]
async fn a_surrender_ends_a_two_player_game_completely() {
    let server = server().await;
    let [alice, bob, eve] =
        <[Player; 3]>::try_from(players(&server, &["alice", "bob", "eve"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob]).await;
    let (status, _) = server
        .get(&format!("/game/summary/{game}/"), &alice.access)
        .await;
    assert_eq!(status, 404, "no summary while the game runs");
    table.drive(Management::Buy, 30, |t| t.log.len() > 12).await;
    let frames = table
        .act(alice.id, json!({"type": "ActionSurrender"}))
        .await;
    assert_eq!(
        frames[0],
        json!({"event_type": "game_action",
            "data": {"type": "ActionSurrender", "game": game, "player": alice.id}})
    );
    let responses = responses(&frames);
    assert_eq!(responses.len(), 2, "{frames:?}");
    assert_eq!(responses[0]["type"], "Response");
    assert_eq!(responses[0]["phase"], "end_game");
    let bonus = &responses[1];
    assert_eq!(bonus["type"], "ResponseBonus");
    assert_eq!(keys(bonus), with_base(&["bonuses", "winner", "reason"]));
    assert_eq!(
        bonus["winner"],
        json!(bob.id),
        "the end frame names the winner"
    );
    assert_eq!(bonus["reason"], "last_player_standing");
    assert_eq!(bonus["phase"], "end_game");
    assert_eq!(bonus["bonuses"], json!({}));
    assert_eq!(keys(&bonus["money"]), set(&[&bob.id.to_string()]));
    assert_eq!(keys(&bonus["positions"]), set(&[&bob.id.to_string()]));
    assert_eq!(bonus["active_phase_player"], json!(bob.id));
    assert_eq!(bonus["active_turn_player"], json!(bob.id));

    let frames = table.act(bob.id, json!({"type": "ActionThrowDices"})).await;
    assert_eq!(
        error_message(&frames).as_deref(),
        Some("The game has ended.")
    );

    let (status, summary) = server
        .get(&format!("/game/summary/{game}/"), &bob.access)
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        keys(&summary),
        set(&["id", "game", "start_date", "end_date", "final_money"])
    );
    assert_eq!(summary["game"], json!(game));
    assert_eq!(summary["final_money"]["alice"], 0);
    assert!(summary["final_money"]["bob"].as_i64().unwrap() > 0);
    let (status, _) = server
        .get(&format!("/game/summary/{game}/"), &eve.access)
        .await;
    assert_eq!(status, 403);
    let alice_profile = server.profile(&alice).await;
    let bob_profile = server.profile(&bob).await;
    assert_eq!(alice_profile["num_played_games"], 1);
    assert_eq!(alice_profile["num_won_games"], 0);
    assert_eq!(bob_profile["num_played_games"], 1);
    assert_eq!(bob_profile["num_won_games"], 1);

    // A participant reconnecting later sees the finished game.
    for client in table.clients.drain(..) {
        client.close().await;
    }
    let (_client, snapshot) = Client::connect(&server, game, &bob).await;
    assert_eq!(snapshot["game_state"]["finished"], true);
    assert_eq!(snapshot["game_state"]["phase"], "end_game");
}

/// C74, D21, D24: an eliminated player watches read-only.
#[tokio::test]
async fn eliminated_players_attach_read_only() {
    let server = server().await;
    let [alice, bob, carol] =
        <[Player; 3]>::try_from(players(&server, &["alice", "bob", "carol"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob, &carol])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob, &carol]).await;
    let frames = table
        .act(carol.id, json!({"type": "ActionSurrender"}))
        .await;
    assert_eq!(responses(&frames)[0]["phase"], table.view["phase"]);
    assert!(table.view["money"].get(carol.id.to_string()).is_none());
    let frames = table
        .act(carol.id, json!({"type": "ActionThrowDices"}))
        .await;
    let refused = "You are no longer in this game.".to_owned();
    assert_eq!(error_message(&frames), Some(refused.clone()));

    let old_socket = table.clients.pop().unwrap();
    old_socket.close().await;
    let (watcher, snapshot) = Client::connect(&server, game, &carol).await;
    let players: Vec<i64> =
        serde_json::from_value(snapshot["game_state"]["players"].clone()).unwrap();
    assert!(!players.contains(&carol.id));
    table.clients.push(watcher);
    let frames = table
        .act(carol.id, json!({"type": "ActionSurrender"}))
        .await;
    assert_eq!(error_message(&frames), Some(refused));
    let frames = table
        .act(
            carol.id,
            json!({"type": "ChatMessage", "msg": "still here"}),
        )
        .await;
    assert_eq!(frames.len(), 1, "a watcher may chat: {frames:?}");
    assert_eq!(frames[0]["user"], "carol");
}
