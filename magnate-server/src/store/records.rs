//! Listing the games that have a record (for `magnate export --list`).

use super::{Store, StoreError};

/// A game with a stored record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedGame {
    /// The game id.
    pub id: i64,
    /// Creation time, as stored.
    pub created_at: String,
    /// Whether end-of-game bookkeeping has run.
    pub finished: bool,
    /// Number of recorded inputs.
    pub inputs: i64,
    /// Usernames of the participants, in id order.
    pub players: Vec<String>,
}

impl Store {
    /// Every game that has a record header, oldest first.
    pub async fn recorded_games(&self) -> Result<Vec<RecordedGame>, StoreError> {
        self.call(|connection| {
            let mut games = connection.prepare(
                "SELECT g.id, g.created_at, g.finished,
                        (SELECT COUNT(*) FROM game_records r WHERE r.game_id = g.id)
                 FROM games g WHERE g.setup IS NOT NULL ORDER BY g.id",
            )?;
            let rows = games
                .query_map([], |row| {
                    Ok(RecordedGame {
                        id: row.get(0)?,
                        created_at: row.get(1)?,
                        finished: row.get(2)?,
                        inputs: row.get(3)?,
                        players: Vec::new(),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut names = connection.prepare(
                "SELECT u.username FROM player_game_statistics s JOIN users u ON u.id = s.user_id
                 WHERE s.game_id = ?1 ORDER BY u.id",
            )?;
            let mut listed = Vec::with_capacity(rows.len());
            for mut game in rows {
                game.players = names
                    .query_map([game.id], |row| row.get(0))?
                    .collect::<Result<Vec<String>, _>>()?;
                listed.push(game);
            }
            Ok(listed)
        })
        .await
    }
}
