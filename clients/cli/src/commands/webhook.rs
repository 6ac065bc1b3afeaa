//! `provctl webhook create|get|list|pause|resume|set-types|delete|rotate-secret|deliveries|redeliver`.

use provenance_api::v1 as pb;

use crate::cli::WebhookCommand;
use crate::client::Connection;
use crate::error::CliError;
use crate::output::{Printer, format_time};

/// Runs one `webhook` subcommand.
pub async fn run(
    conn: &Connection,
    command: WebhookCommand,
    out: &mut Printer,
) -> Result<(), CliError> {
    let mut client = conn.webhooks();
    match command {
        WebhookCommand::Create {
            endpoint: url,
            event_types,
            description,
        } => {
            let created = client
                .create_webhook(pb::CreateWebhookRequest {
                    webhook: Some(pb::Webhook {
                        url,
                        event_types,
                        description,
                        ..Default::default()
                    }),
                })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            if out.is_json() {
                out.message(&created)?;
            } else {
                if let Some(hook) = &created.webhook {
                    print_webhook(out, hook)?;
                }
                out.line(format!("secret: {}", created.secret))?;
            }
        }
        WebhookCommand::Get { id } => {
            let hook = client
                .get_webhook(pb::GetWebhookRequest { id: id.to_string() })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            show(out, &hook)?;
        }
        WebhookCommand::List => {
            let mut hooks = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_webhooks(pb::ListWebhooksRequest {
                        page_size: 1000,
                        page_token,
                    })
                    .await
                    .map_err(|s| conn.fail(s))?
                    .into_inner();
                hooks.extend(page.webhooks);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            if out.is_json() {
                out.message(&pb::ListWebhooksResponse {
                    webhooks: hooks,
                    next_page_token: String::new(),
                })?;
            } else {
                for hook in &hooks {
                    out.line(format!(
                        "{} {} {}",
                        hook.id,
                        state_text(hook.state),
                        hook.url
                    ))?;
                }
            }
        }
        WebhookCommand::Pause { id } => {
            let hook = update(conn, id, "state", pb::WebhookState::Paused, vec![]).await?;
            show(out, &hook)?;
        }
        WebhookCommand::Resume { id } => {
            let hook = update(conn, id, "state", pb::WebhookState::Active, vec![]).await?;
            show(out, &hook)?;
        }
        WebhookCommand::SetTypes { id, event_types } => {
            let hook = update(
                conn,
                id,
                "event_types",
                pb::WebhookState::Unspecified,
                event_types,
            )
            .await?;
            show(out, &hook)?;
        }
        WebhookCommand::Delete { id } => {
            let deleted = client
                .delete_webhook(pb::DeleteWebhookRequest { id: id.to_string() })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            if out.is_json() {
                out.message(&deleted)?;
            } else {
                out.line(format!("deleted webhook {id}"))?;
            }
        }
        WebhookCommand::RotateSecret { id, grace } => {
            let grace_period = grace
                .map(|d| {
                    i64::try_from(d.as_secs())
                        .map(|seconds| provenance_api::wkt::Duration { seconds, nanos: 0 })
                        .map_err(|_| CliError::Input("--grace is too long".into()))
                })
                .transpose()?;
            let rotated = client
                .rotate_webhook_secret(pb::RotateWebhookSecretRequest {
                    id: id.to_string(),
                    grace_period,
                })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            if out.is_json() {
                out.message(&rotated)?;
            } else {
                if let Some(hook) = &rotated.webhook {
                    print_webhook(out, hook)?;
                }
                out.line(format!("secret: {}", rotated.secret))?;
            }
        }
        WebhookCommand::Deliveries { id } => {
            let page = client
                .list_deliveries(pb::ListDeliveriesRequest {
                    webhook_id: id.to_string(),
                    page_size: 1000,
                    page_token: String::new(),
                })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            if out.is_json() {
                out.message(&page)?;
            } else {
                for d in &page.deliveries {
                    out.line(delivery_line(d))?;
                }
            }
        }
        WebhookCommand::Redeliver { id, sequence } => {
            let delivery = client
                .redeliver_event(pb::RedeliverEventRequest {
                    webhook_id: id.to_string(),
                    sequence,
                })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            if out.is_json() {
                out.message(&delivery)?;
            } else {
                out.line(delivery_line(&delivery))?;
            }
        }
    }
    Ok(())
}

async fn update(
    conn: &Connection,
    id: uuid::Uuid,
    path: &str,
    state: pb::WebhookState,
    event_types: Vec<String>,
) -> Result<pb::Webhook, CliError> {
    Ok(conn
        .webhooks()
        .update_webhook(pb::UpdateWebhookRequest {
            id: id.to_string(),
            update_mask: Some(provenance_api::wkt::FieldMask {
                paths: vec![path.to_owned()],
            }),
            state: state as i32,
            event_types,
            description: String::new(),
        })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner())
}

fn show(out: &mut Printer, hook: &pb::Webhook) -> Result<(), CliError> {
    if out.is_json() {
        out.message(hook)
    } else {
        print_webhook(out, hook)
    }
}

fn print_webhook(out: &mut Printer, hook: &pb::Webhook) -> Result<(), CliError> {
    let types = if hook.event_types.is_empty() {
        "(all)".to_owned()
    } else {
        hook.event_types.join(", ")
    };
    for line in [
        format!("id: {}", hook.id),
        format!("url: {}", hook.url),
        format!("state: {}", state_text(hook.state)),
        format!("event types: {types}"),
        format!("description: {}", hook.description),
        format!(
            "previous secret signs until: {}",
            hook.previous_secret_expire_time
                .as_ref()
                .map_or_else(|| "-".to_owned(), format_time)
        ),
    ] {
        out.line(line)?;
    }
    Ok(())
}

fn state_text(state: i32) -> &'static str {
    match pb::WebhookState::try_from(state) {
        Ok(pb::WebhookState::Active) => "active",
        Ok(pb::WebhookState::Paused) => "paused",
        Ok(pb::WebhookState::Failing) => "failing",
        _ => "unknown",
    }
}

fn delivery_line(d: &pb::Delivery) -> String {
    let state = match pb::DeliveryState::try_from(d.state) {
        Ok(pb::DeliveryState::Delivered) => "delivered",
        Ok(pb::DeliveryState::Pending) => "pending",
        _ => "unknown",
    };
    let status = if d.last_status_code == 0 {
        "-".to_owned()
    } else {
        d.last_status_code.to_string()
    };
    let next = d
        .next_attempt_time
        .as_ref()
        .map_or_else(|| "-".to_owned(), format_time);
    format!(
        "{} {} {} attempts={} status={} next={} {}",
        d.sequence, d.event_type, state, d.attempts, status, next, d.last_error
    )
}
