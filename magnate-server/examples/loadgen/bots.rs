//! The `bots` mode: private rooms filled with the server's bots; persisted records per second.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    common::{connect, count_games, count_records, ws_base, User},
    Args,
};

/// Starts one bot game per user through a private room, then measures persisted records.
pub async fn bots(
    args: &Args,
    users: &[User],
    database: &std::path::Path,
    seconds: u64,
    bot_level: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, user) in users.iter().enumerate() {
        let base = ws_base(args.node(user.node));
        let user = user.clone();
        let code = format!("B{n:05}");
        let level = bot_level.to_owned();
        let players = args.players;
        tasks.push(tokio::spawn(async move {
            let url = format!("{base}/ws/queue/private/{code}/?token={}", user.access);
            let (mut room, _) = connect(url).await?;
            for command in [
                json!({"command": "update_settings", "bot_level": level, "target_players": players}),
                json!({"command": "ready_status", "is_ready": true}),
                json!({"command": "start_game"}),
            ] {
                room.send(Message::text(command.to_string())).await?;
            }
            let game = loop {
                let message = tokio::time::timeout(Duration::from_secs(30), room.next())
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("room closed"))??;
                if let Message::Text(text) = message {
                    let frame: Value = serde_json::from_str(text.as_str())?;
                    if frame["action"] == "game_start" {
                        break frame["game_id"].as_i64().unwrap_or(0);
                    }
                    anyhow::ensure!(frame["action"] != "error", "room refused: {frame}");
                }
            };
            let _ = room.close(None).await;
            let url = format!("{base}/ws/game/{game}/?token={}", user.access);
            let (mut socket, _) = connect(url).await?;
            socket
                .send(Message::text(json!({"type": "ActionSurrender"}).to_string()))
                .await?;
            let _ = socket.close(None).await;
            anyhow::Ok(game)
        }));
    }
    for task in tasks {
        task.await??;
    }
    eprintln!(
        "{} bot games started in {:.1}s",
        users.len(),
        started.elapsed().as_secs_f64()
    );
    let before = count_records(database)?;
    let (_, finished_before) = count_games(database)?;
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let elapsed = window.elapsed().as_secs_f64();
    let after = count_records(database)?;
    let (games, finished_after) = count_games(database)?;
    println!(
        "bot games: {} started ({} games in the database, {} finished during the window)",
        users.len(),
        games,
        finished_after - finished_before
    );
    println!(
        "persisted records: {} in {elapsed:.1} s = {:.0}/s",
        after - before,
        (after - before) as f64 / elapsed
    );
    Ok(())
}
