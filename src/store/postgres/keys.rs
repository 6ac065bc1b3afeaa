//! The PostgreSQL side of the key record (see [`crate::domain::key_record`]). Written under the
//! registry's write lock, so that replicas racing on a fresh database record one set of keys.

use sqlx::{AssertSqlSafe, PgExecutor, Row};

use super::PostgresStore;
use crate::domain::key_record::RecordedKey;
use crate::error::Result;
use crate::store::decode::parse_key_kind;

async fn read_all<'e>(executor: impl PgExecutor<'e>) -> Result<Vec<RecordedKey>> {
    let rows = sqlx::query(
        "SELECT kind, fingerprint, source, record_time FROM key_fingerprints ORDER BY kind",
    )
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RecordedKey {
                kind: parse_key_kind(row.try_get("kind")?)?,
                fingerprint: row.try_get("fingerprint")?,
                source: row.try_get("source")?,
                record_time: row.try_get("record_time")?,
            })
        })
        .collect()
}

/// Inserts `key`'s row; `on_conflict` says what to do when its kind has one (`DO ...`).
async fn write_row<'e>(
    executor: impl PgExecutor<'e>,
    key: &RecordedKey,
    on_conflict: &'static str,
) -> Result<()> {
    // `on_conflict` is one of this module's constant clauses (see the store's module doc).
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO key_fingerprints (kind, fingerprint, source, record_time) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (kind) {on_conflict}"
    )))
    .bind(key.kind.as_str())
    .bind(&key.fingerprint)
    .bind(&key.source)
    .bind(key.record_time)
    .execute(executor)
    .await?;
    Ok(())
}

impl PostgresStore {
    pub(super) async fn read_recorded_keys(&self) -> Result<Vec<RecordedKey>> {
        read_all(&self.readers).await
    }

    pub(super) async fn insert_recorded_keys(
        &self,
        keys: &[RecordedKey],
    ) -> Result<Vec<RecordedKey>> {
        let mut tx = self.begin().await?;
        for key in keys {
            write_row(&mut *tx, key, "DO NOTHING").await?;
        }
        let recorded = read_all(&mut *tx).await?;
        tx.commit().await?;
        Ok(recorded)
    }

    pub(super) async fn replace_recorded_key_row(
        &self,
        expected: Option<&str>,
        key: &RecordedKey,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let current: Option<String> =
            sqlx::query_scalar("SELECT fingerprint FROM key_fingerprints WHERE kind = $1")
                .bind(key.kind.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if expected.is_some() && current.as_deref() != expected {
            return Ok(false);
        }
        write_row(
            &mut *tx,
            key,
            "DO UPDATE SET fingerprint = excluded.fingerprint, source = excluded.source, \
             record_time = excluded.record_time",
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
