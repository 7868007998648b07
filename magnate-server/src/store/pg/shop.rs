//! Shop items and purchases on PostgreSQL (mirrors `store/shop.rs`).

use tokio_postgres::GenericClient;

use super::{flag, Postgres};
use crate::store::{shop::SEED, BuyOutcome, Item, ItemKind, StoreError, UserId};

/// Inserts the seed items that are missing; existing rows are left alone.
pub(crate) async fn seed_items(client: &impl GenericClient) -> Result<(), StoreError> {
    let statement = client
        .prepare(
            "INSERT INTO items (id, custom_id, item_type, price) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .await?;
    for (id, custom_id, kind, price) in SEED {
        client
            .execute(&statement, &[id, custom_id, kind, price])
            .await?;
    }
    Ok(())
}

pub(crate) async fn items(
    pg: &Postgres,
    user_id: UserId,
    owned_of_kind: Option<ItemKind>,
) -> Result<Vec<Item>, StoreError> {
    let client = pg.client().await?;
    let rows = client
        .query(
            "SELECT i.custom_id, i.item_type, i.price, \
             CASE WHEN ui.user_id IS NULL THEN 0 ELSE 1 END \
             FROM items i LEFT JOIN user_items ui ON ui.item_id = i.id AND ui.user_id = $1 \
             ORDER BY i.custom_id",
            &[&user_id],
        )
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get(1)?;
        let owned: i32 = row.try_get(3)?;
        items.push(Item {
            custom_id: row.try_get(0)?,
            kind: ItemKind::parse(&kind),
            price: row.try_get(2)?,
            owned: flag(i64::from(owned)),
        });
    }
    Ok(match owned_of_kind {
        None => items,
        Some(kind) => items
            .into_iter()
            .filter(|item| item.owned && item.kind == kind)
            .collect(),
    })
}

/// Buys an item. The buyer's row is locked first (`FOR UPDATE`), so two purchases by one user
/// run one after the other: the second sees the first's item and points, as on SQLite, where
/// the write transaction is exclusive.
pub(crate) async fn buy_item(
    pg: &Postgres,
    user_id: UserId,
    custom_id: i64,
) -> Result<BuyOutcome, StoreError> {
    let mut client = pg.client().await?;
    let transaction = client.transaction().await?;
    let item = transaction
        .query_opt(
            "SELECT id, item_type, price FROM items WHERE custom_id = $1",
            &[&custom_id],
        )
        .await?;
    let Some(item) = item else {
        return Ok(BuyOutcome::ItemNotFound);
    };
    let (item_id, kind, price): (i64, String, i64) =
        (item.try_get(0)?, item.try_get(1)?, item.try_get(2)?);
    let points: i64 = transaction
        .query_opt(
            "SELECT points FROM users WHERE id = $1 FOR UPDATE",
            &[&user_id],
        )
        .await?
        .ok_or(StoreError::UserNotFound(user_id))?
        .try_get(0)?;
    let owned = transaction
        .query_opt(
            "SELECT 1 FROM user_items WHERE user_id = $1 AND item_id = $2",
            &[&user_id, &item_id],
        )
        .await?
        .is_some();
    if owned {
        return Ok(BuyOutcome::AlreadyOwned);
    }
    if points < price {
        return Ok(BuyOutcome::NotEnoughPoints { points, price });
    }
    let points_remaining: i64 = transaction
        .query_one(
            "UPDATE users SET points = points - $2 WHERE id = $1 RETURNING points",
            &[&user_id, &price],
        )
        .await?
        .try_get(0)?;
    transaction
        .execute(
            "INSERT INTO user_items (user_id, item_id) VALUES ($1, $2)",
            &[&user_id, &item_id],
        )
        .await?;
    transaction.commit().await?;
    Ok(BuyOutcome::Bought {
        item: Item {
            custom_id,
            kind: ItemKind::parse(&kind),
            price,
            owned: true,
        },
        points_remaining,
    })
}

pub(crate) async fn give_item(
    pg: &Postgres,
    user_id: UserId,
    custom_id: i64,
) -> Result<bool, StoreError> {
    let client = pg.client().await?;
    let changed = client
        .execute(
            "INSERT INTO user_items (user_id, item_id) \
             SELECT $1, id FROM items WHERE custom_id = $2 ON CONFLICT DO NOTHING",
            &[&user_id, &custom_id],
        )
        .await?;
    Ok(changed > 0)
}
