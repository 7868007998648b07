//! Load generator for a running magnate-server: real users over REST, real games through the
//! public queue, real WebSocket clients.
//!
//! ```text
//! # the server: 4-player public games, instant bots (none are used), a fresh database
//! NUM_PUBLIC_GAME_PLAYERS=4 cargo run --release -p magnate-server -- --database /tmp/load.db
//! # play: 1,000 games of 4 clients, 200 actions per game, then all but one player surrender
//! ulimit -n 65536
//! cargo run --release -p magnate-server --example loadgen -- play --games 1000 \
//!     --database /tmp/load.db
//! # idle: 1,000 games, 5 sockets per player (20,000 sockets); RSS of the server process
//! cargo run --release -p magnate-server --example loadgen -- idle --games 1000 \
//!     --sockets-per-player 5 --server-pid $(pgrep -n magnate-server)
//! # soak: 50 games at a time for 10 minutes, random socket drops, an acknowledgement log
//! cargo run --release -p magnate-server --example loadgen -- soak --games 50 --duration 600 \
//!     --ack-log /tmp/acks.jsonl --database /tmp/load.db --server-pid <pid>
//! ```
//!
//! `benches/soak.sh` and `benches/fault.sh` run the soak against a release server (the second
//! one SIGKILLs and restarts the server during the run) and check the database afterwards.
//!
//! Against a cluster (docs/cluster.md), repeat `--server` once per node: `soak` spreads its users
//! over the nodes (registration, sockets), and a client whose node refuses or fails moves on to
//! the next one; `benches/cluster-fault.sh` kills and restarts nodes under that load.
//!
//! Users `<prefix><n>` are registered (or logged in when they exist). Games are created through
//! the public queue, as real clients would. Each client plays with a wire-level random policy:
//! the rules engine's bots (`RandomBot`, `EvBot`) need the whole `Game`, including its seed,
//! which a client never sees, so the policy here decides from what the socket shows (phase,
//! money, positions, its own record of owners) and picks at random among sensible moves.
//!
//! Modules: `common` (users, queue, totals), `echo` (the transport's limit: `echo-server` and
//! `echo`), `client` (a client's view and policy, the `play`
//! loop), `play`, `idle`, `bots`, `soak` + `session` (the soak and one soak user) and `acklog`.
//!
//! Reported: actions sent, acknowledged, refused (error frames) and lost (never answered);
//! round trip from sending an action to the first `game_response` after its echo (bids: the first
//! response); actions per second; with `--database`, records persisted per second.

mod acklog;
mod bots;
mod client;
mod common;
mod echo;
mod idle;
mod play;
mod session;
mod soak;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use clap::{Parser, Subcommand};

use crate::{
    bots::bots,
    common::{create_games, prepare_users},
    idle::idle,
    play::play,
};

#[derive(Parser, Debug)]
#[command(about = "Load generator for magnate-server")]
struct Args {
    /// Base URL of the server; several (repeated, or comma-separated) spread the users over
    /// the nodes of a cluster: user n works with node n mod N, and a soak user whose node
    /// stops answering moves to the next one, as a client behind a load balancer would.
    #[arg(
        long,
        default_value = "http://127.0.0.1:8000",
        global = true,
        value_delimiter = ','
    )]
    server: Vec<String>,
    /// Number of games.
    #[arg(long, default_value_t = 100, global = true)]
    games: usize,
    /// Players per game (the server's NUM_PUBLIC_GAME_PLAYERS).
    #[arg(long, default_value_t = 4, global = true)]
    players: usize,
    /// Username prefix.
    #[arg(long, default_value = "load", global = true)]
    prefix: String,
    /// Concurrent REST requests while preparing users.
    #[arg(long, default_value_t = 8, global = true)]
    rest_concurrency: usize,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Play complete games.
    Play {
        /// Actions every client must have seen before all but one player surrender.
        #[arg(long, default_value_t = 200)]
        actions_per_game: u64,
        /// The server's database, to count persisted records (read-only; an SQLite path or a
        /// postgres:// URL).
        #[arg(long)]
        database: Option<PathBuf>,
        /// Think time: each client waits this long before each action (0 = as fast as possible,
        /// a saturation test).
        #[arg(long, default_value_t = 0)]
        think_ms: u64,
        /// Draw each think time uniformly from [0, 2 × think-ms], so clients do not act in
        /// lock-step.
        #[arg(long)]
        random_think: bool,
        /// The server's process id, for its CPU time per action.
        #[arg(long)]
        server_pid: Option<u32>,
    },
    /// The transport's limit: run the minimal echo-and-fan-out server (echo.rs) on `--bind`.
    EchoServer {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9000")]
        bind: std::net::SocketAddr,
        /// Size of each broadcast frame, in bytes.
        #[arg(long, default_value_t = 600)]
        broadcast_bytes: usize,
    },
    /// Load an echo server (`echo-server`, at `--server`) as `play` loads magnate-server: `--games`
    /// games of `--players` sockets acting in turn.
    Echo {
        /// Actions per game.
        #[arg(long, default_value_t = 200)]
        actions_per_game: u64,
        /// Think time before each action, in milliseconds.
        #[arg(long, default_value_t = 0)]
        think_ms: u64,
        /// Draw each think time uniformly from [0, 2 × think-ms].
        #[arg(long)]
        random_think: bool,
        /// Size of each action frame, in bytes.
        #[arg(long, default_value_t = 60)]
        action_bytes: usize,
        /// The echo server's process id, for its CPU time per action.
        #[arg(long)]
        server_pid: Option<u32>,
    },
    /// Bot-only games: each user hosts a private room filled with bots, starts it and
    /// surrenders at once; the server's bots then play (server flags: MIN_PRIVATE_GAME_PLAYERS=1,
    /// BOT_DELAY_MS=0, BOT_AUCTION_DELAY_MIN_MS=0, BOT_AUCTION_DELAY_MAX_MS=0). Measures the
    /// records the server persists per second over `--seconds`.
    Bots {
        /// The server's database (read-only; an SQLite path or a postgres:// URL).
        #[arg(long)]
        database: PathBuf,
        /// Measuring window.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Bot level of the rooms.
        #[arg(long, default_value = "medium")]
        bot_level: String,
    },
    /// Keep `--games` games running for `--duration` with random socket drops, then drain
    /// (soak.rs, session.rs).
    Soak {
        /// Length of the loaded phase, in seconds; then nobody queues again and running games
        /// are played to their end. SIGINT or SIGTERM start the drain early.
        #[arg(long, default_value_t = 600)]
        duration: u64,
        /// Actions every client must have seen before all but one player surrender.
        #[arg(long, default_value_t = 200)]
        actions_per_game: u64,
        /// Think time before each action, in milliseconds.
        #[arg(long, default_value_t = 100)]
        think_ms: u64,
        /// Probability, at each decision, that the client drops its socket (before or right
        /// after sending the action) and reconnects.
        #[arg(long, default_value_t = 0.02)]
        drop_probability: f64,
        /// JSON-lines file of every `game_action` frame received (for `magnate verify-db`).
        #[arg(long)]
        ack_log: Option<PathBuf>,
        /// The server's process id, to sample its resident memory.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Seconds between memory samples.
        #[arg(long, default_value_t = 30)]
        rss_every: u64,
        /// The server's database (read-only; an SQLite path or a postgres:// URL): finished
        /// games at the end, and games a user was matched into while the server died.
        #[arg(long)]
        database: Option<PathBuf>,
        /// Seconds without a frame after which a client reconnects.
        #[arg(long, default_value_t = 30)]
        stall_secs: u64,
        /// Stalls in a row after which a client gives its game up.
        #[arg(long, default_value_t = 4)]
        stall_limit: u32,
        /// Seconds a client keeps retrying an unreachable server.
        #[arg(long, default_value_t = 120)]
        reconnect_timeout: u64,
        /// Seconds the drain may take before the remaining games count as stuck.
        #[arg(long, default_value_t = 300)]
        drain_timeout: u64,
        /// Age in seconds after which an access token is refreshed before connecting.
        #[arg(long, default_value_t = 200)]
        token_refresh_secs: u64,
        /// Seconds between progress lines on stderr.
        #[arg(long, default_value_t = 10)]
        progress_secs: u64,
    },
    /// Hold idle sockets and measure the server.
    Idle {
        /// Game sockets per player.
        #[arg(long, default_value_t = 5)]
        sockets_per_player: usize,
        /// The server's process id, to read its resident memory.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Chat round trips to time while the sockets are open.
        #[arg(long, default_value_t = 500)]
        probes: usize,
    },
}

impl Args {
    /// The base URL of node `n` (counted modulo the number of nodes).
    fn node(&self, n: usize) -> &str {
        &self.server[n % self.server.len()]
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match &args.mode {
        Mode::EchoServer {
            bind,
            broadcast_bytes,
        } => return echo::serve(*bind, *broadcast_bytes).await,
        Mode::Echo {
            actions_per_game,
            think_ms,
            random_think,
            action_bytes,
            server_pid,
        } => {
            let load = echo::Load {
                games: args.games,
                players: args.players,
                actions_per_game: *actions_per_game,
                think: Duration::from_millis(*think_ms),
                random_think: *random_think,
                action_bytes: *action_bytes,
                server_pid: *server_pid,
            };
            return echo::run(&common::ws_base(args.node(0)), load).await;
        }
        _ => {}
    }
    let started = Instant::now();
    let users = prepare_users(&args).await?;
    eprintln!(
        "{} users ready in {:.1}s",
        users.len(),
        started.elapsed().as_secs_f64()
    );
    if let Mode::Bots {
        database,
        seconds,
        bot_level,
    } = &args.mode
    {
        return bots(&args, &users, database, *seconds, bot_level).await;
    }
    if let Mode::Soak {
        duration,
        actions_per_game,
        think_ms,
        drop_probability,
        ack_log,
        server_pid,
        rss_every,
        database,
        stall_secs,
        stall_limit,
        reconnect_timeout,
        drain_timeout,
        token_refresh_secs,
        progress_secs,
    } = &args.mode
    {
        let options = soak::Options {
            duration: Duration::from_secs(*duration),
            actions_per_game: *actions_per_game,
            think: Duration::from_millis(*think_ms),
            drop_probability: *drop_probability,
            ack_log: ack_log.clone(),
            server_pid: *server_pid,
            rss_every: Duration::from_secs((*rss_every).max(1)),
            database: database.clone(),
            stall: Duration::from_secs(*stall_secs),
            stall_limit: *stall_limit,
            reconnect_timeout: Duration::from_secs(*reconnect_timeout),
            drain_timeout: Duration::from_secs(*drain_timeout),
            token_refresh: Duration::from_secs(*token_refresh_secs),
            progress_every: Duration::from_secs((*progress_secs).max(1)),
        };
        return soak::soak(&args, users, options).await;
    }
    let started = Instant::now();
    let games = create_games(&args, &users).await?;
    eprintln!(
        "{} games created through the public queue in {:.1}s",
        games.len(),
        started.elapsed().as_secs_f64()
    );
    match &args.mode {
        Mode::Play {
            actions_per_game,
            database,
            think_ms,
            random_think,
            server_pid,
        } => {
            play(
                &args,
                games,
                *actions_per_game,
                database.clone(),
                *think_ms,
                *random_think,
                *server_pid,
            )
            .await
        }
        Mode::Idle {
            sockets_per_player,
            server_pid,
            probes,
        } => idle(&args, games, *sockets_per_player, *server_pid, *probes).await,
        Mode::Bots { .. } | Mode::Soak { .. } | Mode::EchoServer { .. } | Mode::Echo { .. } => {
            Ok(())
        }
    }
}
