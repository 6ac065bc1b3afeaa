//! The embedded SQLite store: one file in WAL mode, written through a single connection (SQLite
//! allows one writer anyway, and one connection means no lock contention inside the process), read
//! through a small pool.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use uuid::Uuid;

use super::{DatasetQuery, Store, Viewer};
use crate::domain::access::{AccessTokenRecord, Organization, Role};
use crate::domain::dataset::{Dataset, ModelRef, Source, SourceKind, Visibility};
use crate::domain::digest::ContentDigest;
use crate::domain::event::{self, ChainHead, Event, NewEvent};
use crate::domain::lineage::{ClosureEntry, Direction};
use crate::domain::registration::{self, DatasetKey, ParentInfo, Pending, Registration};
use crate::error::{Error, Result};

/// SQLite allows 32,766 bound parameters per statement; chunks stay well below.
const MAX_ROWS_PER_INSERT: usize = 400;

/// The SQLite implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The single writing connection.
    writer: SqlitePool,
    /// Read-only connections for queries, so reads never wait behind a write transaction.
    readers: SqlitePool,
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
        Ok(Self { writer, readers })
    }

    /// The URL of the database file `name` inside `dir`.
    pub fn url_in(dir: &Path, name: &str) -> String {
        format!("sqlite://{}", dir.join(name).display())
    }

    /// A write transaction that holds SQLite's write lock from its start, so that it never fails
    /// half-way for want of it (another process, such as the admin command, may write too).
    async fn begin(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Appends `events` after the current head inside `tx`.
async fn append_events(tx: &mut Transaction<'_, Sqlite>, events: Vec<NewEvent>) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let head = read_head(&mut **tx).await?;
    let (sealed, _) = event::seal(head, events, Utc::now());
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
    Ok(())
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
    async fn create_organization(&self, org: &Organization, event: NewEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        let inserted =
            sqlx::query("INSERT INTO organizations (id, name, create_time) VALUES ($1, $2, $3)")
                .bind(org.id.to_string())
                .bind(&org.name)
                .bind(event::format_time(org.create_time))
                .execute(&mut *tx)
                .await;
        match inserted {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(Error::AlreadyExists(format!(
                    "an organisation named {:?} already exists",
                    org.name
                )));
            }
            other => {
                other?;
            }
        }
        append_events(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_organization(&self, id: Uuid) -> Result<Option<Organization>> {
        let row = sqlx::query("SELECT id, name, create_time FROM organizations WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.readers)
            .await?;
        row.map(|row| {
            Ok(Organization {
                id: parse_uuid(&row.try_get::<String, _>("id")?)?,
                name: row.try_get("name")?,
                create_time: parse_time(&row.try_get::<String, _>("create_time")?)?,
            })
        })
        .transpose()
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

    async fn register_datasets(&self, batch: Vec<Pending>) -> Result<Vec<Result<Registration>>> {
        let mut tx = self.begin().await?;

        let keys: Vec<DatasetKey> = batch.iter().map(|p| registration::key_of(&p.new)).collect();
        let keys_json = json!(
            keys.iter()
                .map(|(org, name, version)| json!([org.to_string(), name, version]))
                .collect::<Vec<_>>()
        );
        let rows = sqlx::query(
            "SELECT d.* FROM datasets d JOIN json_each($1) k \
             ON d.organization_id = k.value ->> 0 AND d.name = k.value ->> 1 AND d.version = k.value ->> 2",
        )
        .bind(keys_json.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let existing: HashMap<DatasetKey, Dataset> = with_sources(&mut tx, rows)
            .await?
            .into_iter()
            .map(|d| ((d.organization_id, d.name.clone(), d.version.clone()), d))
            .collect();

        let parent_ids: Vec<String> = batch
            .iter()
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

        let plan = registration::plan(batch, existing, &parents, Utc::now());
        if !plan.inserts.is_empty() {
            insert_datasets(&mut tx, &plan.inserts).await?;
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
        let mut conn = self.readers.acquire().await?;
        let rows =
            sqlx::query("SELECT * FROM datasets WHERE id IN (SELECT value FROM json_each($1))")
                .bind(uuid_list(ids))
                .fetch_all(&mut *conn)
                .await?;
        with_sources(&mut conn, rows).await
    }

    async fn list_datasets(&self, query: &DatasetQuery) -> Result<Vec<Dataset>> {
        let mut select = QueryBuilder::<Sqlite>::new("SELECT * FROM datasets WHERE 1 = 1");
        if let Viewer::Organization(org) = query.viewer {
            select
                .push(" AND (organization_id = ")
                .push_bind(org.to_string())
                .push(" OR visibility = 'public')");
        }
        if let Some(name) = &query.name {
            select.push(" AND name = ").push_bind(name.clone());
        }
        if let Some(owner) = query.organization_id {
            select
                .push(" AND organization_id = ")
                .push_bind(owner.to_string());
        }
        if let Some(after) = query.after {
            select.push(" AND id > ").push_bind(after.to_string());
        }
        select
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(query.limit));
        let mut conn = self.readers.acquire().await?;
        let rows = select.build().fetch_all(&mut *conn).await?;
        let mut datasets = with_sources(&mut conn, rows).await?;
        datasets.sort_by_key(|d| d.id);
        Ok(datasets)
    }

    async fn lineage_closure(
        &self,
        root: Uuid,
        direction: Direction,
        max_depth: u32,
    ) -> Result<Vec<ClosureEntry>> {
        // UNION (not UNION ALL) keeps each (node, depth) pair once, so diamonds do not multiply rows;
        // the outer query keeps each node's shortest depth.
        let step = match direction {
            Direction::Upstream => {
                "SELECT s.parent_dataset_id, w.depth + 1 FROM walk w \
                 JOIN dataset_sources s ON s.dataset_id = w.id \
                 WHERE s.parent_dataset_id IS NOT NULL AND w.depth < $2"
            }
            Direction::Downstream => {
                "SELECT s.dataset_id, w.depth + 1 FROM walk w \
                 JOIN dataset_sources s ON s.parent_dataset_id = w.id \
                 WHERE w.depth < $2"
            }
        };
        // One row holding the whole closure as JSON: sqlx hands SQLite rows over from its worker
        // thread one at a time, which for thousands of rows costs far more than the walk itself.
        let sql = format!(
            "WITH RECURSIVE walk (id, depth) AS (SELECT $1, 0 UNION {step}) \
             SELECT json_group_array(json_array(d.id, m.depth, d.organization_id, d.visibility)) \
             FROM (SELECT id, MIN(depth) AS depth FROM walk GROUP BY id) m \
             JOIN datasets d ON d.id = m.id"
        );
        let closure: String = sqlx::query_scalar(&sql)
            .bind(root.to_string())
            .bind(i64::from(max_depth))
            .fetch_one(&self.readers)
            .await?;
        let rows: Vec<(String, u32, String, String)> =
            serde_json::from_str(&closure).context("the closure query returned malformed JSON")?;
        rows.iter()
            .map(|(id, depth, organization_id, visibility)| {
                Ok(ClosureEntry {
                    id: parse_uuid(id)?,
                    depth: *depth,
                    organization_id: parse_uuid(organization_id)?,
                    visibility: parse_visibility(visibility)?,
                })
            })
            .collect()
    }

    async fn lineage_edges(
        &self,
        from: &[Uuid],
        direction: Direction,
    ) -> Result<Vec<(Uuid, Uuid)>> {
        if from.is_empty() {
            return Ok(Vec::new());
        }
        let sql = match direction {
            Direction::Upstream => {
                "SELECT dataset_id AS node, parent_dataset_id AS neighbour FROM dataset_sources \
                 WHERE dataset_id IN (SELECT value FROM json_each($1)) AND parent_dataset_id IS NOT NULL \
                 ORDER BY dataset_id, position"
            }
            Direction::Downstream => {
                "SELECT parent_dataset_id AS node, dataset_id AS neighbour FROM dataset_sources \
                 WHERE parent_dataset_id IN (SELECT value FROM json_each($1)) \
                 ORDER BY parent_dataset_id, dataset_id"
            }
        };
        let rows = sqlx::query(sql)
            .bind(uuid_list(from))
            .fetch_all(&self.readers)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    parse_uuid(&row.try_get::<String, _>("node")?)?,
                    parse_uuid(&row.try_get::<String, _>("neighbour")?)?,
                ))
            })
            .collect()
    }

    async fn list_events(&self, viewer: Viewer, after: u64, limit: u32) -> Result<Vec<Event>> {
        let mut select = QueryBuilder::<Sqlite>::new("SELECT * FROM events WHERE sequence > ");
        select.push_bind(after.min(i64::MAX as u64) as i64);
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

/// Turns dataset rows into datasets, loading all their sources in one more query.
async fn with_sources(
    conn: &mut sqlx::SqliteConnection,
    rows: Vec<SqliteRow>,
) -> Result<Vec<Dataset>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut datasets = rows
        .iter()
        .map(dataset_from_row)
        .collect::<Result<Vec<_>>>()?;
    let ids: Vec<Uuid> = datasets.iter().map(|d| d.id).collect();
    let source_rows = sqlx::query(
        "SELECT * FROM dataset_sources WHERE dataset_id IN (SELECT value FROM json_each($1)) \
         ORDER BY dataset_id, position",
    )
    .bind(uuid_list(&ids))
    .fetch_all(&mut *conn)
    .await?;
    let mut by_dataset: HashMap<Uuid, Vec<Source>> = HashMap::new();
    for row in &source_rows {
        let dataset_id = parse_uuid(&row.try_get::<String, _>("dataset_id")?)?;
        by_dataset
            .entry(dataset_id)
            .or_default()
            .push(source_from_row(row)?);
    }
    for dataset in &mut datasets {
        dataset.sources = by_dataset.remove(&dataset.id).unwrap_or_default();
    }
    Ok(datasets)
}

fn dataset_from_row(row: &SqliteRow) -> Result<Dataset> {
    Ok(Dataset {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        organization_id: parse_uuid(&row.try_get::<String, _>("organization_id")?)?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        content_digest: parse_digest(&row.try_get::<String, _>("content_digest")?)?,
        size_bytes: row
            .try_get::<Option<i64>, _>("size_bytes")?
            .map(|s| s as u64),
        description: row.try_get("description")?,
        license: row.try_get("license")?,
        visibility: parse_visibility(&row.try_get::<String, _>("visibility")?)?,
        sources: Vec::new(),
        create_time: parse_time(&row.try_get::<String, _>("create_time")?)?,
        creator_token_id: parse_uuid(&row.try_get::<String, _>("creator_token_id")?)?,
        creator_subject: row.try_get("creator_subject")?,
    })
}

fn source_from_row(row: &SqliteRow) -> Result<Source> {
    let kind_name: String = row.try_get("kind")?;
    let kind = match kind_name.as_str() {
        "dataset" => SourceKind::Dataset {
            parent_public: row
                .try_get::<Option<bool>, _>("parent_public")?
                .unwrap_or(false),
            dataset_id: parse_uuid(
                &row.try_get::<Option<String>, _>("parent_dataset_id")?
                    .context("a dataset source without a parent id")?,
            )?,
        },
        "external_dataset" => SourceKind::ExternalDataset,
        "web_crawl" => SourceKind::WebCrawl,
        "licensed_corpus" => SourceKind::LicensedCorpus,
        "human_authored" => SourceKind::HumanAuthored,
        "model_generated" => SourceKind::ModelGenerated {
            model: ModelRef {
                model_id: row
                    .try_get::<Option<String>, _>("model_id")?
                    .context("a model-generated source without a model id")?,
                version: row.try_get("model_version")?,
                provider: row.try_get("model_provider")?,
            },
        },
        other => {
            return Err(Error::internal(anyhow::anyhow!(
                "unknown stored source kind {other:?}"
            )));
        }
    };
    Ok(Source {
        kind,
        uri: row.try_get("uri")?,
        license: row.try_get("license")?,
        collect_time: row
            .try_get::<Option<String>, _>("collect_time")?
            .map(|t| parse_time(&t))
            .transpose()?,
        content_digest: row
            .try_get::<Option<String>, _>("content_digest")?
            .map(|d| parse_digest(&d))
            .transpose()?,
        description: row.try_get("description")?,
    })
}

fn token_from_row(row: &SqliteRow) -> Result<AccessTokenRecord> {
    let role: String = row.try_get("role")?;
    Ok(AccessTokenRecord {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        organization_id: row
            .try_get::<Option<String>, _>("organization_id")?
            .map(|id| parse_uuid(&id))
            .transpose()?,
        role: Role::parse(&role).with_context(|| format!("unknown stored role {role:?}"))?,
        subject: row.try_get("subject")?,
        create_time: parse_time(&row.try_get::<String, _>("create_time")?)?,
        expire_time: parse_time(&row.try_get::<String, _>("expire_time")?)?,
        revoke_time: row
            .try_get::<Option<String>, _>("revoke_time")?
            .map(|t| parse_time(&t))
            .transpose()?,
    })
}

fn event_from_row(row: &SqliteRow) -> Result<Event> {
    Ok(Event {
        sequence: row.try_get::<i64, _>("sequence")? as u64,
        event_type: row.try_get("type")?,
        subject: row.try_get("subject")?,
        organization_id: row
            .try_get::<Option<String>, _>("organization_id")?
            .map(|id| parse_uuid(&id))
            .transpose()?,
        public: row.try_get("public")?,
        payload_json: row.try_get("payload")?,
        time: parse_time(&row.try_get::<String, _>("time")?)?,
        prev_hash: parse_hash(&row.try_get::<String, _>("prev_hash")?)?,
        hash: parse_hash(&row.try_get::<String, _>("hash")?)?,
    })
}

/// A JSON array of ids, for `json_each` (one bound parameter however many ids).
fn uuid_list(ids: &[Uuid]) -> String {
    json!(ids.iter().map(Uuid::to_string).collect::<Vec<_>>()).to_string()
}

// Stored values were written by this store; failing to read one back is an internal fault.

fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::try_parse(text)
        .with_context(|| format!("stored id {text:?} is not a UUID"))
        .map_err(Error::from)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .with_context(|| format!("stored time {text:?} is not RFC 3339"))
        .map_err(Error::from)
}

fn parse_visibility(text: &str) -> Result<Visibility> {
    Visibility::parse(text)
        .with_context(|| format!("unknown stored visibility {text:?}"))
        .map_err(Error::from)
}

fn parse_digest(text: &str) -> Result<ContentDigest> {
    ContentDigest::parse("stored digest", text)
        .map_err(|_| Error::internal(anyhow::anyhow!("stored digest {text:?} is malformed")))
}

fn parse_hash(text: &str) -> Result<[u8; 32]> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash)
        .with_context(|| format!("stored hash {text:?} is not 32 bytes of hex"))?;
    Ok(hash)
}
