//! One log line per call, at `info` (target `provenance_registry::call_log`), when the answer is
//! complete: the method, the caller's organisation and role once authenticated, the status (gRPC
//! code name, or HTTP status) and the duration (for a stream, how long it was open). Never a token,
//! a query string or a path the server does not serve: gRPC methods are named only when served,
//! HTTP paths by their route. Turn it off with `RUST_LOG=info,provenance_registry::call_log=off`.

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
use uuid::Uuid;

use crate::domain::access::{Caller, Role};
use crate::http::routing::{GrpcMethods, GrpcPath, is_grpc};

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

/// Axum middleware: logs each call once its answer is complete (or abandoned).
pub async fn log_calls(
    State(methods): State<Arc<GrpcMethods>>,
    mut request: Request,
    next: Next,
) -> Response {
    if !tracing::enabled!(tracing::Level::INFO) {
        // Filtered out (RUST_LOG): nothing to measure.
        return next.run(request).await;
    }
    let grpc = is_grpc(request.headers());
    let method = if grpc {
        let path = request.uri().path();
        match methods.classify(path) {
            GrpcPath::Method => path.trim_start_matches('/').to_owned(),
            _ => "(unknown method)".to_owned(),
        }
    } else {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("(no route)", MatchedPath::as_str);
        format!("{} {route}", http_method(request.method()))
    };
    let caller = CallerSlot::default();
    request.extensions_mut().insert(caller.clone());
    let mut record = CallRecord {
        method,
        grpc,
        start: Instant::now(),
        caller,
        status: None,
        end: None,
    };
    let response = next.run(request).await;
    record.status = if grpc {
        // A trailers-only answer (every error) carries its status in the headers; otherwise it
        // comes in the trailers, at the end of the body.
        grpc_status(response.headers())
    } else {
        Some(response.status().as_u16().to_string())
    };
    response.map(|inner| Body::new(LoggedBody { inner, record }))
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
fn grpc_status(headers: &HeaderMap) -> Option<String> {
    let code = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .parse::<i32>()
        .ok()?;
    Some(code_name(tonic::Code::from_i32(code)).to_owned())
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

/// What the log line of one call says; written when dropped, which is when the answer's body is
/// done with (sent, failed or abandoned by the client), or when the call is abandoned before.
struct CallRecord {
    method: String,
    grpc: bool,
    start: Instant,
    caller: CallerSlot,
    status: Option<String>,
    end: Option<Instant>,
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        let elapsed = self.end.unwrap_or_else(Instant::now) - self.start;
        let duration_ms = elapsed.as_micros() as f64 / 1000.0;
        let status = match (&self.status, self.grpc) {
            (Some(status), _) => status.as_str(),
            // The client went away before the answer was complete.
            (None, true) => "CANCELLED",
            (None, false) => "(no answer)",
        };
        let (organization, role) = match self.caller.0.get() {
            Some((organization, role)) => (
                organization.map_or_else(|| "-".to_owned(), |id| id.to_string()),
                role.as_str(),
            ),
            None => ("-".to_owned(), "-"),
        };
        tracing::info!(
            method = %self.method,
            organization = %organization,
            role = %role,
            status = %status,
            duration_ms,
            "call"
        );
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
                    this.record.status = Some(status);
                    this.record.end = Some(Instant::now());
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if this.record.grpc {
                    this.record.status = Some("(stream broken)".to_owned());
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
        assert_eq!(grpc_status(&headers).as_deref(), Some("NOT_FOUND"));
    }
}
