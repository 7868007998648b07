//! `magnate-server`: reads the configuration, opens the store and serves.

#![forbid(unsafe_code)]

use anyhow::Context;
use clap::Parser;
use magnate_server::{
    auth::Passwords,
    config::LogFormat,
    serve, shutdown_signal,
    store::{DatabaseLock, WalState},
    AppState, Args, Clock, Config, Store,
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = EnvFilter::try_new(&args.log_level)
        .with_context(|| format!("invalid log level {:?}", args.log_level))?;
    match args.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init(),
    }
    let config = Config::from_args(&args).context("invalid configuration")?;
    // Held until the process exits: a second server on the same database refuses to start.
    let _lock = DatabaseLock::acquire(&args.database).context("cannot start")?;
    let (store, wal) = Store::open_checked(&args.database, args.sqlite_synchronous)
        .with_context(|| format!("cannot open database {}", args.database.display()))?;
    if let WalState::TornTail { frame } = wal {
        tracing::warn!(
            database = %args.database.display(),
            frame,
            "the write-ahead log ends in an incomplete write (a crash or power cut while \
             committing): the transaction being written then is lost, earlier commits are kept"
        );
    }
    let state = AppState::new(
        config,
        store,
        args.secret_key.clone(),
        Clock::system(),
        Passwords::default(),
    )
    .await
    .context("cannot prepare server state")?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot bind {}", args.bind))?;
    tracing::info!(address = %listener.local_addr()?, database = %args.database.display(), "listening");
    serve(listener, state, shutdown_signal()).await?;
    tracing::info!("server stopped");
    Ok(())
}
