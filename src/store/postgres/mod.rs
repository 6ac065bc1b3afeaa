//! The PostgreSQL store, for several replicas on one database. Writes go through one connection per
//! process and, across processes, take one transaction-scoped advisory lock first: the event log's
//! sequence and hash chain (and the transparency log's tree) are extended by one writer at a time
//! whichever replica it runs in, so they never fork. Reads use a pool.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgQueryResult};
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Row, Transaction};
use tracing::Instrument;
use uuid::Uuid;

mod certificates;
mod keys;
mod log;
mod policy;
mod rows;
mod status_lists;
mod webhooks;

use super::{
    AttestationQuery, CertificateInsert, DatasetQuery, LogSnapshot, NameLookup, OrganizationQuery,
    Store, Viewer,
};
use crate::domain::access::{AccessTokenRecord, Organization};
use crate::domain::attestation::{Attestation, ContaminationReport};
use crate::domain::certificate::CertificateRecord;
use crate::domain::dataset::{Dataset, Source, SourceKind};
use crate::domain::evaluation::{ClosureGraph, SharedClosure};
use crate::domain::event::{self, ChainHead, Event, NewEvent};
use crate::domain::key_record::RecordedKey;
use crate::domain::lineage::{ClosureEntry, Direction};
use crate::domain::registration::{self, DatasetKey, ParentInfo, Registration, Unit};
use crate::domain::transparency::{
    self, CheckpointCosignature, FetchedNodes, Hash, NodeId, SignedCheckpoint,
};
use crate::error::{Error, Result};
use crate::metrics::{Metrics, PoolStatus};
use crate::store::decode::{self, hash_bytes, parse_visibility};
use rows::{DATASET_JSON, event_from_row, token_from_row};

/// PostgreSQL allows 65,535 bound parameters per statement; chunks stay well below.
const MAX_ROWS_PER_INSERT: usize = 2_000;

/// The advisory lock every writing transaction takes first ("prov" in ASCII): one writer at a time
/// across all replicas.
const WRITE_LOCK: i64 = 0x7072_6f76;

/// How long a request waits for a connection before it is refused as overloaded.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct PostgresStore {
    /// The single writing connection of this process.
    writer: PgPool,
    /// Connections for reads.
    readers: PgPool,
    /// Where write transactions' waits are recorded, once the registry says.
    metrics: Arc<OnceLock<Metrics>>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://...`) with up to `pool_size` reading
    /// connections (plus one for writes) and applies the migrations. Replicas starting together
    /// apply them once: sqlx holds an advisory lock while migrating.
    pub async fn open(url: &str, pool_size: u32) -> Result<Self> {
        // The URL may hold a password: messages name the server and database instead.
        let options = PgConnectOptions::from_str(url)
            .context("invalid PostgreSQL URL (expected postgres://user@host:port/database)")?
            // Times in JSON are rendered in the session's zone; UTC keeps them recognisable.
            // Notices (such as the migrator's "relation already exists, skipping" at every start)
            // are not sent at all: sqlx would log each one at `info`, in front of an operator
            // command's output.
            .options([("timezone", "UTC"), ("client_min_messages", "warning")]);
        let server = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("(default database)")
        );
        let writer = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {server}"))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&writer)
            .await
            .context("cannot apply the PostgreSQL migrations")?;
        let readers = PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {server}"))?;
        Ok(Self {
            writer,
            readers,
            metrics: Arc::default(),
        })
    }

    /// Connects to the database at `url` for reading only: no migrations, and every transaction
    /// read-only (`default_transaction_read_only`), so writes fail. For checking a registry or a
    /// copy of one (`admin verify`) without changing it, while replicas may be writing to it.
    pub async fn open_read_only(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .context("invalid PostgreSQL URL (expected postgres://user@host:port/database)")?
            .options([
                ("timezone", "UTC"),
                ("client_min_messages", "warning"),
                ("default_transaction_read_only", "on"),
            ]);
        let readers = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {}", Self::describe(url)))?;
        Ok(Self {
            writer: readers.clone(),
            readers,
            metrics: Arc::default(),
        })
    }

    /// The database at `url` for people: `postgres://user@host:port/database`, never a password.
    pub fn describe(url: &str) -> String {
        match PgConnectOptions::from_str(url) {
            Ok(options) => format!(
                "postgres://{}@{}:{}/{}",
                options.get_username(),
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or(options.get_username())
            ),
            Err(_) => "(an invalid PostgreSQL URL)".to_owned(),
        }
    }

    /// Whether the database at `url` holds a registry (its tables), without changing anything.
    pub async fn holds_registry(url: &str) -> Result<bool> {
        use sqlx::Connection;
        let options = PgConnectOptions::from_str(url)
            .context("invalid PostgreSQL URL (expected postgres://user@host:port/database)")?
            .options([("client_min_messages", "warning")]);
        let mut connection = sqlx::PgConnection::connect_with(&options)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {}", Self::describe(url)))?;
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('events') IS NOT NULL")
            .fetch_one(&mut connection)
            .await?;
        let _ = connection.close().await;
        Ok(exists)
    }

    /// A write transaction holding the registry's write lock until it ends.
    async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        let start = Instant::now();
        let tx = async {
            let mut tx = self.writer.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok::<_, sqlx::Error>(tx)
        }
        .instrument(tracing::info_span!(
            target: crate::telemetry::TRACE_TARGET,
            "store.begin",
            db.system.name = "postgresql"
        ))
        .await?;
        if let Some(metrics) = self.metrics.get() {
            metrics.observe_write_wait(start.elapsed());
        }
        Ok(tx)
    }
}

/// Passes `outcome` through, except that the constraint violation `violated` recognises becomes the
/// client-facing `refusal` (other database errors stay internal).
fn refuse_violation(
    outcome: std::result::Result<PgQueryResult, sqlx::Error>,
    violated: fn(&dyn sqlx::error::DatabaseError) -> bool,
    refusal: impl FnOnce() -> Error,
) -> Result<()> {
    match outcome {
        Err(sqlx::Error::Database(e)) if violated(e.as_ref()) => Err(refusal()),
        other => other.map(|_| ()).map_err(Error::from),
    }
}

/// Finishes a page query opened as `SELECT coalesce(json_agg(x), '[]')::text FROM (SELECT ... AS x
/// FROM <table> <alias> WHERE ...`: resumes after the id `after`, orders by id, takes `limit` rows,
/// and returns the page as the one JSON row.
async fn fetch_id_page(
    mut select: QueryBuilder<Postgres>,
    alias: &str,
    after: Option<Uuid>,
    limit: u32,
    readers: &PgPool,
) -> Result<String> {
    if let Some(after) = after {
        select.push(format!(" AND {alias}.id > ")).push_bind(after);
    }
    select
        .push(format!(" ORDER BY {alias}.id LIMIT "))
        .push_bind(i64::from(limit))
        .push(") page");
    Ok(select.build_query_scalar().fetch_one(readers).await?)
}

/// An organisation from a row of `id, name, create_time`.
fn organization_from_row(row: &sqlx::postgres::PgRow) -> Result<Organization> {
    Ok(Organization {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        create_time: row.try_get("create_time")?,
    })
}

/// Appends `events` after the current head inside `tx` (which holds the write lock), with their
/// leaves in the transparency log; returns the new head.
async fn append_events(
    tx: &mut Transaction<'_, Postgres>,
    events: Vec<NewEvent>,
) -> Result<ChainHead> {
    let head = read_head(&mut **tx).await?;
    if events.is_empty() {
        return Ok(head);
    }
    let (sealed, new_head) = event::seal(head, events, Utc::now());
    log::append_leaves(
        tx,
        head.sequence,
        sealed.iter().map(|e| transparency::leaf_hash(&e.hash)),
    )
    .await?;
    for chunk in sealed.chunks(MAX_ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO events (sequence, type, subject, organization_id, public, payload, time, prev_hash, hash) ",
        );
        insert.push_values(chunk, |mut row, e| {
            row.push_bind(e.sequence as i64)
                .push_bind(e.event_type.clone())
                .push_bind(e.subject.clone())
                .push_bind(e.organization_id)
                .push_bind(e.public)
                .push_bind(e.payload_json.clone())
                .push_bind(e.time)
                .push_bind(e.prev_hash.to_vec())
                .push_bind(e.hash.to_vec());
        });
        insert.build().execute(&mut **tx).await?;
    }
    webhooks::enqueue_deliveries(tx, head.sequence).await?;
    Ok(new_head)
}

async fn read_head<'e, E: sqlx::PgExecutor<'e>>(executor: E) -> Result<ChainHead> {
    let row = sqlx::query("SELECT sequence, hash FROM events ORDER BY sequence DESC LIMIT 1")
        .fetch_optional(executor)
        .await?;
    match row {
        None => Ok(ChainHead::EMPTY),
        Some(row) => Ok(ChainHead {
            sequence: row.try_get::<i64, _>("sequence")? as u64,
            hash: hash_bytes(row.try_get("hash")?, "event hash")?,
        }),
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn is_shared(&self) -> bool {
        true
    }

    fn pool_status(&self) -> Vec<PoolStatus> {
        vec![
            PoolStatus::of("writer", &self.writer),
            PoolStatus::of("readers", &self.readers),
        ]
    }

    fn observe_write_waits(&self, metrics: Metrics) {
        let _ = self.metrics.set(metrics);
    }

    async fn create_organization(&self, org: &Organization, event: NewEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        let inserted =
            sqlx::query("INSERT INTO organizations (id, name, create_time) VALUES ($1, $2, $3)")
                .bind(org.id)
                .bind(&org.name)
                .bind(org.create_time)
                .execute(&mut *tx)
                .await;
        refuse_violation(
            inserted,
            |e| e.is_unique_violation(),
            || {
                Error::AlreadyExists(format!(
                    "an organisation named {:?} already exists",
                    org.name
                ))
            },
        )?;
        append_events(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_organization(&self, id: Uuid) -> Result<Option<Organization>> {
        let row = sqlx::query("SELECT id, name, create_time FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(organization_from_row).transpose()
    }

    async fn list_organizations(&self, query: &OrganizationQuery) -> Result<Vec<Organization>> {
        let mut select = QueryBuilder::<Postgres>::new(
            "SELECT id, name, create_time FROM organizations WHERE true",
        );
        if let Some(name) = &query.name {
            select.push(" AND name = ").push_bind(name.clone());
        }
        if let Some(after) = query.after {
            select.push(" AND id > ").push_bind(after);
        }
        select
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(query.limit));
        let rows = select.build().fetch_all(&self.readers).await?;
        rows.iter().map(organization_from_row).collect()
    }

    async fn insert_access_token(&self, token: &AccessTokenRecord, event: NewEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO access_tokens (id, organization_id, role, subject, create_time, expire_time) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.id)
        .bind(token.organization_id)
        .bind(token.role.as_str())
        .bind(&token.subject)
        .bind(token.create_time)
        .bind(token.expire_time)
        .execute(&mut *tx)
        .await?;
        append_events(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_access_token(&self, id: Uuid) -> Result<Option<AccessTokenRecord>> {
        let row = sqlx::query("SELECT * FROM access_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn revoke_access_token(
        &self,
        organization_id: Uuid,
        id: Uuid,
        time: DateTime<Utc>,
        event: NewEvent,
    ) -> Result<Option<AccessTokenRecord>> {
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT * FROM access_tokens WHERE id = $1 AND organization_id = $2")
            .bind(id)
            .bind(organization_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(mut token) = row.as_ref().map(token_from_row).transpose()? else {
            return Ok(None);
        };
        if token.revoke_time.is_none() {
            sqlx::query("UPDATE access_tokens SET revoke_time = $1 WHERE id = $2")
                .bind(time)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            append_events(&mut tx, vec![event]).await?;
            tx.commit().await?;
            token.revoke_time = Some(time);
        }
        Ok(Some(token))
    }

    async fn register_datasets(&self, batch: Vec<Unit>) -> Result<Vec<Result<Vec<Registration>>>> {
        let mut tx = self.begin().await?;

        let keys: Vec<DatasetKey> = batch
            .iter()
            .flatten()
            .map(|p| registration::key_of(&p.new))
            .collect();
        let sql = format!(
            "SELECT coalesce(json_agg({DATASET_JSON}), '[]')::text FROM datasets d \
             JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS k (organization_id, name, version) \
             ON d.organization_id = k.organization_id AND d.name = k.name AND d.version = k.version"
        );
        let found: String = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.1.clone()).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.2.clone()).collect::<Vec<_>>())
            .fetch_one(&mut *tx)
            .await?;
        let existing: HashMap<DatasetKey, Dataset> = decode::datasets(&found)?
            .into_iter()
            .map(|d| ((d.organization_id, d.name.clone(), d.version.clone()), d))
            .collect();

        let parent_ids: Vec<Uuid> = batch
            .iter()
            .flatten()
            .flat_map(|p| p.new.sources.iter().filter_map(Source::parent))
            .collect();
        let mut parents = HashMap::new();
        if !parent_ids.is_empty() {
            let rows = sqlx::query(
                "SELECT id, organization_id, visibility FROM datasets WHERE id = ANY($1)",
            )
            .bind(parent_ids)
            .fetch_all(&mut *tx)
            .await?;
            for row in rows {
                parents.insert(
                    row.try_get::<Uuid, _>("id")?,
                    ParentInfo {
                        organization_id: row.try_get("organization_id")?,
                        visibility: parse_visibility(&row.try_get::<String, _>("visibility")?)?,
                    },
                );
            }
        }

        let plan = registration::plan(batch, existing, parents, Utc::now());
        if !plan.inserts.is_empty() {
            insert_datasets(&mut tx, &plan.inserts).await?;
            insert_aliases(&mut tx, &plan.aliases).await?;
            append_events(&mut tx, plan.events).await?;
            tx.commit().await?;
        }
        Ok(plan.outcomes)
    }

    async fn get_dataset(&self, id: Uuid) -> Result<Option<Dataset>> {
        Ok(self.get_datasets(&[id]).await?.pop())
    }

    async fn get_datasets(&self, ids: &[Uuid]) -> Result<Vec<Dataset>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT coalesce(json_agg({DATASET_JSON}), '[]')::text FROM datasets d WHERE d.id = ANY($1)"
        );
        let found: String = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(ids)
            .fetch_one(&self.readers)
            .await?;
        decode::datasets(&found)
    }

    async fn list_datasets(&self, query: &DatasetQuery) -> Result<Vec<Dataset>> {
        let mut select = QueryBuilder::<Postgres>::new(format!(
            "SELECT coalesce(json_agg(x), '[]')::text FROM (SELECT {DATASET_JSON} AS x FROM datasets d WHERE true"
        ));
        if let Viewer::Organization(org) = query.viewer {
            select
                .push(" AND (d.organization_id = ")
                .push_bind(org)
                .push(" OR d.visibility = 'public')");
        }
        if let Some(name) = &query.name {
            select.push(" AND d.name = ").push_bind(name.clone());
        }
        if let Some(owner) = query.organization_id {
            select.push(" AND d.organization_id = ").push_bind(owner);
        }
        let found = fetch_id_page(select, "d", query.after, query.limit, &self.readers).await?;
        let mut datasets = decode::datasets(&found)?;
        datasets.sort_by_key(|d| d.id);
        Ok(datasets)
    }

    async fn find_named_datasets(
        &self,
        organization: Uuid,
        lookups: &[NameLookup],
    ) -> Result<Vec<Option<Dataset>>> {
        // A registry name wins over an alias of the same spelling; ids are UUID v7, so the
        // greatest is the newest.
        const FIND: &str = "SELECT d.id FROM datasets d WHERE d.organization_id = $1 \
             AND (d.name = $2 OR d.name = (SELECT a.dataset_name FROM dataset_aliases a \
             WHERE a.organization_id = $1 AND a.alias = $2)) AND ($3::text IS NULL OR d.version = $3) \
             ORDER BY d.name = $2 DESC, d.id DESC LIMIT 1";
        let mut found = Vec::with_capacity(lookups.len());
        for lookup in lookups {
            let mut id = None;
            for name in &lookup.names {
                id = sqlx::query_scalar::<_, Uuid>(FIND)
                    .bind(organization)
                    .bind(name)
                    .bind(lookup.version.as_deref())
                    .fetch_optional(&self.readers)
                    .await?;
                if id.is_some() {
                    break;
                }
            }
            found.push(match id {
                Some(id) => self.get_dataset(id).await?,
                None => None,
            });
        }
        Ok(found)
    }

    async fn newest_readers(
        &self,
        organization: Uuid,
        uris: &[String],
        parents: &[Uuid],
    ) -> Result<Vec<Dataset>> {
        const READERS: &str = "SELECT DISTINCT d.id FROM datasets d \
             JOIN dataset_sources s ON s.dataset_id = d.id WHERE d.organization_id = $1 \
             AND ((s.kind = 'external_dataset' AND s.uri = ANY($2)) \
             OR s.parent_dataset_id = ANY($3)) \
             AND NOT EXISTS (SELECT 1 FROM datasets n WHERE n.organization_id = d.organization_id \
             AND n.name = d.name AND n.id > d.id)";
        let ids: Vec<Uuid> = sqlx::query_scalar(READERS)
            .bind(organization)
            .bind(uris)
            .bind(parents)
            .fetch_all(&self.readers)
            .await?;
        let mut readers = self.get_datasets(&ids).await?;
        readers.sort_by_key(|d| d.id);
        Ok(readers)
    }

    async fn lineage_closure(
        &self,
        root: Uuid,
        direction: Direction,
        max_depth: u32,
    ) -> Result<Vec<ClosureEntry>> {
        // Shaped as `policy::CLOSURE_GRAPH` (see there why): one index lookup per dataset
        // reached, `UNION` keeping each once, then lookups by the array of walked ids. Depths are
        // computed from the edges afterwards.
        let (step, node, neighbour) = match direction {
            Direction::Upstream => (
                "SELECT s.parent_dataset_id FROM dataset_sources s \
                 WHERE s.dataset_id = w.id AND s.parent_dataset_id IS NOT NULL",
                "s.dataset_id",
                "s.parent_dataset_id",
            ),
            Direction::Downstream => (
                "SELECT s.dataset_id FROM dataset_sources s WHERE s.parent_dataset_id = w.id",
                "s.parent_dataset_id",
                "s.dataset_id",
            ),
        };
        let sql = format!(
            "WITH RECURSIVE walk (id) AS (SELECT $1::uuid UNION \
               SELECT p.id FROM walk w CROSS JOIN LATERAL ({step} OFFSET 0) AS p (id)), \
             closure AS (SELECT array_agg(id) AS ids FROM walk) \
             SELECT json_build_object(\
               'nodes', (SELECT coalesce(json_agg(json_build_array(d.id, d.organization_id, d.visibility)), '[]') \
                         FROM datasets d WHERE d.id = ANY((SELECT ids FROM closure)::uuid[])), \
               'edges', (SELECT coalesce(json_agg(json_build_array({node}, {neighbour})), '[]') \
                         FROM dataset_sources s WHERE {node} = ANY((SELECT ids FROM closure)::uuid[]) \
                         AND s.parent_dataset_id IS NOT NULL))::text"
        );
        let found: String = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(root)
            .fetch_one(&self.readers)
            .await?;
        let (nodes, edges) = decode::walk(&found)?;
        Ok(crate::domain::lineage::closure_with_depths(
            root, &nodes, &edges, max_depth,
        ))
    }

    async fn lineage_edges(
        &self,
        from: &[Uuid],
        direction: Direction,
    ) -> Result<Vec<(Uuid, Uuid)>> {
        if from.is_empty() {
            return Ok(Vec::new());
        }
        let (node, neighbour) = match direction {
            Direction::Upstream => ("dataset_id", "parent_dataset_id"),
            Direction::Downstream => ("parent_dataset_id", "dataset_id"),
        };
        let sql = format!(
            "SELECT {node}, {neighbour} FROM dataset_sources \
             WHERE {node} = ANY($1) AND parent_dataset_id IS NOT NULL \
             ORDER BY {node}, dataset_id, position"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(from)
            .fetch_all(&self.readers)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }

    async fn list_events(&self, viewer: Viewer, after: u64, limit: u32) -> Result<Vec<Event>> {
        let mut select = QueryBuilder::<Postgres>::new("SELECT * FROM events WHERE sequence > ");
        select.push_bind(super::db_int(after)?);
        if let Viewer::Organization(org) = viewer {
            select
                .push(" AND (public OR organization_id = ")
                .push_bind(org)
                .push(")");
        }
        select
            .push(" ORDER BY sequence LIMIT ")
            .push_bind(i64::from(limit));
        let rows = select.build().fetch_all(&self.readers).await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn chain_head(&self) -> Result<ChainHead> {
        read_head(&self.readers).await
    }

    async fn closure_graph(
        &self,
        root: Uuid,
        policy_id: &str,
        policy_version: &str,
        now: DateTime<Utc>,
    ) -> Result<ClosureGraph> {
        policy::closure_graph(&self.readers, root, policy_id, policy_version, now).await
    }

    async fn shared_closure(
        &self,
        root: Uuid,
        policies: &[(&str, &str)],
        now: DateTime<Utc>,
    ) -> Result<SharedClosure> {
        policy::shared_closure(&self.readers, root, policies, now).await
    }

    async fn record_attestation(
        &self,
        attestation: &Attestation,
        event: NewEvent,
        precondition: &(dyn for<'g> Fn(&'g SharedClosure) -> Result<()> + Send + Sync),
    ) -> Result<()> {
        self.insert_attestation(attestation, event, precondition)
            .await
    }

    async fn get_attestation(&self, id: Uuid) -> Result<Option<Attestation>> {
        self.read_attestation(id).await
    }

    async fn list_attestations(&self, query: &AttestationQuery) -> Result<Vec<Attestation>> {
        self.page_attestations(query).await
    }

    async fn revoke_attestation(
        &self,
        organization_id: Uuid,
        id: Uuid,
        time: DateTime<Utc>,
        reason: &str,
        event: NewEvent,
    ) -> Result<Option<Attestation>> {
        self.mark_attestation_revoked(organization_id, id, time, reason, event)
            .await
    }

    async fn report_contamination(
        &self,
        report: &ContaminationReport,
        event: NewEvent,
    ) -> Result<()> {
        self.insert_contamination_report(report, event).await
    }

    async fn insert_certificates(&self, batch: Vec<CertificateInsert>) -> Result<Vec<Result<u64>>> {
        self.insert_certificate_rows(batch).await
    }

    async fn get_certificate(&self, id: Uuid) -> Result<Option<CertificateRecord>> {
        self.read_certificate(id).await
    }

    async fn log_nodes(&self, ids: &[NodeId]) -> Result<FetchedNodes> {
        log::fetch_nodes(&self.readers, ids).await
    }

    async fn log_level(&self, level: u8, start: u64, count: u32) -> Result<Vec<Hash>> {
        log::level(&self.readers, level, start, count).await
    }

    async fn log_size(&self) -> Result<u64> {
        log::tree_size(&self.readers).await
    }

    async fn log_leaves(&self, start: u64, count: u32) -> Result<Vec<[u8; 32]>> {
        log::leaves(&self.readers, start, count).await
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>> {
        log::latest_checkpoint(&self.readers).await
    }

    async fn reserve_status_position(
        &self,
        certificate: Uuid,
        new_key: [u8; 32],
    ) -> Result<super::StatusPosition> {
        self.reserve_status_row(certificate, new_key).await
    }

    async fn revoked_status_positions(&self, list: u64) -> Result<Option<(u64, Vec<u64>)>> {
        self.read_revoked_positions(list).await
    }

    async fn log_snapshot(&self) -> Result<Box<dyn LogSnapshot>> {
        Ok(Box::new(log::Snapshot::begin(&self.readers).await?))
    }

    async fn keep_checkpoint(&self, checkpoint: SignedCheckpoint) -> Result<SignedCheckpoint> {
        self.keep_checkpoint_row(checkpoint).await
    }

    async fn keep_cosignature(&self, cosignature: CheckpointCosignature) -> Result<()> {
        self.insert_cosignature(cosignature).await
    }

    async fn cosignatures(&self, tree_size: u64) -> Result<Vec<CheckpointCosignature>> {
        self.read_cosignatures(tree_size).await
    }

    async fn witnessed_sizes(&self) -> Result<Vec<(String, u64)>> {
        self.read_witnessed_sizes().await
    }

    async fn recorded_keys(&self) -> Result<Vec<RecordedKey>> {
        self.read_recorded_keys().await
    }

    async fn record_keys(&self, keys: &[RecordedKey]) -> Result<Vec<RecordedKey>> {
        self.insert_recorded_keys(keys).await
    }

    async fn replace_recorded_key(
        &self,
        expected: Option<&str>,
        key: &RecordedKey,
    ) -> Result<bool> {
        self.replace_recorded_key_row(expected, key).await
    }

    async fn revoke_certificate(
        &self,
        organization_id: Uuid,
        id: Uuid,
        time: DateTime<Utc>,
        reason: &str,
        events: Vec<NewEvent>,
    ) -> Result<Option<CertificateRecord>> {
        self.mark_certificate_revoked(organization_id, id, time, reason, events)
            .await
    }
}

/// Records aliases; one already taken keeps the dataset it names (the first claim wins).
async fn insert_aliases(
    tx: &mut Transaction<'_, Postgres>,
    aliases: &[(Uuid, String, String)],
) -> Result<()> {
    for chunk in aliases.chunks(MAX_ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO dataset_aliases (organization_id, alias, dataset_name) ",
        );
        insert.push_values(chunk, |mut row, (org, alias, name)| {
            row.push_bind(*org)
                .push_bind(alias.clone())
                .push_bind(name.clone());
        });
        insert.push(" ON CONFLICT (organization_id, alias) DO NOTHING");
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_datasets(tx: &mut Transaction<'_, Postgres>, datasets: &[Dataset]) -> Result<()> {
    for chunk in datasets.chunks(MAX_ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO datasets (id, organization_id, name, version, content_digest, size_bytes, \
             description, license, visibility, create_time, creator_token_id, creator_subject) ",
        );
        insert.push_values(chunk, |mut row, d| {
            row.push_bind(d.id)
                .push_bind(d.organization_id)
                .push_bind(d.name.clone())
                .push_bind(d.version.clone())
                .push_bind(d.content_digest.as_str().to_owned())
                .push_bind(d.size_bytes.map(|s| s as i64))
                .push_bind(d.description.clone())
                .push_bind(d.license.clone())
                .push_bind(d.visibility.as_str())
                .push_bind(d.create_time)
                .push_bind(d.creator_token_id)
                .push_bind(d.creator_subject.clone());
        });
        insert.build().execute(&mut **tx).await?;
    }
    let sources: Vec<(Uuid, usize, &Source)> = datasets
        .iter()
        .flat_map(|d| d.sources.iter().enumerate().map(move |(i, s)| (d.id, i, s)))
        .collect();
    for chunk in sources.chunks(MAX_ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO dataset_sources (dataset_id, position, kind, parent_dataset_id, model_id, \
             model_version, model_provider, uri, license, collect_time, content_digest, description, \
             parent_public) ",
        );
        insert.push_values(chunk, |mut row, &(dataset_id, position, s)| {
            let model = match &s.kind {
                SourceKind::ModelGenerated { model } => Some(model),
                _ => None,
            };
            row.push_bind(dataset_id)
                .push_bind(position as i32)
                .push_bind(s.kind.name())
                .push_bind(s.parent())
                .push_bind(model.map(|m| m.model_id.clone()))
                .push_bind(model.and_then(|m| m.version.clone()))
                .push_bind(model.and_then(|m| m.provider.clone()))
                .push_bind(s.uri.clone())
                .push_bind(s.license.clone())
                .push_bind(s.collect_time)
                .push_bind(s.content_digest.as_ref().map(|d| d.as_str().to_owned()))
                .push_bind(s.description.clone())
                .push_bind(match s.kind {
                    SourceKind::Dataset { parent_public, .. } => Some(parent_public),
                    _ => None,
                });
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}
