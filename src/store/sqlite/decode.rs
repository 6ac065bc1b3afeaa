//! Reading stored rows back into domain types. Values were written by this store, so failing to
//! read one back is an internal fault, reported with what was found.

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::domain::access::{AccessTokenRecord, Role};
use crate::domain::attestation::{ContaminationReport, Evidence};
use crate::domain::dataset::{Dataset, ModelRef, Source, SourceKind, Visibility};
use crate::domain::digest::ContentDigest;
use crate::domain::event::Event;
use crate::error::{Error, Result};

/// SQL for one dataset row `d` with all its sources, as one JSON object shaped like
/// [`DatasetJson`]. Reading datasets as JSON means one row per query however many datasets and
/// sources it finds: sqlx passes SQLite rows from its worker thread one by one, which for pages of
/// hundreds of datasets costs far more than the query itself. `json(...)` keeps the nested array an
/// array once it has passed through the scalar subquery.
pub const DATASET_JSON: &str = "json_object(\
    'id', d.id, 'organization_id', d.organization_id, 'name', d.name, 'version', d.version, \
    'content_digest', d.content_digest, 'size_bytes', d.size_bytes, 'description', d.description, \
    'license', d.license, 'visibility', d.visibility, 'create_time', d.create_time, \
    'creator_token_id', d.creator_token_id, 'creator_subject', d.creator_subject, \
    'sources', json((SELECT json_group_array(json_object(\
        'kind', s.kind, 'parent_dataset_id', s.parent_dataset_id, 'parent_public', s.parent_public, \
        'model_id', s.model_id, 'model_version', s.model_version, 'model_provider', s.model_provider, \
        'uri', s.uri, 'license', s.license, 'collect_time', s.collect_time, \
        'content_digest', s.content_digest, 'description', s.description) ORDER BY s.position) \
      FROM dataset_sources s WHERE s.dataset_id = d.id)), \
    'contamination_reports', json((SELECT json_group_array(json_object(\
        'id', r.id, 'dataset_id', r.dataset_id, 'reporter_organization_id', r.reporter_organization_id, \
        'reporter_token_id', r.reporter_token_id, 'reporter_subject', r.reporter_subject, \
        'effective', r.effective, 'statement', r.statement, 'evidence', json(r.evidence), \
        'create_time', r.create_time) ORDER BY r.create_time, r.id) \
      FROM contamination_reports r WHERE r.dataset_id = d.id)))";

#[derive(Deserialize)]
struct DatasetJson {
    id: String,
    organization_id: String,
    name: String,
    version: String,
    content_digest: String,
    size_bytes: Option<i64>,
    description: Option<String>,
    license: Option<String>,
    visibility: String,
    create_time: String,
    creator_token_id: String,
    creator_subject: String,
    sources: Vec<SourceJson>,
    contamination_reports: Vec<ReportJson>,
}

#[derive(Deserialize)]
struct ReportJson {
    id: String,
    dataset_id: String,
    reporter_organization_id: Option<String>,
    reporter_token_id: String,
    reporter_subject: String,
    effective: i64,
    statement: String,
    evidence: Vec<EvidenceJson>,
    create_time: String,
}

/// Evidence as stored in the `evidence` JSON columns.
#[derive(Deserialize)]
pub struct EvidenceJson {
    uri: String,
    content_digest: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct SourceJson {
    kind: String,
    parent_dataset_id: Option<String>,
    parent_public: Option<i64>,
    model_id: Option<String>,
    model_version: Option<String>,
    model_provider: Option<String>,
    uri: Option<String>,
    license: Option<String>,
    collect_time: Option<String>,
    content_digest: Option<String>,
    description: Option<String>,
}

/// Datasets from a JSON array of [`DATASET_JSON`] objects.
pub fn datasets(json: &str) -> Result<Vec<Dataset>> {
    let rows: Vec<DatasetJson> =
        serde_json::from_str(json).context("stored datasets did not read back as JSON")?;
    rows.into_iter().map(dataset).collect()
}

fn dataset(row: DatasetJson) -> Result<Dataset> {
    Ok(Dataset {
        id: parse_uuid(&row.id)?,
        organization_id: parse_uuid(&row.organization_id)?,
        name: row.name,
        version: row.version,
        content_digest: parse_digest(&row.content_digest)?,
        size_bytes: row.size_bytes.map(|s| s as u64),
        description: row.description,
        license: row.license,
        visibility: parse_visibility(&row.visibility)?,
        sources: row.sources.into_iter().map(source).collect::<Result<_>>()?,
        create_time: parse_time(&row.create_time)?,
        creator_token_id: parse_uuid(&row.creator_token_id)?,
        creator_subject: row.creator_subject,
        contamination_reports: row
            .contamination_reports
            .into_iter()
            .map(report)
            .collect::<Result<_>>()?,
    })
}

fn report(row: ReportJson) -> Result<ContaminationReport> {
    Ok(ContaminationReport {
        id: parse_uuid(&row.id)?,
        dataset_id: parse_uuid(&row.dataset_id)?,
        reporter_organization_id: row
            .reporter_organization_id
            .as_deref()
            .map(parse_uuid)
            .transpose()?,
        reporter_token_id: parse_uuid(&row.reporter_token_id)?,
        reporter_subject: row.reporter_subject,
        effective: row.effective == 1,
        statement: row.statement,
        evidence: evidence(row.evidence)?,
        create_time: parse_time(&row.create_time)?,
    })
}

/// Evidence items from their stored JSON.
pub fn evidence(rows: Vec<EvidenceJson>) -> Result<Vec<Evidence>> {
    rows.into_iter()
        .map(|e| {
            Ok(Evidence {
                uri: e.uri,
                content_digest: e.content_digest.as_deref().map(parse_digest).transpose()?,
                description: e.description,
            })
        })
        .collect()
}

fn source(row: SourceJson) -> Result<Source> {
    let kind = match row.kind.as_str() {
        "dataset" => SourceKind::Dataset {
            dataset_id: parse_uuid(
                row.parent_dataset_id
                    .as_deref()
                    .context("a dataset source without a parent id")?,
            )?,
            parent_public: row.parent_public == Some(1),
        },
        "external_dataset" => SourceKind::ExternalDataset,
        "web_crawl" => SourceKind::WebCrawl,
        "licensed_corpus" => SourceKind::LicensedCorpus,
        "human_authored" => SourceKind::HumanAuthored,
        "model_generated" => SourceKind::ModelGenerated {
            model: ModelRef {
                model_id: row
                    .model_id
                    .context("a model-generated source without a model id")?,
                version: row.model_version,
                provider: row.model_provider,
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
        uri: row.uri,
        license: row.license,
        collect_time: row.collect_time.as_deref().map(parse_time).transpose()?,
        content_digest: row
            .content_digest
            .as_deref()
            .map(parse_digest)
            .transpose()?,
        description: row.description,
    })
}

pub fn token_from_row(row: &SqliteRow) -> Result<AccessTokenRecord> {
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

pub fn event_from_row(row: &SqliteRow) -> Result<Event> {
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

pub fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::try_parse(text)
        .with_context(|| format!("stored id {text:?} is not a UUID"))
        .map_err(Error::from)
}

pub fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .with_context(|| format!("stored time {text:?} is not RFC 3339"))
        .map_err(Error::from)
}

pub fn parse_visibility(text: &str) -> Result<Visibility> {
    Visibility::parse(text)
        .with_context(|| format!("unknown stored visibility {text:?}"))
        .map_err(Error::from)
}

pub fn parse_digest(text: &str) -> Result<ContentDigest> {
    ContentDigest::parse("stored digest", text)
        .map_err(|_| Error::internal(anyhow::anyhow!("stored digest {text:?} is malformed")))
}

pub fn parse_hash(text: &str) -> Result<[u8; 32]> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash)
        .with_context(|| format!("stored hash {text:?} is not 32 bytes of hex"))?;
    Ok(hash)
}
