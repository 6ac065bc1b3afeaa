//! Logging and tracing. Logs: `tracing` to standard error, pretty or JSON, filtered by `RUST_LOG`
//! (default `info`). The pretty format is coloured only when standard error is a terminal (and
//! `NO_COLOR` is unset), so that files and pipes get plain text.
//!
//! Traces: with `--otlp-endpoint`, OpenTelemetry spans exported over OTLP/gRPC: one `call` span
//! per call (continuing the caller's W3C `traceparent`; see [`crate::call_log`]), with child spans
//! for the store's write transactions (`store.begin`, `store.transaction`) and the signature batches
//! (`signature_batch`). Those spans have the target [`TRACE_TARGET`], which only the exporter
//! follows: they cost nothing without it and never show in the logs.

use std::io::IsTerminal;

use anyhow::Context as _;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// The target of the spans exported as traces (and of nothing else).
pub const TRACE_TARGET: &str = "provenance_registry::trace";

/// The name the registry gives itself in its traces (`service.name`).
const SERVICE_NAME: &str = "provenance-registry";

/// The trace exporter, when there is one; [`Telemetry::shutdown`] sends the spans not sent yet.
#[must_use = "call shutdown() before exiting, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered and stops the exporter (waiting at most a few seconds for
    /// the collector). Without an exporter, does nothing.
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        // The SDK blocks while it exports; the exporter's own I/O runs on the runtime.
        let stopped = tokio::task::spawn_blocking(move || {
            provider.shutdown_with_timeout(std::time::Duration::from_secs(5))
        })
        .await;
        match stopped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("warning: traces: cannot send the last spans: {error}"),
            Err(error) => eprintln!("warning: traces: cannot send the last spans: {error}"),
        }
    }
}

/// Installs the global subscriber once: logs in `format`, and spans exported over OTLP/gRPC to
/// `otlp_endpoint` when given (which needs a Tokio runtime). Later calls (as in tests) change
/// nothing and export nothing.
pub fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour);
    // The trace spans are for the exporter only, whatever RUST_LOG says.
    let logs_filter = filter.add_directive(
        format!("{TRACE_TARGET}=off")
            .parse()
            .context("the trace target's directive")?,
    );
    let logs = match format {
        LogFormat::Pretty => fmt.with_filter(logs_filter).boxed(),
        LogFormat::Json => fmt.json().with_filter(logs_filter).boxed(),
    };
    let provider = match otlp_endpoint {
        Some(endpoint) => Some(exporter(endpoint)?),
        None => None,
    };
    let traces = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(SERVICE_NAME))
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_filter(Targets::new().with_target(TRACE_TARGET, tracing::Level::INFO))
    });
    let installed = tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init()
        .is_ok();
    Ok(Telemetry {
        provider: provider.filter(|_| installed),
    })
}

/// The tracer provider exporting in batches to `endpoint`.
fn exporter(endpoint: &str) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .with_context(|| format!("cannot export traces to {endpoint} (--otlp-endpoint)"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(SERVICE_NAME)
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Whether spans are being exported (a `call` span would be recorded).
pub fn tracing_calls() -> bool {
    tracing::enabled!(target: TRACE_TARGET, tracing::Level::INFO)
}

/// Makes `span` continue the trace of the caller's W3C `traceparent` (and `tracestate`) in
/// `headers`, when they hold a valid one.
pub fn continue_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    if opentelemetry::trace::TraceContextExt::has_active_span(&parent) {
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        let _ = span.set_parent(parent);
    }
}

/// Makes `span` (of work done for several calls at once) a child of the call whose trace is
/// `parent` and links it from the others', when spans are exported.
pub fn join_traces<'a>(
    span: &tracing::Span,
    parent: &opentelemetry::Context,
    others: impl Iterator<Item = &'a opentelemetry::Context>,
) {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if span.is_disabled() {
        return;
    }
    if parent.has_active_span() {
        let _ = span.set_parent(parent.clone());
    }
    for other in others {
        let context = other.span().span_context().clone();
        if context.is_valid() {
            span.add_link(context);
        }
    }
}

/// Renames `span` once it has begun (a gateway call is named after the gRPC method that answered
/// it, known only then).
pub fn rename(span: &tracing::Span, name: String) {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if !span.is_disabled() {
        span.context().span().update_name(name);
    }
}

/// Request headers as the propagator reads them.
struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}
