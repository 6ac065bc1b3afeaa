//! `provctl health`: the standard gRPC health check (`grpc.health.v1.Health/Check`), no token.

use serde_json::json;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::cli::HealthArgs;
use crate::client::Connection;
use crate::config::Settings;
use crate::error::CliError;
use crate::output::Printer;

/// Runs `health`: Ok when the registry (or `--service`) is serving; [`CliError::NotServing`]
/// (exit code 6) when it answers otherwise or not in time.
pub async fn run(global: &Settings, args: HealthArgs, out: &mut Printer) -> Result<(), CliError> {
    let conn = Connection::open_anonymous(global).await?;
    let service = args.service.unwrap_or_default();
    let not_serving = |reason: String| CliError::NotServing {
        url: conn.url().to_owned(),
        reason,
    };
    let mut client = conn.health();
    let call = client.check(HealthCheckRequest {
        service: service.clone(),
    });
    let answer = tokio::time::timeout(args.timeout, call)
        .await
        .map_err(|_| {
            not_serving(format!(
                "no answer within {}",
                humantime::format_duration(args.timeout)
            ))
        })?
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let status = ServingStatus::try_from(answer.status).unwrap_or(ServingStatus::Unknown);
    if status != ServingStatus::Serving {
        return Err(not_serving(format!(
            "it reports {} (starting, shutting down, or unhealthy); retry, or read its log",
            status.as_str_name()
        )));
    }
    if out.is_json() {
        // The answer's canonical JSON (`{"status": "SERVING"}`), with what was checked.
        let mut value = json!({"status": status.as_str_name(), "url": conn.url()});
        if !service.is_empty() {
            value["service"] = json!(service);
        }
        out.json(&value)?;
    } else {
        out.line(format!("status:   {}", status.as_str_name()))?;
        out.line(format!("url:      {}", conn.url()))?;
        if !service.is_empty() {
            out.line(format!("service:  {service}"))?;
        }
    }
    Ok(())
}
