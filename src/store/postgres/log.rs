//! The PostgreSQL side of the transparency log: tree nodes written with their events, read by id, and
//! the checkpoints the registry signed.

use sqlx::{PgExecutor, Postgres, QueryBuilder, Row, Transaction};

use super::{MAX_ROWS_PER_INSERT, PostgresStore};
use crate::domain::event::ChainHead;
use crate::domain::transparency::{
    CheckpointCosignature, FetchedNodes, Hash, NodeId, SignedCheckpoint, frontier_nodes, grow_tree,
};
use crate::error::Result;
use crate::store::LogSnapshot;
use crate::store::db_int;
use crate::store::decode::hash_bytes;

/// Reads the stored nodes among `ids`.
pub(super) async fn fetch_nodes<'e>(
    executor: impl PgExecutor<'e>,
    ids: &[NodeId],
) -> Result<FetchedNodes> {
    let mut fetched = FetchedNodes::default();
    if ids.is_empty() {
        return Ok(fetched);
    }
    let rows = sqlx::query(
        "SELECT n.level, n.idx, n.hash FROM unnest($1::smallint[], $2::bigint[]) AS k (level, idx) \
         JOIN log_nodes n ON n.level = k.level AND n.idx = k.idx",
    )
    .bind(ids.iter().map(|id| i16::from(id.level)).collect::<Vec<_>>())
    .bind(ids.iter().map(|id| id.index as i64).collect::<Vec<_>>())
    .fetch_all(executor)
    .await?;
    for row in rows {
        let level: i16 = row.try_get("level")?;
        let index: i64 = row.try_get("idx")?;
        let hash = hash_bytes(row.try_get("hash")?, "log node")?;
        fetched
            .0
            .insert(NodeId::new(level as u8, index as u64), hash);
    }
    Ok(fetched)
}

/// Appends `leaves` to the tree of `size` leaves inside `tx`, writing every node they complete.
pub(super) async fn append_leaves(
    tx: &mut Transaction<'_, Postgres>,
    size: u64,
    leaves: impl IntoIterator<Item = Hash>,
) -> Result<()> {
    let stored = fetch_nodes(&mut **tx, &frontier_nodes(size)).await?;
    let written = grow_tree(size, &stored, leaves)?;
    for chunk in written.chunks(MAX_ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Postgres>::new("INSERT INTO log_nodes (level, idx, hash) ");
        insert.push_values(chunk, |mut row, (id, hash)| {
            row.push_bind(i16::from(id.level))
                .push_bind(id.index as i64)
                .push_bind(hash.to_vec());
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Leaves in the tree.
pub(super) async fn tree_size<'e>(executor: impl PgExecutor<'e>) -> Result<u64> {
    let size: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_nodes WHERE level = 0")
            .fetch_one(executor)
            .await?;
    Ok(size as u64)
}

fn checkpoint_from_row(row: &sqlx::postgres::PgRow) -> Result<SignedCheckpoint> {
    Ok(SignedCheckpoint {
        tree_size: row.try_get::<i64, _>("tree_size")? as u64,
        root: hash_bytes(row.try_get("root_hash")?, "root")?,
        time: row.try_get("time")?,
        note: row.try_get("note")?,
    })
}

/// The stored nodes of one level from index `start`, at most `count`, in index order.
pub(super) async fn level<'e>(
    executor: impl PgExecutor<'e>,
    level: u8,
    start: u64,
    count: u32,
) -> Result<Vec<Hash>> {
    let rows = sqlx::query(
        "SELECT hash FROM log_nodes WHERE level = $1 AND idx >= $2 ORDER BY idx LIMIT $3",
    )
    .bind(i16::from(level))
    .bind(db_int(start)?)
    .bind(i64::from(count))
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| hash_bytes(row.try_get("hash")?, "log node"))
        .collect()
}

/// The chain hashes (the leaf data) of up to `count` events after sequence `start`, in order.
pub(super) async fn leaves<'e>(
    executor: impl PgExecutor<'e>,
    start: u64,
    count: u32,
) -> Result<Vec<[u8; 32]>> {
    let rows =
        sqlx::query("SELECT hash FROM events WHERE sequence > $1 ORDER BY sequence LIMIT $2")
            .bind(db_int(start)?)
            .bind(i64::from(count))
            .fetch_all(executor)
            .await?;
    rows.iter()
        .map(|row| hash_bytes(row.try_get("hash")?, "event hash"))
        .collect()
}

/// The checkpoint of the largest tree signed so far.
pub(super) async fn latest_checkpoint<'e>(
    executor: impl PgExecutor<'e>,
) -> Result<Option<SignedCheckpoint>> {
    let row = sqlx::query("SELECT * FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1")
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(checkpoint_from_row).transpose()
}

/// The log read inside one repeatable-read, read-only transaction: every read sees the database
/// as it stood at the transaction's first read, whatever other replicas commit meanwhile, and
/// takes no lock that would hold their writes up.
pub(super) struct Snapshot {
    tx: Transaction<'static, Postgres>,
}

impl Snapshot {
    pub(super) async fn begin(readers: &sqlx::PgPool) -> Result<Self> {
        let tx = readers
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        Ok(Self { tx })
    }
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
        leaves(&mut *self.tx, start, count).await
    }

    async fn latest_checkpoint(&mut self) -> Result<Option<SignedCheckpoint>> {
        latest_checkpoint(&mut *self.tx).await
    }
}

impl PostgresStore {
    pub(super) async fn keep_checkpoint_row(
        &self,
        checkpoint: SignedCheckpoint,
    ) -> Result<SignedCheckpoint> {
        // No write lock: a checkpoint does not extend the chain, and the primary key decides
        // between replicas signing the same size at once.
        sqlx::query(
            "INSERT INTO log_checkpoints (tree_size, root_hash, time, note) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tree_size) DO NOTHING",
        )
        .bind(checkpoint.tree_size as i64)
        .bind(checkpoint.root.to_vec())
        .bind(checkpoint.time)
        .bind(&checkpoint.note)
        .execute(&self.readers)
        .await?;
        let row = sqlx::query("SELECT * FROM log_checkpoints WHERE tree_size = $1")
            .bind(checkpoint.tree_size as i64)
            .fetch_one(&self.readers)
            .await?;
        checkpoint_from_row(&row)
    }
}

fn cosignature_from_row(row: &sqlx::postgres::PgRow) -> Result<CheckpointCosignature> {
    Ok(CheckpointCosignature {
        tree_size: row.try_get::<i64, _>("tree_size")? as u64,
        witness: row.try_get("witness")?,
        line: row.try_get("line")?,
        cosigned_at: row.try_get("cosigned_at")?,
    })
}

impl PostgresStore {
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
