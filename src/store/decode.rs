//! Reading stored values back into domain types, shared by the backends: both fold query results
//! into JSON of the same shapes (one row per query however many records), and both store ids,
//! times, digests and hashes that must parse back. Values were written by the store, so failing to
//! read one back is an internal fault, reported with what was found.

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::attestation::{Attestation, ContaminationReport, Evidence, Method};
use crate::domain::dataset::{Dataset, ModelRef, Source, SourceKind, Visibility};
use crate::domain::digest::ContentDigest;
use crate::domain::evaluation::{ClosureGraph, GraphNode, ModelSource, SharedClosure};
use crate::domain::policy::Purpose;
use crate::error::{Error, Result};

/// One dataset with its sources and contamination reports, as both backends' dataset queries
/// shape it.
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

/// Datasets from a JSON array of dataset objects (`DATASET_JSON` of each backend).
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

/// An id as stored.
pub fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::try_parse(text)
        .with_context(|| format!("stored id {text:?} is not a UUID"))
        .map_err(Error::from)
}

/// A time as stored or as JSON renders it (RFC 3339).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .with_context(|| format!("stored time {text:?} is not RFC 3339"))
        .map_err(Error::from)
}

/// A visibility as stored.
pub fn parse_visibility(text: &str) -> Result<Visibility> {
    Visibility::parse(text)
        .with_context(|| format!("unknown stored visibility {text:?}"))
        .map_err(Error::from)
}

/// A declared purpose as stored.
pub fn parse_purpose(text: &str) -> Result<Purpose> {
    Purpose::parse(text)
        .with_context(|| format!("unknown stored purpose {text:?}"))
        .map_err(Error::from)
}

/// A key kind as stored (see [`crate::domain::key_record`]).
pub fn parse_key_kind(text: &str) -> Result<crate::domain::key_record::KeyKind> {
    crate::domain::key_record::KeyKind::parse(text)
        .with_context(|| format!("unknown stored key kind {text:?}"))
        .map_err(Error::from)
}

/// A content digest as stored.
pub fn parse_digest(text: &str) -> Result<ContentDigest> {
    ContentDigest::parse("stored digest", text)
        .map_err(|_| Error::internal(anyhow::anyhow!("stored digest {text:?} is malformed")))
}

/// A 32-byte hash stored as hex.
pub fn parse_hash(text: &str) -> Result<[u8; 32]> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash)
        .with_context(|| format!("stored hash {text:?} is not 32 bytes of hex"))?;
    Ok(hash)
}

/// The walked closure of `lineage_closure`: `(id, organization, visibility)` nodes and
/// `(node, neighbour)` edges.
#[derive(Deserialize)]
struct WalkJson {
    nodes: Vec<(String, String, String)>,
    edges: Vec<(String, String)>,
}

/// Nodes and edges of a walked closure.
pub type Walk = (Vec<(Uuid, Uuid, Visibility)>, Vec<(Uuid, Uuid)>);

/// A walked closure from its JSON object `{"nodes": [[id, org, visibility]...], "edges": [[a, b]...]}`.
pub fn walk(json: &str) -> Result<Walk> {
    let walked: WalkJson =
        serde_json::from_str(json).context("the closure query returned malformed JSON")?;
    let nodes = walked
        .nodes
        .iter()
        .map(|(id, org, visibility)| {
            Ok((
                parse_uuid(id)?,
                parse_uuid(org)?,
                parse_visibility(visibility)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((nodes, uuid_pairs(&walked.edges)?))
}

/// Pairs of ids, such as edges, from their stored text.
pub fn uuid_pairs(pairs: &[(String, String)]) -> Result<Vec<(Uuid, Uuid)>> {
    pairs
        .iter()
        .map(|(a, b)| Ok((parse_uuid(a)?, parse_uuid(b)?)))
        .collect()
}

#[derive(Deserialize)]
struct GraphJson {
    nodes: Vec<(String, String, String, String, String)>,
    edges: Vec<(String, String)>,
    models: Vec<(String, u32, String)>,
    contaminations: Vec<(String, String)>,
    attestations: Vec<(String, String, usize, Option<String>)>,
}

/// `policies` (`(id, version)` pairs) as the JSON array of pairs the SQLite closure query reads.
pub fn policy_pairs_json(policies: &[(&str, &str)]) -> String {
    serde_json::Value::from(
        policies
            .iter()
            .map(|&(id, version)| serde_json::json!([id, version]))
            .collect::<Vec<_>>(),
    )
    .to_string()
}

/// The closure graph of `root` and the attestations under each of `policies` policies, from the
/// JSON object both backends' closure-graph queries return (each attestation with its policy's
/// index and its declared purpose).
pub fn shared_closure(root: Uuid, json: &str, policies: usize) -> Result<SharedClosure> {
    let json: GraphJson =
        serde_json::from_str(json).context("the closure graph did not read back as JSON")?;
    let mut attestations = vec![Vec::new(); policies];
    let mut declared_purposes = Vec::new();
    for (dataset, attestation, policy, purpose) in &json.attestations {
        let list = attestations
            .get_mut(*policy)
            .context("the closure graph names a policy that was not asked for")?;
        let attestation = parse_uuid(attestation)?;
        list.push((parse_uuid(dataset)?, attestation));
        if let Some(purpose) = purpose.as_deref() {
            declared_purposes.push((attestation, parse_purpose(purpose)?));
        }
    }
    declared_purposes.sort_unstable_by_key(|&(attestation, _)| attestation);
    declared_purposes.dedup_by_key(|&mut (attestation, _)| attestation);
    let graph = ClosureGraph {
        root,
        nodes: json
            .nodes
            .iter()
            .map(|(id, org, visibility, name, version)| {
                Ok(GraphNode {
                    id: parse_uuid(id)?,
                    organization_id: parse_uuid(org)?,
                    visibility: parse_visibility(visibility)?,
                    name: name.clone(),
                    version: version.clone(),
                })
            })
            .collect::<Result<_>>()?,
        edges: uuid_pairs(&json.edges)?,
        model_sources: json
            .models
            .into_iter()
            .map(|(dataset, position, model_id)| {
                Ok(ModelSource {
                    dataset_id: parse_uuid(&dataset)?,
                    position,
                    model_id,
                })
            })
            .collect::<Result<_>>()?,
        contaminations: uuid_pairs(&json.contaminations)?,
        attestations: Vec::new(),
        declared_purposes,
    };
    Ok(SharedClosure {
        graph,
        attestations,
    })
}

/// One attestation as both backends' attestation queries shape it.
#[derive(Deserialize)]
struct AttestationJson {
    id: String,
    dataset_id: String,
    organization_id: String,
    policy_id: String,
    policy_version: String,
    policies: Vec<(String, String)>,
    declared_purpose: Option<String>,
    method: String,
    evidence: Vec<EvidenceJson>,
    statement: String,
    create_time: String,
    expire_time: Option<String>,
    attester_token_id: String,
    attester_subject: String,
    revoke_time: Option<String>,
    revoke_reason: Option<String>,
}

/// Attestations from a JSON array of attestation objects.
pub fn attestations(json: &str) -> Result<Vec<Attestation>> {
    let rows: Vec<AttestationJson> =
        serde_json::from_str(json).context("stored attestations did not read back as JSON")?;
    rows.into_iter()
        .map(|a| {
            Ok(Attestation {
                id: parse_uuid(&a.id)?,
                dataset_id: parse_uuid(&a.dataset_id)?,
                organization_id: parse_uuid(&a.organization_id)?,
                policy_id: a.policy_id,
                policy_version: a.policy_version,
                policies: a.policies,
                declared_purpose: a
                    .declared_purpose
                    .as_deref()
                    .map(parse_purpose)
                    .transpose()?
                    .unwrap_or_default(),
                method: Method::parse(&a.method)
                    .with_context(|| format!("unknown stored attestation method {:?}", a.method))?,
                evidence: evidence(a.evidence)?,
                statement: a.statement,
                create_time: parse_time(&a.create_time)?,
                expire_time: a.expire_time.as_deref().map(parse_time).transpose()?,
                attester_token_id: parse_uuid(&a.attester_token_id)?,
                attester_subject: a.attester_subject,
                revoke_time: a.revoke_time.as_deref().map(parse_time).transpose()?,
                revoke_reason: a.revoke_reason,
            })
        })
        .collect()
}

/// Evidence items as the `evidence` JSON columns hold them.
pub fn evidence_json(evidence: &[Evidence]) -> String {
    serde_json::Value::Array(evidence.iter().map(Evidence::to_json).collect()).to_string()
}

/// A 32-byte hash stored as bytes; `what` names it in the error.
pub fn hash_bytes(bytes: Vec<u8>, what: &str) -> Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| Error::internal(anyhow::anyhow!("a stored {what} is not 32 bytes")))
}
