//! What every mode shares: users, connections, games from the public queue, totals, and reads
//! of the server's process and database.

use std::{collections::BTreeMap, path::Path, sync::Arc, time::Duration};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::Args;

pub const PASSWORD: &str = "Segura123!";

#[derive(Clone, Debug)]
pub struct User {
    /// The node (index into `--server`) this user works with.
    pub node: usize,
    pub id: i64,
    pub access: String,
    pub refresh: String,
}
/// Opens a WebSocket with Nagle's algorithm off, as latency-sensitive clients do.
pub async fn connect(
    url: String,
) -> Result<
    (
        Socket,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    tokio_tungstenite::tungstenite::Error,
> {
    tokio_tungstenite::connect_async_with_config(url, None, true).await
}

pub fn ws_base(server: &str) -> String {
    server
        .replacen("http://", "ws://", 1)
        .replacen("https://", "wss://", 1)
}

pub async fn prepare_users(args: &Args) -> anyhow::Result<Vec<User>> {
    let client = reqwest::Client::new();
    let limit = Arc::new(Semaphore::new(args.rest_concurrency));
    let mut tasks = Vec::new();
    for n in 0..args.games * args.players {
        let client = client.clone();
        let limit = Arc::clone(&limit);
        let server = args.node(n).to_owned();
        let node = n % args.server.len();
        let name = format!("{}{n}", args.prefix);
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await?;
            let response = client
                .post(format!("{server}/auth/register/"))
                .json(&json!({"username": name, "password": PASSWORD, "password2": PASSWORD}))
                .send()
                .await?;
            let body: Value = if response.status().as_u16() == 201 {
                response.json().await?
            } else {
                client
                    .post(format!("{server}/auth/login/"))
                    .json(&json!({"username": name, "password": PASSWORD}))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?
            };
            anyhow::Ok(User {
                node,
                id: body["user"]["pk"]
                    .as_i64()
                    .ok_or_else(|| anyhow::anyhow!("no pk in {body}"))?,
                access: body["tokens"]["access"]
                    .as_str()
                    .ok_or_else(|| anyhow::anyhow!("no token in {body}"))?
                    .to_owned(),
                refresh: body["tokens"]["refresh"]
                    .as_str()
                    .ok_or_else(|| anyhow::anyhow!("no refresh token in {body}"))?
                    .to_owned(),
            })
        }));
    }
    let mut users = Vec::new();
    for task in tasks {
        users.push(task.await??);
    }
    Ok(users)
}

/// Queues every user (in groups, so groups of `players` fill one after another) and returns each
/// game with its users.
pub async fn create_games(args: &Args, users: &[User]) -> anyhow::Result<Vec<(i64, Vec<User>)>> {
    let mut by_game: BTreeMap<i64, Vec<User>> = BTreeMap::new();
    for chunk in users.chunks(args.players * 50) {
        let mut tasks = Vec::new();
        for user in chunk {
            let url = format!(
                "{}/ws/queue/public/?token={}",
                ws_base(args.node(user.node)),
                user.access
            );
            let user = user.clone();
            tasks.push(tokio::spawn(async move {
                let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
                loop {
                    let message = tokio::time::timeout(Duration::from_secs(60), socket.next())
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("queue socket closed"))??;
                    if let Message::Text(text) = message {
                        let frame: Value = serde_json::from_str(text.as_str())?;
                        if frame["action"] == "match_found" {
                            let _ = socket.close(None).await;
                            let game = frame["game_id"]
                                .as_i64()
                                .ok_or_else(|| anyhow::anyhow!("bad {frame}"))?;
                            return anyhow::Ok((game, user));
                        }
                    }
                }
            }));
        }
        for task in tasks {
            let (game, user) = task.await??;
            by_game.entry(game).or_default().push(user);
        }
    }
    Ok(by_game.into_iter().collect())
}

#[derive(Default)]
pub struct Totals {
    pub sent: u64,
    pub acknowledged: u64,
    pub refused: u64,
    pub lost: u64,
    pub finished_clients: u64,
    pub stalled_clients: u64,
    pub latencies_us: Vec<u32>,
    /// Text frames received and their bytes (for the echo limit's frame size).
    pub frames_received: u64,
    pub bytes_received: u64,
    pub refusals: BTreeMap<String, u64>,
}

impl Totals {
    pub fn merge(&mut self, other: Totals) {
        self.sent += other.sent;
        self.acknowledged += other.acknowledged;
        self.refused += other.refused;
        self.lost += other.lost;
        self.finished_clients += other.finished_clients;
        self.stalled_clients += other.stalled_clients;
        self.latencies_us.extend(other.latencies_us);
        self.frames_received += other.frames_received;
        self.bytes_received += other.bytes_received;
        for (key, count) in other.refusals {
            *self.refusals.entry(key).or_default() += count;
        }
    }
}

pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[index]) / 1000.0
}

pub fn count_records(database: &Path) -> anyhow::Result<i64> {
    let rows = query_ints(database, "SELECT COUNT(*) FROM game_records", &[])?;
    Ok(rows.first().and_then(|row| row[0]).unwrap_or(0))
}

/// Runs a query whose columns are integers on the server's database, read-only: `database` is
/// an SQLite file or a `postgres://` URL (then the `?N` parameters become `$N`).
pub fn query_ints(
    database: &Path,
    sql: &str,
    params: &[i64],
) -> anyhow::Result<Vec<Vec<Option<i64>>>> {
    let text = database.to_string_lossy();
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        let (url, sql, params) = (text.into_owned(), sql.replace('?', "$"), params.to_vec());
        // Its own thread and runtime: callers are plain functions, inside or outside the
        // load generator's runtime.
        return std::thread::spawn(move || -> anyhow::Result<Vec<Vec<Option<i64>>>> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let (client, connection) =
                    tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                let references: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|value| value as &(dyn tokio_postgres::types::ToSql + Sync))
                    .collect();
                let rows = client.query(&sql, &references).await?;
                rows.iter()
                    .map(|row| {
                        (0..row.len())
                            .map(|index| Ok(row.try_get::<_, Option<i64>>(index)?))
                            .collect::<anyhow::Result<Vec<_>>>()
                    })
                    .collect()
            })
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the PostgreSQL query thread panicked"))?;
    }
    let connection = rusqlite::Connection::open_with_flags(
        database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    let mut statement = connection.prepare(sql)?;
    let columns = statement.column_count();
    let rows = statement
        .query_map(rusqlite::params_from_iter(params), |row| {
            (0..columns).map(|index| row.get(index)).collect()
        })?
        .collect::<Result<Vec<Vec<Option<i64>>>, _>>()?;
    Ok(rows)
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `VmRSS` of a process and its parts `RssAnon`, `RssFile` and `RssShmem` (KiB).
pub fn resident_memory_parts_kib(pid: u32) -> Option<[u64; 4]> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|line| line.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some([
        field("VmRSS:")?,
        field("RssAnon:")?,
        field("RssFile:")?,
        field("RssShmem:")?,
    ])
}

pub fn resident_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub fn count_games(database: &Path) -> anyhow::Result<(i64, i64)> {
    let rows = query_ints(
        database,
        "SELECT COUNT(*), CAST(COALESCE(SUM(finished), 0) AS BIGINT) FROM games",
        &[],
    )?;
    let row = rows.first().cloned().unwrap_or_default();
    Ok((
        row.first().copied().flatten().unwrap_or(0),
        row.get(1).copied().flatten().unwrap_or(0),
    ))
}

/// CPU time (user + system) a process has used, in seconds, from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are
    // state (3), …, utime (14), stime (15).
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports these in USER_HZ, which is 100 on every architecture it runs on.
    Some(ticks / 100.0)
}

/// One think time: exactly `mean`, or (with `random`) drawn uniformly from [0, 2 × mean], so
/// that thousands of clients do not act in lock-step.
pub fn think_time(mean: Duration, random: bool, rng: &mut magnate_core::GameRng) -> Duration {
    if !random || mean.is_zero() {
        return mean;
    }
    let max = (mean.as_micros() * 2).min(u128::from(u32::MAX - 1)) as u32;
    Duration::from_micros(u64::from(rng.below(max + 1)))
}
