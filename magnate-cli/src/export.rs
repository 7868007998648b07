//! `magnate export`: records of games stored by the server.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use magnate_core::GameRecord;
use magnate_server::Store;

/// Arguments of `magnate export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The server's SQLite database (for example ./magnate.db).
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// The game to export.
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "list",
        required_unless_present = "list"
    )]
    pub game: Option<i64>,
    /// Write the record here instead of to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// List the stored games instead.
    #[arg(long)]
    pub list: bool,
}

/// `magnate export`.
pub fn run(args: &ExportArgs) -> Result<()> {
    if !args.db.exists() {
        bail!(
            "{} does not exist: give the server's database file with --db",
            args.db.display()
        );
    }
    let store = Store::open_read_only(&args.db)
        .with_context(|| format!("cannot open the database {}", args.db.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    runtime.block_on(async {
        if args.list {
            let games = store
                .recorded_games()
                .await
                .context("cannot list the games")?;
            crate::out::println(&format!(
                "{:>6}  {:<27}  {:<8}  {:>7}  players",
                "id", "created", "status", "inputs"
            ))?;
            for game in games {
                let status = if game.finished { "finished" } else { "running" };
                crate::out::println(&format!(
                    "{:>6}  {:<27}  {:<8}  {:>7}  {}",
                    game.id,
                    game.created_at,
                    status,
                    game.inputs,
                    game.players.join(", ")
                ))?;
            }
            return Ok(());
        }
        let id = args.game.context("give --game ID or --list")?;
        let stored = magnate_server::games::journal::load(&store, id)
            .await
            .with_context(|| {
                format!("no record for game {id}; `magnate export --db ... --list` lists the games")
            })?;
        let record = GameRecord {
            header: stored.header,
            entries: stored.entries,
        };
        let json = serde_json::to_string_pretty(&record)?;
        match &args.output {
            Some(path) => {
                std::fs::write(path, json + "\n")
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!(
                    "wrote game {id} ({} inputs) to {}",
                    record.entries.len(),
                    path.display()
                );
            }
            None => crate::out::println(&json)?,
        }
        Ok(())
    })
}
