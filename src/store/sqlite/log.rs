//! The SQLite side of the transparency log: tree nodes written with their events, read by id, and
//! the checkpoints the registry signed.

use sqlx::{QueryBuilder, Row, Sqlite, SqliteExecutor, Transaction};

use super::{MAX_ROWS_PER_INSERT, SqliteStore};
use crate::domain::event::{ChainHead, format_time};
use crate::domain::transparency::{
    CheckpointCosignature, FetchedNodes, Hash, NodeId, SignedCheckpoint, frontier_nodes, grow_tree,
    leaf_hash,
};
use crate::error::Result;
use crate::store::decode::{hash_bytes, parse_hash, parse_time};
use crate::store::{LogSnapshot, db_int};

/// Leaves read per query when extending the tree over older events.
const LEAVES_PER_READ: i64 = 10_000;

/// Reads the stored nodes among `ids`.
pub(super) async fn fetch_nodes<'e>(
    executor: impl SqliteExecutor<'e>,
    ids: &[NodeId],
) -> Result<FetchedNodes> {
    let mut fetched = FetchedNodes::default();
    if ids.is_empty() {
        return Ok(fetched);
    }
    let mut select = QueryBuilder::<Sqlite>::new("SELECT level, idx, hash FROM log_nodes WHERE ");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            select.push(" OR ");
        }
        select
            .push("(level = ")
            .push_bind(i64::from(id.level))
            .push(" AND idx = ")
            .push_bind(id.index as i64)
            .push(")");
    }
    for row in select.build().fetch_all(executor).await? {
        let level: i64 = row.try_get("level")?;
        let index: i64 = row.try_get("idx")?;
        let hash = hash_bytes(row.try_get("hash")?, "log node")?;
        fetched
            .0
            .insert(NodeId::new(level as u8, index as u64), hash);
    }
    Ok(fetched)
}

/// The chain hashes (the leaf data) of up to `count` events after sequence `start`, in order.
async fn event_hashes<'e>(
    executor: impl SqliteExecutor<'e>,
    start: u64,
    count: i64,
) -> Result<Vec<[u8; 32]>> {
    let rows =
        sqlx::query("SELECT hash FROM events WHERE sequence > $1 ORDER BY sequence LIMIT $2")
            .bind(db_int(start)?)
            .bind(count)
            .fetch_all(executor)
            .await?;
    rows.iter()
        .map(|row| parse_hash(&row.try_get::<String, _>("hash")?))
        .collect()
}

/// Appends `leaves` to the tree of `size` leaves inside `tx`, writing every node they complete.
pub(super) async fn append_leaves(
    tx: &mut Transaction<'_, Sqlite>,
    size: u64,
    leaves: impl IntoIterator<Item = Hash>,
) -> Result<()> {
    let stored = fetch_nodes(&mut **tx, &frontier_nodes(size)).await?;
    let written = grow_tree(size, &stored, leaves)?;
    for chunk in written.chunks(MAX_ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO log_nodes (level, idx, hash) ");
        insert.push_values(chunk, |mut row, (id, hash)| {
            row.push_bind(i64::from(id.level))
                .push_bind(id.index as i64)
                .push_bind(hash.to_vec());
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn tree_size<'e>(executor: impl SqliteExecutor<'e>) -> Result<u64> {
    let size: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_nodes WHERE level = 0")
            .fetch_one(executor)
            .await?;
    Ok(size as u64)
}

fn checkpoint_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<SignedCheckpoint> {
    let root: Vec<u8> = row.try_get("root_hash")?;
    Ok(SignedCheckpoint {
        tree_size: row.try_get::<i64, _>("tree_size")? as u64,
        root: hash_bytes(root, "root")?,
        time: parse_time(&row.try_get::<String, _>("time")?)?,
        note: row.try_get("note")?,
    })
}

/// The stored nodes of one level from index `start`, at most `count`, in index order.
async fn level<'e>(
    executor: impl SqliteExecutor<'e>,
    level: u8,
    start: u64,
    count: u32,
) -> Result<Vec<Hash>> {
    let rows = sqlx::query(
        "SELECT hash FROM log_nodes WHERE level = $1 AND idx >= $2 ORDER BY idx LIMIT $3",
    )
    .bind(i64::from(level))
    .bind(db_int(start)?)
    .bind(i64::from(count))
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| hash_bytes(row.try_get("hash")?, "log node"))
        .collect()
}

/// The checkpoint of the largest tree signed so far.
async fn latest_checkpoint<'e>(
    executor: impl SqliteExecutor<'e>,
) -> Result<Option<SignedCheckpoint>> {
    let row = sqlx::query("SELECT * FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1")
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(checkpoint_from_row).transpose()
}

/// The log read inside one read transaction: in WAL mode SQLite keeps showing it the database as
/// it stood at its first read, whatever another process (the admin command) commits meanwhile.
pub(super) struct Snapshot {
    tx: Transaction<'static, Sqlite>,
}

#[async_trait::async_trait]
impl LogSnapshot for Snapshot {
    async fn log_size(&mut self) -> Result<u64> {
        tree_size(&mut *self.tx).await
    }

    async fn chain_head(&mut self) -> Result<ChainHead> {
        super::read_head(&mut *self.tx).await
    }

    async fn log_nodes(&mut self, ids: &[NodeId]) -> Result<FetchedNodes> {
        fetch_nodes(&mut *self.tx, ids).await
    }

    async fn log_level(&mut self, at: u8, start: u64, count: u32) -> Result<Vec<Hash>> {
        level(&mut *self.tx, at, start, count).await
    }

    async fn log_leaves(&mut self, start: u64, count: u32) -> Result<Vec<[u8; 32]>> {
        event_hashes(&mut *self.tx, start, i64::from(count)).await
    }

    async fn latest_checkpoint(&mut self) -> Result<Option<SignedCheckpoint>> {
        latest_checkpoint(&mut *self.tx).await
    }
}

impl SqliteStore {
    pub(super) async fn read_log_nodes(&self, ids: &[NodeId]) -> Result<FetchedNodes> {
        fetch_nodes(&self.readers, ids).await
    }

    pub(super) async fn read_log_level(&self, at: u8, start: u64, count: u32) -> Result<Vec<Hash>> {
        level(&self.readers, at, start, count).await
    }

    pub(super) async fn log_snapshot_tx(&self) -> Result<Snapshot> {
        Ok(Snapshot {
            tx: self.readers.begin().await?,
        })
    }

    pub(super) async fn read_log_size(&self) -> Result<u64> {
        tree_size(&self.readers).await
    }

    pub(super) async fn read_log_leaves(&self, start: u64, count: u32) -> Result<Vec<[u8; 32]>> {
        event_hashes(&self.readers, start, i64::from(count)).await
    }

    pub(super) async fn extend_log_over_events(&self) -> Result<u64> {
        let mut tx = self.begin().await?;
        let start = tree_size(&mut *tx).await?;
        let mut size = start;
        loop {
            let hashes = event_hashes(&mut *tx, size, LEAVES_PER_READ).await?;
            if hashes.is_empty() {
                break;
            }
            append_leaves(&mut tx, size, hashes.iter().map(leaf_hash)).await?;
            size += hashes.len() as u64;
        }
        tx.commit().await?;
        Ok(size - start)
    }

    pub(super) async fn read_latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>> {
        latest_checkpoint(&self.readers).await
    }

    pub(super) async fn keep_checkpoint_row(
        &self,
        checkpoint: SignedCheckpoint,
    ) -> Result<SignedCheckpoint> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO log_checkpoints (tree_size, root_hash, time, note) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tree_size) DO NOTHING",
        )
        .bind(checkpoint.tree_size as i64)
        .bind(checkpoint.root.to_vec())
        .bind(format_time(checkpoint.time))
        .bind(&checkpoint.note)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT * FROM log_checkpoints WHERE tree_size = $1")
            .bind(checkpoint.tree_size as i64)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        checkpoint_from_row(&row)
    }
}

fn cosignature_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<CheckpointCosignature> {
    Ok(CheckpointCosignature {
        tree_size: row.try_get::<i64, _>("tree_size")? as u64,
        witness: row.try_get("witness")?,
        line: row.try_get("line")?,
        cosigned_at: row.try_get("cosigned_at")?,
    })
}

impl SqliteStore {
    pub(super) async fn insert_cosignature(
        &self,
        cosignature: CheckpointCosignature,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO checkpoint_cosignatures (tree_size, witness, line, cosigned_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size, witness) DO NOTHING",
        )
        .bind(db_int(cosignature.tree_size)?)
        .bind(&cosignature.witness)
        .bind(&cosignature.line)
        .bind(cosignature.cosigned_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(super) async fn read_cosignatures(
        &self,
        tree_size: u64,
    ) -> Result<Vec<CheckpointCosignature>> {
        let rows = sqlx::query(
            "SELECT * FROM checkpoint_cosignatures WHERE tree_size = $1 ORDER BY cosigned_at, witness",
        )
        .bind(db_int(tree_size)?)
        .fetch_all(&self.readers)
        .await?;
        rows.iter().map(cosignature_from_row).collect()
    }

    pub(super) async fn read_witnessed_sizes(&self) -> Result<Vec<(String, u64)>> {
        let rows = sqlx::query(
            "SELECT witness, MAX(tree_size) AS tree_size FROM checkpoint_cosignatures \
             GROUP BY witness ORDER BY witness",
        )
        .fetch_all(&self.readers)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("witness")?,
                    row.try_get::<i64, _>("tree_size")? as u64,
                ))
            })
            .collect()
    }
}
