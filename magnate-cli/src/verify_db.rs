//! `magnate verify-db`: checks every game record of a server database, and optionally that every
//! action clients were acknowledged is in its game's record.
//!
//! For each game with a record: the record replays with every stored state hash; a game the
//! database calls finished replays to a finished game, and one it calls running replays to a
//! running game. With `--acks`, a JSON-lines file of `game_action` frames as clients received
//! them (`{"game_id": G, "observer": U, "data": {...}}`, one per line, as the load generator's
//! `--ack-log` writes), the frames each observer saw of each game must be the game's recorded
//! actions, in order, with gaps allowed (an observer misses what happens while it is
//! disconnected) but nothing missing or out of order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use magnate_core::record::{verify_inspecting, RecordEntry};
use magnate_core::{Action, Game, GameRecord, Input, PlayerId};
use magnate_protocol::game::{parse_frame, ClientFrame, WireAction};
use serde_json::Value;

/// Arguments of `magnate verify-db`.
#[derive(Debug, Args)]
pub struct VerifyDbArgs {
    /// The server's database: an SQLite file (for example ./magnate.db, or sqlite:PATH) or a
    /// PostgreSQL URL (postgres://user@host:5432/name). It is only read; games still being
    /// played are checked as far as they are recorded.
    #[arg(long, value_name = "PATH|URL")]
    pub db: String,
    /// A log of the `game_action` frames clients received, one JSON object per line:
    /// {"game_id": G, "observer": U, "data": <the frame's data>}.
    #[arg(long, value_name = "FILE")]
    pub acks: Option<PathBuf>,
    /// Fail if any game is still running.
    #[arg(long)]
    pub expect_finished: bool,
}

/// One acknowledged action, as a client received it.
#[derive(Debug)]
struct Ack {
    /// Line in the log (1-based), for messages.
    line: usize,
    /// Who acted (the frame's `player`).
    player: i64,
    /// The frame's `data`, as text, for messages.
    data: String,
    /// The action it parses to, as a client frame would (`None`: no record entry can match).
    action: Option<WireAction>,
}

/// What was found in one game.
#[derive(Debug, Default)]
struct GameReport {
    inputs: usize,
    finished: bool,
    acks: usize,
    problems: Vec<String>,
}

/// `magnate verify-db`.
pub fn run(args: &VerifyDbArgs) -> Result<()> {
    let mut acks = match &args.acks {
        Some(path) => read_acks(path)?,
        None => BTreeMap::new(),
    };
    let database = crate::db::Database::open(&args.db)?;
    let games = database.recorded_games().context("cannot list the games")?;

    let mut problems = Vec::new();
    let (mut finished, mut running, mut inputs, mut checked_acks) = (0, 0, 0, 0);
    for listed in &games {
        let stored = database
            .load(listed.id)
            .with_context(|| format!("cannot read the record of game {}", listed.id))?;
        let record = stored.record;
        let observers = acks.remove(&listed.id).unwrap_or_default();
        let report = check_game(listed.id, &record, stored.finished, &observers);
        inputs += report.inputs;
        checked_acks += report.acks;
        if report.finished {
            finished += 1;
        } else {
            running += 1;
            if args.expect_finished {
                problems.push(format!("game {}: still running", listed.id));
            }
        }
        problems.extend(report.problems);
    }
    for (game, observers) in &acks {
        let count: usize = observers.values().map(Vec::len).sum();
        problems.push(format!(
            "game {game}: {count} acknowledged action(s) but the database has no record of it"
        ));
    }

    crate::out::println(&format!(
        "{} games ({finished} finished, {running} running), {inputs} inputs replayed with their hashes{}",
        games.len(),
        if args.acks.is_some() {
            format!(", {checked_acks} acknowledged actions found in their records")
        } else {
            String::new()
        }
    ))?;
    if problems.is_empty() {
        crate::out::println("ok")?;
        return Ok(());
    }
    for problem in problems.iter().take(50) {
        eprintln!("{problem}");
    }
    if problems.len() > 50 {
        eprintln!("… and {} more", problems.len() - 50);
    }
    bail!("{} problem(s) found", problems.len())
}

/// Reads the acknowledgement log, grouped by game, then observer, in file order.
fn read_acks(path: &Path) -> Result<BTreeMap<i64, BTreeMap<i64, Vec<Ack>>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut acks: BTreeMap<i64, BTreeMap<i64, Vec<Ack>>> = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line_no = number + 1;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = parse_ack_line(line).with_context(|| {
            format!(
                "{}:{line_no}: expected {{\"game_id\": G, \"observer\": U, \"data\": {{...}}}}",
                path.display()
            )
        })?;
        let (game, observer, player, data) = parsed;
        // Parsed once here; resolving needs the game each entry was applied to.
        let action = match parse_frame(&data) {
            Ok(ClientFrame::Action { action, .. }) => Some(action),
            _ => None,
        };
        acks.entry(game)
            .or_default()
            .entry(observer)
            .or_default()
            .push(Ack {
                line: line_no,
                player,
                data,
                action,
            });
    }
    Ok(acks)
}

fn parse_ack_line(line: &str) -> Result<(i64, i64, i64, String)> {
    let value: Value = serde_json::from_str(line).context("not JSON")?;
    let game = value["game_id"].as_i64().context("no integer game_id")?;
    let observer = value["observer"].as_i64().context("no integer observer")?;
    let data = value["data"].as_object().context("no data object")?;
    let player = data
        .get("player")
        .and_then(Value::as_i64)
        .context("no integer data.player")?;
    Ok((
        game,
        observer,
        player,
        Value::Object(data.clone()).to_string(),
    ))
}

/// Replays one game's record with its hashes and matches each observer's acknowledged actions
/// against the recorded ones.
fn check_game(
    game_id: i64,
    record: &GameRecord,
    stored_finished: bool,
    observers: &BTreeMap<i64, Vec<Ack>>,
) -> GameReport {
    let mut report = GameReport {
        inputs: record.entries.len(),
        ..GameReport::default()
    };
    // Per observer, how many of its acknowledged actions have been found so far.
    let mut found: BTreeMap<i64, usize> = observers.keys().map(|o| (*o, 0)).collect();
    let replayed = verify_inspecting(record, |game, entry| {
        let Some((player, action)) = recorded_action(entry) else {
            return;
        };
        for (observer, acks) in observers {
            let next = found.get_mut(observer).expect("every observer is counted");
            if let Some(ack) = acks.get(*next) {
                if acknowledges(ack, game_id, game, player, action) {
                    *next += 1;
                }
            }
        }
    });
    match replayed {
        Ok(game) => {
            report.finished = game.is_finished();
            if game.is_finished() != stored_finished {
                report.problems.push(format!(
                    "game {game_id}: the database says {}, the record replays to a {} game",
                    if stored_finished {
                        "finished"
                    } else {
                        "running"
                    },
                    if game.is_finished() {
                        "finished"
                    } else {
                        "running"
                    },
                ));
            }
        }
        Err(error) => {
            report.finished = stored_finished;
            report.problems.push(format!(
                "game {game_id}: the record does not verify: {error}"
            ));
            return report;
        }
    }
    for (observer, acks) in observers {
        let matched = found[observer];
        report.acks += matched;
        if let Some(missing) = acks.get(matched) {
            report.problems.push(format!(
                "game {game_id}: acknowledged action not in the record (observer {observer}, \
                 ack log line {}, {} of {} found in order): {}",
                missing.line,
                matched,
                acks.len(),
                missing.data
            ));
        }
    }
    report
}

/// The player and action of an entry, if it is an action.
fn recorded_action(entry: &RecordEntry) -> Option<(PlayerId, &Action)> {
    match &entry.input {
        Input::Action { player, action } => Some((*player, action)),
        Input::Tick => None,
    }
}

/// Whether an acknowledged frame is this recorded action: same player, and the frame parses and
/// resolves (against the game it was applied to) to the same action.
fn acknowledges(ack: &Ack, game_id: i64, game: &Game, player: PlayerId, action: &Action) -> bool {
    if ack.player != player.0 as i64 {
        return false;
    }
    ack.action
        .as_ref()
        .is_some_and(|wire| wire.clone().resolve(game_id, game).as_ref() == Ok(action))
}
