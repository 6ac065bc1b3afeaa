//! Use cases of webhook endpoints: an organisation's admins register, change, pause, resume and
//! delete them, rotate their secrets and look at (and repeat) their deliveries.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::Registry;
use crate::domain::access::{Caller, Role};
use crate::domain::event::{NewEvent, log_position, truncate_to_micros};
use crate::domain::paging::PageTokens;
use crate::domain::webhook::{
    self, AddressPolicy, DEFAULT_ROTATION_GRACE, Delivery, EndpointUrl, MAX_ROTATION_GRACE,
    MAX_WEBHOOKS_PER_ORGANIZATION, Webhook, WebhookState,
};
use crate::error::{Error, Result};
use crate::store::webhooks::WebhookChange;

/// The operator's rules for webhooks.
#[derive(Debug, Clone)]
pub struct WebhookRules {
    /// Which addresses endpoints may reach.
    pub addresses: AddressPolicy,
    /// How long a delivery is retried after its first failure before the endpoint is failing.
    pub retry_window: std::time::Duration,
    /// Deliveries in flight at once, all endpoints together (each endpoint has at most one).
    pub max_concurrent_deliveries: usize,
    /// Longest a delivery's connection may take to open.
    pub connect_timeout: std::time::Duration,
    /// Longest a delivery may take in all.
    pub request_timeout: std::time::Duration,
}

impl Default for WebhookRules {
    fn default() -> Self {
        Self {
            addresses: AddressPolicy::default(),
            retry_window: std::time::Duration::from_secs(3 * 24 * 3600),
            max_concurrent_deliveries: 32,
            connect_timeout: std::time::Duration::from_secs(5),
            request_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// What a caller may set on a new endpoint.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// The URL as given.
    pub url: String,
    /// For people.
    pub description: String,
    /// Types to receive; empty for all.
    pub event_types: Vec<String>,
}

/// A requested change (fields named by the update mask).
#[derive(Debug, Clone, Default)]
pub struct WebhookUpdate {
    /// New state (`Active` or `Paused`).
    pub state: Option<WebhookState>,
    /// New types.
    pub event_types: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
}

fn subject(id: Uuid) -> String {
    format!("webhooks/{id}")
}

fn not_found(id: Uuid) -> Error {
    Error::NotFound(format!("webhook {id} not found"))
}

impl Registry {
    /// The webhook rules in force.
    pub fn webhook_rules(&self) -> &WebhookRules {
        &self.webhooks
    }

    /// The registry with the operator's webhook rules.
    pub fn with_webhook_rules(mut self, rules: WebhookRules) -> Self {
        self.webhooks = std::sync::Arc::new(rules);
        self
    }

    /// Registers an endpoint; returns it with its secret.
    pub async fn create_webhook(
        &self,
        caller: &Caller,
        request: NewWebhook,
    ) -> Result<(Webhook, String)> {
        let organization = caller.member_with(Role::Admin)?;
        let endpoint = EndpointUrl::parse("webhook.url", &request.url, &self.webhooks.addresses)?;
        let description = webhook::description("webhook.description", &request.description)?;
        let event_types = webhook::event_types(
            "webhook.event_types",
            &request.event_types,
            webhook::EVENT_TYPES,
        )?;
        crate::webhook_sender::resolve_checked(&endpoint, &self.webhooks.addresses)
            .await
            .map_err(|reason| Error::invalid("webhook.url", reason))?;
        let now = truncate_to_micros(Utc::now());
        let hook = Webhook {
            id: Uuid::now_v7(),
            organization_id: organization,
            url: endpoint.url.to_string(),
            description,
            event_types,
            state: WebhookState::Active,
            create_time: now,
            update_time: now,
            previous_secret_expire_time: None,
        };
        let secret = webhook::new_secret()?;
        let event = NewEvent {
            event_type: "webhook.created",
            subject: subject(hook.id),
            organization_id: Some(organization),
            public: false,
            payload: json!({
                "id": hook.id.to_string(),
                "url": hook.url,
                "event_types": hook.event_types,
                "created_by": caller.subject,
            }),
        };
        self.store
            .create_webhook(&hook, &secret, MAX_WEBHOOKS_PER_ORGANIZATION, event)
            .await?;
        self.feed.notify();
        Ok((hook, secret))
    }

    /// Reads one of the caller's organisation's endpoints.
    pub async fn get_webhook(&self, caller: &Caller, id: Uuid) -> Result<Webhook> {
        let organization = caller.member_with(Role::Admin)?;
        self.store
            .get_webhook(organization, id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// One page of the caller's organisation's endpoints.
    pub async fn list_webhooks(
        &self,
        caller: &Caller,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Webhook>, Option<String>)> {
        let organization = caller.member_with(Role::Admin)?;
        let tokens = PageTokens::new("webhooks", &[&organization.to_string()]);
        let after = tokens.decode_id(page_token)?;
        let hooks = self
            .store
            .list_webhooks(organization, after, page_size + 1)
            .await?;
        Ok(tokens.page(hooks, page_size, |w| w.id.to_string()))
    }

    /// Changes an endpoint.
    pub async fn update_webhook(
        &self,
        caller: &Caller,
        id: Uuid,
        update: WebhookUpdate,
    ) -> Result<Webhook> {
        let organization = caller.member_with(Role::Admin)?;
        let change = WebhookChange {
            state: update.state,
            event_types: update.event_types,
            description: update.description,
        };
        let mut changed = Vec::new();
        if let Some(state) = change.state {
            changed.push(json!({"state": state.as_str()}));
        }
        if let Some(types) = &change.event_types {
            changed.push(json!({"event_types": types}));
        }
        if change.description.is_some() {
            changed.push(json!("description"));
        }
        let event = NewEvent {
            event_type: "webhook.updated",
            subject: subject(id),
            organization_id: Some(organization),
            public: false,
            payload: json!({"id": id.to_string(), "changes": changed, "updated_by": caller.subject}),
        };
        let now = truncate_to_micros(Utc::now());
        let hook = self
            .store
            .update_webhook(organization, id, &change, now, event)
            .await?
            .ok_or_else(|| not_found(id))?;
        self.feed.notify();
        Ok(hook)
    }

    /// Deletes an endpoint with its deliveries.
    pub async fn delete_webhook(&self, caller: &Caller, id: Uuid) -> Result<()> {
        let organization = caller.member_with(Role::Admin)?;
        let event = NewEvent {
            event_type: "webhook.deleted",
            subject: subject(id),
            organization_id: Some(organization),
            public: false,
            payload: json!({"id": id.to_string(), "deleted_by": caller.subject}),
        };
        if !self.store.delete_webhook(organization, id, event).await? {
            return Err(not_found(id));
        }
        self.feed.notify();
        Ok(())
    }

    /// Gives an endpoint a new secret; the previous one signs too for `grace` (default 24 hours).
    pub async fn rotate_webhook_secret(
        &self,
        caller: &Caller,
        id: Uuid,
        grace: Option<chrono::Duration>,
    ) -> Result<(Webhook, String)> {
        let organization = caller.member_with(Role::Admin)?;
        let grace = grace.unwrap_or(DEFAULT_ROTATION_GRACE);
        if grace < chrono::Duration::zero() || grace > MAX_ROTATION_GRACE {
            return Err(Error::invalid(
                "grace_period",
                "must be from 0 to 7 days (604800s)",
            ));
        }
        let now = truncate_to_micros(Utc::now());
        let secret = webhook::new_secret()?;
        let until: DateTime<Utc> = now + grace;
        let event = NewEvent {
            event_type: "webhook.secret_rotated",
            subject: subject(id),
            organization_id: Some(organization),
            public: false,
            payload: json!({
                "id": id.to_string(),
                "previous_secret_expire_time": crate::domain::event::format_time(until),
                "rotated_by": caller.subject,
            }),
        };
        let hook = self
            .store
            .rotate_webhook_secret(organization, id, &secret, now, until, event)
            .await?
            .ok_or_else(|| not_found(id))?;
        self.feed.notify();
        Ok((hook, secret))
    }

    /// One page of an endpoint's deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        caller: &Caller,
        webhook_id: Uuid,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Delivery>, Option<String>)> {
        self.get_webhook(caller, webhook_id).await?;
        let tokens = PageTokens::new("deliveries", &[&webhook_id.to_string()]);
        let before = match tokens.decode(page_token)? {
            Some(cursor) => cursor
                .parse::<u64>()
                .ok()
                .filter(|&c| c > 0 && c <= crate::domain::event::MAX_SEQUENCE)
                .ok_or_else(|| Error::invalid("page_token", "is not a page token of this list"))?,
            None => 0,
        };
        let deliveries = self
            .store
            .list_deliveries(webhook_id, before, page_size + 1)
            .await?;
        Ok(tokens.page(deliveries, page_size, |d| d.sequence.to_string()))
    }

    /// Makes one delivery pending again, due now.
    pub async fn redeliver_event(
        &self,
        caller: &Caller,
        webhook_id: Uuid,
        sequence: u64,
    ) -> Result<Delivery> {
        self.get_webhook(caller, webhook_id).await?;
        if sequence == 0 {
            return Err(Error::invalid(
                "sequence",
                "is required (events count from 1)",
            ));
        }
        let sequence = log_position("sequence", sequence)?;
        let delivery = self
            .store
            .redeliver_event(webhook_id, sequence, truncate_to_micros(Utc::now()))
            .await?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "webhook {webhook_id} has no delivery of event {sequence} (it was committed \
                     before the webhook existed, or the webhook does not receive it)"
                ))
            })?;
        self.feed.notify();
        Ok(delivery)
    }
}
