//! Small statistics: Wilson intervals, mean and spread, Bradley–Terry Elo.

/// The 95 % Wilson score interval of `wins` out of `n`, as fractions.
pub fn wilson(wins: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n = n as f64;
    let p = wins as f64 / n;
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * ((p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / denominator;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Mean and (population) standard deviation.
pub fn mean_sd(values: &[u64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().map(|v| *v as f64).sum::<f64>() / n;
    let variance = values
        .iter()
        .map(|v| (*v as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, variance.sqrt())
}

/// Elo ratings (mean 1500) fitted by maximum likelihood of the Bradley–Terry model to
/// `wins[i][j]` = games `i` won against `j`. Uses the MM iteration with a tiny prior (half a win
/// against every opponent) so that unbeaten players get a finite rating.
pub fn elo(wins: &[Vec<u64>]) -> Vec<f64> {
    let n = wins.len();
    let prior = 0.5;
    let mut strength = vec![1.0f64; n];
    for _ in 0..500 {
        let mut next = vec![0.0; n];
        for i in 0..n {
            let won: f64 = (0..n)
                .filter(|&j| j != i)
                .map(|j| wins[i][j] as f64 + prior)
                .sum();
            let denominator: f64 = (0..n)
                .filter(|&j| j != i)
                .map(|j| (wins[i][j] + wins[j][i]) as f64 + 2.0 * prior)
                .zip((0..n).filter(|&j| j != i))
                .map(|(games, j)| games / (strength[i] + strength[j]))
                .sum();
            next[i] = if denominator > 0.0 {
                won / denominator
            } else {
                strength[i]
            };
        }
        let log_mean = next.iter().map(|s| s.ln()).sum::<f64>() / n as f64;
        strength = next.iter().map(|s| s / log_mean.exp()).collect();
    }
    strength
        .iter()
        .map(|s| 1500.0 + 400.0 * s.log10())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_contains_the_proportion() {
        let (low, high) = wilson(70, 100);
        assert!(low < 0.7 && 0.7 < high);
        assert!(
            (low - 0.604).abs() < 0.01 && (high - 0.781).abs() < 0.01,
            "{low} {high}"
        );
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }

    #[test]
    fn elo_orders_players_by_strength() {
        // 0 beats 1 three times out of four; 1 beats 2 likewise.
        let ratings = elo(&[vec![0, 30, 40], vec![10, 0, 30], vec![0, 10, 0]]);
        assert!(
            ratings[0] > ratings[1] && ratings[1] > ratings[2],
            "{ratings:?}"
        );
        let mean = ratings.iter().sum::<f64>() / 3.0;
        assert!((mean - 1500.0).abs() < 30.0, "{mean}");
    }

    #[test]
    fn mean_and_spread() {
        assert_eq!(mean_sd(&[2, 4, 4, 4, 5, 5, 7, 9]), (5.0, 2.0));
    }
}
