//! Shop items and purchases.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::{pg, Store, StoreError, UserId};

/// The seed of docs/rules.md: `(id, custom_id, type, price)`.
pub(super) const SEED: &[(i64, i64, &str, i64)] = &[
    (1, 1, "piece", 100),
    (2, 2, "piece", 200),
    (3, 3, "piece", 500),
    (4, 4, "piece", 1000),
    (5, 5, "emoji", 250),
    (6, 6, "emoji", 500),
];

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A board piece the user can equip.
    Piece,
    /// An emoji usable in chat.
    Emoji,
}

impl ItemKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Piece => "piece",
            Self::Emoji => "emoji",
        }
    }

    pub(super) fn parse(text: &str) -> Self {
        // The column has a CHECK constraint, so anything but "piece" is an emoji.
        if text == "piece" {
            Self::Piece
        } else {
            Self::Emoji
        }
    }
}

/// An item as seen by one user; serializes to the wire shape of docs/protocol.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Public item id.
    pub custom_id: i64,
    /// Piece or emoji.
    #[serde(rename = "itemType")]
    pub kind: ItemKind,
    /// Price in points.
    pub price: i64,
    /// Whether the user owns it.
    pub owned: bool,
}

/// Result of [`Store::buy_item`], in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuyOutcome {
    /// The item was bought.
    Bought {
        /// The item, now owned.
        item: Item,
        /// Balance after the purchase.
        points_remaining: i64,
    },
    /// No item has this `custom_id`.
    ItemNotFound,
    /// The user already owns it.
    AlreadyOwned,
    /// The user cannot afford it.
    NotEnoughPoints {
        /// Current balance.
        points: i64,
        /// Item price.
        price: i64,
    },
}

/// Inserts the seed items that are missing; existing rows are left alone.
pub(super) fn seed_items(connection: &Connection) -> Result<(), StoreError> {
    let mut statement = connection.prepare(
        "INSERT OR IGNORE INTO items (id, custom_id, item_type, price) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (id, custom_id, kind, price) in SEED {
        statement.execute(params![id, custom_id, kind, price])?;
    }
    Ok(())
}

impl Store {
    /// Every item, ascending by `custom_id`, with `owned` for `user_id`. With `kind`, only the
    /// owned items of that kind.
    pub async fn items(
        &self,
        user_id: UserId,
        owned_of_kind: Option<ItemKind>,
    ) -> Result<Vec<Item>, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::shop::items(pg, user_id, owned_of_kind).await;
        }
        self.call(move |connection| {
            let mut statement = connection.prepare(
                "SELECT i.custom_id, i.item_type, i.price, ui.user_id IS NOT NULL \
                 FROM items i LEFT JOIN user_items ui ON ui.item_id = i.id AND ui.user_id = ?1 \
                 ORDER BY i.custom_id",
            )?;
            let items = statement
                .query_map([user_id], |row| {
                    let kind: String = row.get(1)?;
                    Ok(Item {
                        custom_id: row.get(0)?,
                        kind: ItemKind::parse(&kind),
                        price: row.get(2)?,
                        owned: row.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(match owned_of_kind {
                None => items,
                Some(kind) => items
                    .into_iter()
                    .filter(|item| item.owned && item.kind == kind)
                    .collect(),
            })
        })
        .await
    }

    /// Buys the item with `custom_id`. The points are taken with one conditional update inside a
    /// transaction, so parallel purchases can never spend the same points twice.
    pub async fn buy_item(
        &self,
        user_id: UserId,
        custom_id: i64,
    ) -> Result<BuyOutcome, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::shop::buy_item(pg, user_id, custom_id).await;
        }
        self.call(move |connection| {
            let transaction =
                connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let item: Option<(i64, String, i64)> = transaction
                .query_row(
                    "SELECT id, item_type, price FROM items WHERE custom_id = ?1",
                    [custom_id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            let Some((item_id, kind, price)) = item else {
                return Ok(BuyOutcome::ItemNotFound);
            };
            let owned = transaction
                .query_row(
                    "SELECT 1 FROM user_items WHERE user_id = ?1 AND item_id = ?2",
                    [user_id, item_id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if owned {
                return Ok(BuyOutcome::AlreadyOwned);
            }
            let remaining: Option<i64> = transaction
                .query_row(
                    "UPDATE users SET points = points - ?2 WHERE id = ?1 AND points >= ?2 \
                     RETURNING points",
                    [user_id, price],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(points_remaining) = remaining else {
                let points: i64 = transaction
                    .query_row("SELECT points FROM users WHERE id = ?1", [user_id], |row| {
                        row.get(0)
                    })
                    .optional()?
                    .ok_or(StoreError::UserNotFound(user_id))?;
                return Ok(BuyOutcome::NotEnoughPoints { points, price });
            };
            transaction.execute(
                "INSERT INTO user_items (user_id, item_id) VALUES (?1, ?2)",
                [user_id, item_id],
            )?;
            transaction.commit()?;
            Ok(BuyOutcome::Bought {
                item: Item {
                    custom_id,
                    kind: ItemKind::parse(&kind),
                    price,
                    owned: true,
                },
                points_remaining,
            })
        })
        .await
    }

    /// Gives an item to a user without charging (administration and tests).
    pub async fn give_item(&self, user_id: UserId, custom_id: i64) -> Result<bool, StoreError> {
        if let Some(pg) = self.postgres() {
            return pg::shop::give_item(pg, user_id, custom_id).await;
        }
        self.call(move |connection| {
            let changed = connection.execute(
                "INSERT OR IGNORE INTO user_items (user_id, item_id) \
                 SELECT ?1, id FROM items WHERE custom_id = ?2",
                [user_id, custom_id],
            )?;
            Ok(changed > 0)
        })
        .await
    }
}

impl std::fmt::Display for ItemKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}
