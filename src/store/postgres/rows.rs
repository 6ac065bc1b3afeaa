//! Reading PostgreSQL rows back into domain types (the JSON shapes are shared:
//! [`crate::store::decode`]).

use anyhow::Context;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::domain::access::{AccessTokenRecord, Role};
use crate::domain::event::Event;
use crate::error::Result;
use crate::store::decode::hash_bytes;

/// SQL for one dataset row `d` with all its sources and contamination reports, as the JSON object
/// [`crate::store::decode::datasets`] reads: one row per query however many datasets it finds.
/// Booleans become 0/1 as SQLite stores them, so that both backends share one reader.
pub const DATASET_JSON: &str = "json_build_object(\
    'id', d.id, 'organization_id', d.organization_id, 'name', d.name, 'version', d.version, \
    'content_digest', d.content_digest, 'size_bytes', d.size_bytes, 'description', d.description, \
    'license', d.license, 'visibility', d.visibility, 'create_time', d.create_time, \
    'creator_token_id', d.creator_token_id, 'creator_subject', d.creator_subject, \
    'sources', (SELECT coalesce(json_agg(json_build_object(\
        'kind', s.kind, 'parent_dataset_id', s.parent_dataset_id, 'parent_public', s.parent_public::int, \
        'model_id', s.model_id, 'model_version', s.model_version, 'model_provider', s.model_provider, \
        'uri', s.uri, 'license', s.license, 'collect_time', s.collect_time, \
        'content_digest', s.content_digest, 'description', s.description) ORDER BY s.position), '[]') \
      FROM dataset_sources s WHERE s.dataset_id = d.id), \
    'contamination_reports', (SELECT coalesce(json_agg(json_build_object(\
        'id', r.id, 'dataset_id', r.dataset_id, 'reporter_organization_id', r.reporter_organization_id, \
        'reporter_token_id', r.reporter_token_id, 'reporter_subject', r.reporter_subject, \
        'effective', r.effective::int, 'statement', r.statement, 'evidence', r.evidence, \
        'create_time', r.create_time) ORDER BY r.create_time, r.id), '[]') \
      FROM contamination_reports r WHERE r.dataset_id = d.id))";

/// An access token record from its row.
pub fn token_from_row(row: &PgRow) -> Result<AccessTokenRecord> {
    let role: String = row.try_get("role")?;
    Ok(AccessTokenRecord {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        role: Role::parse(&role).with_context(|| format!("unknown stored role {role:?}"))?,
        subject: row.try_get("subject")?,
        create_time: row.try_get("create_time")?,
        expire_time: row.try_get("expire_time")?,
        revoke_time: row.try_get("revoke_time")?,
    })
}

/// An event from its row.
pub fn event_from_row(row: &PgRow) -> Result<Event> {
    Ok(Event {
        sequence: row.try_get::<i64, _>("sequence")? as u64,
        event_type: row.try_get("type")?,
        subject: row.try_get("subject")?,
        organization_id: row.try_get("organization_id")?,
        public: row.try_get("public")?,
        payload_json: row.try_get("payload")?,
        time: row.try_get("time")?,
        prev_hash: hash_bytes(row.try_get("prev_hash")?, "event hash")?,
        hash: hash_bytes(row.try_get("hash")?, "event hash")?,
    })
}
