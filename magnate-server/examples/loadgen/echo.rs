//! The transport's limit: a minimal echo-and-fan-out WebSocket server and the clients that load it
//! the way `play` loads magnate-server.
//!
//! Per action the echo server does what the game socket's transport must do and nothing else: it
//! receives one text frame on a game's socket, sends an answer to the sender and a broadcast to
//! every socket of the game (the sender included), through one writer task per socket, as
//! magnate-server does. No game, no database, no JSON parsing. Running `play` against
//! magnate-server and `echo` against this server with the same games, clients, think time and
//! frame size gives the fraction of the machine's WebSocket limit that the server reaches
//! (`benches/limit.sh` runs both and prints the ratios).
//!
//! Clients of one game act in turn: action `n` of a game is sent by seat `n % players` once the
//! broadcast of action `n - 1` arrived, after the think time; its round trip is from sending to
//! receiving its own broadcast, as `play` times a server's `game_response`.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::mpsc,
};
use tokio_tungstenite::tungstenite::{
    handshake::server::{Request, Response},
    Message,
};

use crate::common::{connect, cpu_seconds, percentile, think_time, Totals};

type Outbound = mpsc::Sender<Message>;
type Games = Arc<Mutex<HashMap<u64, Vec<(u64, Outbound)>>>>;

/// Serves `ws://<bind>/g/<game>` until killed. Prints the bound address on stdout.
pub async fn serve(bind: SocketAddr, broadcast_bytes: usize) -> anyhow::Result<()> {
    let listener = TcpListener::bind(bind).await?;
    println!("echo server listening on {}", listener.local_addr()?);
    let games: Games = Arc::default();
    let padding: Arc<str> = "x".repeat(broadcast_bytes.saturating_sub(40)).into();
    let mut next_socket = 0u64;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        next_socket += 1;
        tokio::spawn(serve_socket(
            stream,
            next_socket,
            Arc::clone(&games),
            Arc::clone(&padding),
        ));
    }
}

async fn serve_socket(stream: TcpStream, id: u64, games: Games, padding: Arc<str>) {
    let mut path = String::new();
    #[allow(
        clippy::result_large_err,
        reason = "the callback's signature is tungstenite's"
    )]
    let callback = |request: &Request, response: Response| {
        path = request.uri().path().to_owned();
        Ok(response)
    };
    let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let Some(game) = path
        .strip_prefix("/g/")
        .and_then(|rest| rest.trim_end_matches('/').parse::<u64>().ok())
    else {
        return;
    };
    let (mut sink, mut source) = socket.split();
    let (outbound, mut queue) = mpsc::channel::<Message>(64);
    let writer = tokio::spawn(async move {
        while let Some(message) = queue.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
    });
    games
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(game)
        .or_default()
        .push((id, outbound.clone()));
    let mut sequence = 0u64;
    while let Some(Ok(message)) = source.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        sequence += 1;
        let answer = Message::Text(format!("{{\"answer\":{sequence}}}").into());
        let broadcast: tokio_tungstenite::tungstenite::Utf8Bytes = format!(
            "{{\"from\":{id},\"n\":{},\"pad\":\"{padding}\"}}",
            text.len()
        )
        .into();
        let _ = outbound.try_send(answer);
        let peers: Vec<Outbound> = games
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&game)
            .map(|peers| peers.iter().map(|(_, peer)| peer.clone()).collect())
            .unwrap_or_default();
        for peer in peers {
            let _ = peer.try_send(Message::Text(broadcast.clone()));
        }
    }
    if let Some(peers) = games
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get_mut(&game)
    {
        peers.retain(|(peer, _)| *peer != id);
    }
    writer.abort();
}

/// Settings of an echo run.
pub struct Load {
    /// Games, each with `players` sockets.
    pub games: usize,
    /// Sockets per game.
    pub players: usize,
    /// Actions per game.
    pub actions_per_game: u64,
    /// Mean think time before each action.
    pub think: Duration,
    /// Draw each think time uniformly from [0, 2 × think] instead of waiting exactly `think`.
    pub random_think: bool,
    /// Size of each action frame a client sends.
    pub action_bytes: usize,
    /// The echo server's process id, for its CPU time.
    pub server_pid: Option<u32>,
}

/// Loads the echo server at `server` (`ws://host:port`) and prints the same figures as `play`.
pub async fn run(server: &str, load: Load) -> anyhow::Result<()> {
    let action: Arc<str> = format!(
        "{{\"type\":\"Action\",\"pad\":\"{}\"}}",
        "y".repeat(load.action_bytes.saturating_sub(28))
    )
    .into();
    // Game numbers unique to this run, so a later run never shares a game with this one's
    // closing sockets.
    let run = u64::from(std::process::id()) * 1_000_000;
    let mut sockets = Vec::new();
    for game in 0..load.games {
        for seat in 0..load.players {
            let (socket, _) = connect(format!("{server}/g/{}", run + game as u64)).await?;
            sockets.push((game, seat, socket));
        }
    }
    eprintln!("{} echo sockets connected; playing", sockets.len());
    let cpu_before = load.server_pid.and_then(cpu_seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (game, seat, socket) in sockets {
        tasks.push(tokio::spawn(echo_client(
            socket,
            seat as u64,
            load.players as u64,
            load.actions_per_game,
            (load.think, load.random_think),
            Arc::clone(&action),
            (game * load.players + seat) as u64,
        )));
    }
    let mut totals = Totals::default();
    for task in tasks {
        totals.merge(task.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = match (cpu_before, load.server_pid.and_then(cpu_seconds)) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    report("echo", &mut totals, elapsed, cpu);
    Ok(())
}

/// Prints one run's figures in the format `benches/limit.sh` reads.
pub fn report(label: &str, totals: &mut Totals, elapsed: f64, cpu_seconds: Option<f64>) {
    totals.latencies_us.sort_unstable();
    let lat = &totals.latencies_us;
    let rate = totals.acknowledged as f64 / elapsed;
    let cpu = cpu_seconds
        .filter(|_| totals.acknowledged > 0)
        .map(|seconds| format!("{:.1}", seconds * 1e6 / totals.acknowledged as f64))
        .unwrap_or_else(|| "-".into());
    let frame_bytes = totals.bytes_received / totals.frames_received.max(1);
    println!(
        "RESULT {label} frames_per_action={:.2} mean_frame_bytes={frame_bytes}",
        totals.frames_received as f64 / totals.acknowledged.max(1) as f64
    );
    println!(
        "RESULT {label} actions_per_s={rate:.0} p50_ms={:.3} p99_ms={:.3} cpu_us_per_action={cpu} acknowledged={} lost={} elapsed_s={elapsed:.2}",
        percentile(lat, 0.50),
        percentile(lat, 0.99),
        totals.acknowledged,
        totals.lost,
    );
}

async fn echo_client(
    mut socket: crate::common::Socket,
    seat: u64,
    players: u64,
    actions: u64,
    (think, random_think): (Duration, bool),
    action: Arc<str>,
    seed: u64,
) -> Totals {
    let mut totals = Totals::default();
    let mut rng = magnate_core::GameRng::new(magnate_core::Seed(seed ^ 0xEC40));
    // Broadcasts seen in this game: the next action's number.
    let mut seen = 0u64;
    let mut sent_at: Option<Instant> = None;
    loop {
        if seen >= actions {
            break;
        }
        if seen % players == seat && sent_at.is_none() {
            let wait = think_time(think, random_think, &mut rng);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            if socket
                .send(Message::Text(action.to_string().into()))
                .await
                .is_err()
            {
                totals.lost += 1;
                break;
            }
            totals.sent += 1;
            sent_at = Some(Instant::now());
        }
        let next = tokio::time::timeout(Duration::from_secs(30), socket.next()).await;
        let Ok(Some(Ok(Message::Text(text)))) = next else {
            if sent_at.is_some() {
                totals.lost += 1;
            }
            totals.stalled_clients += 1;
            break;
        };
        totals.frames_received += 1;
        totals.bytes_received += text.len() as u64;
        if !text.as_str().starts_with("{\"from\"") {
            continue;
        }
        seen += 1;
        if let Some(at) = sent_at.take() {
            totals.acknowledged += 1;
            totals.latencies_us.push(at.elapsed().as_micros() as u32);
        }
    }
    totals.finished_clients += 1;
    totals
}
