//! `webhook` (not in the default list): webhook delivery. It starts an HTTP receiver on
//! 127.0.0.1 that acknowledges every request and registers one endpoint for `dataset.registered`
//! events. Live: `--concurrency` callers register datasets for `--duration` seconds while the
//! endpoint is active, giving the delay from each event's commit (its time in the log) to its
//! arrival, p50, p99 and max. Backlog: the endpoint is paused, as many seconds of registrations
//! again are committed, and it is resumed, giving the events sent per second from the resume to
//! the last arrival. Every event must arrive (and the order is checked). Needs the in-process
//! server (which allows loopback endpoints) or a `--target` started with
//! `--webhook-allow-loopback`, and an admin token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use provenance_api::v1 as pb;
use provenance_api::v1::dataset_service_client::DatasetServiceClient;
use provenance_api::v1::webhook_service_client::WebhookServiceClient;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::bench::{Bench, authorized};
use crate::datasets::plain_request;
use crate::report::round3;

/// How long the scenario waits, after the writers stop, for the last events to arrive.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);

/// One arrival: the event's sequence, its commit time and when it arrived.
type Arrival = (
    u64,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc>,
);

/// What `webhook` measured.
pub struct WebhookReport {
    events: usize,
    backlog: usize,
    duplicates: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    in_order: bool,
}

impl WebhookReport {
    pub fn describe(&self) -> String {
        format!(
            "webhook: a backlog of {} events sent to a receiver on 127.0.0.1 at {:.0} events/s \
             (resume to last arrival); {} events sent as committed: commit to delivery p50 {:.1} \
             ms, p99 {:.1} ms, max {:.1} ms; {} repeated deliveries; {}",
            self.backlog,
            self.per_second,
            self.events,
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.max.as_secs_f64() * 1e3,
            self.duplicates,
            if self.in_order {
                "in sequence order"
            } else {
                "OUT OF ORDER"
            }
        )
    }

    pub fn to_json(&self) -> Value {
        json!({
            "events": self.events,
            "backlog": self.backlog,
            "events_per_s": round3(self.per_second),
            "delay_p50_ms": round3(self.p50.as_secs_f64() * 1e3),
            "delay_p99_ms": round3(self.p99.as_secs_f64() * 1e3),
            "delay_max_ms": round3(self.max.as_secs_f64() * 1e3),
            "duplicates": self.duplicates,
            "in_order": self.in_order,
        })
    }
}

/// Runs the scenario with `callers` writers.
pub async fn run(bench: &Bench, callers: usize) -> anyhow::Result<WebhookReport> {
    let arrivals: Arc<Mutex<Vec<Arrival>>> = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let receiver = tokio::spawn(receive(listener, arrivals.clone()));
    let created = WebhookServiceClient::new(bench.channel(0))
        .create_webhook(authorized(
            pb::CreateWebhookRequest {
                webhook: Some(pb::Webhook {
                    url: format!("http://127.0.0.1:{port}/provbench"),
                    event_types: vec!["dataset.registered".into()],
                    description: "provbench".into(),
                    ..Default::default()
                }),
            },
            &bench.auth,
        ))
        .await
        .context(
            "cannot create the webhook (the server must allow loopback endpoints, \
             --webhook-allow-loopback, and the token must be an admin's)",
        )?
        .into_inner();
    eprintln!("provbench: webhook: receiver on 127.0.0.1:{port}");
    let id = created.webhook.map(|w| w.id).unwrap_or_default();
    // Live: events delivered as they are committed, for the delay.
    let committed = write_for(bench, callers, "live").await?;
    let live = wait_for(&arrivals, committed).await?;
    let live_arrivals = arrivals.lock().unwrap_or_else(|p| p.into_inner()).clone();
    // Backlog: as many events again committed while the endpoint is paused, then sent as fast as
    // the registry sends, for the events per second.
    set_state(bench, &id, pb::WebhookState::Paused).await?;
    let backlog = write_for(bench, callers, "backlog").await?;
    arrivals.lock().unwrap_or_else(|p| p.into_inner()).clear();
    let resumed = chrono::Utc::now();
    set_state(bench, &id, pb::WebhookState::Active).await?;
    wait_for(&arrivals, backlog).await?;
    let backlog_arrivals = arrivals.lock().unwrap_or_else(|p| p.into_inner()).clone();
    receiver.abort();
    let _ = WebhookServiceClient::new(bench.channel(0))
        .delete_webhook(authorized(pb::DeleteWebhookRequest { id }, &bench.auth))
        .await;
    let mut report = summarise(&live_arrivals, live);
    let last = backlog_arrivals
        .iter()
        .map(|a| a.2)
        .max()
        .unwrap_or(resumed);
    report.backlog = backlog;
    report.per_second = backlog as f64
        / (last - resumed)
            .to_std()
            .unwrap_or_default()
            .as_secs_f64()
            .max(1e-9);
    report.in_order &= backlog_arrivals.windows(2).all(|w| w[0].0 <= w[1].0);
    report.duplicates += backlog_arrivals.len().saturating_sub(backlog);
    Ok(report)
}

/// `callers` writers register datasets for the bench's duration; how many they registered.
async fn write_for(bench: &Bench, callers: usize, phase: &str) -> anyhow::Result<usize> {
    eprintln!(
        "provbench: webhook ({phase}): {callers} writers for {} s",
        bench.duration.as_secs()
    );
    let deadline = tokio::time::Instant::now() + bench.duration;
    let mut writers = tokio::task::JoinSet::new();
    for caller in 0..callers {
        let mut client = DatasetServiceClient::new(bench.channel(caller));
        let auth = bench.auth.clone();
        let tag = format!("{}-{phase}", bench.tag);
        writers.spawn(async move {
            let mut written = 0usize;
            while tokio::time::Instant::now() < deadline {
                let name = format!("webhook-{tag}-{caller}-{written}");
                client
                    .register_dataset(authorized(plain_request(name, written as u64), &auth))
                    .await?;
                written += 1;
            }
            Ok::<usize, tonic::Status>(written)
        });
    }
    let mut committed = 0;
    while let Some(outcome) = writers.join_next().await {
        committed += outcome??;
    }
    Ok(committed)
}

/// Waits until `count` distinct events have arrived.
async fn wait_for(arrivals: &Mutex<Vec<Arrival>>, count: usize) -> anyhow::Result<usize> {
    let drain = tokio::time::Instant::now() + DRAIN_LIMIT;
    loop {
        let arrived = distinct(&arrivals.lock().unwrap_or_else(|p| p.into_inner()));
        if arrived >= count {
            return Ok(arrived);
        }
        if tokio::time::Instant::now() > drain {
            bail!("only {arrived} of {count} events arrived within {DRAIN_LIMIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn set_state(bench: &Bench, id: &str, state: pb::WebhookState) -> anyhow::Result<()> {
    WebhookServiceClient::new(bench.channel(0))
        .update_webhook(authorized(
            pb::UpdateWebhookRequest {
                id: id.to_owned(),
                state: state as i32,
                update_mask: Some(provenance_api::wkt::FieldMask {
                    paths: vec!["state".into()],
                }),
                ..Default::default()
            },
            &bench.auth,
        ))
        .await
        .context("cannot pause or resume the webhook")?;
    Ok(())
}

fn distinct(arrivals: &[Arrival]) -> usize {
    let mut sequences: Vec<u64> = arrivals.iter().map(|a| a.0).collect();
    sequences.sort_unstable();
    sequences.dedup();
    sequences.len()
}

fn summarise(arrivals: &[Arrival], events: usize) -> WebhookReport {
    let mut delays: Vec<Duration> = arrivals
        .iter()
        .map(|(_, committed, arrived)| (*arrived - *committed).to_std().unwrap_or_default())
        .collect();
    delays.sort_unstable();
    let at = |q: f64| {
        delays
            .get(((delays.len() as f64 * q) as usize).min(delays.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let first = arrivals.iter().map(|a| a.1).min();
    let last = arrivals.iter().map(|a| a.2).max();
    let span = match (first, last) {
        (Some(first), Some(last)) => (last - first).to_std().unwrap_or_default(),
        _ => Duration::ZERO,
    };
    WebhookReport {
        events,
        backlog: 0,
        duplicates: arrivals.len().saturating_sub(events),
        per_second: events as f64 / span.as_secs_f64().max(1e-9),
        p50: at(0.50),
        p99: at(0.99),
        max: delays.last().copied().unwrap_or_default(),
        in_order: arrivals.windows(2).all(|w| w[0].0 <= w[1].0),
    }
}

/// Accepts deliveries until aborted, answering 204 to each and noting its arrival.
async fn receive(listener: TcpListener, arrivals: Arc<Mutex<Vec<Arrival>>>) {
    while let Ok((mut stream, _)) = listener.accept().await {
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            let mut buffer = Vec::with_capacity(4096);
            let mut chunk = [0u8; 4096];
            let (head, length) = loop {
                let Ok(n) = stream.read(&mut chunk).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                buffer.extend_from_slice(&chunk[..n]);
                let mut headers = [httparse::EMPTY_HEADER; 32];
                let mut request = httparse::Request::new(&mut headers);
                if let Ok(httparse::Status::Complete(head)) = request.parse(&buffer) {
                    let length = request
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| std::str::from_utf8(h.value).ok()?.parse::<usize>().ok())
                        .unwrap_or(0);
                    break (head, length);
                }
            };
            while buffer.len() < head + length {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            let now = chrono::Utc::now();
            // Noted before the answer, so that the list is in the order the sender sent (it sends
            // the next event only once this one is answered).
            if let Ok(body) = serde_json::from_slice::<Value>(&buffer[head..head + length]) {
                let sequence = body["data"]["sequence"]
                    .as_str()
                    .and_then(|s| s.parse::<u64>().ok());
                let committed = body["timestamp"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
                if let (Some(sequence), Some(committed)) = (sequence, committed) {
                    arrivals.lock().unwrap_or_else(|p| p.into_inner()).push((
                        sequence,
                        committed.to_utc(),
                        now,
                    ));
                }
            }
            let _ = stream
                .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .await;
        });
    }
}
