//! The `play` mode: a fixed set of games played once, all clients starting together.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use crate::{
    client::play_client,
    common::{connect, count_records, cpu_seconds, percentile, ws_base, Totals, User},
    Args,
};

pub async fn play(
    args: &Args,
    games: Vec<(i64, Vec<User>)>,
    actions_per_game: u64,
    database: Option<PathBuf>,
    think_ms: u64,
    random_think: bool,
    server_pid: Option<u32>,
) -> anyhow::Result<()> {
    let records_before = database.as_deref().map(count_records).transpose()?;
    // Connect everyone first, so play starts together.
    let mut sockets = Vec::new();
    for (game, users) in &games {
        for user in users {
            let base = ws_base(args.node(user.node));
            let url = format!("{base}/ws/game/{game}/?token={}", user.access);
            sockets.push((user.id, connect(url)));
        }
    }
    let mut connected = Vec::new();
    for (id, connecting) in sockets {
        let (socket, _) = connecting.await?;
        connected.push((id, socket));
    }
    eprintln!("{} game sockets connected; playing", connected.len());
    let cpu_before = server_pid.and_then(cpu_seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (seat, (id, socket)) in connected.into_iter().enumerate() {
        tasks.push(tokio::spawn(play_client(
            id,
            socket,
            actions_per_game,
            seat as u64,
            (Duration::from_millis(think_ms), random_think),
        )));
    }
    let mut totals = Totals::default();
    for task in tasks {
        totals.merge(task.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = match (cpu_before, server_pid.and_then(cpu_seconds)) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    let records_after = database.as_deref().map(count_records).transpose()?;
    totals.latencies_us.sort_unstable();
    let lat = &totals.latencies_us;
    println!(
        "clients: {} ({} saw the game end, {} stalled)",
        games.iter().map(|g| g.1.len()).sum::<usize>(),
        totals.finished_clients,
        totals.stalled_clients
    );
    println!("elapsed: {elapsed:.2} s");
    println!(
        "actions: sent {}, acknowledged {}, refused {}, lost {}",
        totals.sent, totals.acknowledged, totals.refused, totals.lost
    );
    println!(
        "acknowledged actions/s: {:.0}",
        totals.acknowledged as f64 / elapsed
    );
    println!(
        "round trip ms: p50 {:.2}, p90 {:.2}, p99 {:.2}, p99.9 {:.2}, max {:.2} ({} samples)",
        percentile(lat, 0.50),
        percentile(lat, 0.90),
        percentile(lat, 0.99),
        percentile(lat, 0.999),
        percentile(lat, 1.0),
        lat.len()
    );
    if let (Some(before), Some(after)) = (records_before, records_after) {
        println!(
            "persisted records: {} ({:.0}/s)",
            after - before,
            (after - before) as f64 / elapsed
        );
    }
    for (message, count) in &totals.refusals {
        println!("refused {count}×: {message}");
    }
    crate::echo::report("server", &mut totals, elapsed, cpu);
    Ok(())
}
