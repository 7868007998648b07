//! Response shapes shared by several endpoints.

use serde::Serialize;

use crate::{
    clock::format_datetime,
    store::{User, UserId},
};

/// The 9-key `UserProfile` of docs/protocol.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserProfile {
    /// User id.
    #[schema(value_type = i64)]
    pub pk: UserId,
    /// User name.
    pub username: String,
    /// Shop currency.
    pub points: i64,
    /// Experience.
    pub exp: i64,
    /// Rating.
    pub elo: i64,
    /// Registration time, ISO-8601 UTC with microseconds.
    pub date_joined: String,
    /// Finished games played.
    pub num_played_games: i64,
    /// Finished games won.
    pub num_won_games: i64,
    /// `custom_id` of the equipped piece.
    pub user_piece: i64,
}

impl From<&User> for UserProfile {
    fn from(user: &User) -> Self {
        Self {
            pk: user.id,
            username: user.username.clone(),
            points: user.points,
            exp: user.exp,
            elo: user.elo,
            date_joined: format_datetime(user.date_joined),
            num_played_games: user.num_played_games,
            num_won_games: user.num_won_games,
            user_piece: user.user_piece,
        }
    }
}
