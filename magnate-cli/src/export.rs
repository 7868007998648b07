//! `magnate export`: records of games stored by the server.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

/// Arguments of `magnate export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The server's database: an SQLite file (for example ./magnate.db, or sqlite:PATH) or a
    /// PostgreSQL URL (postgres://user@host:5432/name). It is only read.
    #[arg(long, value_name = "PATH|URL")]
    pub db: String,
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
    let database = crate::db::Database::open(&args.db)?;
    if args.list {
        let games = database.recorded_games().context("cannot list the games")?;
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
    let record = database.load(id)?.record;
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
}
