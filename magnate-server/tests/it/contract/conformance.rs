//! Conformance: fixed games between two human clients, every frame each client receives kept in
//! a committed transcript (`tests/conformance/*.txt`). A change that alters any byte a client
//! receives fails here; when the change is meant (a documented client fix), regenerate with
//! `UPDATE_CONFORMANCE=1 cargo test -p magnate-server --test it conformance` and review the diff.
//!
//! The clients' frames come from the three real clients' dialects ([`super::Dialect`]), in turn,
//! so the transcripts cover their fixes (tile-id trades, `accept`, chat objects, `chosen_card`).
//! Only humans play, with no timer due, so the games do not depend on wall-clock timing; the
//! snapshot's `datetime` (the creation time) is masked.

use std::path::PathBuf;

use magnate_core::HouseRules;
use magnate_server::games::GameOptions;
use serde_json::{json, Value};

use super::{desktop::DESKTOP, pick, web::WEB, Choices, Context, Dialect, CLI};
use crate::game_support::{game_config, humans, Client, Server};
use crate::ws_game::players;

const DIALECTS: [&Dialect; 3] = [&DESKTOP, &WEB, &CLI];

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(format!("{name}.txt"))
}

fn masked(mut frame: Value) -> String {
    if frame["event_type"] == "game_state" {
        frame["game_state"]["datetime"] = json!("<datetime>");
    }
    frame.to_string()
}

/// Reads `client`'s frames up to its copy of `marker`, appending them to the transcript; returns
/// the last `legal_actions` frame seen and whether the game ended.
async fn read_until(
    client: &mut Client,
    seat: usize,
    marker: &str,
    transcript: &mut String,
    legal: &mut Value,
) -> bool {
    let mut ended = false;
    loop {
        let frame = client.recv().await;
        let text = frame["msg"]["text"].as_str().or(frame["msg"].as_str());
        if frame["event_type"] == "chat_message" && text == Some(marker) {
            return ended;
        }
        if frame["event_type"] == "legal_actions" {
            *legal = frame.clone();
        }
        if frame["data"]["type"] == "ResponseBonus" {
            ended = true;
        }
        transcript.push_str(&format!("{seat} {}\n", masked(frame)));
    }
}

async fn transcript(seed: u64) -> String {
    let options = GameOptions {
        rules: HouseRules {
            max_turns: Some(16),
            ..HouseRules::default()
        },
        seed: Some(seed),
    };
    // No timer is due while the humans play: auctions close on the last bid.
    let server = Server::start(
        game_config(600_000),
        options,
        crate::backend::test_store().await,
    )
    .await;
    let people = players(&server, &["ana", "ben"]).await;
    let game = server.create_game(&humans(&[&people[0], &people[1]])).await;
    let mut clients = Vec::new();
    let mut transcript = String::new();
    let mut legal = [Value::Null, Value::Null];
    for (seat, person) in people.iter().enumerate() {
        let (mut client, snapshot) =
            Client::connect_with_query(&server, game, person, "&legal=1").await;
        transcript.push_str(&format!("{seat} {}\n", masked(snapshot)));
        legal[seat] = client.recv().await;
        clients.push(client);
    }
    let mut choices = Choices(seed);
    let mut trades_left = 4;
    for step in 0..5_000 {
        // The first player with something to do acts; both read up to the acting client's marker.
        let Some(seat) = (0..2).find(|&seat| {
            legal[seat]["actions"].as_array().is_some_and(|actions| {
                actions
                    .iter()
                    .any(|a| a["frame"]["type"] != "ActionSurrender")
            })
        }) else {
            panic!("nobody may act at step {step}:\n{transcript}");
        };
        let Some(action) = pick(&legal[seat], &mut choices, &mut trades_left) else {
            panic!("no action picked at step {step}");
        };
        let dialect = DIALECTS[step % DIALECTS.len()];
        let context = Context {
            game,
            player: people[seat].id,
        };
        let frame = (dialect.write)(&action, &context);
        transcript.push_str(&format!("> {seat} {}: {frame}\n", dialect.name));
        let marker = format!("step-{step}");
        clients[seat].send(frame).await;
        clients[seat].send((dialect.chat)(&marker)).await;
        let mut ended = false;
        for (other, client) in clients.iter_mut().enumerate() {
            ended |= read_until(client, other, &marker, &mut transcript, &mut legal[other]).await;
        }
        if ended {
            return transcript;
        }
    }
    panic!("the game did not end:\n{transcript}");
}

#[tokio::test]
async fn two_human_games_send_exactly_the_committed_frames() {
    for seed in [3, 11] {
        let name = format!("two_humans_seed_{seed}");
        let produced = transcript(seed).await;
        let path = golden(&name);
        if std::env::var_os("UPDATE_CONFORMANCE").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &produced).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|error| {
            panic!(
                "{}: {error}; run with UPDATE_CONFORMANCE=1 to create it",
                path.display()
            )
        });
        if committed != produced {
            let first = committed
                .lines()
                .zip(produced.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| committed.lines().count().min(produced.lines().count()));
            panic!(
                "{name}: the frames differ from line {} on:\n committed: {}\n produced:  {}",
                first + 1,
                committed.lines().nth(first).unwrap_or("<end>"),
                produced.lines().nth(first).unwrap_or("<end>")
            );
        }
    }
}
