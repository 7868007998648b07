//! `magnate`: replay and verify game records, export games from the server's database, bot
//! self-play and tournaments.
#![forbid(unsafe_code)]

mod db;
mod export;
mod out;
mod render;
mod replay;
mod selfplay;
mod stats;
mod tournament;
mod verify_db;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Tools for Magnate game records and bot self-play.
#[derive(Debug, Parser)]
#[command(name = "magnate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verify a game record (its hash chain) and summarize the game.
    Replay(replay::ReplayArgs),
    /// Render the board of a recorded game after an input.
    Show {
        /// The record file (JSON, as written by `selfplay --save`, `export` or the server).
        file: PathBuf,
        /// Show the state after input N (0-based); default: the end.
        #[arg(long, value_name = "N")]
        at: Option<u64>,
    },
    /// Write the record of a game stored by the server, or list the stored games.
    Export(export::ExportArgs),
    /// Play seeded games between bots and report statistics.
    Selfplay(selfplay::SelfplayArgs),
    /// Round robin between bot levels with duplicate seeds: Elo table and pairwise win rates.
    Tournament(tournament::TournamentArgs),
    /// Check every game record of a server database (hashes, finished flags) and, with
    /// `--acks`, that every action clients were acknowledged is in its record.
    VerifyDb(verify_db::VerifyDbArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay::run(&args),
        Command::Show { file, at } => replay::show(&file, at),
        Command::Export(args) => export::run(&args),
        Command::Selfplay(args) => selfplay::run(&args),
        Command::Tournament(args) => tournament::run(&args),
        Command::VerifyDb(args) => verify_db::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole chain of causes on one line, without a backtrace.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
