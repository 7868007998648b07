//! `magnate replay` and `magnate show`: verify a record, summarize it, render states.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use magnate_core::record::replay_entries;
use magnate_core::{Event, Game, GameRecord, Input};

use crate::render;

/// Arguments of `magnate replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The record file (JSON, as written by `selfplay --save`, `export` or the server).
    pub file: PathBuf,
    /// Print the state as the server's `game_state` JSON object instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Stop after input N (0-based) and show that state.
    #[arg(long, value_name = "N")]
    pub at: Option<u64>,
    /// List every input and its outcome, one line each.
    #[arg(long)]
    pub events: bool,
    /// The game id to put in `--json` output (records do not carry the server's id).
    #[arg(long, default_value_t = 0, value_name = "ID")]
    pub game_id: i64,
}

/// Reads and parses a record file.
pub fn load(path: &Path) -> Result<GameRecord> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    magnate_protocol::record::parse_record(text.as_bytes()).with_context(|| {
        format!(
            "{} is not a Magnate game record (expected the JSON of docs/record-format.md)",
            path.display()
        )
    })
}

/// Replays the first `upto` entries (all when `None`), verifying every hash.
fn verified(
    record: &GameRecord,
    upto: Option<u64>,
) -> Result<(Game, Vec<Vec<magnate_core::Event>>)> {
    let count = match upto {
        Some(n) if n >= record.entries.len() as u64 => {
            bail!(
                "--at {n} is past the end: the record has {} inputs (0 to {})",
                record.entries.len(),
                record.entries.len().saturating_sub(1)
            )
        }
        Some(n) => n as usize + 1,
        None => record.entries.len(),
    };
    let replayed = replay_entries(&record.header, &record.entries[..count], true)
        .map_err(|error| anyhow::anyhow!("the record does not verify: {error}"))?;
    Ok((replayed.game, replayed.events))
}

/// `magnate replay`.
pub fn run(args: &ReplayArgs) -> Result<()> {
    let record = load(&args.file)?;
    let (game, events) = verified(&record, args.at)?;
    if args.json {
        crate::out::println(&serde_json::to_string_pretty(&game_state(
            &record,
            &game,
            args.game_id,
        )?)?)?;
        return Ok(());
    }
    if args.events {
        // The phase after each fact, folded from the events as a client would.
        let mut view = record
            .header
            .create_game()
            .map_err(|error| anyhow::anyhow!("the record does not verify: {error}"))?
            .view();
        for (entry, outcome) in record.entries.iter().zip(&events) {
            crate::out::println(&event_line(&record, entry, outcome, &mut view))?;
        }
        return Ok(());
    }
    crate::out::print(&summary(&args.file, &record, &game, events.len()))?;
    if args.at.is_some() {
        crate::out::println("")?;
        crate::out::print(&render::board(&game))?;
    }
    Ok(())
}

/// `magnate show`.
pub fn show(path: &Path, at: Option<u64>) -> Result<()> {
    let record = load(path)?;
    let (game, _) = verified(&record, at)?;
    crate::out::print(&render::board(&game))?;
    Ok(())
}

/// The server's `game_state` object for this state (docs/protocol.md).
pub fn game_state(record: &GameRecord, game: &Game, game_id: i64) -> Result<serde_json::Value> {
    let started = chrono::DateTime::from_timestamp_millis(record.header.started_at.0 as i64)
        .context("the record's start time is out of range")?;
    let datetime = started.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let context = magnate_protocol::game::SnapshotContext {
        game_id,
        datetime: &datetime,
    };
    let frame: serde_json::Value =
        serde_json::from_str(&magnate_protocol::game::snapshot_frame(game, &context))?;
    Ok(frame.get("game_state").cloned().unwrap_or(frame))
}

fn summary(path: &Path, record: &GameRecord, game: &Game, inputs: usize) -> String {
    use std::fmt::Write;
    let header = &record.header;
    let mut out = String::new();
    let ticks = record.entries[..inputs]
        .iter()
        .filter(|e| matches!(e.input, Input::Tick))
        .count();
    let _ = writeln!(out, "record   {}", path.display());
    let _ = writeln!(
        out,
        "format   {} v{} (state hash {}), rules {}, seed {}",
        header.format,
        header.version,
        match game.hash_format() {
            magnate_core::HashFormat::V1 => "v1",
            magnate_core::HashFormat::V2 => "v2",
        },
        header.rules_version,
        header.seed.0
    );
    let _ = writeln!(
        out,
        "inputs   {inputs} verified ({} actions, {ticks} ticks); hash chain ok",
        inputs - ticks
    );
    let players: Vec<String> = header
        .setup
        .players
        .iter()
        .map(|p| match header.bot_levels.get(&p.id) {
            Some(level) => format!("{} (bot {level})", p.id),
            None if p.is_bot => format!("{} (bot)", p.id),
            None => format!("{} (human)", p.id),
        })
        .collect();
    let _ = writeln!(out, "players  {}", players.join(", "));
    let order: Vec<String> = game
        .participants()
        .iter()
        .map(|p| p.id.to_string())
        .collect();
    let _ = writeln!(out, "order    {}", order.join(" → "));
    match game.outcome() {
        Some(outcome) => {
            let how = match outcome.reason {
                magnate_core::EndReason::LastPlayerStanding => "last player standing",
                magnate_core::EndReason::TurnLimit => "turn limit, richest player",
            };
            let _ = writeln!(
                out,
                "result   player {} won ({how}) after {} turns",
                outcome.winner,
                game.current_turn()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "result   not finished: turn {}, phase {}",
                game.current_turn(),
                magnate_protocol::names::phase_name(game.phase().name())
            );
        }
    }
    let worth: Vec<String> = game
        .participants()
        .iter()
        .map(|p| {
            if p.in_game {
                format!("{} {}", p.id, game.net_worth(p.id))
            } else {
                format!("{} out", p.id)
            }
        })
        .collect();
    let _ = writeln!(out, "worth    {}", worth.join(", "));
    let _ = writeln!(out, "hash     {:016x}", game.state_hash());
    out
}

fn event_line(
    record: &GameRecord,
    entry: &magnate_core::RecordEntry,
    events: &[magnate_core::Event],
    view: &mut magnate_core::View,
) -> String {
    let seconds = entry.now.0.saturating_sub(record.header.started_at.0) as f64 / 1000.0;
    let input = match &entry.input {
        Input::Tick => "tick".to_owned(),
        Input::Action { player, action } => {
            format!(
                "{player} {}",
                serde_json::to_string(action).unwrap_or_default()
            )
        }
    };
    let outcome: Vec<String> = events
        .iter()
        .filter_map(|e| {
            view.apply(e);
            if e.is_view_fact() {
                return None;
            }
            let name = match e {
                Event::BotWoken { player } => format!("bot {player} woken"),
                Event::DiceThrown {
                    dice1,
                    dice2,
                    dice_bus,
                    ..
                } => format!("dice {dice1}-{dice2}-{dice_bus}"),
                Event::AuctionClosed { auction } => match auction.winner {
                    Some(winner) => format!("auction of {} won by {winner}", auction.square),
                    None => format!("auction of {} unsold", auction.square),
                },
                Event::FantasyApplied { fantasy_result, .. } => {
                    format!("card {:?}", fantasy_result.fantasy_event.fantasy_type)
                }
                Event::SquareBought {
                    player,
                    square,
                    price,
                } => format!("{player} bought {square} for {price}"),
                Event::PurchaseDeclined { player, square } => {
                    format!("{player} declined {square}, auction")
                }
                Event::TramTaken {
                    player,
                    square,
                    fare,
                } => format!("{player} took the tram to {square} for {fare}"),
                Event::HouseBuilt { square, houses, .. } => {
                    format!("built on {square}, level {houses}")
                }
                Event::HouseDemolished { square, houses, .. } => {
                    format!("demolished on {square}, level {houses}")
                }
                Event::Mortgaged { square, .. } => format!("mortgaged {square}"),
                Event::Unmortgaged { square, .. } => format!("unmortgaged {square}"),
                Event::TradeProposed { proposal } => format!(
                    "trade {} proposed by {} to {}",
                    proposal.id, proposal.player, proposal.destination_user
                ),
                Event::TradeAnswered { proposal, accepted } => {
                    let answer = if *accepted { "accepted" } else { "refused" };
                    format!("trade {} {answer}", proposal.id)
                }
                Event::BailPaid { player, amount } => format!("{player} paid {amount} bail"),
                Event::BidPlaced { player, .. } => format!("{player} bid"),
                Event::PhaseEnded { player, phase } => format!(
                    "{player} ended {}",
                    magnate_protocol::names::phase_name(*phase)
                ),
                Event::PlayerEliminated { player, .. } => format!("{player} eliminated"),
                Event::RentPaid {
                    player,
                    owner,
                    square,
                    amount,
                } => format!("{player} paid {amount} rent to {owner} on {square}"),
                Event::SalaryCollected { player, amount } => {
                    format!("{player} collected {amount} salary")
                }
                Event::Jailed { player } => format!("{player} jailed"),
                Event::GameEnded { winner, .. } => format!("game over, {winner} won"),
                other => magnate_protocol::names::response_type(other)
                    .unwrap_or("event")
                    .to_owned(),
            };
            Some(format!(
                "{name} [{}]",
                magnate_protocol::names::phase_name(view.phase)
            ))
        })
        .collect();
    format!(
        "#{:<5} +{seconds:>9.3}s  {input:<60} => {}",
        entry.index,
        outcome.join("; ")
    )
}
