//! The `soak` mode: `--games` × `--players` users each loop queue → play to the end → queue for
//! `--duration`, so about `--games` games run at any time and many whole games are played;
//! clients drop and resume their sockets at random (`session.rs`). Then the soak drains: nobody
//! queues again, queued users cancel, running games are played to their end. Reported: games
//! started and finished, actions, reconnects, stalls, the server's resident memory over time.
//! It exits with an error if a game did not finish.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use tokio::sync::watch;

use crate::{
    acklog::AckLog,
    common::{percentile, resident_memory_parts_kib, ws_base, Totals, User},
    session::user_loop,
    Args,
};

/// The soak's settings (see `Mode::Soak`).
#[derive(Clone, Debug)]
pub struct Options {
    pub duration: Duration,
    pub actions_per_game: u64,
    pub think: Duration,
    pub drop_probability: f64,
    pub ack_log: Option<PathBuf>,
    pub server_pid: Option<u32>,
    pub rss_every: Duration,
    pub database: Option<PathBuf>,
    pub stall: Duration,
    pub stall_limit: u32,
    pub reconnect_timeout: Duration,
    pub drain_timeout: Duration,
    pub token_refresh: Duration,
    pub progress_every: Duration,
}

/// Counters every user task adds to.
#[derive(Default)]
pub struct Counters {
    pub acknowledged: AtomicU64,
    pub actions_seen: AtomicU64,
    pub drops: AtomicU64,
    pub lost_sockets: AtomicU64,
    pub queue_lost: AtomicU64,
    pub stalls: AtomicU64,
    pub abandoned: AtomicU64,
    pub gone: AtomicU64,
    pub unreachable: AtomicU64,
    pub failed_connects: AtomicU64,
    pub refreshes: AtomicU64,
    pub orphans: AtomicU64,
    pub failed_lookups: AtomicU64,
    pub orphans_after_handshake: AtomicU64,
}

#[derive(Default)]
struct GameInfo {
    /// Users currently playing it.
    players: u32,
    ended: bool,
}

/// What the user tasks share.
pub struct Shared {
    pub options: Options,
    /// Every node's base URL (`--server`).
    pub servers: Vec<String>,
    pub http: reqwest::Client,
    pub draining: watch::Receiver<bool>,
    pub acks: Option<AckLog>,
    pub counters: Counters,
    games: Mutex<BTreeMap<i64, GameInfo>>,
}

impl Shared {
    /// The HTTP base URL of node `node`.
    pub fn http_base(&self, node: usize) -> &str {
        &self.servers[node % self.servers.len()]
    }

    /// The WebSocket base URL of node `node`.
    pub fn ws_base(&self, node: usize) -> String {
        ws_base(self.http_base(node))
    }

    pub fn game_started(&self, game: i64) {
        let mut games = self.games.lock().unwrap();
        games.entry(game).or_default().players += 1;
    }

    pub fn game_left(&self, game: i64) {
        let mut games = self.games.lock().unwrap();
        if let Some(info) = games.get_mut(&game) {
            info.players = info.players.saturating_sub(1);
        }
    }

    pub fn game_ended(&self, game: i64) {
        let mut games = self.games.lock().unwrap();
        games.entry(game).or_default().ended = true;
    }

    /// (started, running, ended) games so far.
    fn game_counts(&self) -> (usize, usize, usize) {
        let games = self.games.lock().unwrap();
        let running = games.values().filter(|g| g.players > 0 && !g.ended).count();
        let ended = games.values().filter(|g| g.ended).count();
        (games.len(), running, ended)
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn database_games(database: &std::path::Path, games: &[i64]) -> anyhow::Result<BTreeSet<i64>> {
    let mut unfinished = BTreeSet::new();
    for game in games {
        let rows = crate::common::query_ints(
            database,
            "SELECT finished FROM games WHERE id = ?1",
            &[*game],
        )?;
        let finished = rows.first().and_then(|row| row[0]);
        if finished != Some(1) {
            unfinished.insert(*game);
        }
    }
    Ok(unfinished)
}

pub async fn soak(args: &Args, users: Vec<User>, options: Options) -> anyhow::Result<()> {
    let (acks, writer) = match &options.ack_log {
        Some(path) => {
            let (log, writer) = AckLog::create(path)?;
            (Some(log), Some(writer))
        }
        None => (None, None),
    };
    let (drain, draining) = watch::channel(false);
    let shared = Arc::new(Shared {
        options: options.clone(),
        servers: args.server.clone(),
        http: reqwest::Client::new(),
        draining,
        acks,
        counters: Counters::default(),
        games: Mutex::new(BTreeMap::new()),
    });
    let started = Instant::now();
    let rss = |label: &str| -> Option<u64> {
        let [kib, anon, file, shmem] = options.server_pid.and_then(resident_memory_parts_kib)?;
        eprintln!(
            "[{:7.1}s] server RSS {label}: {:.1} MiB (anonymous {:.1}, file {:.1}, shared {:.1})",
            started.elapsed().as_secs_f64(),
            mib(kib),
            mib(anon),
            mib(file),
            mib(shmem)
        );
        Some(kib)
    };
    let rss_start = rss("at start");
    let mut rss_samples: Vec<u64> = rss_start.into_iter().collect();
    let user_count = users.len();
    let mut tasks = tokio::task::JoinSet::new();
    for (n, user) in users.into_iter().enumerate() {
        tasks.spawn(user_loop(Arc::clone(&shared), user, n as u64));
    }
    eprintln!(
        "{user_count} users playing for {} s",
        options.duration.as_secs()
    );

    // The loaded phase: progress lines and memory samples until the duration is over or a
    // signal asks to stop early.
    let deadline = tokio::time::Instant::now() + options.duration;
    let mut progress = tokio::time::interval(options.progress_every);
    let mut sample = tokio::time::interval(options.rss_every);
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("interrupted: draining");
                break;
            }
            _ = terminate.recv() => {
                eprintln!("terminated: draining");
                break;
            }
            _ = progress.tick() => print_progress(&shared, started, "playing"),
            _ = sample.tick() => rss_samples.extend(rss("sample")),
        }
    }
    let loaded = started.elapsed();
    let _ = drain.send(true);
    let drain_started = Instant::now();
    let drain_deadline = tokio::time::Instant::now() + options.drain_timeout;
    let mut totals = Totals::default();
    let mut timed_out = false;
    while !tasks.is_empty() {
        tokio::select! {
            joined = tasks.join_next() => {
                if let Some(result) = joined {
                    totals.merge(result?);
                }
            }
            _ = progress.tick() => print_progress(&shared, started, "draining"),
            _ = sample.tick() => rss_samples.extend(rss("sample")),
            _ = tokio::time::sleep_until(drain_deadline) => {
                timed_out = true;
                tasks.abort_all();
                while let Some(result) = tasks.join_next().await {
                    if let Ok(user_totals) = result {
                        totals.merge(user_totals);
                    }
                }
            }
        }
    }
    let drained = drain_started.elapsed();
    // Give the server a moment to settle before the last memory reading.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_end = rss("at end");
    rss_samples.extend(rss_end);
    let ack_lines = match (&shared.acks, writer) {
        (Some(acks), Some(writer)) => {
            acks.finish();
            Some(writer.join()?)
        }
        _ => None,
    };

    let counters = &shared.counters;
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let (started_games, _, ended_games) = shared.game_counts();
    let not_ended: Vec<i64> = {
        let games = shared.games.lock().unwrap();
        games
            .iter()
            .filter(|(_, info)| !info.ended)
            .map(|(id, _)| *id)
            .collect()
    };
    let unfinished = match &options.database {
        Some(database) => Some(database_games(database, &not_ended)?),
        None => None,
    };
    totals.latencies_us.sort_unstable();
    let lat = &totals.latencies_us;
    println!("users: {user_count}");
    println!(
        "duration: {:.1} s loaded + {:.1} s drain{}",
        loaded.as_secs_f64(),
        drained.as_secs_f64(),
        if timed_out { " (drain timed out)" } else { "" }
    );
    println!(
        "games: {started_games} started, {ended_games} seen to their end by a client, {} not",
        not_ended.len()
    );
    if let Some(unfinished) = &unfinished {
        println!(
            "games unfinished in the database: {} {:?}",
            unfinished.len(),
            unfinished
        );
    }
    println!(
        "actions: sent {}, acknowledged {}, refused {}, unanswered when the socket closed {}",
        totals.sent, totals.acknowledged, totals.refused, totals.lost
    );
    println!(
        "acknowledged actions/s: {:.0}",
        totals.acknowledged as f64 / (loaded + drained).as_secs_f64()
    );
    println!(
        "round trip ms: p50 {:.2}, p90 {:.2}, p99 {:.2}, max {:.2} ({} samples)",
        percentile(lat, 0.50),
        percentile(lat, 0.90),
        percentile(lat, 0.99),
        percentile(lat, 1.0),
        lat.len()
    );
    println!(
        "game_action frames received: {}",
        load(&counters.actions_seen)
    );
    if let Some(lines) = ack_lines {
        println!("ack log lines: {lines}");
    }
    println!(
        "reconnects: {} random drops, {} sockets closed by the server, {} queue sockets lost, \
         {} failed connection attempts, {} token refreshes",
        load(&counters.drops),
        load(&counters.lost_sockets),
        load(&counters.queue_lost),
        load(&counters.failed_connects),
        load(&counters.refreshes)
    );
    println!(
        "stalls: {} (clients that gave up: {}); games left with 403: {}; server unreachable: {}; \
         missed matches found through GET /game/queue/: {} ({} after a queue handshake failed, {} \
         lookups retried)",
        load(&counters.stalls),
        load(&counters.abandoned),
        load(&counters.gone),
        load(&counters.unreachable),
        load(&counters.orphans),
        load(&counters.orphans_after_handshake),
        load(&counters.failed_lookups)
    );
    println!(
        "clients that saw their game end: {}",
        totals.finished_clients
    );
    if let (Some(start), Some(end)) = (rss_start, rss_end) {
        let max = rss_samples.iter().copied().max().unwrap_or(end);
        println!(
            "server RSS MiB: start {:.1}, max {:.1}, end {:.1} ({} samples: {})",
            mib(start),
            mib(max),
            mib(end),
            rss_samples.len(),
            rss_samples
                .iter()
                .map(|kib| format!("{:.0}", mib(*kib)))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    for (message, count) in &totals.refusals {
        println!("refused {count}×: {message}");
    }
    let stuck = match &unfinished {
        Some(unfinished) => unfinished.len(),
        None => not_ended.len(),
    };
    anyhow::ensure!(
        stuck == 0 && !timed_out && load(&counters.abandoned) == 0,
        "{stuck} games did not finish{}",
        if timed_out {
            " (the drain timed out)"
        } else {
            ""
        }
    );
    Ok(())
}

fn print_progress(shared: &Shared, started: Instant, phase: &str) {
    let counters = &shared.counters;
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let (started_games, running, ended) = shared.game_counts();
    eprintln!(
        "[{:7.1}s] {phase}: games {running} running, {started_games} started, {ended} ended; \
         acknowledged {}, frames {}, drops {}, server closes {}, stalls {}",
        started.elapsed().as_secs_f64(),
        load(&counters.acknowledged),
        load(&counters.actions_seen),
        load(&counters.drops),
        load(&counters.lost_sockets),
        load(&counters.stalls)
    );
}
