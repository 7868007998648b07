//! Plain SQL on either backend, for tests and operators' one-off checks: one statement, integer
//! or text parameters written `?1`, `?2`, … (PostgreSQL gets `$1`, `$2`, …), every column read
//! back as text. The server itself never uses it: its SQL is in the typed methods.

use tokio_postgres::types::Type;

use super::{pg, Store, StoreError};

/// A parameter of [`Store::raw_query`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
}

impl From<i64> for RawValue {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<&str> for RawValue {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<String> for RawValue {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

/// `?N` placeholders to `$N`.
fn to_postgres(sql: &str) -> String {
    sql.replace('?', "$")
}

impl Store {
    /// Runs one statement and returns its rows, each column as text (`None` for NULL;
    /// integers and flags in decimal). See the module's documentation.
    pub async fn raw_query(
        &self,
        sql: &str,
        params: Vec<RawValue>,
    ) -> Result<Vec<Vec<Option<String>>>, StoreError> {
        if let Some(pg) = self.postgres() {
            return query_postgres(pg, &to_postgres(sql), &params).await;
        }
        let sql = sql.to_owned();
        self.call(move |connection| {
            let mut statement = connection.prepare(&sql)?;
            let columns = statement.column_count();
            let values: Vec<rusqlite::types::Value> = params
                .iter()
                .map(|param| match param {
                    RawValue::Int(value) => rusqlite::types::Value::Integer(*value),
                    RawValue::Text(value) => rusqlite::types::Value::Text(value.clone()),
                })
                .collect();
            let mut rows = statement.query(rusqlite::params_from_iter(values))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let mut line = Vec::with_capacity(columns);
                for index in 0..columns {
                    line.push(match row.get_ref(index)? {
                        rusqlite::types::ValueRef::Null => None,
                        rusqlite::types::ValueRef::Integer(value) => Some(value.to_string()),
                        rusqlite::types::ValueRef::Real(value) => Some(value.to_string()),
                        rusqlite::types::ValueRef::Text(text)
                        | rusqlite::types::ValueRef::Blob(text) => {
                            Some(String::from_utf8_lossy(text).into_owned())
                        }
                    });
                }
                out.push(line);
            }
            Ok(out)
        })
        .await
    }

    /// Runs statements without parameters or results (`;`-separated).
    pub async fn raw_execute(&self, sql: &str) -> Result<(), StoreError> {
        if let Some(pg) = self.postgres() {
            pg.client().await?.batch_execute(sql).await?;
            return Ok(());
        }
        let sql = sql.to_owned();
        self.call(move |connection| Ok(connection.execute_batch(&sql)?))
            .await
    }

    /// The single integer a query returns (`COUNT(*)`, an id, a flag).
    pub async fn raw_int(&self, sql: &str, params: Vec<RawValue>) -> Result<i64, StoreError> {
        let rows = self.raw_query(sql, params).await?;
        rows.first()
            .and_then(|row| row.first().cloned().flatten())
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| StoreError::Config(format!("{sql}: no integer result")))
    }
}

async fn query_postgres(
    pg: &pg::Postgres,
    sql: &str,
    params: &[RawValue],
) -> Result<Vec<Vec<Option<String>>>, StoreError> {
    let client = pg.client().await?;
    let values: Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> = params
        .iter()
        .map(|param| match param {
            RawValue::Int(value) => {
                Box::new(*value) as Box<dyn tokio_postgres::types::ToSql + Sync + Send>
            }
            RawValue::Text(value) => Box::new(value.clone()),
        })
        .collect();
    let references: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = values
        .iter()
        .map(|value| &**value as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect();
    let rows = client.query(sql, &references).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut line = Vec::with_capacity(row.len());
        for (index, column) in row.columns().iter().enumerate() {
            let text = match *column.type_() {
                Type::INT8 => row.try_get::<_, Option<i64>>(index)?.map(|v| v.to_string()),
                Type::INT4 => row.try_get::<_, Option<i32>>(index)?.map(|v| v.to_string()),
                Type::INT2 => row.try_get::<_, Option<i16>>(index)?.map(|v| v.to_string()),
                Type::BOOL => row
                    .try_get::<_, Option<bool>>(index)?
                    .map(|v| i64::from(v).to_string()),
                Type::FLOAT8 => row.try_get::<_, Option<f64>>(index)?.map(|v| v.to_string()),
                _ => row.try_get::<_, Option<String>>(index)?,
            };
            line.push(text);
        }
        out.push(line);
    }
    Ok(out)
}
