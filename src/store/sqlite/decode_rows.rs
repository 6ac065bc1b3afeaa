//! Reading SQLite rows back into domain types (the JSON shapes are shared: [`crate::store::decode`]).

use anyhow::Context;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::domain::access::{AccessTokenRecord, Role};
use crate::domain::event::Event;
use crate::error::Result;
use crate::store::decode::{parse_hash, parse_time, parse_uuid};

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
