//! `magnate-server`: reads the configuration, opens the store and serves.

#![forbid(unsafe_code)]

use std::io::IsTerminal;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches};
use magnate_server::{
    auth::Passwords,
    cluster::Cluster,
    config::LogFormat,
    serve, shutdown_signal,
    store::{Database, DatabaseLock, PostgresLock, Synchronous, WalState},
    AppState, Args, Clock, Config, Store,
};
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let matches = Args::command().get_matches();
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let filter = EnvFilter::try_new(&args.log_level)
        .with_context(|| format!("invalid log level {:?}", args.log_level))?;
    // Colours only for a person at a terminal: files and log collectors get plain text.
    let ansi = std::io::stdout().is_terminal();
    match args.log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_ansi(ansi)
            .with_env_filter(filter)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_ansi(false)
            .with_env_filter(filter)
            .init(),
    }
    let config = Config::from_args(&args).context("invalid configuration")?;
    let metrics_bind = args
        .checked_metrics_bind()
        .context("invalid configuration")?;
    let location = Database::from_settings(&args.database, args.database_url.as_deref());
    if let Some(source) = &args.copy_from_sqlite {
        return copy_from_sqlite(&location, source).await;
    }
    let cluster_settings = args
        .cluster
        .settings(&location)
        .map_err(anyhow::Error::msg)
        .context("invalid configuration")?;
    // Cluster nodes share the database, so none takes the one-server lock.
    let (store, _lock) = match (&cluster_settings, &location) {
        (Some(_), Database::Postgres(url)) => {
            let store = Store::open_postgres(url)
                .await
                .with_context(|| format!("cannot open database {}", location.describe()))?;
            (store, None)
        }
        _ => {
            let (store, lock) = open_store(&location, args.sqlite_synchronous).await?;
            (store, Some(lock))
        }
    };
    // The recorder goes in before the state exists, so that nothing recorded is lost.
    let metrics_handle = match metrics_bind {
        Some(_) => Some(magnate_server::metrics::install().map_err(anyhow::Error::msg)?),
        None => None,
    };
    let state = AppState::new(
        config,
        store,
        args.secret_key.clone(),
        Clock::system(),
        Passwords::default(),
    )
    .await
    .context("cannot prepare server state")?;
    let cluster = match cluster_settings {
        Some(settings) => Some(
            Cluster::start(settings, &state)
                .await
                .context("cannot join the cluster")?,
        ),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot bind {}", args.bind))?;
    // Stopping the public server stops the admin listener too.
    let (stopped_tx, mut stopped_rx) = watch::channel(false);
    if let (Some(bind), Some(handle)) = (metrics_bind, metrics_handle) {
        let admin = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot bind the metrics address {bind}"))?;
        tracing::info!(address = %admin.local_addr()?, "serving metrics at /metrics");
        let shutdown = async move {
            let _ = stopped_rx.wait_for(|stopped| *stopped).await;
        };
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) =
                magnate_server::metrics::serve_admin(admin, state, handle, shutdown).await
            {
                tracing::error!(%error, "the metrics listener failed");
            }
        });
    }
    tracing::info!(
        address = %listener.local_addr()?,
        database = %location.describe(),
        settings = %setting_sources(&matches, &args),
        "listening"
    );
    let draining = state.clone();
    let shutdown = async move {
        shutdown_signal().await;
        // A cluster node hands its games over before it stops listening.
        if let Some(cluster) = cluster {
            cluster.drain(&draining).await;
        }
    };
    serve(listener, state, shutdown).await?;
    let _ = stopped_tx.send(true);
    tracing::info!("server stopped");
    Ok(())
}

/// `--copy-from-sqlite`: copies the SQLite file into the PostgreSQL database and exits.
async fn copy_from_sqlite(location: &Database, source: &std::path::Path) -> anyhow::Result<()> {
    let Database::Postgres(url) = location else {
        anyhow::bail!("--copy-from-sqlite needs --database-url postgres://...");
    };
    let _source_lock = DatabaseLock::acquire(source).context("cannot copy")?;
    let (store, _lock) = open_postgres_locked(url)
        .await
        .with_context(|| format!("cannot open database {}", location.describe()))?;
    let report = store.copy_from_sqlite(source).await.with_context(|| {
        format!(
            "cannot copy {} into {}",
            source.display(),
            location.describe()
        )
    })?;
    for (table, rows) in &report.tables {
        println!("{table:<24} {rows:>10} rows");
    }
    println!(
        "copied {} into {}; check it with `magnate verify-db --db URL`",
        source.display(),
        location.describe()
    );
    Ok(())
}

/// How long a server waits for PostgreSQL's advisory lock: the session of a server that was
/// just killed holds it until PostgreSQL notices the closed connection.
const POSTGRES_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// [`Store::open_postgres_locked`], retried while the lock is held for up to
/// [`POSTGRES_LOCK_WAIT`].
async fn open_postgres_locked(
    url: &str,
) -> Result<(Store, PostgresLock), magnate_server::StoreError> {
    let deadline = tokio::time::Instant::now() + POSTGRES_LOCK_WAIT;
    loop {
        match Store::open_postgres_locked(url).await {
            Err(magnate_server::StoreError::Locked) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}

/// The held lock of the database: a second server on the same database refuses to start.
enum HeldLock {
    Sqlite(#[allow(dead_code)] DatabaseLock),
    Postgres(#[allow(dead_code)] PostgresLock),
}

/// Takes the database's lock and opens it with its start-up checks.
async fn open_store(
    location: &Database,
    synchronous: Synchronous,
) -> anyhow::Result<(Store, HeldLock)> {
    match location {
        Database::Sqlite(path) => {
            let lock = DatabaseLock::acquire(path).context("cannot start")?;
            let (store, wal) = Store::open_checked(path, synchronous)
                .with_context(|| format!("cannot open database {}", path.display()))?;
            if let WalState::TornTail { frame } = wal {
                tracing::warn!(
                    database = %path.display(),
                    frame,
                    "the write-ahead log ends in an incomplete write (a crash or power cut while \
                     committing): the transaction being written then is lost, earlier commits are kept"
                );
            }
            Ok((store, HeldLock::Sqlite(lock)))
        }
        Database::Postgres(url) => {
            let (store, lock) = open_postgres_locked(url)
                .await
                .with_context(|| format!("cannot open database {}", location.describe()))?;
            Ok((store, HeldLock::Postgres(lock)))
        }
    }
}

/// Where the settings came from, for the start-up line: the flags and environment variables
/// that were given (by name, never by value), and whether the game-size file exists.
fn setting_sources(matches: &clap::ArgMatches, args: &Args) -> String {
    use clap::{parser::ValueSource, CommandFactory};
    let mut flags = Vec::new();
    let mut env = Vec::new();
    for arg in Args::command().get_arguments() {
        let id = arg.get_id().as_str();
        match matches.value_source(id) {
            Some(ValueSource::CommandLine) => {
                flags.push(format!("--{}", arg.get_long().unwrap_or(id)));
            }
            Some(ValueSource::EnvVariable) => {
                let name = arg
                    .get_env()
                    .map(|name| name.to_string_lossy().into_owned());
                env.push(name.unwrap_or_else(|| id.to_owned()));
            }
            _ => {}
        }
    }
    let file = if args.config.exists() {
        args.config.display().to_string()
    } else {
        format!("none ({} not found)", args.config.display())
    };
    let list = |names: &[String]| {
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(",")
        }
    };
    format!(
        "defaults; env: {}; flags: {}; file: {file}",
        list(&env),
        list(&flags)
    )
}
