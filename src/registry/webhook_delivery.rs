//! The webhook outbox's sender: leases endpoints with deliveries due, posts their pending
//! deliveries in sequence order (one at a time per endpoint, at most
//! [`WebhookRules::max_concurrent_deliveries`] in all, so a slow endpoint holds one slot and
//! delays no one else), records each attempt, and schedules retries with backoff until the retry
//! window runs out, when the endpoint is marked failing.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::Registry;
use super::feed::EventFeed;
use super::webhooks::WebhookRules;
use crate::domain::event::{Event, NewEvent, format_time};
use crate::domain::webhook::{self, Delivery, WebhookTarget};
use crate::error::Result;
use crate::store::Store;
use crate::store::webhooks::AttemptOutcome;
use crate::webhook_sender::Sender;

/// How long a lease lasts without an attempt renewing it: well past one attempt's total timeout,
/// so a live holder never loses it, short enough that a replica that died hands its endpoints on
/// soon.
const LEASE: Duration = Duration::from_secs(30);
/// How often the sender looks for due deliveries when nothing woke it (retries falling due, events
/// committed by other processes).
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Pending deliveries read per query.
const BATCH: u32 = 100;

/// What every delivery task shares.
struct Shared {
    store: Arc<dyn Store>,
    feed: EventFeed,
    sender: Sender,
    rules: WebhookRules,
    owner: Uuid,
    shutdown: CancellationToken,
    /// Told when a task ends, so its slot is used again at once.
    finished: Notify,
}

impl Registry {
    /// Starts sending webhook deliveries until `shutdown`.
    pub async fn start_webhook_delivery(
        &self,
        shutdown: CancellationToken,
    ) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        let rules = (*self.webhooks).clone();
        let sender = Sender::new(
            rules.addresses.clone(),
            rules.connect_timeout,
            rules.request_timeout,
        )?;
        if !self.store.is_shared() {
            // The only process that sends: leases left by a killed predecessor are void.
            self.store
                .clear_leases()
                .await
                .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        }
        let shared = Arc::new(Shared {
            store: self.store.clone(),
            feed: self.feed.clone(),
            sender,
            owner: Uuid::now_v7(),
            shutdown,
            finished: Notify::new(),
            rules,
        });
        Ok(tokio::spawn(run(shared)))
    }
}

async fn run(shared: Arc<Shared>) {
    let slots = Arc::new(Semaphore::new(
        shared.rules.max_concurrent_deliveries.max(1),
    ));
    let mut commits = shared.feed.commits();
    loop {
        let free = slots.available_permits();
        if free > 0 {
            let now = Utc::now();
            let until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
            match shared
                .store
                .lease_webhooks(shared.owner, now, until, free as u32)
                .await
            {
                Ok(targets) => {
                    for target in targets {
                        let Ok(permit) = slots.clone().try_acquire_owned() else {
                            break;
                        };
                        tokio::spawn(deliver_for(shared.clone(), target, permit));
                    }
                }
                Err(error) => tracing::warn!(%error, "webhooks: cannot look for due deliveries"),
            }
        }
        tokio::select! {
            () = shared.shutdown.cancelled() => return,
            _ = commits.changed() => {}
            () = shared.finished.notified() => {}
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}

/// Sends an endpoint's pending deliveries in order until none is left, one fails or the server
/// stops; then gives the lease back.
async fn deliver_for(shared: Arc<Shared>, target: WebhookTarget, permit: OwnedSemaphorePermit) {
    let id = target.webhook.id;
    if let Err(error) = deliver_pending(&shared, &target).await {
        tracing::warn!(webhook = %id, %error, "webhooks: delivery interrupted");
    }
    if let Err(error) = shared.store.release_webhook(shared.owner, id).await {
        tracing::warn!(webhook = %id, %error, "webhooks: cannot release a lease");
    }
    drop(permit);
    shared.finished.notify_one();
}

async fn deliver_pending(shared: &Shared, target: &WebhookTarget) -> Result<()> {
    let hook = &target.webhook;
    // Acknowledgements not yet recorded: written together, one transaction per batch, so that a
    // busy endpoint costs the database one commit per batch rather than per event. A crash before
    // they are written sends them again (at least once).
    let mut acknowledged: Vec<(u64, u16, chrono::DateTime<Utc>)> = Vec::new();
    loop {
        let batch = shared.store.pending_deliveries(hook.id, BATCH).await?;
        if batch.is_empty() {
            return Ok(());
        }
        for (delivery, event) in batch {
            if shared.shutdown.is_cancelled() {
                return record_acknowledged(shared, hook.id, &mut acknowledged)
                    .await
                    .map(|_| ());
            }
            let now = Utc::now();
            if delivery.next_attempt_time > now {
                // Redelivery or resume made it due later than this look; the lease query decides.
                return record_acknowledged(shared, hook.id, &mut acknowledged)
                    .await
                    .map(|_| ());
            }
            let message_id = webhook::message_id(hook.id, delivery.sequence);
            let body = delivery_body(&event);
            let timestamp = now.timestamp();
            let signature =
                webhook::signature_header(target, now, &message_id, timestamp, body.as_bytes())?;
            let headers = [
                ("webhook-id", message_id),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", signature),
            ];
            let sent = shared
                .sender
                .post(&hook.url, &headers, body.as_bytes())
                .await;
            let done = Utc::now();
            match sent {
                Ok(status) => acknowledged.push((delivery.sequence, status, done)),
                Err(failure) => {
                    if !record_acknowledged(shared, hook.id, &mut acknowledged).await? {
                        return Ok(());
                    }
                    tracing::info!(
                        webhook = %hook.id,
                        sequence = delivery.sequence,
                        reason = %failure.reason,
                        "webhooks: delivery failed; will retry"
                    );
                    let delay = webhook::retry_delay(delivery.attempts + 1, jitter());
                    let retry_at = done + chrono::Duration::from_std(delay).unwrap_or_default();
                    let outcome = AttemptOutcome::Failed {
                        status: failure.status,
                        error: failure.reason.chars().take(500).collect(),
                        retry_at,
                    };
                    shared
                        .store
                        .record_attempt(
                            shared.owner,
                            hook.id,
                            delivery.sequence,
                            done,
                            &outcome,
                            lease_end(done),
                        )
                        .await?;
                    if window_ran_out(&delivery, done, &shared.rules) {
                        give_up(shared, target, &delivery, &failure.reason).await?;
                    }
                    return Ok(());
                }
            }
        }
        if !record_acknowledged(shared, hook.id, &mut acknowledged).await? {
            return Ok(());
        }
    }
}

/// When a lease renewed at `now` ends.
fn lease_end(now: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    now + chrono::Duration::from_std(LEASE).unwrap_or_default()
}

/// Writes the acknowledgements gathered so far; whether the lease is still held.
async fn record_acknowledged(
    shared: &Shared,
    webhook_id: Uuid,
    acknowledged: &mut Vec<(u64, u16, chrono::DateTime<Utc>)>,
) -> Result<bool> {
    if acknowledged.is_empty() {
        return Ok(true);
    }
    let held = shared
        .store
        .record_deliveries(
            shared.owner,
            webhook_id,
            acknowledged,
            lease_end(Utc::now()),
        )
        .await?;
    acknowledged.clear();
    Ok(held)
}

/// Whether a delivery failing at `now` has been failing for longer than the retry window.
fn window_ran_out(delivery: &Delivery, now: chrono::DateTime<Utc>, rules: &WebhookRules) -> bool {
    let first = delivery.first_failure_time.unwrap_or(now);
    let window = chrono::Duration::from_std(rules.retry_window).unwrap_or(chrono::Duration::MAX);
    now - first >= window
}

/// Marks the endpoint failing and tells its organisation.
async fn give_up(
    shared: &Shared,
    target: &WebhookTarget,
    delivery: &Delivery,
    reason: &str,
) -> Result<()> {
    let hook = &target.webhook;
    tracing::warn!(webhook = %hook.id, sequence = delivery.sequence, "webhooks: retries ran out; endpoint marked failing");
    let event = NewEvent {
        event_type: "webhook.failing",
        subject: format!("webhooks/{}", hook.id),
        organization_id: Some(hook.organization_id),
        public: false,
        payload: json!({
            "id": hook.id.to_string(),
            "url": hook.url,
            "sequence": delivery.sequence,
            "attempts": delivery.attempts + 1,
            "first_failure_time": delivery.first_failure_time.map(format_time),
            "last_error": reason.chars().take(500).collect::<String>(),
        }),
    };
    shared
        .store
        .mark_webhook_failing(shared.owner, hook.id, Utc::now(), event)
        .await?;
    shared.feed.notify();
    Ok(())
}

/// A number in [0, 1) for the retry jitter.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    // Without randomness the retry is merely not spread out.
    let _ = getrandom::fill(&mut bytes);
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

/// The body of a delivery: the event's type and time, and the event as the API shows it in JSON.
pub fn delivery_body(event: &Event) -> String {
    let data = crate::grpc::convert::event_to_proto(event.clone());
    let data = serde_json::to_value(&data).unwrap_or(serde_json::Value::Null);
    json!({
        "type": event.event_type,
        "timestamp": format_time(event.time),
        "data": data,
    })
    .to_string()
}
