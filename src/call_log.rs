//! One log line per call, at `info` (target `provenance_registry::call_log`), when the answer is
//! complete: the method, the caller's organisation and role once authenticated, the status (gRPC
//! code name, or HTTP status) and the duration (for a stream, how long it was open). Never a token,
//! a query string or a path the server does not serve: gRPC methods are named only when served,
//! HTTP paths by their route. Turn it off with `RUST_LOG=info,provenance_registry::call_log=off`.
//!
//! The same middleware counts each call in `/metrics` (when `--metrics-listen` is set: by protocol,
//! service, method and status, with its duration; see [`crate::metrics`]) and makes it a `call` span
//! of the traces (when `--otlp-endpoint` is set: continuing the caller's W3C `traceparent`, with the
//! method, the status and the caller's organisation id; see [`crate::telemetry`]).

use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use std::borrow::Cow;
use tracing::Instrument;
use uuid::Uuid;

use crate::domain::access::{Caller, Role};
use crate::http::routing::{GrpcMethods, GrpcPath, is_grpc};
use crate::metrics::{CallLabels, Metrics};

/// What the middleware needs: the served gRPC methods, and the metrics when they are served.
#[derive(Clone)]
pub struct CallObserver {
    /// The gRPC methods served.
    pub methods: Arc<GrpcMethods>,
    /// Where calls are counted (`--metrics-listen`), if anywhere.
    pub metrics: Option<Metrics>,
}

/// The gRPC method an HTTP/JSON gateway call was answered by (`/package.Service/Method`), which the
/// gateway puts in its answer's extensions so that the call is counted under that method.
#[derive(Debug, Clone)]
pub struct GatewayMethod(pub String);

/// Where the handler of a call leaves who the caller turned out to be, for the call's log line.
/// The middleware puts one in each request's extensions; [`CallerSlot::fill`] sets it.
#[derive(Debug, Clone, Default)]
pub struct CallerSlot(Arc<OnceLock<(Option<Uuid>, Role)>>);

impl CallerSlot {
    /// Records `caller` in the slot of the call whose `extensions` these are, if it has one.
    pub fn fill(extensions: &tonic::Extensions, caller: &Caller) {
        if let Some(slot) = extensions.get::<CallerSlot>() {
            let _ = slot.0.set((caller.organization_id, caller.role));
        }
    }
}

/// Axum middleware: logs, counts and traces each call once its answer is complete (or
/// abandoned).
pub async fn log_calls(
    State(observer): State<CallObserver>,
    mut request: Request,
    next: Next,
) -> Response {
    let log = tracing::enabled!(tracing::Level::INFO);
    let trace = crate::telemetry::tracing_calls();
    if !log && !trace && observer.metrics.is_none() {
        // Nothing logs, counts or traces calls: nothing to measure.
        return next.run(request).await;
    }
    let grpc = is_grpc(request.headers());
    let name = if grpc {
        let path = request.uri().path();
        match observer.methods.classify(path) {
            GrpcPath::Method => CallName::Grpc(path.trim_start_matches('/').to_owned()),
            _ => CallName::UnknownGrpc,
        }
    } else {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("(no route)", MatchedPath::as_str);
        CallName::Http(format!("{} {route}", http_method(request.method())))
    };
    let span = if trace {
        let span = tracing::info_span!(
            target: crate::telemetry::TRACE_TARGET,
            "call",
            otel.name = name.as_str(),
            otel.kind = "server",
            rpc.system = if grpc { "grpc" } else { "http" },
            rpc.method = tracing::field::Empty,
            http.route = tracing::field::Empty,
            status = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            organization.id = tracing::field::Empty,
            role = tracing::field::Empty,
        );
        crate::telemetry::continue_trace(&span, request.headers());
        span
    } else {
        tracing::Span::none()
    };
    let caller = CallerSlot::default();
    request.extensions_mut().insert(caller.clone());
    let mut record = CallRecord {
        name,
        grpc,
        start: Instant::now(),
        caller,
        status: None,
        end: None,
        log,
        metrics: observer.metrics,
        span: span.clone(),
    };
    let response = next.run(request).instrument(span).await;
    if let Some(GatewayMethod(path)) = response.extensions().get::<GatewayMethod>()
        && observer.methods.classify(path) == GrpcPath::Method
    {
        record.name = CallName::Gateway {
            route: record.name.as_str().to_owned(),
            method: path.trim_start_matches('/').to_owned(),
        };
    }
    record.status = if grpc {
        // A trailers-only answer (every error) carries its status in the headers; otherwise it
        // comes in the trailers, at the end of the body.
        grpc_status(response.headers()).map(Cow::Borrowed)
    } else {
        Some(Cow::Owned(response.status().as_u16().to_string()))
    };
    response.map(|inner| Body::new(LoggedBody { inner, record }))
}

/// What a call called.
enum CallName {
    /// A served gRPC method: `package.Service/Method`.
    Grpc(String),
    /// A gRPC path nobody serves.
    UnknownGrpc,
    /// A plain HTTP route: `GET /route`.
    Http(String),
    /// An HTTP/JSON gateway route and the gRPC method (`package.Service/Method`) that answered it.
    Gateway { route: String, method: String },
}

impl CallName {
    /// As the log line names it.
    fn as_str(&self) -> &str {
        match self {
            Self::Grpc(name) | Self::Http(name) => name,
            Self::UnknownGrpc => "(unknown method)",
            Self::Gateway { route, .. } => route,
        }
    }

    /// The protocol, service and method labels of `/metrics`.
    fn labels(&self) -> (&'static str, Cow<'static, str>, Cow<'static, str>) {
        let split = |name: &str| match name.split_once('/') {
            Some((service, method)) => (
                Cow::Owned(service.to_owned()),
                Cow::Owned(method.to_owned()),
            ),
            None => (Cow::Borrowed("(unknown)"), Cow::Borrowed("(unknown)")),
        };
        match self {
            Self::Grpc(name) => {
                let (service, method) = split(name);
                ("grpc", service, method)
            }
            Self::UnknownGrpc => ("grpc", "(unknown)".into(), "(unknown)".into()),
            Self::Http(route) => ("http", "http".into(), Cow::Owned(route.clone())),
            Self::Gateway { method, .. } => {
                let (service, method) = split(method);
                ("http", service, method)
            }
        }
    }
}

/// A standard method's name; anything else as `OTHER` (the log holds no caller-chosen text).
fn http_method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// The `grpc-status` in `headers` as its canonical code name.
fn grpc_status(headers: &HeaderMap) -> Option<&'static str> {
    let code = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .parse::<i32>()
        .ok()?;
    Some(code_name(tonic::Code::from_i32(code)))
}

/// The canonical name of a gRPC status code, as gRPC's documentation spells it.
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// What the log line, the metrics and the span of one call say; written when dropped, which is
/// when the answer's body is done with (sent, failed or abandoned by the client), or when the call
/// is abandoned before.
struct CallRecord {
    name: CallName,
    grpc: bool,
    start: Instant,
    caller: CallerSlot,
    status: Option<Cow<'static, str>>,
    end: Option<Instant>,
    /// Whether to log it.
    log: bool,
    /// Where to count it.
    metrics: Option<Metrics>,
    /// Its span (disabled unless traces are exported), ended with the record.
    span: tracing::Span,
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        let elapsed = self.end.unwrap_or_else(Instant::now) - self.start;
        let status = match (&self.status, self.grpc) {
            (Some(status), _) => status.clone(),
            // The client went away before the answer was complete.
            (None, true) => Cow::Borrowed("CANCELLED"),
            (None, false) => Cow::Borrowed("(no answer)"),
        };
        let (organization, role) = match self.caller.0.get() {
            Some((organization, role)) => (
                organization.map_or_else(|| "-".to_owned(), |id| id.to_string()),
                role.as_str(),
            ),
            None => ("-".to_owned(), "-"),
        };
        if let Some(metrics) = &self.metrics {
            let (protocol, service, method) = self.name.labels();
            metrics.count_call(
                CallLabels {
                    protocol,
                    service,
                    method,
                    status: status.clone(),
                },
                elapsed,
            );
        }
        if !self.span.is_disabled() {
            match &self.name {
                CallName::Grpc(method) => {
                    self.span.record("rpc.method", method.as_str());
                }
                CallName::UnknownGrpc => {}
                CallName::Http(route) => {
                    self.span.record("http.route", route.as_str());
                }
                CallName::Gateway { route, method } => {
                    crate::telemetry::rename(&self.span, method.clone());
                    self.span.record("rpc.method", method.as_str());
                    self.span.record("http.route", route.as_str());
                }
            }
            self.span.record("status", &*status);
            self.span.record("organization.id", organization.as_str());
            self.span.record("role", role);
            let failed = if self.grpc {
                status != "OK"
            } else {
                !status.starts_with(['1', '2', '3'])
            };
            if failed {
                self.span.record("otel.status_code", "ERROR");
            }
        }
        if self.log {
            let duration_ms = elapsed.as_micros() as f64 / 1000.0;
            tracing::info!(
                method = %self.name.as_str(),
                organization = %organization,
                role = %role,
                status = %status,
                duration_ms,
                "call"
            );
        }
    }
}

/// An answer's body that completes its call's record: the status from the trailers, the end time.
struct LoggedBody {
    inner: Body,
    record: CallRecord,
}

impl HttpBody for LoggedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(status) = frame.trailers_ref().and_then(grpc_status) {
                    this.record.status = Some(Cow::Borrowed(status));
                    this.record.end = Some(Instant::now());
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if this.record.grpc {
                    this.record.status = Some(Cow::Borrowed("(stream broken)"));
                }
                this.record.end = Some(Instant::now());
            }
            Poll::Ready(None) => {
                this.record.end.get_or_insert_with(Instant::now);
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_their_canonical_names() {
        for number in 0..=16 {
            let name = code_name(tonic::Code::from_i32(number));
            assert!(
                name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{name}"
            );
        }
        assert_eq!(code_name(tonic::Code::from_i32(16)), "UNAUTHENTICATED");
        let mut headers = HeaderMap::new();
        headers.insert("grpc-status", "5".parse().unwrap());
        assert_eq!(grpc_status(&headers), Some("NOT_FOUND"));
    }
}
