//! Users on PostgreSQL (mirrors `store/users.rs`).

use tokio_postgres::{GenericClient, Row};

use super::{flag, is_unique_violation, Postgres};
use crate::{
    clock::format_datetime,
    store::{
        read_timestamp, ChangePieceOutcome, CreateUserOutcome, GameId, NewUser, StoreError, User,
        UserId,
    },
};

const USER_COLUMNS: &str =
    "id, username, password_hash, date_joined, is_active, is_bot, bot_level, \
     points, exp, elo, num_played_games, num_won_games, user_piece, active_game_id";

fn user_from_row(row: &Row) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get(0)?,
        username: row.try_get(1)?,
        password_hash: row.try_get(2)?,
        date_joined: read_timestamp("users.date_joined", row.try_get(3)?)?,
        is_active: flag(row.try_get(4)?),
        is_bot: flag(row.try_get(5)?),
        bot_level: row.try_get(6)?,
        points: row.try_get(7)?,
        exp: row.try_get(8)?,
        elo: row.try_get(9)?,
        num_played_games: row.try_get(10)?,
        num_won_games: row.try_get(11)?,
        user_piece: row.try_get(12)?,
        active_game_id: row.try_get(13)?,
    })
}

pub(crate) async fn user_by_id(
    client: &impl GenericClient,
    id: UserId,
) -> Result<Option<User>, StoreError> {
    client
        .query_opt(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
            &[&id],
        )
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
}

pub(crate) async fn create_user(
    pg: &Postgres,
    new_user: NewUser,
) -> Result<CreateUserOutcome, StoreError> {
    let client = pg.client().await?;
    let inserted = client
        .query_one(
            "INSERT INTO users (username, password_hash, date_joined, is_bot, bot_level) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[
                &new_user.username,
                &new_user.password_hash,
                &format_datetime(new_user.date_joined),
                &i64::from(new_user.bot_level.is_some()),
                &new_user.bot_level,
            ],
        )
        .await;
    match inserted {
        Ok(row) => {
            let id: UserId = row.try_get(0)?;
            let user = user_by_id(&**client, id)
                .await?
                .ok_or(StoreError::UserNotFound(id))?;
            Ok(CreateUserOutcome::Created(user))
        }
        // Two registrations of one name race to the unique index; the loser sees this.
        Err(error) if is_unique_violation(&error) => Ok(CreateUserOutcome::UsernameTaken),
        Err(error) => Err(error.into()),
    }
}

pub(crate) async fn username_exists(pg: &Postgres, username: String) -> Result<bool, StoreError> {
    let client = pg.client().await?;
    Ok(client
        .query_opt("SELECT 1 FROM users WHERE username = $1", &[&username])
        .await?
        .is_some())
}

pub(crate) async fn user(pg: &Postgres, id: UserId) -> Result<Option<User>, StoreError> {
    let client = pg.client().await?;
    user_by_id(&**client, id).await
}

pub(crate) async fn user_by_username(
    pg: &Postgres,
    username: String,
) -> Result<Option<User>, StoreError> {
    let client = pg.client().await?;
    client
        .query_opt(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"),
            &[&username],
        )
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
}

pub(crate) async fn set_password_hash(
    pg: &Postgres,
    id: UserId,
    hash: String,
) -> Result<(), StoreError> {
    let client = pg.client().await?;
    client
        .execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            &[&id, &hash],
        )
        .await?;
    Ok(())
}

pub(crate) async fn set_active(
    pg: &Postgres,
    id: UserId,
    is_active: bool,
) -> Result<(), StoreError> {
    let client = pg.client().await?;
    let changed = client
        .execute(
            "UPDATE users SET is_active = $2 WHERE id = $1",
            &[&id, &i64::from(is_active)],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::UserNotFound(id));
    }
    Ok(())
}

pub(crate) async fn grant_points(
    pg: &Postgres,
    id: UserId,
    amount: i64,
) -> Result<i64, StoreError> {
    let client = pg.client().await?;
    client
        .query_opt(
            "UPDATE users SET points = GREATEST(0, points + $2) WHERE id = $1 RETURNING points",
            &[&id, &amount],
        )
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .ok_or(StoreError::UserNotFound(id))
}

pub(crate) async fn change_piece(
    pg: &Postgres,
    user_id: UserId,
    custom_id: i64,
) -> Result<ChangePieceOutcome, StoreError> {
    let mut client = pg.client().await?;
    let transaction = client.transaction().await?;
    let item = transaction
        .query_opt(
            "SELECT id, item_type FROM items WHERE custom_id = $1",
            &[&custom_id],
        )
        .await?;
    let Some(item) = item else {
        return Ok(ChangePieceOutcome::ItemNotFound);
    };
    let (item_id, item_type): (i64, String) = (item.try_get(0)?, item.try_get(1)?);
    if item_type != "piece" {
        return Ok(ChangePieceOutcome::NotAPiece);
    }
    let owned = transaction
        .query_opt(
            "SELECT 1 FROM user_items WHERE user_id = $1 AND item_id = $2",
            &[&user_id, &item_id],
        )
        .await?
        .is_some();
    if !owned {
        return Ok(ChangePieceOutcome::NotOwned);
    }
    transaction
        .execute(
            "UPDATE users SET user_piece = $2 WHERE id = $1",
            &[&user_id, &custom_id],
        )
        .await?;
    transaction.commit().await?;
    Ok(ChangePieceOutcome::Changed)
}

pub(crate) async fn games_played(
    pg: &Postgres,
    user_id: UserId,
) -> Result<Vec<GameId>, StoreError> {
    let client = pg.client().await?;
    client
        .query(
            "SELECT game_id FROM player_game_statistics WHERE user_id = $1 ORDER BY game_id",
            &[&user_id],
        )
        .await?
        .iter()
        .map(|row| Ok(row.try_get(0)?))
        .collect()
}
