//! `magnate selfplay`: seeded games between bots, with statistics.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use magnate_core::bot::EvBot;
use magnate_core::sim::{play, SimOutcome, SimSetup};
use magnate_core::{BotLevel, EndReason, PlayerId, Policy, Seed, TimerSettings};
use serde::Serialize;

use crate::stats::{mean_sd, wilson};

/// Arguments of `magnate selfplay`.
#[derive(Debug, Args)]
pub struct SelfplayArgs {
    /// Players per game (2 to 4).
    #[arg(long, default_value_t = 4)]
    pub players: usize,
    /// Bot level(s), comma separated: seats take them in turn and rotate from game to game
    /// (very_easy, easy, medium, hard, very_hard, expert).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "expert",
        value_name = "LEVEL[,LEVEL...]"
    )]
    pub level: Vec<String>,
    /// Number of games.
    #[arg(long, default_value_t = 10)]
    pub games: usize,
    /// Seed of the first game; game i uses seed + i.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Turn limit after which the richest player wins.
    #[arg(long, default_value_t = 500)]
    pub max_turns: u32,
    /// Write one JSON line per game to stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Keep each game's record in this directory.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// One finished game, as reported by `--json`.
#[derive(Clone, Debug, Serialize)]
pub struct GameLine {
    /// Game number, from 0.
    pub game: usize,
    /// The game's seed.
    pub seed: u64,
    /// The winner's player id (seat + 1).
    pub winner: u64,
    /// The winner's seat, from 0.
    pub winner_seat: usize,
    /// The winner's level.
    pub winner_level: BotLevel,
    /// The level of each seat.
    pub levels: Vec<BotLevel>,
    /// Turns played.
    pub turns: u32,
    /// Accepted actions.
    pub actions: u64,
    /// Timer ticks.
    pub ticks: u64,
    /// How the game ended.
    pub reason: EndReason,
    /// The final state hash.
    pub final_hash: String,
}

/// Parses level names, with a message that lists the valid ones.
pub fn parse_levels(names: &[String]) -> Result<Vec<BotLevel>> {
    if names.is_empty() {
        bail!("give at least one level with --level");
    }
    names
        .iter()
        .map(|name| name.trim().parse::<BotLevel>().map_err(anyhow::Error::from))
        .collect()
}

/// Plays one game with `levels[seat]` in each seat; the record is kept when `record`.
pub fn play_game(
    seed: u64,
    levels: &[BotLevel],
    max_turns: u32,
    record: bool,
) -> Result<SimOutcome> {
    let mut setup = SimSetup::new(Seed(seed), levels.len(), Some(max_turns));
    setup.timers = TimerSettings::default();
    setup.record = record;
    let bots: Vec<EvBot> = levels.iter().map(|level| EvBot::new(*level)).collect();
    let policies: Vec<&(dyn Policy + Sync)> =
        bots.iter().map(|bot| bot as &(dyn Policy + Sync)).collect();
    let mut outcome =
        play(&setup, &policies).with_context(|| format!("game with seed {seed} failed"))?;
    if let Some(record) = outcome.record.as_mut() {
        for (seat, level) in levels.iter().enumerate() {
            record
                .header
                .bot_levels
                .insert(PlayerId(seat as u64 + 1), *level);
        }
    }
    Ok(outcome)
}

/// Runs `jobs` on worker threads with a progress bar on a terminal; results come back in job
/// order, so the output never depends on scheduling.
pub fn run_parallel<J: Sync, T: Send>(
    jobs: &[J],
    threads: Option<usize>,
    work: impl Fn(&J) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let bar = ProgressBar::with_draw_target(Some(jobs.len() as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} games  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<T>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(index) else { break };
                let result = work(job);
                let failed = result.is_err();
                results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(result);
                bar.inc(1);
                if failed {
                    next.store(jobs.len(), Ordering::Relaxed);
                }
            });
        }
    });
    bar.finish_and_clear();
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.into_iter().flatten().collect()
}

/// `magnate selfplay`.
pub fn run(args: &SelfplayArgs) -> Result<()> {
    if !(2..=4).contains(&args.players) {
        bail!("--players must be 2, 3 or 4 (got {})", args.players);
    }
    if args.games == 0 {
        bail!("--games must be at least 1");
    }
    if args.max_turns == 0 {
        bail!("--max-turns must be at least 1");
    }
    let levels = parse_levels(&args.level)?;
    if let Some(dir) = &args.save {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let jobs: Vec<(usize, u64, Vec<BotLevel>)> = (0..args.games)
        .map(|game| {
            let seats = (0..args.players)
                .map(|seat| levels[(seat + game) % levels.len()])
                .collect();
            (game, args.seed.wrapping_add(game as u64), seats)
        })
        .collect();
    let started = Instant::now();
    let lines = run_parallel(&jobs, args.threads, |(game, seed, seats)| {
        let outcome = play_game(*seed, seats, args.max_turns, args.save.is_some())?;
        if let (Some(dir), Some(record)) = (&args.save, &outcome.record) {
            let path = dir.join(format!("game-{game:05}-seed-{seed}.json"));
            std::fs::write(&path, serde_json::to_vec(record)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(GameLine {
            game: *game,
            seed: *seed,
            winner: outcome.winner.0,
            winner_seat: outcome.winner_seat,
            winner_level: seats[outcome.winner_seat],
            levels: seats.clone(),
            turns: outcome.game.current_turn(),
            actions: outcome.actions,
            ticks: outcome.ticks,
            reason: outcome.reason,
            final_hash: format!("{:016x}", outcome.game.state_hash()),
        })
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    if args.json {
        for line in &lines {
            crate::out::println(&serde_json::to_string(line)?)?;
        }
    } else {
        crate::out::print(&summary(args, &levels, &lines, elapsed))?;
    }
    Ok(())
}

fn summary(args: &SelfplayArgs, levels: &[BotLevel], lines: &[GameLine], elapsed: f64) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let names: Vec<&str> = levels.iter().map(|l| l.as_str()).collect();
    let _ = writeln!(
        out,
        "{} games, {} players, levels {}, seeds {}..{}, max {} turns",
        lines.len(),
        args.players,
        names.join(","),
        args.seed,
        args.seed.wrapping_add(lines.len() as u64 - 1),
        args.max_turns
    );
    let fair = 100.0 / args.players as f64;
    let _ = writeln!(
        out,
        "\nwin rate by level (per seat played; a fair share is {fair:.1}%, 95% Wilson interval)"
    );
    let mut by_level: BTreeMap<BotLevel, (u64, u64)> = BTreeMap::new();
    for line in lines {
        for level in &line.levels {
            by_level.entry(*level).or_default().1 += 1;
        }
        by_level.entry(line.winner_level).or_default().0 += 1;
    }
    for (level, (wins, seats)) in &by_level {
        let (low, high) = wilson(*wins, *seats);
        let _ = writeln!(
            out,
            "  {:<10} {:>5}/{:<5} {:>5.1}%  [{:>5.1}%, {:>5.1}%]",
            level.as_str(),
            wins,
            seats,
            100.0 * *wins as f64 / *seats as f64,
            100.0 * low,
            100.0 * high
        );
    }
    let _ = writeln!(
        out,
        "\nwin rate by seat (turn order is shuffled by the seed)"
    );
    for seat in 0..args.players {
        let wins = lines.iter().filter(|l| l.winner_seat == seat).count() as u64;
        let (low, high) = wilson(wins, lines.len() as u64);
        let _ = writeln!(
            out,
            "  seat {}     {:>5}/{:<5} {:>5.1}%  [{:>5.1}%, {:>5.1}%]",
            seat + 1,
            wins,
            lines.len(),
            100.0 * wins as f64 / lines.len() as f64,
            100.0 * low,
            100.0 * high
        );
    }
    let turns: Vec<u64> = lines.iter().map(|l| u64::from(l.turns)).collect();
    let actions: Vec<u64> = lines.iter().map(|l| l.actions).collect();
    let (turn_mean, turn_sd) = mean_sd(&turns);
    let (action_mean, action_sd) = mean_sd(&actions);
    let _ = writeln!(out, "\nlength");
    let _ = writeln!(
        out,
        "  turns    mean {turn_mean:>8.1}  sd {turn_sd:>7.1}  min {:>6}  max {:>6}",
        turns.iter().min().unwrap_or(&0),
        turns.iter().max().unwrap_or(&0)
    );
    let _ = writeln!(
        out,
        "  actions  mean {action_mean:>8.1}  sd {action_sd:>7.1}  min {:>6}  max {:>6}",
        actions.iter().min().unwrap_or(&0),
        actions.iter().max().unwrap_or(&0)
    );
    let bankrupt = lines
        .iter()
        .filter(|l| l.reason == EndReason::LastPlayerStanding)
        .count();
    let _ = writeln!(
        out,
        "\nended by bankruptcy {bankrupt}, by the turn limit {}",
        lines.len() - bankrupt
    );
    let total_actions: u64 = actions.iter().sum();
    let _ = writeln!(
        out,
        "speed    {:.1} games/s, {:.0} actions/s ({elapsed:.2} s)",
        lines.len() as f64 / elapsed.max(1e-9),
        total_actions as f64 / elapsed.max(1e-9)
    );
    out
}
