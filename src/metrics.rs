//! Monitoring: the server's counters, gauges and histograms, served as `GET /metrics` on the
//! separate address `--metrics-listen` only, never on the API's port: in the Prometheus text
//! format (0.0.4), or in OpenMetrics text to a scraper that asks for it (`Accept:
//! application/openmetrics-text`, as Prometheus does).
//!
//! Labels come from fixed sets so that their number stays bounded whatever callers send: gRPC
//! methods are named only when served (anything else is `(unknown)`), plain HTTP calls by the route
//! that answered them (`(no route)` for any other path), statuses by their gRPC code name or HTTP
//! status. No label ever holds an organisation's name or id, a token, or a path as sent.
//!
//! Each [`Registry`](crate::registry::Registry) has its own [`Metrics`], so that servers in one
//! process (as in the tests) count apart.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Where the metrics are served on `--metrics-listen`.
pub const METRICS_PATH: &str = "/metrics";

/// The content type of OpenMetrics text.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The content type of the Prometheus text format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The labels of one kind of call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// `grpc` or `http` (the HTTP/JSON gateway, the JWKS, the verification page, gRPC-Web).
    pub protocol: &'static str,
    /// The gRPC service's full name (`provenance.v1.DatasetService`), also for HTTP/JSON calls of
    /// a gateway binding; `http` for the other HTTP routes; `(unknown)` for methods not served.
    pub service: Cow<'static, str>,
    /// The gRPC method (`RegisterDataset`), or `GET /route` for the other HTTP routes.
    pub method: Cow<'static, str>,
    /// The gRPC code name (`OK`, `NOT_FOUND`), or the HTTP status (`200`).
    pub status: Cow<'static, str>,
}

/// The labels of a call's duration: [`CallLabels`] without the status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabels {
    /// As [`CallLabels::protocol`].
    pub protocol: &'static str,
    /// As [`CallLabels::service`].
    pub service: Cow<'static, str>,
    /// As [`CallLabels::method`].
    pub method: Cow<'static, str>,
}

/// One label naming a protocol, a pool, a kind of batch or an outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// The value.
    pub kind: &'static str,
}

/// A database connection pool's state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// `writer` or `readers`.
    pub pool: &'static str,
    /// `in_use` or `idle`.
    pub state: &'static str,
}

/// A connection pool's size as the store reports it ([`crate::store::Store::pool_status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStatus {
    /// `writer` or `readers`.
    pub pool: &'static str,
    /// Connections open.
    pub open: u32,
    /// Of which idle.
    pub idle: u32,
}

impl PoolStatus {
    /// What `pool` (`writer` or `readers`) holds now, on either backend.
    pub fn of<DB: sqlx::Database>(pool: &'static str, connections: &sqlx::Pool<DB>) -> Self {
        Self {
            pool,
            open: connections.size(),
            idle: u32::try_from(connections.num_idle()).unwrap_or(u32::MAX),
        }
    }
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric of one server.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: prometheus_client::registry::Registry,
    calls: Family<CallLabels, Counter>,
    call_seconds: HistogramFamily<MethodLabels>,
    refused: Family<KindLabel, Counter>,
    /// Time a write transaction waited for the write connection and lock.
    write_wait_seconds: Histogram,
    pool_connections: Family<PoolLabels, Gauge>,
    group_commit_batch: HistogramFamily<KindLabel>,
    signature_batch: Histogram,
    events: Gauge,
    log_leaves: Gauge,
    certificate_cache: Family<KindLabel, Counter>,
    watchers: Gauge,
    webhook_pending: Gauge,
}

fn latency_histogram() -> Histogram {
    // 100 µs to about 13 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 18))
}

fn batch_histogram() -> Histogram {
    // 1 to 256, the largest group commit.
    Histogram::new(exponential_buckets(1.0, 2.0, 9))
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric at zero.
    pub fn new() -> Self {
        let mut registry = prometheus_client::registry::Registry::with_prefix("provenance");
        let calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "calls",
            "Calls answered, by protocol, service, method and status",
            calls.clone(),
        );
        let call_seconds: HistogramFamily<MethodLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "call_duration",
            "How long calls took until their answer was complete (a stream: how long it was open)",
            prometheus_client::registry::Unit::Seconds,
            call_seconds.clone(),
        );
        let refused = Family::<KindLabel, Counter>::default();
        registry.register(
            "calls_refused",
            "Calls refused at once by --max-concurrent-calls, by protocol (kind: grpc or http)",
            refused.clone(),
        );
        let write_wait_seconds = latency_histogram();
        registry.register_with_unit(
            "database_write_wait",
            "How long write transactions waited for the write connection and lock",
            prometheus_client::registry::Unit::Seconds,
            write_wait_seconds.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "database_pool_connections",
            "Database connections open, by pool (writer, readers) and state (in_use, idle)",
            pool_connections.clone(),
        );
        let group_commit_batch: HistogramFamily<KindLabel> =
            Family::new_with_constructor(batch_histogram);
        registry.register(
            "group_commit_batch_size",
            "Writes committed in one transaction by group commit (kind: registration, \
             certificate_issuance)",
            group_commit_batch.clone(),
        );
        let signature_batch = batch_histogram();
        registry.register(
            "signature_batch_size",
            "Ed25519 signatures checked together in one batch",
            signature_batch.clone(),
        );
        let events = Gauge::default();
        registry.register(
            "event_log_events",
            "Events in the hash-linked event log",
            events.clone(),
        );
        let log_leaves = Gauge::default();
        registry.register(
            "transparency_log_leaves",
            "Leaves of the transparency log (its tree size)",
            log_leaves.clone(),
        );
        let certificate_cache = Family::<KindLabel, Counter>::default();
        registry.register(
            "certificate_cache_lookups",
            "Lookups of certificates' stored facts in the cache (kind: hit, miss)",
            certificate_cache.clone(),
        );
        let watchers = Gauge::default();
        registry.register(
            "watchers_open",
            "WatchEvents streams open",
            watchers.clone(),
        );
        let webhook_pending = Gauge::default();
        registry.register(
            "webhook_deliveries_pending",
            "Webhook deliveries waiting to be sent, all endpoints together",
            webhook_pending.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                calls,
                call_seconds,
                refused,
                write_wait_seconds,
                pool_connections,
                group_commit_batch,
                signature_batch,
                events,
                log_leaves,
                certificate_cache,
                watchers,
                webhook_pending,
            }),
        }
    }

    /// Counts one call that took `elapsed`.
    pub fn count_call(&self, labels: CallLabels, elapsed: Duration) {
        self.inner
            .call_seconds
            .get_or_create(&MethodLabels {
                protocol: labels.protocol,
                service: labels.service.clone(),
                method: labels.method.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.inner.calls.get_or_create(&labels).inc();
    }

    /// Counts a call refused by the concurrency bound.
    pub fn count_refusal(&self, grpc: bool) {
        let kind = if grpc { "grpc" } else { "http" };
        self.inner.refused.get_or_create(&KindLabel { kind }).inc();
    }

    /// Records how long a write transaction waited to begin.
    pub fn observe_write_wait(&self, waited: Duration) {
        self.inner.write_wait_seconds.observe(waited.as_secs_f64());
    }

    /// The histogram of the sizes of group commits of `kind`.
    pub fn group_commit(&self, kind: &'static str) -> Histogram {
        self.inner
            .group_commit_batch
            .get_or_create(&KindLabel { kind })
            .clone()
    }

    /// The histogram of the sizes of signature batches.
    pub fn signature_batches(&self) -> Histogram {
        self.inner.signature_batch.clone()
    }

    /// Counts a certificate cache lookup.
    pub fn count_certificate_cache(&self, hit: bool) {
        let kind = if hit { "hit" } else { "miss" };
        self.inner
            .certificate_cache
            .get_or_create(&KindLabel { kind })
            .inc();
    }

    /// Sets the gauges read when scraped.
    pub fn set_state(&self, state: &State) {
        let gauge = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        self.inner.events.set(gauge(state.events));
        self.inner.log_leaves.set(gauge(state.log_leaves));
        self.inner.watchers.set(gauge(state.watchers as u64));
        self.inner.webhook_pending.set(gauge(state.webhook_pending));
        for pool in &state.pools {
            let set = |state: &'static str, value: u32| {
                self.inner
                    .pool_connections
                    .get_or_create(&PoolLabels {
                        pool: pool.pool,
                        state,
                    })
                    .set(i64::from(value));
            };
            set("in_use", pool.open.saturating_sub(pool.idle));
            set("idle", pool.idle);
        }
    }

    /// Everything in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.inner.registry);
        text
    }
}

/// OpenMetrics text as the Prometheus text format (0.0.4) has it: a counter's family is named
/// after its samples (`x_total`, not `x`), and there is no `# UNIT` or `# EOF`. The samples are
/// written alike in both.
pub fn prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut text = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(line) => text.push_str(&line),
            None => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

/// What the gauges show, read when `/metrics` is scraped.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Events in the event log.
    pub events: u64,
    /// Leaves of the transparency log.
    pub log_leaves: u64,
    /// Open `WatchEvents` streams.
    pub watchers: usize,
    /// Webhook deliveries pending.
    pub webhook_pending: u64,
    /// The database pools.
    pub pools: Vec<PoolStatus>,
}

/// Serves `GET /metrics` of `registry` on `listener` until `shutdown`; every other path is 404.
pub async fn serve(
    listener: TcpListener,
    registry: crate::registry::Registry,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let router = axum::Router::new().route(
        METRICS_PATH,
        axum::routing::get(move |headers: axum::http::HeaderMap| scrape(registry.clone(), headers)),
    );
    // Served by tonic's HTTP server, as the API is: HTTP/1.1 (as Prometheus scrapes) and HTTP/2.
    tonic::transport::Server::builder()
        .accept_http1(true)
        .add_routes(tonic::service::Routes::from(router))
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            async move { shutdown.cancelled().await },
        )
        .await
        .context("the metrics server failed")
}

async fn scrape(registry: crate::registry::Registry, headers: axum::http::HeaderMap) -> Response {
    match registry.metrics_state().await {
        Ok(state) => registry.metrics().set_state(&state),
        // The call and batch metrics are still worth having; the gauges keep their last values.
        Err(error) => tracing::warn!(%error, "metrics: cannot read the registry's state"),
    }
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("application/openmetrics-text"));
    let text = registry.metrics().encode();
    let (content_type, text) = if openmetrics {
        (OPENMETRICS, text)
    } else {
        (PROMETHEUS_TEXT, prometheus_text(&text))
    };
    let mut response = (StatusCode::OK, text).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Binds `--metrics-listen`.
pub async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} (--metrics-listen)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_names_counters_by_their_samples_and_drops_openmetrics_lines() {
        let metrics = Metrics::new();
        metrics.count_refusal(true);
        metrics.observe_write_wait(Duration::from_millis(3));
        let openmetrics = metrics.encode();
        assert!(openmetrics.contains("# TYPE provenance_calls_refused counter\n"));
        assert!(openmetrics.ends_with("# EOF\n"));
        let text = prometheus_text(&openmetrics);
        assert!(text.contains("# HELP provenance_calls_refused_total Calls refused"));
        assert!(text.contains("# TYPE provenance_calls_refused_total counter\n"));
        assert!(text.contains("provenance_calls_refused_total{kind=\"grpc\"} 1\n"));
        assert!(text.contains("# TYPE provenance_database_write_wait_seconds histogram\n"));
        assert!(text.contains("provenance_database_write_wait_seconds_count 1\n"));
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
        // Gauges and histograms keep their names.
        assert!(text.contains("# TYPE provenance_watchers_open gauge\n"));
    }
}
