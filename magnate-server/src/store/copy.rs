//! Moving an operator's SQLite database into PostgreSQL: every row of every table, ids kept,
//! in one PostgreSQL transaction (all or nothing).

use std::path::Path;

use rusqlite::{types::ValueRef, Connection, OpenFlags, OptionalExtension};
use tokio_postgres::types::{ToSql, Type};

use super::{migrations, Store, StoreError};

/// The tables in an order that respects their foreign keys, and whether each has an
/// `AUTOINCREMENT` id whose sequence must continue after the copied rows.
const TABLES: &[(&str, bool)] = &[
    ("server_settings", false),
    ("games", true),
    ("users", true),
    ("items", false),
    ("user_items", false),
    ("game_players", false),
    ("game_records", false),
    ("player_game_statistics", true),
    ("game_summaries", true),
    ("bonus_categories", true),
    ("used_refresh_tokens", false),
];

/// Tables that must be empty in the target (the shop's seeded items are replaced).
const MUST_BE_EMPTY: &[&str] = &[
    "server_settings",
    "games",
    "users",
    "user_items",
    "game_records",
    "used_refresh_tokens",
];

/// Rows copied per table, in copy order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// `(table, rows)`.
    pub tables: Vec<(&'static str, u64)>,
}

/// A column value read from SQLite, typed for PostgreSQL's parameter.
enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
}

impl Cell {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Cell::Int(value) => value,
            Cell::Text(value) => value,
        }
    }
}

fn read_rows(connection: &Connection, table: &str) -> Result<(Vec<String>, Vec<Row>), StoreError> {
    let mut columns = Vec::new();
    let mut info = connection.prepare(&format!("PRAGMA table_info({table})"))?;
    for name in info.query_map([], |row| row.get::<_, String>(1))? {
        columns.push(name?);
    }
    let mut select = connection.prepare(&format!(
        "SELECT {} FROM {table} ORDER BY rowid",
        columns.join(", ")
    ))?;
    let mut rows = select.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut line = Vec::with_capacity(columns.len());
        for index in 0..columns.len() {
            line.push(match row.get_ref(index)? {
                ValueRef::Null => None,
                ValueRef::Integer(value) => Some(ValueOwned::Int(value)),
                ValueRef::Real(value) => Some(ValueOwned::Text(value.to_string())),
                ValueRef::Text(text) | ValueRef::Blob(text) => {
                    Some(ValueOwned::Text(String::from_utf8_lossy(text).into_owned()))
                }
            });
        }
        out.push(line);
    }
    Ok((columns, out))
}

/// One row of a table as read from SQLite (`None` for NULL).
type Row = Vec<Option<ValueOwned>>;

enum ValueOwned {
    Int(i64),
    Text(String),
}

/// Converts a value to the parameter type PostgreSQL expects for its column.
fn cell(value: Option<ValueOwned>, expected: &Type) -> Cell {
    if *expected == Type::INT8 {
        Cell::Int(match value {
            Some(ValueOwned::Int(value)) => Some(value),
            Some(ValueOwned::Text(text)) => text.parse().ok(),
            None => None,
        })
    } else {
        Cell::Text(value.map(|value| match value {
            ValueOwned::Int(value) => value.to_string(),
            ValueOwned::Text(text) => text,
        }))
    }
}

impl Store {
    /// Copies the SQLite database at `source` into this store, which must be on PostgreSQL,
    /// migrated and empty (no users, games, records or settings). Every row of every table
    /// is copied with its id, in one transaction, and the id sequences continue after the
    /// copied ids. The source is opened read-only and must have this build's schema; stop the
    /// server that uses it first.
    pub async fn copy_from_sqlite(&self, source: &Path) -> Result<CopyReport, StoreError> {
        let Some(pg) = self.postgres() else {
            return Err(StoreError::Config(
                "the copy goes into a PostgreSQL database (--database-url postgres://...)".into(),
            ));
        };
        let source = source.to_owned();
        // Read everything on a blocking thread first; a database that fits one server's SQLite
        // file fits in memory.
        let tables = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
            let connection = Connection::open_with_flags(
                &source,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            let found = migrations::current_version(&connection)?;
            if found != migrations::SCHEMA_VERSION {
                return Err(StoreError::SchemaMismatch {
                    found,
                    expected: migrations::SCHEMA_VERSION,
                });
            }
            let mut tables = Vec::new();
            for (table, autoincrement) in TABLES {
                let (columns, rows) = read_rows(&connection, table)?;
                let high_water: Option<i64> = connection
                    .query_row(
                        "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                        [table],
                        |row| row.get(0),
                    )
                    .optional()?;
                tables.push((*table, *autoincrement, columns, rows, high_water));
            }
            Ok(tables)
        })
        .await
        .map_err(|error| StoreError::Task(error.to_string()))??;

        let mut client = pg.client().await?;
        let transaction = client.transaction().await?;
        for table in MUST_BE_EMPTY {
            let rows: i64 = transaction
                .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
                .await?
                .get(0);
            if rows > 0 {
                return Err(StoreError::Config(format!(
                    "the PostgreSQL database is not empty ({rows} rows in {table}); copy into \
                     a new database"
                )));
            }
        }
        transaction.batch_execute("DELETE FROM items").await?;
        let mut report = Vec::new();
        for (table, autoincrement, columns, rows, high_water) in tables {
            let placeholders: Vec<String> = (1..=columns.len())
                .map(|index| format!("${index}"))
                .collect();
            let insert = transaction
                .prepare(&format!(
                    "INSERT INTO {table} ({}) VALUES ({})",
                    columns.join(", "),
                    placeholders.join(", ")
                ))
                .await?;
            let types = insert.params().to_vec();
            let mut copied = 0;
            for row in rows {
                let cells: Vec<Cell> = row
                    .into_iter()
                    .zip(&types)
                    .map(|(value, expected)| cell(value, expected))
                    .collect();
                let params: Vec<&(dyn ToSql + Sync)> = cells.iter().map(Cell::as_sql).collect();
                transaction.execute(&insert, &params).await?;
                copied += 1;
            }
            if autoincrement {
                let max_id: i64 = transaction
                    .query_one(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"), &[])
                    .await?
                    .get(0);
                let last = max_id.max(high_water.unwrap_or(0));
                transaction
                    .execute(
                        "SELECT setval(pg_get_serial_sequence($1, 'id'), $2, $3)",
                        &[&table, &last.max(1), &(last > 0)],
                    )
                    .await?;
            }
            report.push((table, copied));
        }
        transaction.commit().await?;
        Ok(CopyReport { tables: report })
    }
}
