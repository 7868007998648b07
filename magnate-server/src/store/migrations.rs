//! Versioned schema migrations, recorded in SQLite's `user_version` (PostgreSQL: the table
//! `magnate_schema_version`).
//!
//! Each entry of [`MIGRATIONS`] moves the schema from version `index` to `index + 1` and runs in
//! its own transaction. Never edit a released migration: append a new one. The text is
//! SQLite's; [`postgres`] translates it for PostgreSQL (64-bit integers everywhere, identity
//! columns for `AUTOINCREMENT`), so one description serves both backends. Keep to the SQL both
//! understand: flags are 0/1 integers and timestamps are text on both.

use rusqlite::Connection;

use super::StoreError;

/// The schema version this build creates.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const MIGRATIONS: &[&str] = &[
    // 1: users, shop, games and their bookkeeping (docs/protocol.md).
    r#"
    CREATE TABLE server_settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    CREATE TABLE games (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at          TEXT NOT NULL,
        is_private          INTEGER NOT NULL DEFAULT 0,
        finished            INTEGER NOT NULL DEFAULT 0,
        ended_at            TEXT,
        log_version         INTEGER,
        seed                TEXT,
        setup               TEXT,
        snapshot            TEXT,
        snapshot_seq        INTEGER,
        auction_deadline    TEXT,
        next_phase_deadline TEXT,
        next_phase_user     INTEGER,
        kick_out_deadline   TEXT
    );

    CREATE TABLE users (
        id                   INTEGER PRIMARY KEY AUTOINCREMENT,
        username             TEXT NOT NULL UNIQUE,
        password_hash        TEXT,
        date_joined          TEXT NOT NULL,
        is_active            INTEGER NOT NULL DEFAULT 1,
        is_bot               INTEGER NOT NULL DEFAULT 0,
        bot_level            TEXT,
        role                 TEXT NOT NULL DEFAULT 'regular' CHECK (role IN ('regular', 'admin')),
        has_proposed_trade   INTEGER NOT NULL DEFAULT 0,
        points               INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
        exp                  INTEGER NOT NULL DEFAULT 0 CHECK (exp >= 0),
        elo                  INTEGER NOT NULL DEFAULT 0 CHECK (elo >= 0),
        num_played_games     INTEGER NOT NULL DEFAULT 0 CHECK (num_played_games >= 0),
        num_won_games        INTEGER NOT NULL DEFAULT 0 CHECK (num_won_games >= 0),
        user_piece           INTEGER NOT NULL DEFAULT 1,
        ready_to_play        INTEGER NOT NULL DEFAULT 0,
        current_private_room TEXT,
        active_game_id       INTEGER REFERENCES games(id) ON DELETE SET NULL
    );

    CREATE TABLE items (
        id        INTEGER PRIMARY KEY,
        custom_id INTEGER NOT NULL UNIQUE,
        item_type TEXT NOT NULL CHECK (item_type IN ('piece', 'emoji')),
        price     INTEGER NOT NULL CHECK (price >= 0)
    );

    CREATE TABLE user_items (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, item_id)
    );

    -- Current players of a game; a row is removed when its player is eliminated.
    CREATE TABLE game_players (
        game_id INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        seat    INTEGER NOT NULL,
        PRIMARY KEY (game_id, user_id)
    );

    -- The input log of a game, for replay and crash recovery.
    CREATE TABLE game_records (
        game_id INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
        seq     INTEGER NOT NULL,
        at_ms   INTEGER NOT NULL,
        input   TEXT NOT NULL,
        PRIMARY KEY (game_id, seq)
    );

    -- One row per participant; it is what makes a user a participant (R6, R14).
    CREATE TABLE player_game_statistics (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id            INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        game_id            INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
        walked_squares     INTEGER NOT NULL DEFAULT 0 CHECK (walked_squares >= 0),
        won_money          INTEGER NOT NULL DEFAULT 0 CHECK (won_money >= 0),
        lost_money         INTEGER NOT NULL DEFAULT 0 CHECK (lost_money >= 0),
        num_fantasy_events INTEGER NOT NULL DEFAULT 0 CHECK (num_fantasy_events >= 0),
        built_houses       INTEGER NOT NULL DEFAULT 0 CHECK (built_houses >= 0),
        demolished_houses  INTEGER NOT NULL DEFAULT 0 CHECK (demolished_houses >= 0),
        times_in_jail      INTEGER NOT NULL DEFAULT 0 CHECK (times_in_jail >= 0),
        turns_in_jail      INTEGER NOT NULL DEFAULT 0 CHECK (turns_in_jail >= 0),
        num_paid_rents     INTEGER NOT NULL DEFAULT 0 CHECK (num_paid_rents >= 0),
        num_trades         INTEGER NOT NULL DEFAULT 0 CHECK (num_trades >= 0),
        num_mortgages      INTEGER NOT NULL DEFAULT 0 CHECK (num_mortgages >= 0),
        UNIQUE (user_id, game_id)
    );
    CREATE INDEX player_game_statistics_game ON player_game_statistics(game_id);

    CREATE TABLE game_summaries (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        game_id     INTEGER NOT NULL UNIQUE REFERENCES games(id) ON DELETE CASCADE,
        start_date  TEXT NOT NULL,
        end_date    TEXT NOT NULL,
        final_money TEXT NOT NULL
    );

    CREATE TABLE bonus_categories (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        stat_field   TEXT NOT NULL UNIQUE,
        bonus_amount INTEGER NOT NULL DEFAULT 200
    );

    -- Refresh-token ids already rotated; only consulted when reuse rejection is enabled.
    CREATE TABLE used_refresh_tokens (
        jti        TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
    );
    "#,
];

/// The migrations in PostgreSQL's dialect: `INTEGER PRIMARY KEY AUTOINCREMENT` becomes an
/// identity column and every `INTEGER` a `BIGINT` (SQLite's integers are 64-bit).
pub(super) fn postgres() -> Vec<String> {
    MIGRATIONS
        .iter()
        .map(|sql| {
            sql.replace(
                "INTEGER PRIMARY KEY AUTOINCREMENT",
                "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            )
            .replace("INTEGER", "BIGINT")
        })
        .collect()
}

/// The version recorded in the database file.
pub(super) fn current_version(connection: &Connection) -> Result<i64, StoreError> {
    Ok(connection.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Applies every migration newer than the database's version.
pub(super) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let found = current_version(connection)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(sql)?;
        transaction.pragma_update(None, "user_version", index as i64 + 1)?;
        transaction.commit()?;
        tracing::info!(version = index + 1, "applied database migration");
    }
    Ok(())
}
