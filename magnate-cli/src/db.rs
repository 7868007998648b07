//! Read-only access to a server's SQLite database: the games that have a record, and each
//! record (docs/record-format.md#how-the-server-stores-records). The CLI opens the file
//! read-only, never migrates or writes it, and refuses a schema it does not know.

use std::path::Path;

use anyhow::{bail, Context, Result};
use magnate_core::{GameRecord, RecordEntry};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// The newest server schema (`PRAGMA user_version`) whose record tables this reader knows.
/// A unit test keeps it equal to the server's schema version, so a new migration is reviewed here.
pub const KNOWN_SCHEMA: i64 = 1;

/// A server database opened read-only.
pub struct Database {
    connection: Connection,
}

/// A game that has a record.
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

/// A stored record and whether the server finished its game.
pub struct StoredGame {
    /// Header and entries.
    pub record: GameRecord,
    /// Whether end-of-game bookkeeping has run.
    pub finished: bool,
}

impl Database {
    /// Opens `path` read-only; refuses a missing file and an unknown schema.
    pub fn open(path: &Path) -> Result<Database> {
        if !path.exists() {
            bail!(
                "{} does not exist: give the server's database file with --db",
                path.display()
            );
        }
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open the database {}", path.display()))?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .with_context(|| format!("{} is not a SQLite database", path.display()))?;
        if !(1..=KNOWN_SCHEMA).contains(&version) {
            bail!(
                "cannot open the database {}: database schema version {version}, this build reads \
                 version {KNOWN_SCHEMA} (is it a Magnate server database, and is this magnate as \
                 new as the server?)",
                path.display()
            );
        }
        Ok(Database { connection })
    }

    /// Every game that has a record header, oldest first.
    pub fn recorded_games(&self) -> Result<Vec<RecordedGame>> {
        let mut games = self.connection.prepare(
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
        let mut names = self.connection.prepare(
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
    }

    /// The record of game `id`, read with `magnate_protocol::record` (every format version).
    pub fn load(&self, id: i64) -> Result<StoredGame> {
        let row: Option<(Option<String>, bool)> = self
            .connection
            .query_row(
                "SELECT setup, finished FROM games WHERE id = ?1",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((Some(header), finished)) = row else {
            bail!("no record for game {id}; `magnate export --db ... --list` lists the games");
        };
        let header = magnate_protocol::record::parse_header(&header)
            .with_context(|| format!("game {id}: unreadable record header"))?;
        let mut statement = self
            .connection
            .prepare("SELECT seq, input FROM game_records WHERE game_id = ?1 ORDER BY seq")?;
        let entries = statement
            .query_map([id], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?
            .map(|row| {
                let (seq, text) = row?;
                magnate_protocol::record::parse_entry(&text)
                    .with_context(|| format!("game {id}: unreadable record entry {seq}"))
            })
            .collect::<Result<Vec<RecordEntry>>>()?;
        Ok(StoredGame {
            record: GameRecord { header, entries },
            finished,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reader_knows_the_servers_newest_schema() {
        assert_eq!(super::KNOWN_SCHEMA, magnate_server::store::SCHEMA_VERSION);
    }
}
