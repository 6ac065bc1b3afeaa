//! Webhook endpoints and their outbox on PostgreSQL (see [`crate::store::webhooks`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};
use uuid::Uuid;

use super::rows::event_from_row;
use super::{PostgresStore, append_events};
use crate::domain::event::{Event, NewEvent};
use crate::domain::webhook::{Delivery, DeliveryState, Webhook, WebhookState, WebhookTarget};
use crate::error::{Error, Result};
use crate::store::webhooks::{AttemptOutcome, WebhookChange, WebhookStore};

/// Columns of a webhook row `w`, its event types as a JSON array.
const WEBHOOK_COLUMNS: &str = "w.id, w.organization_id, w.url, w.description, w.state, w.secret, \
    w.previous_secret, w.previous_secret_expire_time, w.create_time, w.update_time, \
    coalesce((SELECT array_agg(t.event_type ORDER BY t.event_type) FROM webhook_event_types t \
      WHERE t.webhook_id = w.id), '{}'::text[]) AS event_types";

/// Columns of a delivery row `d` with its event `e`.
const DELIVERY_COLUMNS: &str = "d.webhook_id, d.sequence, d.state, d.attempts, \
    d.next_attempt_time, d.first_failure_time, d.last_attempt_time, d.last_status_code, \
    d.last_error, d.delivered_time, e.type, e.subject, e.organization_id, e.public, e.payload, \
    e.time, e.prev_hash, e.hash";

/// Writes the outbox rows of the events after `after` (just appended in `tx`).
pub(super) async fn enqueue_deliveries(
    tx: &mut Transaction<'_, Postgres>,
    after: u64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (webhook_id, sequence, state, attempts, next_attempt_time) \
         SELECT w.id, e.sequence, 'pending', 0, e.time FROM events e \
         JOIN webhooks w ON (e.public OR e.organization_id = w.organization_id) \
         WHERE e.sequence > $1 AND (\
           NOT EXISTS (SELECT 1 FROM webhook_event_types t WHERE t.webhook_id = w.id) \
           OR EXISTS (SELECT 1 FROM webhook_event_types t \
                      WHERE t.webhook_id = w.id AND t.event_type = e.type))",
    )
    .bind(crate::store::db_int(after)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn webhook_from_row(row: &PgRow) -> Result<WebhookTarget> {
    Ok(WebhookTarget {
        webhook: Webhook {
            id: row.try_get("id")?,
            organization_id: row.try_get("organization_id")?,
            url: row.try_get("url")?,
            description: row.try_get("description")?,
            event_types: row.try_get("event_types")?,
            state: WebhookState::parse(&row.try_get::<String, _>("state")?)?,
            create_time: row.try_get("create_time")?,
            update_time: row.try_get("update_time")?,
            previous_secret_expire_time: row.try_get("previous_secret_expire_time")?,
        },
        secret: row.try_get("secret")?,
        previous_secret: row.try_get("previous_secret")?,
    })
}

fn delivery_from_row(row: &PgRow) -> Result<Delivery> {
    Ok(Delivery {
        webhook_id: row.try_get("webhook_id")?,
        sequence: row.try_get::<i64, _>("sequence")? as u64,
        event_type: row.try_get("type")?,
        state: DeliveryState::parse(&row.try_get::<String, _>("state")?)?,
        attempts: row
            .try_get::<i32, _>("attempts")?
            .try_into()
            .unwrap_or(u32::MAX),
        next_attempt_time: row.try_get("next_attempt_time")?,
        last_attempt_time: row.try_get("last_attempt_time")?,
        last_status_code: row
            .try_get::<Option<i32>, _>("last_status_code")?
            .and_then(|s| u16::try_from(s).ok()),
        last_error: row.try_get("last_error")?,
        delivered_time: row.try_get("delivered_time")?,
        first_failure_time: row.try_get("first_failure_time")?,
    })
}

async fn read_webhook(
    tx: &mut Transaction<'_, Postgres>,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<Webhook>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks w WHERE w.id = $1 AND w.organization_id = $2"
    )))
    .bind(id)
    .bind(organization_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row
        .as_ref()
        .map(webhook_from_row)
        .transpose()?
        .map(|t| t.webhook))
}

async fn write_event_types(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    types: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM webhook_event_types WHERE webhook_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for event_type in types {
        sqlx::query("INSERT INTO webhook_event_types (webhook_id, event_type) VALUES ($1, $2)")
            .bind(id)
            .bind(event_type)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[async_trait]
impl WebhookStore for PostgresStore {
    async fn create_webhook(
        &self,
        webhook: &Webhook,
        secret: &str,
        max_per_organization: u32,
        event: NewEvent,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM webhooks WHERE organization_id = $1")
                .bind(webhook.organization_id)
                .fetch_one(&mut *tx)
                .await?;
        if count >= i64::from(max_per_organization) {
            return Err(Error::ResourceExhausted(format!(
                "the organisation already has {count} webhooks, the most allowed; delete one first"
            )));
        }
        sqlx::query(
            "INSERT INTO webhooks (id, organization_id, url, description, state, secret, \
             create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(webhook.id)
        .bind(webhook.organization_id)
        .bind(&webhook.url)
        .bind(&webhook.description)
        .bind(webhook.state.as_str())
        .bind(secret)
        .bind(webhook.create_time)
        .execute(&mut *tx)
        .await?;
        write_event_types(&mut tx, webhook.id, &webhook.event_types).await?;
        append_events(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_webhook(&self, organization_id: Uuid, id: Uuid) -> Result<Option<Webhook>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks w WHERE w.id = $1 AND w.organization_id = $2"
        )))
        .bind(id)
        .bind(organization_id)
        .fetch_optional(&self.readers)
        .await?;
        Ok(row
            .as_ref()
            .map(webhook_from_row)
            .transpose()?
            .map(|t| t.webhook))
    }

    async fn list_webhooks(
        &self,
        organization_id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Webhook>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks w WHERE w.organization_id = $1 AND w.id > $2 \
             ORDER BY w.id LIMIT $3"
        )))
        .bind(organization_id)
        .bind(after.unwrap_or(Uuid::nil()))
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        rows.iter()
            .map(|row| webhook_from_row(row).map(|t| t.webhook))
            .collect()
    }

    async fn update_webhook(
        &self,
        organization_id: Uuid,
        id: Uuid,
        change: &WebhookChange,
        time: DateTime<Utc>,
        event: NewEvent,
    ) -> Result<Option<Webhook>> {
        let mut tx = self.begin().await?;
        if read_webhook(&mut tx, organization_id, id).await?.is_none() {
            return Ok(None);
        }
        let now = time;
        if let Some(state) = change.state {
            sqlx::query("UPDATE webhooks SET state = $1, retry_after = NULL WHERE id = $2")
                .bind(state.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if state == WebhookState::Active {
                // A resumed endpoint gets a fresh retry window for what waited.
                sqlx::query(
                    "UPDATE webhook_deliveries SET first_failure_time = NULL, \
                     next_attempt_time = $1 WHERE webhook_id = $2 AND state = 'pending'",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
        }
        if let Some(types) = &change.event_types {
            write_event_types(&mut tx, id, types).await?;
        }
        if let Some(description) = &change.description {
            sqlx::query("UPDATE webhooks SET description = $1 WHERE id = $2")
                .bind(description)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE webhooks SET update_time = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        append_events(&mut tx, vec![event]).await?;
        let updated = read_webhook(&mut tx, organization_id, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete_webhook(
        &self,
        organization_id: Uuid,
        id: Uuid,
        event: NewEvent,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        if read_webhook(&mut tx, organization_id, id).await?.is_none() {
            return Ok(false);
        }
        for statement in [
            "DELETE FROM webhook_deliveries WHERE webhook_id = $1",
            "DELETE FROM webhook_event_types WHERE webhook_id = $1",
            "DELETE FROM webhooks WHERE id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        append_events(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn rotate_webhook_secret(
        &self,
        organization_id: Uuid,
        id: Uuid,
        secret: &str,
        time: DateTime<Utc>,
        previous_until: DateTime<Utc>,
        event: NewEvent,
    ) -> Result<Option<Webhook>> {
        let mut tx = self.begin().await?;
        if read_webhook(&mut tx, organization_id, id).await?.is_none() {
            return Ok(None);
        }
        sqlx::query(
            "UPDATE webhooks SET previous_secret = secret, previous_secret_expire_time = $1, \
             secret = $2, update_time = $3 WHERE id = $4",
        )
        .bind(previous_until)
        .bind(secret)
        .bind(time)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        append_events(&mut tx, vec![event]).await?;
        let updated = read_webhook(&mut tx, organization_id, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        before: u64,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let before = if before == 0 {
            i64::MAX
        } else {
            crate::store::db_int(before)?
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
             JOIN events e ON e.sequence = d.sequence \
             WHERE d.webhook_id = $1 AND d.sequence < $2 ORDER BY d.sequence DESC LIMIT $3"
        )))
        .bind(webhook_id)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn redeliver_event(
        &self,
        webhook_id: Uuid,
        sequence: u64,
        time: DateTime<Utc>,
    ) -> Result<Option<Delivery>> {
        let mut tx = self.readers.begin().await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_time = $1, \
             first_failure_time = NULL, delivered_time = NULL \
             WHERE webhook_id = $2 AND sequence = $3",
        )
        .bind(time)
        .bind(webhook_id)
        .bind(crate::store::db_int(sequence)?)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE webhooks SET retry_after = NULL WHERE id = $1")
            .bind(webhook_id)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
             JOIN events e ON e.sequence = d.sequence WHERE d.webhook_id = $1 AND d.sequence = $2"
        )))
        .bind(webhook_id)
        .bind(crate::store::db_int(sequence)?)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.as_ref().map(delivery_from_row).transpose()
    }

    async fn lease_webhooks(
        &self,
        owner: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<WebhookTarget>> {
        let mut tx = self.readers.begin().await?;
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT w.id FROM webhooks w WHERE w.state = 'active' \
             AND (w.retry_after IS NULL OR w.retry_after <= $1) \
             AND (w.lease_until IS NULL OR w.lease_until < $1) \
             AND EXISTS (SELECT 1 FROM webhook_deliveries d \
                         WHERE d.webhook_id = w.id AND d.state = 'pending') \
             ORDER BY w.retry_after NULLS FIRST, w.id LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut leased = Vec::with_capacity(ids.len());
        for id in ids {
            sqlx::query("UPDATE webhooks SET lease_owner = $1, lease_until = $2 WHERE id = $3")
                .bind(owner)
                .bind(until)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT {WEBHOOK_COLUMNS} FROM webhooks w WHERE w.id = $1"
            )))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            leased.push(webhook_from_row(&row)?);
        }
        tx.commit().await?;
        Ok(leased)
    }

    async fn pending_deliveries(
        &self,
        webhook_id: Uuid,
        limit: u32,
    ) -> Result<Vec<(Delivery, Event)>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
             JOIN events e ON e.sequence = d.sequence \
             WHERE d.webhook_id = $1 AND d.state = 'pending' ORDER BY d.sequence LIMIT $2"
        )))
        .bind(webhook_id)
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        rows.iter()
            .map(|row| Ok((delivery_from_row(row)?, event_from_row(row)?)))
            .collect()
    }

    async fn record_attempt(
        &self,
        owner: Uuid,
        webhook_id: Uuid,
        sequence: u64,
        time: DateTime<Utc>,
        outcome: &AttemptOutcome,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.readers.begin().await?;
        let held = sqlx::query(
            "UPDATE webhooks SET lease_until = $1, retry_after = $2 \
             WHERE id = $3 AND lease_owner = $4",
        )
        .bind(lease_until)
        .bind(match outcome {
            AttemptOutcome::Delivered { .. } => None,
            AttemptOutcome::Failed { retry_at, .. } => Some(*retry_at),
        })
        .bind(webhook_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !held {
            return Ok(false);
        }
        let now = time;
        let sequence = crate::store::db_int(sequence)?;
        match outcome {
            AttemptOutcome::Delivered { status } => sqlx::query(
                "UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, \
                 last_attempt_time = $1, delivered_time = $1, last_status_code = $2, \
                 last_error = NULL, first_failure_time = NULL \
                 WHERE webhook_id = $3 AND sequence = $4",
            )
            .bind(now)
            .bind(i32::from(*status))
            .bind(webhook_id)
            .bind(sequence),
            AttemptOutcome::Failed {
                status,
                error,
                retry_at,
            } => sqlx::query(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_time = $1, \
                 last_status_code = $2, last_error = $3, next_attempt_time = $4, \
                 first_failure_time = coalesce(first_failure_time, $1) \
                 WHERE webhook_id = $5 AND sequence = $6",
            )
            .bind(now)
            .bind(status.map(i32::from))
            .bind(error.clone())
            .bind(*retry_at)
            .bind(webhook_id)
            .bind(sequence),
        }
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn record_deliveries(
        &self,
        owner: Uuid,
        webhook_id: Uuid,
        delivered: &[(u64, u16, DateTime<Utc>)],
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.readers.begin().await?;
        let held = sqlx::query(
            "UPDATE webhooks SET lease_until = $1, retry_after = NULL \
             WHERE id = $2 AND lease_owner = $3",
        )
        .bind(lease_until)
        .bind(webhook_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !held {
            return Ok(false);
        }
        for (sequence, status, time) in delivered {
            sqlx::query(
                "UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, \
                 last_attempt_time = $1, delivered_time = $1, last_status_code = $2, \
                 last_error = NULL, first_failure_time = NULL \
                 WHERE webhook_id = $3 AND sequence = $4",
            )
            .bind(*time)
            .bind(i32::from(*status))
            .bind(webhook_id)
            .bind(crate::store::db_int(*sequence)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn mark_webhook_failing(
        &self,
        owner: Uuid,
        webhook_id: Uuid,
        time: DateTime<Utc>,
        event: NewEvent,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let changed = sqlx::query(
            "UPDATE webhooks SET state = 'failing', update_time = $1, lease_owner = NULL, \
             lease_until = NULL WHERE id = $2 AND lease_owner = $3 AND state = 'active'",
        )
        .bind(time)
        .bind(webhook_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            append_events(&mut tx, vec![event]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn release_webhook(&self, owner: Uuid, webhook_id: Uuid) -> Result<()> {
        sqlx::query(
            "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(webhook_id)
        .bind(owner)
        .execute(&self.readers)
        .await?;
        Ok(())
    }

    async fn clear_leases(&self) -> Result<()> {
        sqlx::query("UPDATE webhooks SET lease_owner = NULL, lease_until = NULL")
            .execute(&self.readers)
            .await?;
        Ok(())
    }

    async fn count_pending_deliveries(&self) -> Result<u64> {
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'")
                .fetch_one(&self.readers)
                .await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}
