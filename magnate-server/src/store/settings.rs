//! Server-wide settings kept in the database: the generated JWT key and rotated refresh tokens.

use rusqlite::{params, OptionalExtension};

use super::{pg, Store, StoreError};

const JWT_SECRET_KEY: &str = "jwt_secret";

impl Store {
    /// The JWT key stored in the database; on first use, stores `generated` and returns it.
    /// Later calls return the stored key, so tokens survive restarts.
    pub async fn jwt_secret_or_insert(&self, generated: String) -> Result<String, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::settings::jwt_secret_or_insert(pg, generated).await;
        }
        self.call(move |connection| {
            connection.execute(
                "INSERT OR IGNORE INTO server_settings (key, value) VALUES (?1, ?2)",
                params![JWT_SECRET_KEY, generated],
            )?;
            Ok(connection.query_row(
                "SELECT value FROM server_settings WHERE key = ?1",
                [JWT_SECRET_KEY],
                |row| row.get(0),
            )?)
        })
        .await
    }

    /// Records that the refresh token `jti` was rotated. Returns `false` if it had been recorded
    /// before, that is, the token is being reused. Expired entries are pruned on the way.
    pub async fn mark_refresh_used(
        &self,
        jti: String,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::settings::mark_refresh_used(pg, jti, expires_at, now).await;
        }
        self.call(move |connection| {
            let transaction = connection.transaction()?;
            transaction.execute(
                "DELETE FROM used_refresh_tokens WHERE expires_at < ?1",
                [now],
            )?;
            let already: bool = transaction
                .query_row(
                    "SELECT 1 FROM used_refresh_tokens WHERE jti = ?1",
                    [&jti],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !already {
                transaction.execute(
                    "INSERT INTO used_refresh_tokens (jti, expires_at) VALUES (?1, ?2)",
                    params![jti, expires_at],
                )?;
            }
            transaction.commit()?;
            Ok(!already)
        })
        .await
    }
}
