//! The embedded SQLite store: one file in WAL mode, written through a single connection (SQLite
//! allows one writer anyway, and one connection means no lock contention inside the process), read
//! through a small pool.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, QueryBuilder, Row, Sqlite, Transaction};
use tracing::Instrument;
use uuid::Uuid;

mod certificates;
mod decode_rows;
mod keys;
mod log;
mod policy;
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
use crate::store::decode::{self, parse_hash, parse_time, parse_uuid, parse_visibility};
use decode_rows::{DATASET_JSON, event_from_row, token_from_row};

/// SQLite allows 32,766 bound parameters per statement; chunks stay well below.
const MAX_ROWS_PER_INSERT: usize = 400;

/// The SQLite implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The single writing connection.
    writer: SqlitePool,
    /// Read-only connections for queries, so reads never wait behind a write transaction.
    readers: SqlitePool,
    /// Where write transactions' waits are recorded, once the registry says.
    metrics: Arc<OnceLock<Metrics>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or `sqlite:path`) and
    /// applies the migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid SQLite URL {url:?}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before it is acknowledged, so it survives power loss too.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot open SQLite database {url:?}"))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .context("cannot apply the SQLite migrations")?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .with_context(|| format!("cannot open SQLite database {url:?} for reading"))?;
        let store = Self {
            writer,
            readers,
            metrics: Arc::default(),
        };
        // A database written before the transparency log existed gets its tree now.
        let added = store.extend_log_over_events().await?;
        if added > 0 {
            tracing::info!(events = added, "added older events to the transparency log");
        }
        Ok(store)
    }

    /// Opens the existing database at `url` for reading only: no migrations, no tree extended, no
    /// file created, every connection read-only (writes fail). For checking a registry or a copy of
    /// one (`admin verify`) without changing it, while a server may be writing to it.
    pub async fn open_read_only(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid SQLite URL {url:?}"))?
            .read_only(true)
            .busy_timeout(Duration::from_secs(10));
        let readers = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open SQLite database {url:?} for reading"))?;
        Ok(Self {
            writer: readers.clone(),
            readers,
            metrics: Arc::default(),
        })
    }

    /// The database at `url` for people: `sqlite://` and the file's absolute path.
    pub fn describe(url: &str) -> String {
        match SqliteConnectOptions::from_str(url) {
            Ok(options) => {
                let file = options.get_filename();
                let file = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
                format!("sqlite://{}", file.display())
            }
            Err(_) => format!("(an invalid SQLite URL {url:?})"),
        }
    }

    /// Whether the database file `url` names exists (the server creates it at its first start).
    pub fn holds_registry(url: &str) -> Result<bool> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid SQLite URL {url:?}"))?;
        Ok(options.get_filename().is_file())
    }

    /// The URL of the database file `name` inside `dir`.
    pub fn url_in(dir: &Path, name: &str) -> String {
        format!("sqlite://{}", dir.join(name).display())
    }

    /// A write transaction that holds SQLite's write lock from its start, so that it never fails
    /// half-way for want of it (another process, such as the admin command, may write too).
    async fn begin(&self) -> Result<Transaction<'static, Sqlite>> {
        let start = Instant::now();
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .instrument(tracing::info_span!(
                target: crate::telemetry::TRACE_TARGET,
                "store.begin",
                db.system.name = "sqlite"
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
    outcome: std::result::Result<sqlx::sqlite::SqliteQueryResult, sqlx::Error>,
    violated: fn(&dyn sqlx::error::DatabaseError) -> bool,
    refusal: impl FnOnce() -> Error,
) -> Result<()> {
    match outcome {
        Err(sqlx::Error::Database(e)) if violated(e.as_ref()) => Err(refusal()),
        other => other.map(|_| ()).map_err(Error::from),
    }
}

/// Finishes a page query opened as `SELECT json_group_array(json(x)) FROM (SELECT ... AS x FROM
/// <table> <alias> WHERE ...`: resumes after the id `after`, orders by id, takes `limit` rows, and
/// returns the page as the one JSON row.
async fn fetch_id_page(
    mut select: QueryBuilder<Sqlite>,
    alias: &str,
    after: Option<Uuid>,
    limit: u32,
    readers: &SqlitePool,
) -> Result<String> {
    if let Some(after) = after {
        select
            .push(format!(" AND {alias}.id > "))
            .push_bind(after.to_string());
    }
    select
        .push(format!(" ORDER BY {alias}.id LIMIT "))
        .push_bind(i64::from(limit))
        .push(")");
    Ok(select.build_query_scalar().fetch_one(readers).await?)
}

/// An organisation from a row of `id, name, create_time`.
fn organization_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Organization> {
    Ok(Organization {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        name: row.try_get("name")?,
        create_time: parse_time(&row.try_get::<String, _>("create_time")?)?,
    })
}

/// Appends `events` after the current head inside `tx`, with their leaves in the transparency log;
/// returns the new head.
async fn append_events(
    tx: &mut Transaction<'_, Sqlite>,
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
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO events (sequence, type, subject, organization_id, public, payload, time, prev_hash, hash) ",
        );
        insert.push_values(chunk, |mut row, e| {
            row.push_bind(e.sequence as i64)
                .push_bind(e.event_type.clone())
                .push_bind(e.subject.clone())
                .push_bind(e.organization_id.map(|id| id.to_string()))
                .push_bind(e.public)
                .push_bind(e.payload_json.clone())
                .push_bind(event::format_time(e.time))
                .push_bind(hex::encode(e.prev_hash))
                .push_bind(hex::encode(e.hash));
        });
        insert.build().execute(&mut **tx).await?;
    }
    webhooks::enqueue_deliveries(tx, head.sequence).await?;
    Ok(new_head)
}

async fn read_head<'e, E: sqlx::SqliteExecutor<'e>>(executor: E) -> Result<ChainHead> {
    let row = sqlx::query("SELECT sequence, hash FROM events ORDER BY sequence DESC LIMIT 1")
        .fetch_optional(executor)
        .await?;
    match row {
        None => Ok(ChainHead::EMPTY),
        Some(row) => Ok(ChainHead {
            sequence: row.try_get::<i64, _>("sequence")? as u64,
            hash: parse_hash(&row.try_get::<String, _>("hash")?)?,
        }),
    }
}

#[async_trait]
impl Store for SqliteStore {
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
                .bind(org.id.to_string())
                .bind(&org.name)
                .bind(event::format_time(org.create_time))
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
            .bind(id.to_string())
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(organization_from_row).transpose()
    }

    async fn list_organizations(&self, query: &OrganizationQuery) -> Result<Vec<Organization>> {
        let mut select = QueryBuilder::<Sqlite>::new(
            "SELECT id, name, create_time FROM organizations WHERE 1 = 1",
        );
        if let Some(name) = &query.name {
            select.push(" AND name = ").push_bind(name.clone());
        }
        if let Some(after) = query.after {
            select.push(" AND id > ").push_bind(after.to_string());
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
        .bind(token.id.to_string())
        .bind(token.organization_id.map(|id| id.to_string()))
        .bind(token.role.as_str())
        .bind(&token.subject)
        .bind(event::format_time(token.create_time))
        .bind(event::format_time(token.expire_time))
        .execute(&mut *tx)
        .await?;
        append_events(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_access_token(&self, id: Uuid) -> Result<Option<AccessTokenRecord>> {
        let row = sqlx::query("SELECT * FROM access_tokens WHERE id = $1")
            .bind(id.to_string())
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
            .bind(id.to_string())
            .bind(organization_id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(mut token) = row.as_ref().map(token_from_row).transpose()? else {
            return Ok(None);
        };
        if token.revoke_time.is_none() {
            sqlx::query("UPDATE access_tokens SET revoke_time = $1 WHERE id = $2")
                .bind(event::format_time(time))
                .bind(id.to_string())
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
        let keys_json = json!(
            keys.iter()
                .map(|(org, name, version)| json!([org.to_string(), name, version]))
                .collect::<Vec<_>>()
        );
        let sql = format!(
            "SELECT json_group_array({DATASET_JSON}) FROM datasets d JOIN json_each($1) k \
             ON d.organization_id = k.value ->> 0 AND d.name = k.value ->> 1 AND d.version = k.value ->> 2"
        );
        let found: String = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(keys_json.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let existing: HashMap<DatasetKey, Dataset> = decode::datasets(&found)?
            .into_iter()
            .map(|d| ((d.organization_id, d.name.clone(), d.version.clone()), d))
            .collect();

        let parent_ids: Vec<String> = batch
            .iter()
            .flatten()
            .flat_map(|p| p.new.sources.iter().filter_map(Source::parent))
            .map(|id| id.to_string())
            .collect();
        let mut parents = HashMap::new();
        if !parent_ids.is_empty() {
            let rows = sqlx::query(
                "SELECT id, organization_id, visibility FROM datasets \
                 WHERE id IN (SELECT value FROM json_each($1))",
            )
            .bind(json!(parent_ids).to_string())
            .fetch_all(&mut *tx)
            .await?;
            for row in rows {
                parents.insert(
                    parse_uuid(&row.try_get::<String, _>("id")?)?,
                    ParentInfo {
                        organization_id: parse_uuid(&row.try_get::<String, _>("organization_id")?)?,
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
            "SELECT json_group_array({DATASET_JSON}) FROM datasets d \
             WHERE d.id IN (SELECT value FROM json_each($1))"
        );
        let found: String = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(uuid_list(ids))
            .fetch_one(&self.readers)
            .await?;
        decode::datasets(&found)
    }

    async fn list_datasets(&self, query: &DatasetQuery) -> Result<Vec<Dataset>> {
        // The page is selected (and limited) inside, then folded into one JSON row outside; json()
        // keeps each object an object rather than a string once it has passed the subquery.
        let mut select = QueryBuilder::<Sqlite>::new(format!(
            "SELECT json_group_array(json(x)) FROM (SELECT {DATASET_JSON} AS x FROM datasets d WHERE 1 = 1"
        ));
        if let Viewer::Organization(org) = query.viewer {
            select
                .push(" AND (d.organization_id = ")
                .push_bind(org.to_string())
                .push(" OR d.visibility = 'public')");
        }
        if let Some(name) = &query.name {
            select.push(" AND d.name = ").push_bind(name.clone());
        }
        if let Some(owner) = query.organization_id {
            select
                .push(" AND d.organization_id = ")
                .push_bind(owner.to_string());
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
             WHERE a.organization_id = $1 AND a.alias = $2)) AND ($3 IS NULL OR d.version = $3) \
             ORDER BY d.name = $2 DESC, d.id DESC LIMIT 1";
        let mut found = Vec::with_capacity(lookups.len());
        for lookup in lookups {
            let mut id = None;
            for name in &lookup.names {
                id = sqlx::query_scalar::<_, String>(FIND)
                    .bind(organization.to_string())
                    .bind(name)
                    .bind(lookup.version.as_deref())
                    .fetch_optional(&self.readers)
                    .await?;
                if id.is_some() {
                    break;
                }
            }
            found.push(match id {
                Some(id) => self.get_dataset(parse_uuid(&id)?).await?,
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
             AND ((s.kind = 'external_dataset' AND s.uri IN (SELECT value FROM json_each($2))) \
             OR s.parent_dataset_id IN (SELECT value FROM json_each($3))) \
             AND NOT EXISTS (SELECT 1 FROM datasets n WHERE n.organization_id = d.organization_id \
             AND n.name = d.name AND n.id > d.id)";
        let ids: Vec<String> = sqlx::query_scalar(READERS)
            .bind(organization.to_string())
            .bind(json!(uris).to_string())
            .bind(uuid_list(parents))
            .fetch_all(&self.readers)
            .await?;
        let ids = ids
            .iter()
            .map(|id| parse_uuid(id))
            .collect::<Result<Vec<_>>>()?;
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
        // The walk keeps each dataset once (UNION on the id alone), so it costs the closure's edges
        // however many paths of however many lengths lead to a dataset; depths are computed from the
        // edges afterwards. One JSON row holds it all: sqlx hands SQLite rows over from its worker
        // thread one at a time. `CROSS JOIN` keeps the join order walk-first (see
        // `policy::CLOSURE_GRAPH`).
        let (step, node, neighbour) = match direction {
            Direction::Upstream => (
                "SELECT s.parent_dataset_id FROM walk w CROSS JOIN dataset_sources s \
                 ON s.dataset_id = w.id WHERE s.parent_dataset_id IS NOT NULL",
                "s.dataset_id",
                "s.parent_dataset_id",
            ),
            Direction::Downstream => (
                "SELECT s.dataset_id FROM walk w CROSS JOIN dataset_sources s \
                 ON s.parent_dataset_id = w.id",
                "s.parent_dataset_id",
                "s.dataset_id",
            ),
        };
        let sql = format!(
            "WITH RECURSIVE walk (id) AS MATERIALIZED (SELECT $1 UNION {step}) \
             SELECT json_object(\
               'nodes', (SELECT json_group_array(json_array(d.id, d.organization_id, d.visibility)) \
                         FROM walk w CROSS JOIN datasets d ON d.id = w.id), \
               'edges', (SELECT json_group_array(json_array({node}, {neighbour})) \
                         FROM walk w CROSS JOIN dataset_sources s ON {node} = w.id \
                         WHERE s.parent_dataset_id IS NOT NULL))"
        );
        let found: String = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(root.to_string())
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
        // One JSON row rather than one row per edge (see `decode::DATASET_JSON`).
        let sql = format!(
            "SELECT json_group_array(json_array({node}, {neighbour}) ORDER BY {node}, dataset_id, position) \
             FROM dataset_sources WHERE {node} IN (SELECT value FROM json_each($1)) \
             AND parent_dataset_id IS NOT NULL"
        );
        let found: String = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(uuid_list(from))
            .fetch_one(&self.readers)
            .await?;
        let pairs: Vec<(String, String)> =
            serde_json::from_str(&found).context("stored edges did not read back as JSON")?;
        decode::uuid_pairs(&pairs)
    }

    async fn list_events(&self, viewer: Viewer, after: u64, limit: u32) -> Result<Vec<Event>> {
        let mut select = QueryBuilder::<Sqlite>::new("SELECT * FROM events WHERE sequence > ");
        select.push_bind(super::db_int(after)?);
        if let Viewer::Organization(org) = viewer {
            select
                .push(" AND (public = 1 OR organization_id = ")
                .push_bind(org.to_string())
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
        self.read_log_nodes(ids).await
    }

    async fn log_level(&self, level: u8, start: u64, count: u32) -> Result<Vec<Hash>> {
        self.read_log_level(level, start, count).await
    }

    async fn log_size(&self) -> Result<u64> {
        self.read_log_size().await
    }

    async fn log_leaves(&self, start: u64, count: u32) -> Result<Vec<[u8; 32]>> {
        self.read_log_leaves(start, count).await
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>> {
        self.read_latest_checkpoint().await
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
        Ok(Box::new(self.log_snapshot_tx().await?))
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
    tx: &mut Transaction<'_, Sqlite>,
    aliases: &[(Uuid, String, String)],
) -> Result<()> {
    for chunk in aliases.chunks(MAX_ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO dataset_aliases (organization_id, alias, dataset_name) ",
        );
        insert.push_values(chunk, |mut row, (org, alias, name)| {
            row.push_bind(org.to_string())
                .push_bind(alias.clone())
                .push_bind(name.clone());
        });
        insert.push(" ON CONFLICT (organization_id, alias) DO NOTHING");
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_datasets(tx: &mut Transaction<'_, Sqlite>, datasets: &[Dataset]) -> Result<()> {
    for chunk in datasets.chunks(MAX_ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO datasets (id, organization_id, name, version, content_digest, size_bytes, \
             description, license, visibility, create_time, creator_token_id, creator_subject) ",
        );
        insert.push_values(chunk, |mut row, d| {
            row.push_bind(d.id.to_string())
                .push_bind(d.organization_id.to_string())
                .push_bind(d.name.clone())
                .push_bind(d.version.clone())
                .push_bind(d.content_digest.as_str().to_owned())
                .push_bind(d.size_bytes.map(|s| s as i64))
                .push_bind(d.description.clone())
                .push_bind(d.license.clone())
                .push_bind(d.visibility.as_str())
                .push_bind(event::format_time(d.create_time))
                .push_bind(d.creator_token_id.to_string())
                .push_bind(d.creator_subject.clone());
        });
        insert.build().execute(&mut **tx).await?;
    }
    let sources: Vec<(Uuid, usize, &Source)> = datasets
        .iter()
        .flat_map(|d| d.sources.iter().enumerate().map(move |(i, s)| (d.id, i, s)))
        .collect();
    for chunk in sources.chunks(MAX_ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO dataset_sources (dataset_id, position, kind, parent_dataset_id, model_id, \
             model_version, model_provider, uri, license, collect_time, content_digest, description, \
             parent_public) ",
        );
        insert.push_values(chunk, |mut row, &(dataset_id, position, s)| {
            let model = match &s.kind {
                SourceKind::ModelGenerated { model } => Some(model),
                _ => None,
            };
            row.push_bind(dataset_id.to_string())
                .push_bind(position as i64)
                .push_bind(s.kind.name())
                .push_bind(s.parent().map(|id| id.to_string()))
                .push_bind(model.map(|m| m.model_id.clone()))
                .push_bind(model.and_then(|m| m.version.clone()))
                .push_bind(model.and_then(|m| m.provider.clone()))
                .push_bind(s.uri.clone())
                .push_bind(s.license.clone())
                .push_bind(s.collect_time.map(event::format_time))
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

/// A JSON array of ids, for `json_each` (one bound parameter however many ids).
fn uuid_list(ids: &[Uuid]) -> String {
    json!(ids.iter().map(Uuid::to_string).collect::<Vec<_>>()).to_string()
}
