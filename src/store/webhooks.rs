//! Storage of webhook endpoints and their outbox, part of [`super::Store`].
//!
//! The outbox rows themselves are written by each backend's `append_events`, in the transaction of
//! the events: one row per endpoint whose organisation may see the event (the visibility rule of
//! [`super::Store::list_events`]) and whose types include it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::event::{Event, NewEvent};
use crate::domain::webhook::{Delivery, Webhook, WebhookState, WebhookTarget};
use crate::error::Result;

/// A change to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookChange {
    /// New state: `Active` resumes (and restarts the retry window of what is pending), `Paused`
    /// pauses.
    pub state: Option<WebhookState>,
    /// New event types (empty for all).
    pub event_types: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
}

/// The outcome of one attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// Anything else; the next attempt is due at `retry_at`.
    Failed {
        /// The answer's status, if one came.
        status: Option<u16>,
        /// Why, for people.
        error: String,
        /// When to try again.
        retry_at: DateTime<Utc>,
    },
}

/// Endpoints and deliveries.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a new endpoint with its secret and event (whose own delivery rows follow the rule).
    /// `ResourceExhausted` when the organisation already has `max_per_organization` endpoints.
    async fn create_webhook(
        &self,
        webhook: &Webhook,
        secret: &str,
        max_per_organization: u32,
        event: NewEvent,
    ) -> Result<()>;

    /// One endpoint of `organization_id`.
    async fn get_webhook(&self, organization_id: Uuid, id: Uuid) -> Result<Option<Webhook>>;

    /// One page of the endpoints of `organization_id` in id order, after `after`.
    async fn list_webhooks(
        &self,
        organization_id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Webhook>>;

    /// Applies `change` at `time` with `event`; the endpoint as it now stands, `None` when it does
    /// not exist or belongs to another organisation.
    async fn update_webhook(
        &self,
        organization_id: Uuid,
        id: Uuid,
        change: &WebhookChange,
        time: DateTime<Utc>,
        event: NewEvent,
    ) -> Result<Option<Webhook>>;

    /// Deletes an endpoint and its deliveries with `event`; whether it existed.
    async fn delete_webhook(
        &self,
        organization_id: Uuid,
        id: Uuid,
        event: NewEvent,
    ) -> Result<bool>;

    /// Makes `secret` the signing secret; the former one keeps signing until `previous_until`.
    async fn rotate_webhook_secret(
        &self,
        organization_id: Uuid,
        id: Uuid,
        secret: &str,
        time: DateTime<Utc>,
        previous_until: DateTime<Utc>,
        event: NewEvent,
    ) -> Result<Option<Webhook>>;

    /// One page of an endpoint's deliveries, newest first, with sequences below `before` (0 for
    /// the newest).
    async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        before: u64,
        limit: u32,
    ) -> Result<Vec<Delivery>>;

    /// Makes the delivery of event `sequence` to the endpoint pending again, due at `time`; it is
    /// then sent before anything later still pending. `None` when there is no such delivery.
    async fn redeliver_event(
        &self,
        webhook_id: Uuid,
        sequence: u64,
        time: DateTime<Utc>,
    ) -> Result<Option<Delivery>>;

    /// Leases up to `limit` active endpoints that have a delivery due at `now` and no live lease
    /// (on PostgreSQL skipping rows other replicas are leasing) to `owner` until `until`.
    async fn lease_webhooks(
        &self,
        owner: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<WebhookTarget>>;

    /// The first `limit` pending deliveries of an endpoint with their events, in sequence order.
    async fn pending_deliveries(
        &self,
        webhook_id: Uuid,
        limit: u32,
    ) -> Result<Vec<(Delivery, Event)>>;

    /// Records an attempt by lease holder `owner` and extends its lease to `lease_until`; a
    /// failure also sets when the endpoint is next tried. Whether `owner` still held the lease
    /// (when not, nothing was written and the holder should stop).
    async fn record_attempt(
        &self,
        owner: Uuid,
        webhook_id: Uuid,
        sequence: u64,
        time: DateTime<Utc>,
        outcome: &AttemptOutcome,
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;

    /// Records acknowledged deliveries `(sequence, status, time)` by lease holder `owner` in one
    /// transaction and extends its lease to `lease_until`; whether `owner` still held the lease
    /// (when not, nothing was written).
    async fn record_deliveries(
        &self,
        owner: Uuid,
        webhook_id: Uuid,
        delivered: &[(u64, u16, DateTime<Utc>)],
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;

    /// Marks an endpoint failing with `event`, unless it is no longer active, and ends the lease.
    async fn mark_webhook_failing(
        &self,
        owner: Uuid,
        webhook_id: Uuid,
        time: DateTime<Utc>,
        event: NewEvent,
    ) -> Result<()>;

    /// Ends `owner`'s lease of an endpoint.
    async fn release_webhook(&self, owner: Uuid, webhook_id: Uuid) -> Result<()>;

    /// Ends every lease, for a process that is the only one sending (SQLite): leases of a process
    /// that was killed would otherwise hold its endpoints until they expire.
    async fn clear_leases(&self) -> Result<()>;

    /// Deliveries waiting to be sent, all endpoints together (for `/metrics`).
    async fn count_pending_deliveries(&self) -> Result<u64>;
}
