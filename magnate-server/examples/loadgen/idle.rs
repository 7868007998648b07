//! The `idle` mode: many open game sockets, the server's memory and chat round trips.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use magnate_core::{GameRng, Seed};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::{
    common::{connect, percentile, resident_memory_kib, ws_base, User},
    Args,
};

pub async fn idle(
    args: &Args,
    games: Vec<(i64, Vec<User>)>,
    sockets_per_player: usize,
    server_pid: Option<u32>,
    probes: usize,
) -> anyhow::Result<()> {
    let before = server_pid.and_then(resident_memory_kib);
    let started = Instant::now();
    let limit = Arc::new(Semaphore::new(256));
    let mut tasks = Vec::new();
    for (game, users) in &games {
        for user in users {
            for _ in 0..sockets_per_player {
                let base = ws_base(args.node(user.node));
                let url = format!("{base}/ws/game/{game}/?token={}", user.access);
                let limit = Arc::clone(&limit);
                tasks.push(tokio::spawn(async move {
                    let _permit = limit.acquire_owned().await?;
                    let (mut socket, _) = connect(url).await?;
                    let first = socket
                        .next()
                        .await
                        .ok_or_else(|| anyhow::anyhow!("closed before the snapshot"))??;
                    anyhow::ensure!(
                        matches!(&first, Message::Text(text) if text.as_str().contains("game_state")),
                        "first frame is not a snapshot"
                    );
                    anyhow::Ok(socket)
                }));
            }
        }
    }
    let mut sockets = Vec::new();
    for task in tasks {
        sockets.push(task.await??);
    }
    eprintln!(
        "{} idle game sockets open in {:.1}s",
        sockets.len(),
        started.elapsed().as_secs_f64()
    );
    let after = server_pid.and_then(resident_memory_kib);
    // Answer latency with every socket open: a chat's round trip on a sample of sockets (the
    // broadcast also reaches every other socket of that game, which the sample then drains).
    let mut rng = GameRng::new(Seed(7));
    let mut latencies = Vec::new();
    let count = sockets.len();
    for probe in 0..probes {
        let index = rng.below(count as u32) as usize;
        let socket = &mut sockets[index];
        let marker = format!("probe-{probe}");
        let sent = Instant::now();
        socket
            .send(Message::text(
                json!({"type": "ChatMessage", "msg": marker}).to_string(),
            ))
            .await?;
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
                .await?
                .ok_or_else(|| anyhow::anyhow!("socket closed"))??;
            if matches!(&message, Message::Text(text) if text.as_str().contains(&marker)) {
                break;
            }
        }
        latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
    }
    latencies.sort_unstable();
    let settled = server_pid.and_then(resident_memory_kib);
    println!("idle sockets: {}", sockets.len());
    if let (Some(before), Some(after), Some(settled)) = (before, after, settled) {
        println!(
            "server RSS: {:.1} MiB before, {:.1} MiB with the sockets open, {:.1} MiB after the probes",
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            settled as f64 / 1024.0
        );
    }
    println!(
        "chat round trip ms: p50 {:.2}, p99 {:.2}, max {:.2} ({} probes)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        latencies.len()
    );
    Ok(())
}
