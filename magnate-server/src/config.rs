//! Server configuration: command-line flags, environment variables and `config.json`.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;
use serde::Deserialize;

/// Command-line flags. Every flag can also be given as the environment variable named after it.
#[derive(Debug, Clone, Parser)]
#[command(name = "magnate-server", version, about = "Magnate game server")]
pub struct Args {
    /// Address and port to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,

    /// Path of the SQLite database; created and migrated if missing. `--database-url` wins.
    #[arg(long, env = "DATABASE_PATH", default_value = "magnate.db")]
    pub database: PathBuf,

    /// The database as a URL, overriding `--database`: `postgres://user@host:5432/name` for
    /// PostgreSQL (migrated at start; one server per database), `sqlite:PATH` for SQLite.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Copy this SQLite database (its server stopped) into the empty PostgreSQL database of
    /// `--database-url`, print what was copied and exit; check it with `magnate verify-db`.
    #[arg(long, value_name = "SQLITE_PATH", requires = "database_url")]
    pub copy_from_sqlite: Option<PathBuf>,

    /// HS256 key for JWTs: at least 32 bytes with at least 8 different characters. Without it a
    /// random key is generated once and kept in the database.
    #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// SQLite durability: `normal` survives process crashes, `full` also power cuts (slower
    /// commits).
    #[arg(long, env = "SQLITE_SYNCHRONOUS", value_enum, default_value_t = crate::store::Synchronous::Normal)]
    pub sqlite_synchronous: crate::store::Synchronous,

    /// Game-size settings file; read when it exists (`MIN_PRIVATE_GAME_PLAYERS`, ...).
    #[arg(long, env = "MAGNATE_CONFIG", default_value = "config.json")]
    pub config: PathBuf,

    /// Log filter in `tracing` syntax, for example `info` or
    /// `magnate_server=debug,tower_http=info`.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Log output format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Comma-separated list of origins allowed by CORS.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = "http://localhost:5173,http://127.0.0.1:5173"
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "ACCESS_TOKEN_LIFETIME", default_value_t = 300)]
    pub access_token_lifetime: u32,

    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, env = "REFRESH_TOKEN_LIFETIME", default_value_t = 604_800)]
    pub refresh_token_lifetime: u32,

    /// Reject a refresh token that was already rotated (off by default, as in the reference).
    #[arg(long, env = "BLACKLIST_AFTER_ROTATION", default_value_t = false)]
    pub blacklist_after_rotation: bool,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// Minimum number of humans to start a private game (overrides `config.json`).
    #[arg(long, env = "MIN_PRIVATE_GAME_PLAYERS")]
    pub min_private_game_players: Option<u32>,

    /// Maximum number of humans in a private room (overrides `config.json`).
    #[arg(long, env = "MAX_PRIVATE_GAME_PLAYERS")]
    pub max_private_game_players: Option<u32>,

    /// Number of players matched into a public game (overrides `config.json`).
    #[arg(long, env = "NUM_PUBLIC_GAME_PLAYERS")]
    pub num_public_game_players: Option<u32>,

    /// Auction duration, in seconds.
    #[arg(long, env = "AUCTION_DURATION", default_value_t = 20)]
    pub auction_duration: u64,

    /// Next-phase timeout, in seconds.
    #[arg(long, env = "NEXT_PHASE_TIMEOUT", default_value_t = 50_000)]
    pub next_phase_timeout: u64,

    /// Delay before a bot acts, in milliseconds.
    #[arg(long, env = "BOT_DELAY_MS", default_value_t = 2_000)]
    pub bot_delay_ms: u64,

    /// Smallest delay before a bot bids in an auction, in milliseconds.
    #[arg(long, env = "BOT_AUCTION_DELAY_MIN_MS", default_value_t = 2_000)]
    pub bot_auction_delay_min_ms: u64,

    /// Largest delay before a bot bids in an auction, in milliseconds.
    #[arg(long, env = "BOT_AUCTION_DELAY_MAX_MS", default_value_t = 6_000)]
    pub bot_auction_delay_max_ms: u64,

    /// Kick-out timeout, in seconds; disabled when absent.
    #[arg(long, env = "KICK_OUT_TIMEOUT")]
    pub kick_out_timeout: Option<u64>,

    /// Shop points for the winner of a game.
    #[arg(long, env = "POINTS_WIN", default_value_t = 0)]
    pub points_win: i64,

    /// Shop points for every human participant of a finished game.
    #[arg(long, env = "POINTS_PLAY", default_value_t = 0)]
    pub points_play: i64,

    /// Experience for the winner of a game.
    #[arg(long, env = "EXP_WIN", default_value_t = 0)]
    pub exp_win: i64,

    /// Experience for every human participant of a finished game.
    #[arg(long, env = "EXP_PLAY", default_value_t = 0)]
    pub exp_play: i64,

    /// Elo K-factor; 0 leaves ratings unchanged.
    #[arg(long, env = "ELO_K", default_value_t = 0)]
    pub elo_k: i64,

    /// Actions (every client frame but chat) one WebSocket may send per second, sustained;
    /// 0 disables the limit (for load tests).
    #[arg(long, env = "WS_ACTIONS_PER_SECOND", default_value_t = 10.0)]
    pub ws_actions_per_second: f64,

    /// Actions one WebSocket may send in a burst, before the sustained rate applies.
    #[arg(long, env = "WS_ACTION_BURST", default_value_t = 30)]
    pub ws_action_burst: u32,

    /// Chat messages one WebSocket may send per second, sustained; 0 disables the limit.
    #[arg(long, env = "WS_CHATS_PER_SECOND", default_value_t = 1.0)]
    pub ws_chats_per_second: f64,

    /// Chat messages one WebSocket may send in a burst, before the sustained rate applies.
    #[arg(long, env = "WS_CHAT_BURST", default_value_t = 5)]
    pub ws_chat_burst: u32,

    /// Open WebSockets per user, queue, lobby and game sockets together; 0 means no limit.
    #[arg(long, env = "MAX_SOCKETS_PER_USER", default_value_t = 8)]
    pub max_sockets_per_user: u32,

    /// Login attempts per minute from one client address, sustained; 0 disables the limit.
    #[arg(long, env = "LOGINS_PER_MINUTE_PER_ADDRESS", default_value_t = 30.0)]
    pub logins_per_minute_per_address: f64,

    /// Login attempts one client address may make in a burst.
    #[arg(long, env = "LOGIN_BURST_PER_ADDRESS", default_value_t = 20)]
    pub login_burst_per_address: u32,

    /// Failed logins per minute for one username, sustained; 0 disables the limit.
    #[arg(
        long,
        env = "LOGIN_FAILURES_PER_MINUTE_PER_USER",
        default_value_t = 5.0
    )]
    pub login_failures_per_minute_per_user: f64,

    /// Failed logins for one username in a burst.
    #[arg(long, env = "LOGIN_FAILURE_BURST_PER_USER", default_value_t = 10)]
    pub login_failure_burst_per_user: u32,

    /// Registrations per minute from one client address, sustained; 0 disables the limit.
    #[arg(
        long,
        env = "REGISTRATIONS_PER_MINUTE_PER_ADDRESS",
        default_value_t = 5.0
    )]
    pub registrations_per_minute_per_address: f64,

    /// Registrations one client address may make in a burst.
    #[arg(long, env = "REGISTRATION_BURST_PER_ADDRESS", default_value_t = 10)]
    pub registration_burst_per_address: u32,

    /// Private-room code checks and lobby joins per minute per user, sustained; 0 disables the
    /// limit.
    #[arg(long, env = "ROOM_CODE_TRIES_PER_MINUTE", default_value_t = 10.0)]
    pub room_code_tries_per_minute: f64,

    /// Private-room code checks and lobby joins one user may make in a burst.
    #[arg(long, env = "ROOM_CODE_TRY_BURST", default_value_t = 20)]
    pub room_code_try_burst: u32,

    /// Comma-separated IP addresses of reverse proxies whose `X-Forwarded-For` header names the
    /// client for the per-address throttles; empty: the TCP peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Seconds the humans of a new game have to open its socket; a human who has not connected
    /// (or acted) by then leaves the game as if they surrendered. 0 disables it.
    #[arg(long, env = "FIRST_CONNECTION_TIMEOUT", default_value_t = 300)]
    pub first_connection_timeout: u64,
    /// Seconds one write to a WebSocket may take; a peer that does not read for that long is
    /// dropped (close code 4008).
    #[arg(long, env = "WS_WRITE_TIMEOUT", default_value_t = 10)]
    pub ws_write_timeout: u64,

    /// Frames queued for one WebSocket (game or room) before its peer counts as too slow and is
    /// dropped (close code 4008).
    #[arg(long, env = "WS_OUTGOING_QUEUE", default_value_t = 256)]
    pub ws_outgoing_queue: usize,

    /// Frames over the rate limits one WebSocket may send within about 10 s before it is closed
    /// (close code 1008); 0 never closes a socket for flooding.
    #[arg(long, env = "WS_FLOOD_FRAMES", default_value_t = 100)]
    pub ws_flood_frames: u32,

    /// Seconds a client has to send a complete request line and headers, on a new connection
    /// and between requests of a kept-alive one; slower connections are closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value_t = 10)]
    pub header_read_timeout: u64,

    /// Seconds a client has to send a complete request body, counted from the end of its
    /// headers; a slower request is answered with an error and its connection closed.
    #[arg(long, env = "BODY_READ_TIMEOUT", default_value_t = 10)]
    pub body_read_timeout: u64,

    /// Turn limit of every new game (the richest player wins when it is reached); 0 means none.
    /// A private room's `max_turns` setting overrides it for that room's game.
    #[arg(long, env = "MAX_TURNS", default_value_t = 0)]
    pub max_turns: u32,

    /// Address of the admin listener serving Prometheus metrics at `/metrics`; off when absent.
    /// Only loopback addresses are accepted unless `METRICS_ALLOW_PUBLIC` is set.
    #[arg(long, env = "METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// Let `METRICS_BIND` be a non-loopback address (put a firewall in front of it).
    #[arg(long, env = "METRICS_ALLOW_PUBLIC", default_value_t = false)]
    pub metrics_allow_public: bool,

    /// Cluster mode (docs/cluster.md): `REDIS_URL`, `NODE_ID` and the lease timings.
    #[command(flatten)]
    pub cluster: crate::cluster::ClusterArgs,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Game-size settings, as in the reference's `config.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
pub struct GameSizes {
    /// Humans needed to start a private game.
    pub min_private_game_players: u32,
    /// Humans allowed in a private room.
    pub max_private_game_players: u32,
    /// Players per public game.
    pub num_public_game_players: u32,
}

impl Default for GameSizes {
    fn default() -> Self {
        Self {
            min_private_game_players: 1,
            max_private_game_players: 4,
            num_public_game_players: 2,
        }
    }
}

/// Why the game-size settings could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The settings file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The settings file is not valid JSON of the expected shape.
    #[error("cannot parse {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The values contradict each other.
    #[error("invalid game sizes: {0}")]
    Invalid(String),
}

impl GameSizes {
    /// Reads `path` if it exists, then applies the overrides from flags or the environment.
    ///
    /// A missing file means the defaults; unknown keys in the file are ignored.
    pub fn load(
        path: &std::path::Path,
        min_override: Option<u32>,
        max_override: Option<u32>,
        public_override: Option<u32>,
    ) -> Result<(Self, bool), ConfigError> {
        let (mut sizes, from_file) = match std::fs::read_to_string(path) {
            Ok(text) => {
                let sizes = serde_json::from_str::<GameSizes>(&text).map_err(|source| {
                    ConfigError::Parse {
                        path: path.to_owned(),
                        source,
                    }
                })?;
                (sizes, true)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => (Self::default(), false),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        if let Some(value) = min_override {
            sizes.min_private_game_players = value;
        }
        if let Some(value) = max_override {
            sizes.max_private_game_players = value;
        }
        if let Some(value) = public_override {
            sizes.num_public_game_players = value;
        }
        sizes.validate()?;
        Ok((sizes, from_file))
    }

    /// Checks that the sizes can describe a playable game.
    ///
    /// A game has 2 to 4 players (the core's `Setup` refuses anything else), so a public game
    /// matches 2 to 4 humans. A private room's empty seats are filled with bots, so one human may
    /// start a game (load tests run with `MIN_PRIVATE_GAME_PLAYERS=1`), but the room must have
    /// room for at least 2 players, since its game has at most `MAX_PRIVATE_GAME_PLAYERS`
    /// seats.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let in_range = |name: &str, value: u32, range: std::ops::RangeInclusive<u32>, why: &str| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(ConfigError::Invalid(format!(
                    "{name} must be between {} and {} ({why}), got {value}",
                    range.start(),
                    range.end()
                )))
            }
        };
        in_range(
            "NUM_PUBLIC_GAME_PLAYERS",
            self.num_public_game_players,
            GAME_PLAYERS,
            "a game has 2 to 4 players",
        )?;
        in_range(
            "MIN_PRIVATE_GAME_PLAYERS",
            self.min_private_game_players,
            1..=*GAME_PLAYERS.end(),
            "bots fill the other seats of a private game, which has at most 4 players",
        )?;
        in_range(
            "MAX_PRIVATE_GAME_PLAYERS",
            self.max_private_game_players,
            GAME_PLAYERS,
            "a private game has 2 to 4 players",
        )?;
        if self.max_private_game_players < self.min_private_game_players {
            return Err(ConfigError::Invalid(format!(
                "MAX_PRIVATE_GAME_PLAYERS ({}) must not be below MIN_PRIVATE_GAME_PLAYERS ({})",
                self.max_private_game_players, self.min_private_game_players
            )));
        }
        Ok(())
    }
}

/// How many players a game has (the core's `Setup` limits, docs/protocol.md).
const GAME_PLAYERS: std::ops::RangeInclusive<u32> =
    *magnate_core::PLAYER_COUNT.start() as u32..=*magnate_core::PLAYER_COUNT.end() as u32;

/// Timer and bot-delay settings used by the live-game code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// Auction duration, in milliseconds.
    pub auction_ms: u64,
    /// Next-phase timeout, in milliseconds.
    pub next_phase_ms: u64,
    /// Delay before a bot acts, in milliseconds.
    pub bot_delay_ms: u64,
    /// Smallest and largest bot bid delay, in milliseconds.
    pub bot_auction_delay_ms: (u64, u64),
    /// Kick-out timeout in milliseconds, if enabled.
    pub kick_out_ms: Option<u64>,
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            auction_ms: 20_000,
            next_phase_ms: 50_000_000,
            bot_delay_ms: 2_000,
            bot_auction_delay_ms: (2_000, 6_000),
            kick_out_ms: None,
        }
    }
}

/// End-of-game rewards (docs/protocol.md); all zero by default, which is the reference behaviour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rewards {
    /// Points for the winner.
    pub points_win: i64,
    /// Points for every human participant.
    pub points_play: i64,
    /// Experience for the winner.
    pub exp_win: i64,
    /// Experience for every human participant.
    pub exp_play: i64,
    /// Elo K-factor.
    pub elo_k: i64,
}

/// A token-bucket rate: `burst` frames at once, refilled at `per_second` frames per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Most frames accepted at once (the bucket's size).
    pub burst: u32,
    /// Frames per second added back to the bucket; `0.0` means no limit at all.
    pub per_second: f64,
}

impl Rate {
    /// No limit.
    pub const UNLIMITED: Rate = Rate {
        burst: 0,
        per_second: 0.0,
    };

    /// Whether this rate lets everything through.
    pub fn is_unlimited(&self) -> bool {
        self.per_second == 0.0
    }

    fn validate(&self, rate_name: &str, burst_name: &str) -> Result<(), ConfigError> {
        if !self.per_second.is_finite() || self.per_second < 0.0 {
            return Err(ConfigError::Invalid(format!(
                "{rate_name} must be a non-negative number (0 disables the limit), got {}",
                self.per_second
            )));
        }
        if !self.is_unlimited() && self.burst == 0 {
            return Err(ConfigError::Invalid(format!(
                "{burst_name} must be at least 1 while {rate_name} is not 0"
            )));
        }
        Ok(())
    }
}

/// Limits on WebSocket clients (issue 7): per-connection frame rates and sockets per user.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SocketLimits {
    /// Every data frame but chat: game actions, lobby commands, queue frames, and frames that
    /// are refused as invalid, chat messages included (each of those gets an error reply).
    pub actions: Rate,
    /// Valid chat messages, on the game and lobby sockets.
    pub chat: Rate,
    /// Open sockets per user, the three kinds together; 0 means no limit.
    pub max_per_user: u32,
    /// How long a queue or lobby socket stays open after `match_found` or `game_start` before
    /// the server closes it with 4001 (docs/protocol.md; [`crate::ws::MOVED_GRACE`], shorter in
    /// tests).
    pub moved_grace: std::time::Duration,
    /// Longest time one write to a socket may take before its peer counts as too slow.
    pub write_timeout: std::time::Duration,
    /// Frames queued for one game or room socket before its peer counts as too slow (at least
    /// [`MIN_OUTGOING_QUEUE`]).
    pub outgoing_queue: usize,
    /// Frames over the rate limits within about 10 s after which a socket is closed; 0: never.
    pub flood_frames: u32,
}

/// Smallest outgoing queue: a game step or a room change queues a few frames at once.
pub const MIN_OUTGOING_QUEUE: usize = 16;

impl Default for SocketLimits {
    /// Generous for humans: a player rarely sends more than a few actions a second, but a
    /// client may fire a dozen at once (mortgaging a whole colour group, bidding). Chat allows a
    /// quick exchange of 5 lines, then one a second. A user has a game open in a few tabs, plus
    /// a queue or lobby socket on the way to the next game.
    fn default() -> Self {
        Self {
            actions: Rate {
                burst: 30,
                per_second: 10.0,
            },
            chat: Rate {
                burst: 5,
                per_second: 1.0,
            },
            max_per_user: 8,
            moved_grace: crate::ws::MOVED_GRACE,
            write_timeout: Duration::from_secs(10),
            outgoing_queue: 256,
            flood_frames: 100,
        }
    }
}

/// Throttles of the account endpoints (issue 13): token buckets keyed by client address, by
/// username or by user. [`Rate::per_second`] here is the per-minute setting divided by 60.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttles {
    /// Every `POST /auth/login/`, per client address.
    pub login_per_address: Rate,
    /// Failed logins, per (normalized) username.
    pub login_failures_per_user: Rate,
    /// Every `POST /auth/register/`, per client address.
    pub registration_per_address: Rate,
    /// `GET /lobby/check-code/<code>/` and lobby socket joins, per user.
    pub room_code_per_user: Rate,
}

impl Throttles {
    /// No throttling at all (load tests).
    pub const UNLIMITED: Throttles = Throttles {
        login_per_address: Rate::UNLIMITED,
        login_failures_per_user: Rate::UNLIMITED,
        registration_per_address: Rate::UNLIMITED,
        room_code_per_user: Rate::UNLIMITED,
    };
}

impl Default for Throttles {
    /// A person logs in a few times a day and registers once; a household or classroom behind
    /// one address still fits in the bursts. A password guesser gets 10 tries, then 5 a minute.
    fn default() -> Self {
        let per_minute = |burst: u32, per_minute: f64| Rate {
            burst,
            per_second: per_minute / 60.0,
        };
        Self {
            login_per_address: per_minute(20, 30.0),
            login_failures_per_user: per_minute(10, 5.0),
            registration_per_address: per_minute(10, 5.0),
            room_code_per_user: per_minute(20, 10.0),
        }
    }
}

/// Shortest accepted `SECRET_KEY`, in bytes.
pub const MIN_SECRET_KEY_BYTES: usize = 32;
/// Fewest different characters in an accepted `SECRET_KEY`.
pub const MIN_SECRET_KEY_DISTINCT: usize = 8;

/// Checks that a configured `SECRET_KEY` is strong enough to sign tokens: anyone who guesses it
/// can sign in as any user.
pub fn check_secret_key(key: &str) -> Result<(), ConfigError> {
    let distinct = key.chars().collect::<std::collections::HashSet<_>>().len();
    if key.len() >= MIN_SECRET_KEY_BYTES && distinct >= MIN_SECRET_KEY_DISTINCT {
        return Ok(());
    }
    Err(ConfigError::Invalid(format!(
        "SECRET_KEY is too weak: it needs at least {MIN_SECRET_KEY_BYTES} bytes and \
         {MIN_SECRET_KEY_DISTINCT} different characters, got {} bytes and {distinct} different \
         characters. Generate one with `openssl rand -hex 32`, or leave SECRET_KEY unset and \
         the server generates a key and keeps it in its database",
        key.len()
    )))
}

/// Everything the running server needs, resolved from flags, environment and files.
#[derive(Debug, Clone)]
pub struct Config {
    /// Game-size settings.
    pub sizes: GameSizes,
    /// Timer settings.
    pub timers: Timers,
    /// End-of-game rewards.
    pub rewards: Rewards,
    /// Origins allowed by CORS.
    pub cors_allowed_origins: Vec<String>,
    /// Access token lifetime, in seconds.
    pub access_lifetime_secs: i64,
    /// Refresh token lifetime, in seconds.
    pub refresh_lifetime_secs: i64,
    /// Whether a rotated refresh token is rejected when used again.
    pub blacklist_after_rotation: bool,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Rate and connection limits of the WebSocket endpoints.
    pub sockets: SocketLimits,
    /// How long a client may take to send a complete request head (slowloris defence); also
    /// how long a kept-alive connection may stay idle between requests.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request body, after its head.
    pub body_read_timeout: Duration,
    /// Turn limit of new games without a room setting of their own; `None` means none.
    pub max_turns: Option<u32>,
    /// Throttles of login, registration and room-code probing.
    pub throttles: Throttles,
    /// How long the humans of a new game have to connect before they are removed from it;
    /// `None` disables it.
    pub first_connection_timeout: Option<Duration>,
    /// Reverse proxies trusted to name the client in `X-Forwarded-For`.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            sizes: GameSizes::default(),
            timers: Timers::default(),
            rewards: Rewards::default(),
            cors_allowed_origins: vec![
                "http://localhost:5173".into(),
                "http://127.0.0.1:5173".into(),
            ],
            access_lifetime_secs: 300,
            refresh_lifetime_secs: 604_800,
            blacklist_after_rotation: false,
            max_body_bytes: 64 * 1024,
            sockets: SocketLimits::default(),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_turns: None,
            throttles: Throttles::default(),
            first_connection_timeout: Some(Duration::from_secs(300)),
            trusted_proxies: Vec::new(),
        }
    }
}

impl Config {
    /// Resolves the configuration from parsed flags, reading the game-size file if present.
    pub fn from_args(args: &Args) -> Result<Self, ConfigError> {
        let (sizes, from_file) = GameSizes::load(
            &args.config,
            args.min_private_game_players,
            args.max_private_game_players,
            args.num_public_game_players,
        )?;
        if from_file {
            tracing::info!(path = %args.config.display(), ?sizes, "read game sizes");
        } else {
            tracing::info!(path = %args.config.display(), ?sizes, "no game-size file; using defaults");
        }
        if args.bot_auction_delay_min_ms > args.bot_auction_delay_max_ms {
            return Err(ConfigError::Invalid(
                "BOT_AUCTION_DELAY_MIN_MS must not exceed BOT_AUCTION_DELAY_MAX_MS".into(),
            ));
        }
        let sockets = SocketLimits {
            actions: Rate {
                burst: args.ws_action_burst,
                per_second: args.ws_actions_per_second,
            },
            chat: Rate {
                burst: args.ws_chat_burst,
                per_second: args.ws_chats_per_second,
            },
            max_per_user: args.max_sockets_per_user,
            moved_grace: crate::ws::MOVED_GRACE,
            write_timeout: Duration::from_secs(args.ws_write_timeout),
            outgoing_queue: args.ws_outgoing_queue,
            flood_frames: args.ws_flood_frames,
        };
        if sockets.outgoing_queue < MIN_OUTGOING_QUEUE {
            return Err(ConfigError::Invalid(format!(
                "WS_OUTGOING_QUEUE must be at least {MIN_OUTGOING_QUEUE} frames, got {}",
                sockets.outgoing_queue
            )));
        }
        sockets
            .actions
            .validate("WS_ACTIONS_PER_SECOND", "WS_ACTION_BURST")?;
        sockets
            .chat
            .validate("WS_CHATS_PER_SECOND", "WS_CHAT_BURST")?;
        if let Some(key) = args.secret_key.as_deref().filter(|key| !key.is_empty()) {
            check_secret_key(key)?;
        }
        let per_minute = |burst: u32, per_minute: f64| Rate {
            burst,
            per_second: per_minute / 60.0,
        };
        let throttles = Throttles {
            login_per_address: per_minute(
                args.login_burst_per_address,
                args.logins_per_minute_per_address,
            ),
            login_failures_per_user: per_minute(
                args.login_failure_burst_per_user,
                args.login_failures_per_minute_per_user,
            ),
            registration_per_address: per_minute(
                args.registration_burst_per_address,
                args.registrations_per_minute_per_address,
            ),
            room_code_per_user: per_minute(
                args.room_code_try_burst,
                args.room_code_tries_per_minute,
            ),
        };
        for (rate, rate_name, burst_name) in [
            (
                throttles.login_per_address,
                "LOGINS_PER_MINUTE_PER_ADDRESS",
                "LOGIN_BURST_PER_ADDRESS",
            ),
            (
                throttles.login_failures_per_user,
                "LOGIN_FAILURES_PER_MINUTE_PER_USER",
                "LOGIN_FAILURE_BURST_PER_USER",
            ),
            (
                throttles.registration_per_address,
                "REGISTRATIONS_PER_MINUTE_PER_ADDRESS",
                "REGISTRATION_BURST_PER_ADDRESS",
            ),
            (
                throttles.room_code_per_user,
                "ROOM_CODE_TRIES_PER_MINUTE",
                "ROOM_CODE_TRY_BURST",
            ),
        ] {
            rate.validate(rate_name, burst_name)?;
        }
        for (name, secs) in [
            ("HEADER_READ_TIMEOUT", args.header_read_timeout),
            ("BODY_READ_TIMEOUT", args.body_read_timeout),
            ("WS_WRITE_TIMEOUT", args.ws_write_timeout),
        ] {
            if secs == 0 {
                return Err(ConfigError::Invalid(format!(
                    "{name} must be at least 1 second"
                )));
            }
        }
        Ok(Self {
            sizes,
            timers: Timers {
                auction_ms: args.auction_duration.saturating_mul(1000),
                next_phase_ms: args.next_phase_timeout.saturating_mul(1000),
                bot_delay_ms: args.bot_delay_ms,
                bot_auction_delay_ms: (
                    args.bot_auction_delay_min_ms,
                    args.bot_auction_delay_max_ms,
                ),
                kick_out_ms: args.kick_out_timeout.map(|secs| secs.saturating_mul(1000)),
            },
            rewards: Rewards {
                points_win: args.points_win,
                points_play: args.points_play,
                exp_win: args.exp_win,
                exp_play: args.exp_play,
                elo_k: args.elo_k,
            },
            cors_allowed_origins: args.cors_allowed_origins.clone(),
            access_lifetime_secs: i64::from(args.access_token_lifetime),
            refresh_lifetime_secs: i64::from(args.refresh_token_lifetime),
            blacklist_after_rotation: args.blacklist_after_rotation,
            max_body_bytes: args.max_body_bytes,
            sockets,
            header_read_timeout: Duration::from_secs(args.header_read_timeout),
            body_read_timeout: Duration::from_secs(args.body_read_timeout),
            max_turns: (args.max_turns > 0).then_some(args.max_turns),
            throttles,
            first_connection_timeout: (args.first_connection_timeout > 0)
                .then(|| Duration::from_secs(args.first_connection_timeout)),
            trusted_proxies: args.trusted_proxies.clone(),
        })
    }
}
