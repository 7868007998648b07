//! `magnate tournament`: a round robin of two-player games between bot levels.

use anyhow::{bail, Result};
use clap::Args;
use magnate_core::BotLevel;

use crate::selfplay::{parse_levels, play_game, run_parallel};
use crate::stats::{elo, wilson};

/// Arguments of `magnate tournament`.
#[derive(Debug, Args)]
pub struct TournamentArgs {
    /// The levels to compare, comma separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "very_easy,easy,medium,hard,very_hard,expert"
    )]
    pub levels: Vec<String>,
    /// Games per pair of levels; each seed is played twice with the seats swapped (duplicate
    /// seeds), so an even number is best.
    #[arg(long, default_value_t = 20)]
    pub games: usize,
    /// Seed of the first pair of games.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Turn limit after which the richest player wins.
    #[arg(long, default_value_t = 500)]
    pub max_turns: u32,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// `magnate tournament`.
pub fn run(args: &TournamentArgs) -> Result<()> {
    let levels = parse_levels(&args.levels)?;
    if levels.len() < 2 {
        bail!("a tournament needs at least two levels");
    }
    if args.games == 0 {
        bail!("--games must be at least 1");
    }
    // Every pair (a, b) plays `games` games: seed s with a in seat 1, then the same seed with b
    // in seat 1.
    let mut jobs: Vec<(usize, usize, u64)> = Vec::new();
    for a in 0..levels.len() {
        for b in a + 1..levels.len() {
            for game in 0..args.games {
                let seed = args.seed.wrapping_add(game as u64 / 2);
                if game % 2 == 0 {
                    jobs.push((a, b, seed));
                } else {
                    jobs.push((b, a, seed));
                }
            }
        }
    }
    let winners = run_parallel(&jobs, args.threads, |(first, second, seed)| {
        let outcome = play_game(
            *seed,
            &[levels[*first], levels[*second]],
            args.max_turns,
            false,
        )?;
        Ok(if outcome.winner_seat == 0 {
            (*first, *second)
        } else {
            (*second, *first)
        })
    })?;
    let n = levels.len();
    let mut wins = vec![vec![0u64; n]; n];
    for (winner, loser) in winners {
        wins[winner][loser] += 1;
    }
    crate::out::print(&report(&levels, &wins, args))?;
    Ok(())
}

fn report(levels: &[BotLevel], wins: &[Vec<u64>], args: &TournamentArgs) -> String {
    use std::fmt::Write;
    let n = levels.len();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "round robin: {} levels, {} games per pair (duplicate seeds from {}), max {} turns",
        n, args.games, args.seed, args.max_turns
    );
    let ratings = elo(wins);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| ratings[*b].total_cmp(&ratings[*a]));
    let _ = writeln!(
        out,
        "\n  level         elo   wins/games   win rate [95% Wilson]"
    );
    for &i in &order {
        let won: u64 = wins[i].iter().sum();
        let played: u64 = (0..n).map(|j| wins[i][j] + wins[j][i]).sum();
        let (low, high) = wilson(won, played);
        let _ = writeln!(
            out,
            "  {:<10} {:>6.0}   {:>5}/{:<5}   {:>5.1}% [{:>5.1}%, {:>5.1}%]",
            levels[i].as_str(),
            ratings[i],
            won,
            played,
            100.0 * won as f64 / played.max(1) as f64,
            100.0 * low,
            100.0 * high
        );
    }
    let _ = writeln!(out, "\nwin rate of the row against the column");
    let _ = write!(out, "  {:<10}", "");
    for level in levels {
        let _ = write!(out, " {:>9}", level.as_str());
    }
    let _ = writeln!(out);
    for (i, level) in levels.iter().enumerate() {
        let _ = write!(out, "  {:<10}", level.as_str());
        for (j, won) in wins[i].iter().enumerate() {
            if i == j {
                let _ = write!(out, " {:>9}", "-");
            } else {
                let games = won + wins[j][i];
                let _ = write!(out, " {:>8.1}%", 100.0 * *won as f64 / games.max(1) as f64);
            }
        }
        let _ = writeln!(out);
    }
    out
}
