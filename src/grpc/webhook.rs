//! `provenance.v1.WebhookService`.

use tonic::{Request, Response, Status};

use super::convert::time_to_proto;
use crate::domain::paging::page_size;
use crate::domain::text::required_uuid;
use crate::domain::webhook::{self, Delivery, DeliveryState, Webhook, WebhookState};
use crate::error::Error;
use crate::proto::v1 as pb;
use crate::registry::Registry;
use crate::registry::webhooks::{NewWebhook, WebhookUpdate};

/// Handlers of the webhook service.
pub struct WebhookHandlers {
    /// The registry the handlers serve.
    pub registry: Registry,
}

fn state_to_proto(state: WebhookState) -> pb::WebhookState {
    match state {
        WebhookState::Active => pb::WebhookState::Active,
        WebhookState::Paused => pb::WebhookState::Paused,
        WebhookState::Failing => pb::WebhookState::Failing,
    }
}

/// A webhook on the wire.
pub fn webhook_to_proto(hook: Webhook) -> pb::Webhook {
    let now = chrono::Utc::now();
    pb::Webhook {
        id: hook.id.to_string(),
        organization_id: hook.organization_id.to_string(),
        url: hook.url,
        description: hook.description,
        event_types: hook.event_types,
        state: state_to_proto(hook.state) as i32,
        create_time: Some(time_to_proto(hook.create_time)),
        update_time: Some(time_to_proto(hook.update_time)),
        previous_secret_expire_time: hook
            .previous_secret_expire_time
            .filter(|until| *until > now)
            .map(time_to_proto),
    }
}

/// A delivery on the wire.
pub fn delivery_to_proto(delivery: Delivery) -> pb::Delivery {
    let pending = delivery.state == DeliveryState::Pending;
    pb::Delivery {
        message_id: webhook::message_id(delivery.webhook_id, delivery.sequence),
        webhook_id: delivery.webhook_id.to_string(),
        sequence: delivery.sequence,
        event_type: delivery.event_type,
        state: match delivery.state {
            DeliveryState::Pending => pb::DeliveryState::Pending,
            DeliveryState::Delivered => pb::DeliveryState::Delivered,
        } as i32,
        attempts: delivery.attempts,
        next_attempt_time: pending.then(|| time_to_proto(delivery.next_attempt_time)),
        last_attempt_time: delivery.last_attempt_time.map(time_to_proto),
        last_status_code: delivery.last_status_code.map(u32::from).unwrap_or(0),
        last_error: delivery.last_error.unwrap_or_default(),
        delivered_time: delivery.delivered_time.map(time_to_proto),
    }
}

#[tonic::async_trait]
impl pb::webhook_service_server::WebhookService for WebhookHandlers {
    #[tracing::instrument(skip_all)]
    async fn create_webhook(
        &self,
        request: Request<pb::CreateWebhookRequest>,
    ) -> Result<Response<pb::CreateWebhookResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let hook = request
            .into_inner()
            .webhook
            .ok_or_else(|| Error::invalid("webhook", "is required"))?;
        let (hook, secret) = self
            .registry
            .create_webhook(
                &caller,
                NewWebhook {
                    url: hook.url,
                    description: hook.description,
                    event_types: hook.event_types,
                },
            )
            .await?;
        Ok(Response::new(pb::CreateWebhookResponse {
            webhook: Some(webhook_to_proto(hook)),
            secret,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_webhook(
        &self,
        request: Request<pb::GetWebhookRequest>,
    ) -> Result<Response<pb::Webhook>, Status> {
        let caller = self.registry.caller(&request).await?;
        let id = required_uuid("id", &request.get_ref().id)?;
        let hook = self.registry.get_webhook(&caller, id).await?;
        Ok(Response::new(webhook_to_proto(hook)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_webhooks(
        &self,
        request: Request<pb::ListWebhooksRequest>,
    ) -> Result<Response<pb::ListWebhooksResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let size = page_size(request.page_size)?;
        let (hooks, next) = self
            .registry
            .list_webhooks(&caller, size, &request.page_token)
            .await?;
        Ok(Response::new(pb::ListWebhooksResponse {
            webhooks: hooks.into_iter().map(webhook_to_proto).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn update_webhook(
        &self,
        request: Request<pb::UpdateWebhookRequest>,
    ) -> Result<Response<pb::Webhook>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let hook = &request;
        let id = required_uuid("id", &hook.id)?;
        let paths = request
            .update_mask
            .clone()
            .map(|m| m.paths)
            .unwrap_or_default();
        if paths.is_empty() {
            return Err(Error::invalid(
                "update_mask",
                "must name at least one of state, event_types, description",
            )
            .into());
        }
        if paths.len() > 3 {
            return Err(Error::invalid(
                "update_mask",
                "must name at most 3 paths: state, event_types, description",
            )
            .into());
        }
        let mut update = WebhookUpdate::default();
        for (i, path) in paths.iter().enumerate() {
            match path.as_str() {
                "state" => {
                    update.state = Some(match pb::WebhookState::try_from(hook.state) {
                        Ok(pb::WebhookState::Active) => WebhookState::Active,
                        Ok(pb::WebhookState::Paused) => WebhookState::Paused,
                        _ => {
                            return Err(Error::invalid(
                                "state",
                                "must be WEBHOOK_STATE_ACTIVE (resume) or WEBHOOK_STATE_PAUSED",
                            )
                            .into());
                        }
                    })
                }
                "event_types" => {
                    update.event_types = Some(webhook::event_types(
                        "event_types",
                        &hook.event_types,
                        webhook::EVENT_TYPES,
                    )?)
                }
                "description" => {
                    update.description =
                        Some(webhook::description("description", &hook.description)?)
                }
                other => {
                    return Err(Error::invalid(
                        format!("update_mask.paths[{i}]"),
                        format!(
                            "{:?} cannot be changed; the paths are state, event_types, description",
                            other.chars().take(64).collect::<String>()
                        ),
                    )
                    .into());
                }
            }
        }
        let hook = self.registry.update_webhook(&caller, id, update).await?;
        Ok(Response::new(webhook_to_proto(hook)))
    }

    #[tracing::instrument(skip_all)]
    async fn delete_webhook(
        &self,
        request: Request<pb::DeleteWebhookRequest>,
    ) -> Result<Response<pb::DeleteWebhookResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let id = required_uuid("id", &request.get_ref().id)?;
        self.registry.delete_webhook(&caller, id).await?;
        Ok(Response::new(pb::DeleteWebhookResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_webhook_secret(
        &self,
        request: Request<pb::RotateWebhookSecretRequest>,
    ) -> Result<Response<pb::RotateWebhookSecretResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let id = required_uuid("id", &request.id)?;
        let grace = request
            .grace_period
            .map(|d| {
                if d.nanos != 0 || d.seconds < 0 {
                    return Err(Error::invalid(
                        "grace_period",
                        "must be whole seconds from 0 to 7 days (604800s)",
                    ));
                }
                Ok(chrono::Duration::try_seconds(d.seconds).unwrap_or(chrono::Duration::MAX))
            })
            .transpose()?;
        let (hook, secret) = self
            .registry
            .rotate_webhook_secret(&caller, id, grace)
            .await?;
        Ok(Response::new(pb::RotateWebhookSecretResponse {
            webhook: Some(webhook_to_proto(hook)),
            secret,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_deliveries(
        &self,
        request: Request<pb::ListDeliveriesRequest>,
    ) -> Result<Response<pb::ListDeliveriesResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let id = required_uuid("webhook_id", &request.webhook_id)?;
        let size = page_size(request.page_size)?;
        let (deliveries, next) = self
            .registry
            .list_deliveries(&caller, id, size, &request.page_token)
            .await?;
        Ok(Response::new(pb::ListDeliveriesResponse {
            deliveries: deliveries.into_iter().map(delivery_to_proto).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn redeliver_event(
        &self,
        request: Request<pb::RedeliverEventRequest>,
    ) -> Result<Response<pb::Delivery>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let id = required_uuid("webhook_id", &request.webhook_id)?;
        let delivery = self
            .registry
            .redeliver_event(&caller, id, request.sequence)
            .await?;
        Ok(Response::new(delivery_to_proto(delivery)))
    }
}
