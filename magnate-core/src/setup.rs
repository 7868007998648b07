//! The unvalidated description of a game to create: players, house rules and timers.

use serde::{Deserialize, Serialize};

use crate::ids::PlayerId;
use crate::time::Millis;

/// How many players a game has: [`Setup::validate`] refuses fewer or more.
pub const PLAYER_COUNT: std::ops::RangeInclusive<usize> = 2..=4;

/// Everything needed to create a game. Plain data; [`crate::Game::new`] validates it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    /// Players in joining order (queue order, or room members then bots).
    pub players: Vec<PlayerSpec>,
    /// Rule options.
    #[serde(default)]
    pub rules: HouseRules,
    /// Timer durations.
    #[serde(default)]
    pub timers: TimerSettings,
}

/// One seat of a new game.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerSpec {
    /// The player's id (the platform's user id).
    pub id: PlayerId,
    /// Bots are woken by [`crate::Timer::BotWake`] deadlines when they must act.
    #[serde(default)]
    pub is_bot: bool,
}

/// Rule options. The defaults are the reference's rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HouseRules {
    /// Money each player starts with.
    pub starting_money: i64,
    /// End the game after this many turns; the richest player by net worth wins. `None` (the
    /// reference) means the game only ends when one player is left.
    pub max_turns: Option<u32>,
    /// End-of-game bonus categories (the reference ships none).
    pub bonus_categories: Vec<BonusCategory>,
    /// How many categories are drawn at the end of the game.
    pub bonus_picks: u32,
}

impl Default for HouseRules {
    fn default() -> Self {
        HouseRules {
            starting_money: 1500,
            max_turns: None,
            bonus_categories: Vec::new(),
            bonus_picks: 3,
        }
    }
}

/// Timer durations. The defaults are the reference's values (docs/rules.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimerSettings {
    /// Phase ("next phase") timeout; reference 50 000 s.
    pub phase_timeout: Millis,
    /// Auction duration; reference 20 s.
    pub auction_timeout: Millis,
    /// Optional timeout in `roll_the_dices` that throws the dice for the player (off by default).
    pub roll_timeout: Option<Millis>,
    /// Optional kick-out: a turn player who does nothing for this long is bankrupted (off by default).
    pub kick_out_after: Option<Millis>,
    /// Delay before a bot is woken to act; reference 2 s.
    pub bot_delay: Millis,
    /// Step of the random extra delay of bots in auctions: `bot_delay + below(5) × step`
    /// (reference: 1 s, giving 2–6 s).
    pub bot_auction_jitter: Millis,
}

impl Default for TimerSettings {
    fn default() -> Self {
        TimerSettings {
            phase_timeout: Millis::from_secs(50_000),
            auction_timeout: Millis::from_secs(20),
            roll_timeout: None,
            kick_out_after: None,
            bot_delay: Millis::from_secs(2),
            bot_auction_jitter: Millis::from_secs(1),
        }
    }
}

impl TimerSettings {
    /// Every timer at zero and the optional ones off: what tests and simulations usually want.
    pub fn instant() -> TimerSettings {
        TimerSettings {
            phase_timeout: Millis(0),
            auction_timeout: Millis(0),
            roll_timeout: None,
            kick_out_after: None,
            bot_delay: Millis(0),
            bot_auction_jitter: Millis(0),
        }
    }
}

/// An end-of-game bonus category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BonusCategory {
    /// The statistic compared.
    pub stat_field: StatField,
    /// Money given to each winner.
    pub bonus_amount: i64,
}

/// The statistics a bonus category can reward (docs/rules.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatField {
    /// Squares walked by dice moves.
    WalkedSquares,
    /// Money won.
    WonMoney,
    /// Money lost.
    LostMoney,
    /// Fantasy cards applied.
    NumFantasyEvents,
    /// Building levels built.
    BuiltHouses,
    /// Building levels removed.
    DemolishedHouses,
    /// Times jailed.
    TimesInJail,
    /// Turns spent in jail.
    TurnsInJail,
    /// Rents paid.
    NumPaidRents,
    /// Accepted trades.
    NumTrades,
    /// Mortgages taken.
    NumMortgages,
    /// Being in the game at its end.
    EndGame,
}

impl StatField {
    /// The wire name (`walked_squares`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            StatField::WalkedSquares => "walked_squares",
            StatField::WonMoney => "won_money",
            StatField::LostMoney => "lost_money",
            StatField::NumFantasyEvents => "num_fantasy_events",
            StatField::BuiltHouses => "built_houses",
            StatField::DemolishedHouses => "demolished_houses",
            StatField::TimesInJail => "times_in_jail",
            StatField::TurnsInJail => "turns_in_jail",
            StatField::NumPaidRents => "num_paid_rents",
            StatField::NumTrades => "num_trades",
            StatField::NumMortgages => "num_mortgages",
            StatField::EndGame => "end_game",
        }
    }
}

/// Why a [`Setup`] was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SetupError {
    /// A game needs 2 to 4 players.
    #[error("a game needs 2 to 4 players, got {0}")]
    PlayerCount(usize),
    /// The same player id appears twice.
    #[error("player {0} is listed twice")]
    DuplicatePlayer(PlayerId),
    /// Starting money must not be negative.
    #[error("starting money must not be negative, got {0}")]
    NegativeStartingMoney(i64),
    /// `max_turns` must be at least 1.
    #[error("max_turns must be at least 1")]
    ZeroMaxTurns,
    /// A bonus amount must not be negative.
    #[error("bonus amount for {0:?} must not be negative")]
    NegativeBonus(StatField),
}

impl Setup {
    /// A setup with these players (all human) and the reference's rules and timers.
    pub fn new(players: impl IntoIterator<Item = PlayerId>) -> Setup {
        Setup {
            players: players
                .into_iter()
                .map(|id| PlayerSpec { id, is_bot: false })
                .collect(),
            rules: HouseRules::default(),
            timers: TimerSettings::default(),
        }
    }

    /// Checks the setup; [`crate::Game::new`] calls this.
    pub fn validate(&self) -> Result<(), SetupError> {
        if !PLAYER_COUNT.contains(&self.players.len()) {
            return Err(SetupError::PlayerCount(self.players.len()));
        }
        for (i, player) in self.players.iter().enumerate() {
            if self.players[..i].iter().any(|p| p.id == player.id) {
                return Err(SetupError::DuplicatePlayer(player.id));
            }
        }
        if self.rules.starting_money < 0 {
            return Err(SetupError::NegativeStartingMoney(self.rules.starting_money));
        }
        if self.rules.max_turns == Some(0) {
            return Err(SetupError::ZeroMaxTurns);
        }
        if let Some(bad) = self
            .rules
            .bonus_categories
            .iter()
            .find(|c| c.bonus_amount < 0)
        {
            return Err(SetupError::NegativeBonus(bad.stat_field));
        }
        Ok(())
    }
}
