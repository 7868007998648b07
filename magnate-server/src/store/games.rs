//! Games, participants, summaries and end-of-game bookkeeping (docs/protocol.md).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use super::{pg, read_timestamp, GameId, Store, StoreError, UserId};
use crate::{clock::format_datetime, config::Rewards};

/// A game to create.
#[derive(Debug, Clone)]
pub struct NewGame {
    /// Creation time (`start_date` of the summary).
    pub created_at: DateTime<Utc>,
    /// Participants in seat order, humans and bots.
    pub players: Vec<UserId>,
    /// Whether the game comes from a private room.
    pub is_private: bool,
}

/// The outcome of a game, handed to [`Store::finish_game`] by the live-game code.
#[derive(Debug, Clone)]
pub struct GameResult {
    /// The game.
    pub game_id: GameId,
    /// When the game was finalized (`end_date` of the summary).
    pub ended_at: DateTime<Utc>,
    /// The player who won, if any; must be one of `survivors`.
    pub winner: Option<UserId>,
    /// Players still in the game at the end with their net worth after the end bonuses.
    /// Every other participant counts as eliminated and gets 0 in the summary.
    pub survivors: Vec<(UserId, i64)>,
}

/// A stored game summary; serializes to the wire shape of R14.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GameSummary {
    /// The summary's own id.
    pub id: i64,
    /// The game id.
    pub game: GameId,
    /// Game creation time.
    #[serde(serialize_with = "serialize_datetime")]
    pub start_date: DateTime<Utc>,
    /// Finalization time.
    #[serde(serialize_with = "serialize_datetime")]
    pub end_date: DateTime<Utc>,
    /// Username to final net worth (0 for eliminated players).
    pub final_money: BTreeMap<String, i64>,
}

fn serialize_datetime<S: serde::Serializer>(
    time: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_datetime(*time))
}

/// Result of [`Store::summary_for`], in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SummaryLookup {
    /// The game is unknown or not finished.
    NoSummary,
    /// The caller has no statistics row for the game.
    NotParticipant,
    /// The summary.
    Found(GameSummary),
}

pub(super) struct Participant {
    pub(super) id: UserId,
    pub(super) username: String,
    pub(super) is_bot: bool,
    pub(super) elo: i64,
}

impl Store {
    /// Creates a game with its players: one `game_players` row and one zeroed statistics row per
    /// participant, and `active_game` set for each (docs/protocol.md).
    pub async fn create_game(&self, new_game: NewGame) -> Result<GameId, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::games::create_game(pg, new_game).await;
        }
        self.call(move |connection| {
            let transaction = connection.transaction()?;
            let game_id = create_game_in(&transaction, &new_game)?;
            transaction.commit()?;
            Ok(game_id)
        })
        .await
    }

    /// Removes an eliminated player from the game's current players and clears their active
    /// game. Their statistics row is kept, so the game stays in their games-played list.
    pub async fn eliminate_player(
        &self,
        game_id: GameId,
        user_id: UserId,
    ) -> Result<(), StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::games::eliminate_player(pg, game_id, user_id).await;
        }
        self.call(move |connection| {
            let transaction = connection.transaction()?;
            let removed = transaction.execute(
                "DELETE FROM game_players WHERE game_id = ?1 AND user_id = ?2",
                [game_id, user_id],
            )?;
            if removed == 0 {
                return Err(StoreError::NotAParticipant {
                    game: game_id,
                    user: user_id,
                });
            }
            transaction.execute(
                "UPDATE users SET active_game_id = NULL WHERE id = ?1 AND active_game_id = ?2",
                [user_id, game_id],
            )?;
            transaction.commit()?;
            Ok(())
        })
        .await
    }

    /// Finalizes a game in one transaction (docs/protocol.md steps 1, 3, 4 and 5): marks it
    /// finished,
    /// writes the summary, updates the human participants' counters and rewards, and deactivates
    /// its bots. A game is finalized once; a second call fails with
    /// [`StoreError::GameAlreadyFinished`] and changes nothing.
    pub async fn finish_game(
        &self,
        result: GameResult,
        rewards: Rewards,
    ) -> Result<GameSummary, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::games::finish_game(pg, result, rewards).await;
        }
        self.call(move |connection| {
            let transaction = connection.transaction()?;
            let summary = finish_game_in(&transaction, &result, rewards)?;
            transaction.commit()?;
            Ok(summary)
        })
        .await
    }

    /// The summary of `game_id` for `user_id` (R14).
    pub async fn summary_for(
        &self,
        game_id: GameId,
        user_id: UserId,
    ) -> Result<SummaryLookup, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::games::summary_for(pg, game_id, user_id).await;
        }
        self.call(move |connection| {
            let row: Option<(i64, String, String, String)> = connection
                .query_row(
                    "SELECT id, start_date, end_date, final_money FROM game_summaries \
                     WHERE game_id = ?1",
                    [game_id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()?;
            let Some((id, start_date, end_date, final_money)) = row else {
                return Ok(SummaryLookup::NoSummary);
            };
            let took_part = connection
                .query_row(
                    "SELECT 1 FROM player_game_statistics WHERE game_id = ?1 AND user_id = ?2",
                    [game_id, user_id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !took_part {
                return Ok(SummaryLookup::NotParticipant);
            }
            Ok(SummaryLookup::Found(GameSummary {
                id,
                game: game_id,
                start_date: read_timestamp("game_summaries.start_date", start_date)?,
                end_date: read_timestamp("game_summaries.end_date", end_date)?,
                final_money: serde_json::from_str(&final_money)?,
            }))
        })
        .await
    }

    /// Whether the game is marked finished; `None` if it does not exist.
    pub async fn is_game_finished(&self, game_id: GameId) -> Result<Option<bool>, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::games::is_game_finished(pg, game_id).await;
        }
        self.call(move |connection| {
            Ok(connection
                .query_row(
                    "SELECT finished FROM games WHERE id = ?1",
                    [game_id],
                    |row| row.get(0),
                )
                .optional()?)
        })
        .await
    }
}

/// The body of [`Store::create_game`], for callers that add more rows in the same transaction.
pub(super) fn create_game_in(
    transaction: &Transaction<'_>,
    new_game: &NewGame,
) -> Result<GameId, StoreError> {
    transaction.execute(
        "INSERT INTO games (created_at, is_private) VALUES (?1, ?2)",
        params![format_datetime(new_game.created_at), new_game.is_private],
    )?;
    let game_id = transaction.last_insert_rowid();
    for (seat, user_id) in new_game.players.iter().enumerate() {
        let updated = transaction.execute(
            "UPDATE users SET active_game_id = ?2, current_private_room = NULL WHERE id = ?1",
            [*user_id, game_id],
        )?;
        if updated == 0 {
            return Err(StoreError::UserNotFound(*user_id));
        }
        transaction.execute(
            "INSERT INTO game_players (game_id, user_id, seat) VALUES (?1, ?2, ?3)",
            params![game_id, user_id, seat as i64],
        )?;
        transaction.execute(
            "INSERT INTO player_game_statistics (user_id, game_id) VALUES (?1, ?2)",
            [*user_id, game_id],
        )?;
    }
    Ok(game_id)
}

fn finish_game_in(
    transaction: &Transaction<'_>,
    result: &GameResult,
    rewards: Rewards,
) -> Result<GameSummary, StoreError> {
    let game_id = result.game_id;
    let game: Option<(String, bool)> = transaction
        .query_row(
            "SELECT created_at, finished FROM games WHERE id = ?1",
            [game_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((created_at, finished)) = game else {
        return Err(StoreError::GameNotFound(game_id));
    };
    if finished {
        return Err(StoreError::GameAlreadyFinished(game_id));
    }

    let mut statement = transaction.prepare(
        "SELECT u.id, u.username, u.is_bot, u.elo FROM player_game_statistics s \
         JOIN users u ON u.id = s.user_id WHERE s.game_id = ?1 ORDER BY u.id",
    )?;
    let participants = statement
        .query_map([game_id], |row| {
            Ok(Participant {
                id: row.get(0)?,
                username: row.get(1)?,
                is_bot: row.get(2)?,
                elo: row.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    drop(statement);

    let plan = plan_finish(&participants, result, rewards)?;
    let ended_at = format_datetime(result.ended_at);
    transaction.execute(
        "UPDATE games SET finished = 1, ended_at = ?2, auction_deadline = NULL, \
         next_phase_deadline = NULL, next_phase_user = NULL, kick_out_deadline = NULL \
         WHERE id = ?1",
        params![game_id, ended_at],
    )?;
    transaction.execute(
        "INSERT INTO game_summaries (game_id, start_date, end_date, final_money) \
         VALUES (?1, ?2, ?3, ?4)",
        params![
            game_id,
            created_at,
            ended_at,
            serde_json::to_string(&plan.final_money)?
        ],
    )?;
    let summary_id = transaction.last_insert_rowid();
    // Bots are retired rather than deleted so their statistics survive (docs/protocol.md
    // step 5).
    for bot in &plan.bots {
        transaction.execute(
            "UPDATE users SET is_active = 0, active_game_id = NULL WHERE id = ?1",
            [*bot],
        )?;
    }
    for human in &plan.humans {
        transaction.execute(
            "UPDATE users SET num_played_games = num_played_games + 1, \
             num_won_games = num_won_games + ?2, \
             points = MAX(0, points + ?3), exp = MAX(0, exp + ?4), elo = MAX(0, elo + ?5), \
             active_game_id = CASE WHEN active_game_id = ?6 THEN NULL ELSE active_game_id END \
             WHERE id = ?1",
            params![
                human.id,
                i64::from(human.won),
                human.points,
                human.exp,
                human.elo,
                game_id
            ],
        )?;
    }

    Ok(GameSummary {
        id: summary_id,
        game: game_id,
        start_date: read_timestamp("games.created_at", created_at)?,
        end_date: result.ended_at,
        final_money: plan.final_money,
    })
}

/// What finishing a game writes, worked out once for both backends.
pub(super) struct FinishPlan {
    /// The summary's `final_money`: every participant's final worth (0 when eliminated).
    pub(super) final_money: BTreeMap<String, i64>,
    /// Bots to retire.
    pub(super) bots: Vec<UserId>,
    /// Each human's counters.
    pub(super) humans: Vec<HumanResult>,
}

/// One human's end-of-game counters.
pub(super) struct HumanResult {
    pub(super) id: UserId,
    pub(super) won: bool,
    pub(super) points: i64,
    pub(super) exp: i64,
    pub(super) elo: i64,
}

/// Checks that the result names only participants (and the winner among the survivors) and
/// works out the summary and every participant's counters.
pub(super) fn plan_finish(
    participants: &[Participant],
    result: &GameResult,
    rewards: Rewards,
) -> Result<FinishPlan, StoreError> {
    let game_id = result.game_id;
    let participant_ids: HashSet<UserId> = participants.iter().map(|p| p.id).collect();
    let survivors: HashMap<UserId, i64> = result.survivors.iter().copied().collect();
    if let Some(user) = survivors
        .keys()
        .chain(result.winner.iter())
        .find(|user| !participant_ids.contains(user))
    {
        return Err(StoreError::NotAParticipant {
            game: game_id,
            user: *user,
        });
    }
    if let Some(winner) = result.winner {
        if !survivors.contains_key(&winner) {
            return Err(StoreError::NotAParticipant {
                game: game_id,
                user: winner,
            });
        }
    }
    let final_money = participants
        .iter()
        .map(|p| {
            (
                p.username.clone(),
                survivors.get(&p.id).copied().unwrap_or(0),
            )
        })
        .collect();
    let elo_changes = elo_changes(participants, result.winner, rewards.elo_k);
    let (bots, humans): (Vec<&Participant>, Vec<&Participant>) =
        participants.iter().partition(|p| p.is_bot);
    Ok(FinishPlan {
        final_money,
        bots: bots.iter().map(|p| p.id).collect(),
        humans: humans
            .iter()
            .map(|p| {
                let won = result.winner == Some(p.id);
                HumanResult {
                    id: p.id,
                    won,
                    points: rewards.points_play + if won { rewards.points_win } else { 0 },
                    exp: rewards.exp_play + if won { rewards.exp_win } else { 0 },
                    elo: elo_changes.get(&p.id).copied().unwrap_or(0),
                }
            })
            .collect(),
    })
}

/// Elo changes for the human participants: the winner plays one rated match against each other
/// human, and each of those loses one. Ratings are the stored pre-game values.
pub(super) fn elo_changes(
    participants: &[Participant],
    winner: Option<UserId>,
    k_factor: i64,
) -> HashMap<UserId, i64> {
    let mut changes = HashMap::new();
    let Some(winner) = winner else {
        return changes;
    };
    if k_factor == 0 {
        return changes;
    }
    let Some(winner_elo) = participants
        .iter()
        .find(|p| p.id == winner && !p.is_bot)
        .map(|p| p.elo)
    else {
        return changes;
    };
    let k_factor = k_factor as f64;
    let mut winner_gain = 0.0;
    for loser in participants.iter().filter(|p| p.id != winner && !p.is_bot) {
        let expected_win = 1.0 / (1.0 + 10f64.powf((loser.elo - winner_elo) as f64 / 400.0));
        winner_gain += k_factor * (1.0 - expected_win);
        // The loser's expected score is 1 - expected_win and the actual score 0.
        changes.insert(loser.id, (-k_factor * (1.0 - expected_win)).round() as i64);
    }
    changes.insert(winner, winner_gain.round() as i64);
    changes
}
