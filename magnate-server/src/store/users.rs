//! Users: accounts, profiles, pieces.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};

use super::{pg, read_timestamp, GameId, Store, StoreError, UserId};
use crate::clock::format_datetime;

/// A user row as the server needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Database id (`pk` on the wire).
    pub id: UserId,
    /// Case-sensitive unique name.
    pub username: String,
    /// Password hash in PHC format; `None` for accounts that cannot log in.
    pub password_hash: Option<String>,
    /// Registration time.
    pub date_joined: DateTime<Utc>,
    /// Whether the account may authenticate.
    pub is_active: bool,
    /// Whether the account is a bot.
    pub is_bot: bool,
    /// Bot difficulty, for bots.
    pub bot_level: Option<String>,
    /// Shop currency.
    pub points: i64,
    /// Experience.
    pub exp: i64,
    /// Rating.
    pub elo: i64,
    /// Finished games played.
    pub num_played_games: i64,
    /// Finished games won.
    pub num_won_games: i64,
    /// `custom_id` of the equipped piece.
    pub user_piece: i64,
    /// Game the user is playing, if any.
    pub active_game_id: Option<GameId>,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Already trimmed and validated name.
    pub username: String,
    /// Password hash, or `None` for an account without a usable password (bots).
    pub password_hash: Option<String>,
    /// Bot difficulty; `Some` makes the account a bot.
    pub bot_level: Option<String>,
    /// Registration time.
    pub date_joined: DateTime<Utc>,
}

/// Result of [`Store::create_user`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateUserOutcome {
    /// The user was created.
    Created(User),
    /// Another user already has this exact name.
    UsernameTaken,
}

/// Result of [`Store::change_piece`], in the order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangePieceOutcome {
    /// The piece is now equipped.
    Changed,
    /// No item has this `custom_id`.
    ItemNotFound,
    /// The item is an emoji.
    NotAPiece,
    /// The user does not own the piece.
    NotOwned,
}

const USER_COLUMNS: &str =
    "id, username, password_hash, date_joined, is_active, is_bot, bot_level, \
     points, exp, elo, num_played_games, num_won_games, user_piece, active_game_id";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<(User, String)> {
    let date_joined: String = row.get(3)?;
    Ok((
        User {
            id: row.get(0)?,
            username: row.get(1)?,
            password_hash: row.get(2)?,
            date_joined: DateTime::<Utc>::MIN_UTC,
            is_active: row.get(4)?,
            is_bot: row.get(5)?,
            bot_level: row.get(6)?,
            points: row.get(7)?,
            exp: row.get(8)?,
            elo: row.get(9)?,
            num_played_games: row.get(10)?,
            num_won_games: row.get(11)?,
            user_piece: row.get(12)?,
            active_game_id: row.get(13)?,
        },
        date_joined,
    ))
}

fn finish_user(parts: (User, String)) -> Result<User, StoreError> {
    let (mut user, date_joined) = parts;
    user.date_joined = read_timestamp("users.date_joined", date_joined)?;
    Ok(user)
}

pub(super) fn user_by_id(connection: &Connection, id: UserId) -> Result<Option<User>, StoreError> {
    connection
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [id],
            user_from_row,
        )
        .optional()?
        .map(finish_user)
        .transpose()
}

impl Store {
    /// Creates a user with zeroed counters, piece 1 and no items.
    pub async fn create_user(&self, new_user: NewUser) -> Result<CreateUserOutcome, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::users::create_user(pg, new_user).await;
        }
        self.call(move |connection| {
            let inserted = connection.execute(
                "INSERT INTO users (username, password_hash, date_joined, is_bot, bot_level) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    new_user.username,
                    new_user.password_hash,
                    format_datetime(new_user.date_joined),
                    new_user.bot_level.is_some(),
                    new_user.bot_level,
                ],
            );
            match inserted {
                Ok(_) => {
                    let id = connection.last_insert_rowid();
                    let user = user_by_id(connection, id)?.ok_or(StoreError::UserNotFound(id))?;
                    Ok(CreateUserOutcome::Created(user))
                }
                Err(rusqlite::Error::SqliteFailure(error, _))
                    if error.code == ErrorCode::ConstraintViolation =>
                {
                    Ok(CreateUserOutcome::UsernameTaken)
                }
                Err(error) => Err(error.into()),
            }
        })
        .await
    }

    /// Whether a user with exactly this name exists.
    pub async fn username_exists(&self, username: String) -> Result<bool, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::users::username_exists(pg, username).await;
        }
        self.call(move |connection| {
            Ok(connection
                .query_row(
                    "SELECT 1 FROM users WHERE username = ?1",
                    [username],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
        .await
    }

    /// The user with this id.
    pub async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::users::user(pg, id).await;
        }
        self.call(move |connection| user_by_id(connection, id))
            .await
    }

    /// The user with exactly this name.
    pub async fn user_by_username(&self, username: String) -> Result<Option<User>, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::users::user_by_username(pg, username).await;
        }
        self.call(move |connection| {
            connection
                .query_row(
                    &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
                    [username],
                    user_from_row,
                )
                .optional()?
                .map(finish_user)
                .transpose()
        })
        .await
    }

    /// Replaces a user's password hash (used to upgrade hashes on login).
    pub async fn set_password_hash(&self, id: UserId, hash: String) -> Result<(), StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::users::set_password_hash(pg, id, hash).await;
        }
        self.call(move |connection| {
            connection.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![id, hash],
            )?;
            Ok(())
        })
        .await
    }

    /// Activates or deactivates an account.
    pub async fn set_active(&self, id: UserId, is_active: bool) -> Result<(), StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::users::set_active(pg, id, is_active).await;
        }
        self.call(move |connection| {
            let changed = connection.execute(
                "UPDATE users SET is_active = ?2 WHERE id = ?1",
                params![id, is_active],
            )?;
            if changed == 0 {
                return Err(StoreError::UserNotFound(id));
            }
            Ok(())
        })
        .await
    }

    /// Adds `amount` shop points to a user (negative amounts remove points, never below 0).
    /// Returns the new balance.
    pub async fn grant_points(&self, id: UserId, amount: i64) -> Result<i64, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::users::grant_points(pg, id, amount).await;
        }
        self.call(move |connection| {
            connection
                .query_row(
                    "UPDATE users SET points = MAX(0, points + ?2) WHERE id = ?1 RETURNING points",
                    params![id, amount],
                    |row| row.get(0),
                )
                .optional()?
                .ok_or(StoreError::UserNotFound(id))
        })
        .await
    }

    /// Equips the piece with `custom_id` if the user owns it.
    pub async fn change_piece(
        &self,
        user_id: UserId,
        custom_id: i64,
    ) -> Result<ChangePieceOutcome, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::users::change_piece(pg, user_id, custom_id).await;
        }
        self.call(move |connection| {
            let transaction = connection.transaction()?;
            let item: Option<(i64, String)> = transaction
                .query_row(
                    "SELECT id, item_type FROM items WHERE custom_id = ?1",
                    [custom_id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let Some((item_id, item_type)) = item else {
                return Ok(ChangePieceOutcome::ItemNotFound);
            };
            if item_type != "piece" {
                return Ok(ChangePieceOutcome::NotAPiece);
            }
            let owned = transaction
                .query_row(
                    "SELECT 1 FROM user_items WHERE user_id = ?1 AND item_id = ?2",
                    [user_id, item_id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !owned {
                return Ok(ChangePieceOutcome::NotOwned);
            }
            transaction.execute(
                "UPDATE users SET user_piece = ?2 WHERE id = ?1",
                [user_id, custom_id],
            )?;
            transaction.commit()?;
            Ok(ChangePieceOutcome::Changed)
        })
        .await
    }

    /// Ids of every game the user has a statistics row for, ascending.
    pub async fn games_played(&self, user_id: UserId) -> Result<Vec<GameId>, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::users::games_played(pg, user_id).await;
        }
        self.call(move |connection| {
            let mut statement = connection.prepare(
                "SELECT game_id FROM player_game_statistics WHERE user_id = ?1 ORDER BY game_id",
            )?;
            let ids = statement
                .query_map([user_id], |row| row.get(0))?
                .collect::<Result<Vec<GameId>, _>>()?;
            Ok(ids)
        })
        .await
    }
}
