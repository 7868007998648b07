//! Whole games against bots, played in each client's dialect, every received frame checked
//! against what that client reads; and each client's lobby.

use std::collections::{BTreeMap, BTreeSet};

use magnate_core::{BotLevel, HouseRules};
use magnate_server::games::GameOptions;
use serde_json::{json, Value};

use super::{desktop, pick, web, Choices, Context, Dialect, CLI};
use crate::game_support::{game_config, Client, Player, Server};
use crate::ws_game::{players, seats_with_bots};

/// Error codes a client bot may meet when its list went stale (a bot or a timer acted between
/// the list and the frame); anything else means a listed action was refused.
const STALE: &[&str] = &["not_your_turn", "wrong_phase", "no_auction", "no_proposal"];

/// What one game showed.
#[derive(Debug, Default)]
struct Played {
    sent: BTreeSet<String>,
    errors: BTreeMap<String, usize>,
    frames: usize,
    auctions_sold: usize,
    auctions_unsold: usize,
    chats_seen: usize,
}

async fn open(server: &Server, game: i64, player: &Player, dialect: &Dialect) -> Client {
    let (client, snapshot) = Client::connect_with_query(server, game, player, "&legal=1").await;
    (dialect.read)(&snapshot).unwrap_or_else(|broken| panic!("{}: {broken}", dialect.name));
    client
}

/// Plays one game as `dialect` against three bots until it ends.
async fn play(dialect: &Dialect, seed: u64) -> Played {
    let options = GameOptions {
        rules: HouseRules {
            max_turns: Some(40),
            ..HouseRules::default()
        },
        seed: Some(seed),
    };
    let server = Server::start(game_config(20), options, crate::backend::test_store().await).await;
    let human = players(&server, &["contract"]).await.remove(0);
    let prefix = format!("Bot_{}", dialect.name.to_uppercase());
    let (seats, _) = seats_with_bots(&server, &human, &prefix, BotLevel::Medium, 3).await;
    let game = server.create_game(&seats).await;
    let context = Context {
        game,
        player: human.id,
    };
    let mut client = open(&server, game, &human, dialect).await;
    client.send((dialect.chat)("hola")).await;

    let mut played = Played::default();
    let mut choices = Choices(seed);
    let mut trades_left = 3;
    let mut reconnected = false;
    let mut last_sent = Value::Null;
    // Who must act, from the last snapshot or response.
    let mut active = Value::Null;
    // The newest list, and whether it has been acted on. One action at a time: after sending,
    // a chat marker follows, and nothing is sent until it comes back (everything the action
    // caused arrives before it), so no action is chosen from a list its predecessor outdated.
    let mut latest = Value::Null;
    let mut fresh = false;
    let mut awaiting: Option<String> = None;
    let mut markers = 0;
    loop {
        let frame = client.recv().await;
        played.frames += 1;
        assert!(
            played.frames < 50_000,
            "{}: the game does not end",
            dialect.name
        );
        (dialect.read)(&frame)
            .unwrap_or_else(|broken| panic!("{} cannot read: {broken}", dialect.name));
        match frame["event_type"].as_str().unwrap() {
            "game_state" => active = frame["game_state"]["active_phase_player"].clone(),
            "legal_actions" => {
                latest = frame.clone();
                fresh = true;
            }
            "error" => {
                let code = frame["code"].as_str().unwrap().to_owned();
                assert!(
                    STALE.contains(&code.as_str()),
                    "{}: a listed action was refused: {frame} (sent {last_sent})",
                    dialect.name
                );
                *played.errors.entry(code).or_default() += 1;
            }
            "chat_message" => {
                played.chats_seen += 1;
                let text = frame["msg"]["text"].as_str().or(frame["msg"].as_str());
                if awaiting.is_some() && text == awaiting.as_deref() {
                    awaiting = None;
                }
            }
            "game_response" => {
                active = frame["data"]["active_phase_player"].clone();
                match frame["data"]["type"].as_str().unwrap() {
                    "ResponseAuction" if frame["data"]["sold"] == true => {
                        played.auctions_sold += 1;
                    }
                    "ResponseAuction" => played.auctions_unsold += 1,
                    "ResponseBonus" => break,
                    _ => {}
                }
            }
            _ => {}
        }
        if awaiting.is_some() || !fresh {
            continue;
        }
        fresh = false;
        if !reconnected && played.sent.len() >= 4 {
            // Reconnect mid-game: the snapshot and a fresh list come first.
            reconnected = true;
            client.close().await;
            client = open(&server, game, &human, dialect).await;
            continue;
        }
        let chosen = pick(&latest, &mut choices, &mut trades_left).or_else(|| {
            // Nothing but surrender while this player must act (liquidation with nothing
            // left to sell): leave, as a person would.
            let may_surrender = latest["actions"]
                .as_array()
                .is_some_and(|entries| !entries.is_empty());
            (may_surrender && active == json!(human.id)).then(|| json!({"type": "ActionSurrender"}))
        });
        if let Some(action) = chosen {
            played
                .sent
                .insert(action["type"].as_str().unwrap().to_owned());
            last_sent = (dialect.write)(&action, &context);
            client.send(last_sent.clone()).await;
            markers += 1;
            let marker = format!("marker-{markers}");
            client.send((dialect.chat)(&marker)).await;
            awaiting = Some(marker);
        }
    }
    let (status, _) = server
        .get(&format!("/game/summary/{game}/"), &human.access)
        .await;
    assert_eq!(status, 200, "the summary of the finished game");
    played
}

async fn play_several(dialect: &Dialect) -> Vec<Played> {
    let mut games = Vec::new();
    for seed in 1..=3 {
        games.push(play(dialect, seed).await);
    }
    let sent: BTreeSet<&String> = games.iter().flat_map(|g| &g.sent).collect();
    for kind in [
        "ActionThrowDices",
        "ActionNextPhase",
        "ActionBid",
        "ActionTradeProposal",
    ] {
        assert!(
            sent.contains(&kind.to_owned()),
            "{}: never sent {kind}: {sent:?}",
            dialect.name
        );
    }
    assert!(
        sent.contains(&"ActionBuySquare".to_owned())
            || sent.contains(&"ActionDropPurchase".to_owned()),
        "{}: never decided on a purchase",
        dialect.name
    );
    assert!(games.iter().all(|g| g.chats_seen >= 1), "chat comes back");
    for game in &games {
        eprintln!("{}: {game:?}", dialect.name);
    }
    let (sold, unsold): (usize, usize) = games.iter().fold((0, 0), |(s, u), g| {
        (s + g.auctions_sold, u + g.auctions_unsold)
    });
    assert!(
        sold > 0 && unsold > 0,
        "auctions with and without a winner: {sold} / {unsold}"
    );
    games
}

#[tokio::test]
async fn the_desktop_client_plays_whole_games() {
    play_several(&desktop::DESKTOP).await;
}

#[tokio::test]
async fn the_web_client_plays_whole_games() {
    play_several(&web::WEB).await;
}

#[tokio::test]
async fn the_command_line_client_plays_whole_games() {
    play_several(&CLI).await;
}

/// Each GUI client's lobby: the frames it sends for a lone host with bots, and the fields it
/// reads from what comes back.
#[tokio::test]
async fn the_gui_clients_lobbies_work_as_they_send_and_read() {
    let server = crate::ws_support::Server::start().await;
    for (name, read, settings) in [
        (
            "desktop",
            desktop::lobby as fn(&Value) -> Result<(), String>,
            json!({"command": "update_settings", "bot_level": "hard", "target_players": 1}),
        ),
        (
            "web",
            web::lobby,
            json!({"command": "update_settings", "bot_level": "easy", "target_players": 1}),
        ),
    ] {
        let host = server.app.register(&format!("{name}host")).await;
        let code = format!("{}1", name.to_uppercase());
        let mut socket = server
            .connect(&format!("/ws/queue/private/{code}/"), &host)
            .await;
        let check = |frame: &Value| {
            read(frame).unwrap_or_else(|broken| panic!("{name} lobby cannot read: {broken}"));
        };
        for _ in 0..2 {
            check(&socket.recv().await); // room_created, joined
        }
        socket.send_json(settings).await;
        let changed = socket.recv().await;
        check(&changed);
        assert_eq!(
            changed["target_players"], 2,
            "{name}: a playable size is stored"
        );
        // The desktop client sends ready, then start, in one go.
        socket
            .send_json(json!({"command": "ready_status", "is_ready": true}))
            .await;
        socket.send_json(json!({"command": "start_game"})).await;
        check(&socket.recv().await); // ready_status
        let started = socket.recv().await;
        check(&started);
        assert_eq!(started["action"], "game_start", "{name}: {started}");
        socket.close().await;
    }
    server.shut_down().await;
}
