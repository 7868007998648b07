//! Read-only access to a server's database, SQLite or PostgreSQL: the games that have a record,
//! and each record (docs/record-format.md#how-the-server-stores-records). The CLI opens an
//! SQLite file read-only and a PostgreSQL session in read-only mode, never migrates or writes,
//! and refuses a schema it does not know.

use std::{cell::RefCell, path::Path};

use anyhow::{bail, Context, Result};
use magnate_core::{GameRecord, RecordEntry};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// The newest server schema (`PRAGMA user_version`) whose record tables this reader knows.
/// A unit test keeps it equal to the server's schema version, so a new migration is reviewed here.
pub const KNOWN_SCHEMA: i64 = 1;

/// A server database opened read-only.
pub enum Database {
    /// An SQLite file.
    Sqlite(Connection),
    /// A PostgreSQL session (`postgres` needs `&mut` for every query).
    Postgres(Box<RefCell<postgres::Client>>),
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

/// `games.setup` and `games.finished` of one game.
type GameRow = (Option<String>, bool);

const LIST_GAMES: &str = "SELECT g.id, g.created_at, g.finished,
        (SELECT COUNT(*) FROM game_records r WHERE r.game_id = g.id)
     FROM games g WHERE g.setup IS NOT NULL ORDER BY g.id";
const LIST_PLAYERS: &str =
    "SELECT u.username FROM player_game_statistics s JOIN users u ON u.id = s.user_id
     WHERE s.game_id = $1 ORDER BY u.id";
const GAME: &str = "SELECT setup, finished FROM games WHERE id = $1";
const ENTRIES: &str = "SELECT seq, input FROM game_records WHERE game_id = $1 ORDER BY seq";

fn check_version(version: i64, what: &str) -> Result<()> {
    if !(1..=KNOWN_SCHEMA).contains(&version) {
        bail!(
            "cannot open the database {what}: database schema version {version}, this build reads \
             version {KNOWN_SCHEMA} (is it a Magnate server database, and is this magnate as \
             new as the server?)"
        );
    }
    Ok(())
}

/// `scheme://user:secret@host` → `scheme://user:***@host`, for messages.
fn redact(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| {
        let (credentials, host) = rest.split_once('@')?;
        let (user, _) = credentials.split_once(':')?;
        Some(format!("{scheme}://{user}:***@{host}"))
    }) {
        Some(redacted) => redacted,
        None => url.to_owned(),
    }
}

impl Database {
    /// Opens `location`: a `postgres://` (or `postgresql://`) URL, or the path of an SQLite
    /// file (optionally `sqlite:PATH`); refuses a missing file and an unknown schema.
    pub fn open(location: &str) -> Result<Database> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            return Self::open_postgres(location);
        }
        let path = location
            .strip_prefix("sqlite://")
            .or_else(|| location.strip_prefix("sqlite:"))
            .unwrap_or(location);
        Self::open_sqlite(Path::new(path))
    }

    fn open_postgres(url: &str) -> Result<Database> {
        let shown = redact(url);
        let mut client = postgres::Client::connect(url, postgres::NoTls)
            .with_context(|| format!("cannot connect to the database {shown}"))?;
        client
            .batch_execute("SET default_transaction_read_only = on")
            .with_context(|| format!("cannot open the database {shown} read-only"))?;
        let exists: bool = client
            .query_one(
                "SELECT to_regclass('magnate_schema_version') IS NOT NULL",
                &[],
            )?
            .get(0);
        let version: i64 = if exists {
            client
                .query_opt("SELECT version FROM magnate_schema_version", &[])?
                .map_or(0, |row| row.get(0))
        } else {
            0
        };
        check_version(version, &shown)?;
        Ok(Database::Postgres(Box::new(RefCell::new(client))))
    }

    fn open_sqlite(path: &Path) -> Result<Database> {
        if !path.exists() {
            bail!(
                "{} does not exist: give the server's database file (or postgres:// URL) with --db",
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
        check_version(version, &path.display().to_string())?;
        Ok(Database::Sqlite(connection))
    }

    /// Every game that has a record header, oldest first.
    pub fn recorded_games(&self) -> Result<Vec<RecordedGame>> {
        match self {
            Database::Sqlite(connection) => {
                let mut games = connection.prepare(LIST_GAMES)?;
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
                let mut names = connection.prepare(&LIST_PLAYERS.replace('$', "?"))?;
                let mut listed = Vec::with_capacity(rows.len());
                for mut game in rows {
                    game.players = names
                        .query_map([game.id], |row| row.get(0))?
                        .collect::<Result<Vec<String>, _>>()?;
                    listed.push(game);
                }
                Ok(listed)
            }
            Database::Postgres(client) => {
                let mut client = client.borrow_mut();
                let rows = client.query(LIST_GAMES, &[])?;
                let names = client.prepare(LIST_PLAYERS)?;
                let mut listed = Vec::with_capacity(rows.len());
                for row in rows {
                    let id: i64 = row.try_get(0)?;
                    let finished: i64 = row.try_get(2)?;
                    let players = client
                        .query(&names, &[&id])?
                        .iter()
                        .map(|row| row.try_get(0))
                        .collect::<Result<Vec<String>, _>>()?;
                    listed.push(RecordedGame {
                        id,
                        created_at: row.try_get(1)?,
                        finished: finished != 0,
                        inputs: row.try_get(3)?,
                        players,
                    });
                }
                Ok(listed)
            }
        }
    }

    /// The record of game `id`, read with `magnate_protocol::record` (every format version).
    pub fn load(&self, id: i64) -> Result<StoredGame> {
        let (row, texts): (Option<GameRow>, Vec<(i64, String)>) = match self {
            Database::Sqlite(connection) => {
                let row = connection
                    .query_row(&GAME.replace('$', "?"), [id], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })
                    .optional()?;
                let mut statement = connection.prepare(&ENTRIES.replace('$', "?"))?;
                let texts = statement
                    .query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                (row, texts)
            }
            Database::Postgres(client) => {
                let mut client = client.borrow_mut();
                let row = client
                    .query_opt(GAME, &[&id])?
                    .map(|row| -> Result<_> {
                        Ok((row.try_get(0)?, row.try_get::<_, i64>(1)? != 0))
                    })
                    .transpose()?;
                let texts = client
                    .query(ENTRIES, &[&id])?
                    .iter()
                    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                    .collect::<Result<Vec<_>>>()?;
                (row, texts)
            }
        };
        let Some((Some(header), finished)) = row else {
            bail!("no record for game {id}; `magnate export --db ... --list` lists the games");
        };
        let header = magnate_protocol::record::parse_header(&header)
            .with_context(|| format!("game {id}: unreadable record header"))?;
        let entries = texts
            .into_iter()
            .map(|(seq, text)| {
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

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
