//! The PostgreSQL side of token status lists: positions reserved for certificates, and the revoked
//! positions of a list.

use sqlx::Row;
use uuid::Uuid;

use super::PostgresStore;
use crate::domain::status_list::{LIST_CAPACITY, LIST_INDEX_BITS, shuffled_index};
use crate::error::{Error, Result};
use crate::store::StatusPosition;

impl PostgresStore {
    pub(super) async fn reserve_status_row(
        &self,
        certificate: Uuid,
        new_key: [u8; 32],
    ) -> Result<StatusPosition> {
        // Not the registry's write lock: only the list's row is locked, so reservations do not
        // queue behind other writes. Two replicas creating a list at once: one insert wins.
        let mut tx = self.writer.begin().await?;
        sqlx::query("LOCK TABLE status_lists IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(
            "SELECT id, allocated, shuffle_key FROM status_lists WHERE allocated < capacity \
             ORDER BY id DESC LIMIT 1 FOR UPDATE",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let (list, counter, key) = match row {
            Some(row) => {
                let key: Vec<u8> = row.try_get("shuffle_key")?;
                let key: [u8; 32] = key.try_into().map_err(|_| {
                    Error::internal(anyhow::anyhow!("a status list's key is not 32 bytes"))
                })?;
                (
                    row.try_get::<i64, _>("id")?,
                    row.try_get::<i64, _>("allocated")?,
                    key,
                )
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO status_lists (id, capacity, shuffle_key) \
                     VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM status_lists), $1, $2) \
                     RETURNING id",
                )
                .bind(LIST_CAPACITY as i64)
                .bind(new_key.to_vec())
                .fetch_one(&mut *tx)
                .await?;
                (id, 0, new_key)
            }
        };
        let idx = shuffled_index(&key, counter as u64, LIST_INDEX_BITS);
        sqlx::query("UPDATE status_lists SET allocated = allocated + 1 WHERE id = $1")
            .bind(list)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO status_list_entries (certificate_id, list_id, idx) VALUES ($1, $2, $3)",
        )
        .bind(certificate)
        .bind(list)
        .bind(idx as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(StatusPosition {
            list: list as u64,
            idx,
        })
    }

    pub(super) async fn read_revoked_positions(
        &self,
        list: u64,
    ) -> Result<Option<(u64, Vec<u64>)>> {
        let Ok(list) = i64::try_from(list) else {
            return Ok(None);
        };
        let capacity: Option<i64> =
            sqlx::query_scalar("SELECT capacity FROM status_lists WHERE id = $1")
                .bind(list)
                .fetch_optional(&self.readers)
                .await?;
        let Some(capacity) = capacity else {
            return Ok(None);
        };
        let revoked: Vec<i64> = sqlx::query_scalar(
            "SELECT e.idx FROM status_list_entries e JOIN certificates c \
             ON c.id = e.certificate_id WHERE e.list_id = $1 AND c.revoke_time IS NOT NULL",
        )
        .bind(list)
        .fetch_all(&self.readers)
        .await?;
        Ok(Some((
            capacity as u64,
            revoked.into_iter().map(|i| i as u64).collect(),
        )))
    }
}
