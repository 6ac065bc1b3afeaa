//! The SQLite side of certificates: storing them with their reverse index, reading, revoking, and
//! the revocation cascade that runs inside the transactions of attestation revocations and
//! contamination reports.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteExecutor, Transaction};
use uuid::Uuid;

use super::policy::shared_closure;
use super::{SqliteStore, append_events, read_head};
use crate::domain::certificate::{CertificateRecord, parse_verdict};
use crate::domain::event::{NewEvent, format_time};
use crate::error::{Error, Result};
use crate::store::CertificateInsert;
use crate::store::decode::{parse_time, parse_uuid};

/// SQLite allows 32,766 bound parameters per statement; chunks stay well below.
const MEMBERS_PER_INSERT: usize = 10_000;

fn record_from_row(row: &SqliteRow) -> Result<CertificateRecord> {
    let time =
        |column: &str| -> Result<DateTime<Utc>> { parse_time(&row.try_get::<String, _>(column)?) };
    let optional_time = |column: &str| -> Result<Option<DateTime<Utc>>> {
        row.try_get::<Option<String>, _>(column)?
            .as_deref()
            .map(parse_time)
            .transpose()
    };
    let verdict: String = row.try_get("verdict")?;
    Ok(CertificateRecord {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        dataset_id: parse_uuid(&row.try_get::<String, _>("dataset_id")?)?,
        organization_id: parse_uuid(&row.try_get::<String, _>("organization_id")?)?,
        audience: row
            .try_get::<Option<String>, _>("audience_organization_id")?
            .as_deref()
            .map(parse_uuid)
            .transpose()?,
        policy_id: row.try_get("policy_id")?,
        policy_version: row.try_get("policy_version")?,
        verdict: parse_verdict(&verdict)
            .with_context(|| format!("unknown stored verdict {verdict:?}"))?,
        target_model: row.try_get("target_model")?,
        contract_reference: row.try_get("contract_reference")?,
        lineage_digest: row.try_get("lineage_digest")?,
        closure_size: row.try_get::<i64, _>("closure_size")? as usize,
        kid: row.try_get("kid")?,
        token: row.try_get("token")?,
        issue_time: time("issue_time")?,
        not_before: time("not_before")?,
        expire_time: time("expire_time")?,
        revoke_time: optional_time("revoke_time")?,
        revoke_reason: row.try_get("revoke_reason")?,
        revoke_cause: row.try_get("revoke_cause")?,
        issued_event_sequence: row
            .try_get::<Option<i64>, _>("issued_event_sequence")?
            .map(|s| s as u64),
    })
}

async fn fetch_certificate<'e>(
    executor: impl SqliteExecutor<'e>,
    id: Uuid,
) -> Result<Option<CertificateRecord>> {
    let row = sqlx::query("SELECT * FROM certificates WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(record_from_row).transpose()
}

async fn mark_revoked(
    tx: &mut Transaction<'_, Sqlite>,
    certificate: &CertificateRecord,
    time: DateTime<Utc>,
    reason: &str,
    cause: &str,
) -> Result<()> {
    sqlx::query("UPDATE certificates SET revoke_time = $1, revoke_reason = $2, revoke_cause = $3 WHERE id = $4")
        .bind(format_time(time))
        .bind(reason)
        .bind(cause)
        .bind(certificate.id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Revokes, inside `tx`, every certificate still valid at `time` whose closure holds `dataset` (and,
/// when `attestation` is given, that covers a policy version that attestation covers), each with
/// its event.
pub(super) async fn revoke_covering(
    tx: &mut Transaction<'_, Sqlite>,
    dataset: Uuid,
    attestation: Option<Uuid>,
    time: DateTime<Utc>,
    reason: &str,
    cause: &str,
) -> Result<()> {
    let mut select = QueryBuilder::<Sqlite>::new(
        "SELECT c.* FROM certificate_members m CROSS JOIN certificates c ON c.id = m.certificate_id \
         WHERE m.dataset_id = ",
    );
    select
        .push_bind(dataset.to_string())
        .push(" AND c.revoke_time IS NULL AND c.expire_time > ")
        .push_bind(format_time(time));
    if let Some(attestation) = attestation {
        select
            .push(
                " AND EXISTS (SELECT 1 FROM certificate_policies cp JOIN attestation_policies ap \
                 ON ap.policy_id = cp.policy_id AND ap.policy_version = cp.policy_version \
                 WHERE cp.certificate_id = c.id AND ap.attestation_id = ",
            )
            .push_bind(attestation.to_string())
            .push(")");
    }
    select.push(" ORDER BY c.id");
    let rows = select.build().fetch_all(&mut **tx).await?;
    let covering = rows
        .iter()
        .map(record_from_row)
        .collect::<Result<Vec<_>>>()?;
    let mut events = Vec::with_capacity(covering.len());
    for certificate in &covering {
        mark_revoked(tx, certificate, time, reason, cause).await?;
        events.extend(certificate.revoked_events(time, reason, cause));
    }
    append_events(tx, events).await?;
    Ok(())
}

/// Writes one certificate row, the policies it covers after its first (the row's own, which the
/// schema's trigger lists) and its members inside `tx`.
async fn insert_certificate_row(
    tx: &mut Transaction<'_, Sqlite>,
    certificate: &CertificateRecord,
    policies: &[(String, String)],
    members: &[Uuid],
    issued_event_sequence: u64,
) -> Result<()> {
    sqlx::query(
            "INSERT INTO certificates (id, dataset_id, organization_id, audience_organization_id, policy_id, \
             policy_version, verdict, target_model, contract_reference, lineage_digest, closure_size, kid, token, \
             issue_time, not_before, expire_time, issued_event_sequence) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(certificate.id.to_string())
        .bind(certificate.dataset_id.to_string())
        .bind(certificate.organization_id.to_string())
        .bind(certificate.audience.map(|a| a.to_string()))
        .bind(&certificate.policy_id)
        .bind(&certificate.policy_version)
        .bind(crate::domain::certificate::verdict_name(certificate.verdict))
        .bind(&certificate.target_model)
        .bind(&certificate.contract_reference)
        .bind(&certificate.lineage_digest)
        .bind(certificate.closure_size as i64)
        .bind(&certificate.kid)
        .bind(&certificate.token)
        .bind(format_time(certificate.issue_time))
        .bind(format_time(certificate.not_before))
        .bind(format_time(certificate.expire_time))
        .bind(issued_event_sequence as i64)
        .execute(&mut **tx)
        .await?;
    for (position, (policy_id, policy_version)) in policies.iter().enumerate().skip(1) {
        sqlx::query(
            "INSERT INTO certificate_policies (certificate_id, position, policy_id, policy_version) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(certificate.id.to_string())
        .bind(position as i32)
        .bind(policy_id)
        .bind(policy_version)
        .execute(&mut **tx)
        .await?;
    }
    for chunk in members.chunks(MEMBERS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO certificate_members (dataset_id, certificate_id) ",
        );
        insert.push_values(chunk, |mut row, member| {
            row.push_bind(member.to_string())
                .push_bind(certificate.id.to_string());
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

impl SqliteStore {
    pub(super) async fn insert_certificate_rows(
        &self,
        batch: Vec<CertificateInsert>,
    ) -> Result<Vec<Result<u64>>> {
        let mut tx = self.begin().await?;
        // The write lock is held: the events below follow this head, in this order.
        let head = read_head(&mut *tx).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut events = Vec::with_capacity(batch.len());
        for insert in batch {
            let keys: Vec<(&str, &str)> = insert
                .policies
                .iter()
                .map(|(id, version)| (id.as_str(), version.as_str()))
                .collect();
            let closure = shared_closure(
                &mut *tx,
                insert.certificate.dataset_id,
                &keys,
                insert.certificate.issue_time,
            )
            .await?;
            let accepted = match (insert.precondition)(&closure) {
                Ok(()) => {
                    let sequence = head.sequence + 1 + events.len() as u64;
                    insert_certificate_row(
                        &mut tx,
                        &insert.certificate,
                        &insert.policies,
                        &insert.members,
                        sequence,
                    )
                    .await?;
                    events.push(insert.event);
                    Ok(sequence)
                }
                Err(refused) => Err(refused),
            };
            outcomes.push(accepted);
        }
        let appended = events.len() as u64;
        let new_head = append_events(&mut tx, events).await?;
        if new_head.sequence != head.sequence + appended {
            return Err(Error::internal(anyhow::anyhow!(
                "certificate events were not appended after head {}",
                head.sequence
            )));
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    pub(super) async fn read_certificate(&self, id: Uuid) -> Result<Option<CertificateRecord>> {
        fetch_certificate(&self.readers, id).await
    }

    pub(super) async fn mark_certificate_revoked(
        &self,
        organization_id: Uuid,
        id: Uuid,
        time: DateTime<Utc>,
        reason: &str,
        events: Vec<NewEvent>,
    ) -> Result<Option<CertificateRecord>> {
        let mut tx = self.begin().await?;
        let Some(mut certificate) = fetch_certificate(&mut *tx, id)
            .await?
            .filter(|c| c.organization_id == organization_id)
        else {
            return Ok(None);
        };
        if certificate.revoke_time.is_none() {
            let cause = format!("certificates/{id}");
            mark_revoked(&mut tx, &certificate, time, reason, &cause).await?;
            append_events(&mut tx, events).await?;
            tx.commit().await?;
            certificate.revoke_time = Some(time);
            certificate.revoke_reason = Some(reason.to_owned());
            certificate.revoke_cause = Some(cause);
        }
        Ok(Some(certificate))
    }
}
