//! Server settings on PostgreSQL (mirrors `store/settings.rs`).

use super::Postgres;
use crate::store::StoreError;

const JWT_SECRET_KEY: &str = "jwt_secret";

pub(crate) async fn jwt_secret_or_insert(
    pg: &Postgres,
    generated: String,
) -> Result<String, StoreError> {
    let client = pg.client().await?;
    client
        .execute(
            "INSERT INTO server_settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&JWT_SECRET_KEY, &generated],
        )
        .await?;
    Ok(client
        .query_one(
            "SELECT value FROM server_settings WHERE key = $1",
            &[&JWT_SECRET_KEY],
        )
        .await?
        .get(0))
}

pub(crate) async fn mark_refresh_used(
    pg: &Postgres,
    jti: String,
    expires_at: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let mut client = pg.client().await?;
    let transaction = client.transaction().await?;
    transaction
        .execute(
            "DELETE FROM used_refresh_tokens WHERE expires_at < $1",
            &[&now],
        )
        .await?;
    // One statement decides: of two concurrent rotations of one token, exactly one inserts.
    let inserted = transaction
        .execute(
            "INSERT INTO used_refresh_tokens (jti, expires_at) VALUES ($1, $2) \
             ON CONFLICT (jti) DO NOTHING",
            &[&jti, &expires_at],
        )
        .await?;
    transaction.commit().await?;
    Ok(inserted == 1)
}
