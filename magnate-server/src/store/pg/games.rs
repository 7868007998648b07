//! Games, participants, summaries and end-of-game bookkeeping on PostgreSQL (mirrors
//! `store/games.rs`).

use tokio_postgres::GenericClient;

use super::{flag, Postgres};
use crate::{
    clock::format_datetime,
    config::Rewards,
    store::{
        games::{plan_finish, Participant},
        read_timestamp, GameId, GameResult, GameSummary, NewGame, StoreError, SummaryLookup,
        UserId,
    },
};

pub(crate) async fn create_game(pg: &Postgres, new_game: NewGame) -> Result<GameId, StoreError> {
    let mut client = pg.client().await?;
    let transaction = client.transaction().await?;
    let game_id = create_game_in(&*transaction, &new_game).await?;
    transaction.commit().await?;
    Ok(game_id)
}

/// The body of [`create_game`], for callers that add more rows in the same transaction.
pub(crate) async fn create_game_in(
    client: &impl GenericClient,
    new_game: &NewGame,
) -> Result<GameId, StoreError> {
    let game_id: GameId = client
        .query_one(
            "INSERT INTO games (created_at, is_private) VALUES ($1, $2) RETURNING id",
            &[
                &format_datetime(new_game.created_at),
                &i64::from(new_game.is_private),
            ],
        )
        .await?
        .try_get(0)?;
    for (seat, user_id) in new_game.players.iter().enumerate() {
        let updated = client
            .execute(
                "UPDATE users SET active_game_id = $2, current_private_room = NULL WHERE id = $1",
                &[user_id, &game_id],
            )
            .await?;
        if updated == 0 {
            return Err(StoreError::UserNotFound(*user_id));
        }
        client
            .execute(
                "INSERT INTO game_players (game_id, user_id, seat) VALUES ($1, $2, $3)",
                &[&game_id, user_id, &(seat as i64)],
            )
            .await?;
        client
            .execute(
                "INSERT INTO player_game_statistics (user_id, game_id) VALUES ($1, $2)",
                &[user_id, &game_id],
            )
            .await?;
    }
    Ok(game_id)
}

pub(crate) async fn eliminate_player(
    pg: &Postgres,
    game_id: GameId,
    user_id: UserId,
) -> Result<(), StoreError> {
    let mut client = pg.client().await?;
    let transaction = client.transaction().await?;
    let removed = transaction
        .execute(
            "DELETE FROM game_players WHERE game_id = $1 AND user_id = $2",
            &[&game_id, &user_id],
        )
        .await?;
    if removed == 0 {
        return Err(StoreError::NotAParticipant {
            game: game_id,
            user: user_id,
        });
    }
    transaction
        .execute(
            "UPDATE users SET active_game_id = NULL WHERE id = $1 AND active_game_id = $2",
            &[&user_id, &game_id],
        )
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// Finalizes a game in one transaction; the game row is locked first (`FOR UPDATE`), so of two
/// concurrent finalizations the second sees the game finished.
pub(crate) async fn finish_game(
    pg: &Postgres,
    result: GameResult,
    rewards: Rewards,
) -> Result<GameSummary, StoreError> {
    let mut client = pg.client().await?;
    let transaction = client.transaction().await?;
    let game_id = result.game_id;
    let game = transaction
        .query_opt(
            "SELECT created_at, finished FROM games WHERE id = $1 FOR UPDATE",
            &[&game_id],
        )
        .await?;
    let Some(game) = game else {
        return Err(StoreError::GameNotFound(game_id));
    };
    let created_at: String = game.try_get(0)?;
    if flag(game.try_get(1)?) {
        return Err(StoreError::GameAlreadyFinished(game_id));
    }
    let participants = transaction
        .query(
            "SELECT u.id, u.username, u.is_bot, u.elo FROM player_game_statistics s \
             JOIN users u ON u.id = s.user_id WHERE s.game_id = $1 ORDER BY u.id",
            &[&game_id],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(Participant {
                id: row.try_get(0)?,
                username: row.try_get(1)?,
                is_bot: flag(row.try_get(2)?),
                elo: row.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    let plan = plan_finish(&participants, &result, rewards)?;
    let ended_at = format_datetime(result.ended_at);
    transaction
        .execute(
            "UPDATE games SET finished = 1, ended_at = $2, auction_deadline = NULL, \
             next_phase_deadline = NULL, next_phase_user = NULL, kick_out_deadline = NULL \
             WHERE id = $1",
            &[&game_id, &ended_at],
        )
        .await?;
    let summary_id: i64 = transaction
        .query_one(
            "INSERT INTO game_summaries (game_id, start_date, end_date, final_money) \
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[
                &game_id,
                &created_at,
                &ended_at,
                &serde_json::to_string(&plan.final_money)?,
            ],
        )
        .await?
        .try_get(0)?;
    for bot in &plan.bots {
        transaction
            .execute(
                "UPDATE users SET is_active = 0, active_game_id = NULL WHERE id = $1",
                &[bot],
            )
            .await?;
    }
    for human in &plan.humans {
        transaction
            .execute(
                "UPDATE users SET num_played_games = num_played_games + 1, \
                 num_won_games = num_won_games + $2, \
                 points = GREATEST(0, points + $3), exp = GREATEST(0, exp + $4), \
                 elo = GREATEST(0, elo + $5), \
                 active_game_id = CASE WHEN active_game_id = $6 THEN NULL ELSE active_game_id END \
                 WHERE id = $1",
                &[
                    &human.id,
                    &i64::from(human.won),
                    &human.points,
                    &human.exp,
                    &human.elo,
                    &game_id,
                ],
            )
            .await?;
    }
    transaction.commit().await?;

    Ok(GameSummary {
        id: summary_id,
        game: game_id,
        start_date: read_timestamp("games.created_at", created_at)?,
        end_date: result.ended_at,
        final_money: plan.final_money,
    })
}

pub(crate) async fn summary_for(
    pg: &Postgres,
    game_id: GameId,
    user_id: UserId,
) -> Result<SummaryLookup, StoreError> {
    let client = pg.client().await?;
    let row = client
        .query_opt(
            "SELECT id, start_date, end_date, final_money FROM game_summaries WHERE game_id = $1",
            &[&game_id],
        )
        .await?;
    let Some(row) = row else {
        return Ok(SummaryLookup::NoSummary);
    };
    if !took_part(&**client, game_id, user_id).await? {
        return Ok(SummaryLookup::NotParticipant);
    }
    let final_money: String = row.try_get(3)?;
    Ok(SummaryLookup::Found(GameSummary {
        id: row.try_get(0)?,
        game: game_id,
        start_date: read_timestamp("game_summaries.start_date", row.try_get(1)?)?,
        end_date: read_timestamp("game_summaries.end_date", row.try_get(2)?)?,
        final_money: serde_json::from_str(&final_money)?,
    }))
}

pub(crate) async fn took_part(
    client: &impl GenericClient,
    game_id: GameId,
    user_id: UserId,
) -> Result<bool, StoreError> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM player_game_statistics WHERE game_id = $1 AND user_id = $2",
            &[&game_id, &user_id],
        )
        .await?
        .is_some())
}

pub(crate) async fn is_game_finished(
    pg: &Postgres,
    game_id: GameId,
) -> Result<Option<bool>, StoreError> {
    let client = pg.client().await?;
    client
        .query_opt("SELECT finished FROM games WHERE id = $1", &[&game_id])
        .await?
        .map(|row| Ok(flag(row.try_get(0)?)))
        .transpose()
}
