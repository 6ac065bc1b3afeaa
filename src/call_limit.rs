//! The process-wide bound on calls in flight (`--max-concurrent-calls`), over gRPC and plain HTTP
//! alike. A call beyond it is refused at once rather than queued, in the caller's own terms: gRPC
//! callers get `RESOURCE_EXHAUSTED`, browsers and JWKS fetchers HTTP 503 with `Retry-After`, and
//! both are told which bound it was. (Tower's load shedding gave every caller a gRPC status, an
//! HTTP 200 to a browser, saying "for the connection" about a limit of the whole process.)

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

/// Seconds a refused HTTP caller is told to wait before trying again.
const RETRY_AFTER_SECONDS: &str = "1";

/// Permits for the calls in flight.
#[derive(Clone)]
pub struct CallLimit {
    permits: Arc<Semaphore>,
    max: usize,
    /// Where refusals are counted (`--metrics-listen`), if anywhere.
    metrics: Option<crate::metrics::Metrics>,
}

impl CallLimit {
    /// At most `max` calls at once.
    pub fn new(max: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            metrics: None,
        }
    }

    /// This bound, counting its refusals in `metrics`.
    pub fn counted_in(self, metrics: Option<crate::metrics::Metrics>) -> Self {
        Self { metrics, ..self }
    }

    fn refusal(&self, request: &Request) -> Response {
        let message = format!(
            "the server is answering its limit of {} calls at once (--max-concurrent-calls); \
             retry shortly",
            self.max
        );
        let grpc = crate::http::routing::is_grpc(request.headers());
        if let Some(metrics) = &self.metrics {
            metrics.count_refusal(grpc);
        }
        if grpc {
            return tonic::Status::resource_exhausted(message)
                .into_http::<axum::body::Body>()
                .into_response();
        }
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, message).into_response();
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
        response
    }
}

/// Axum middleware: runs the call while holding a permit, or refuses it when none is free. The
/// permit is held until the answer's head is ready, as a streamed answer's body may take forever.
pub async fn limit_calls(State(limit): State<CallLimit>, request: Request, next: Next) -> Response {
    let Ok(_permit) = limit.permits.try_acquire() else {
        return limit.refusal(&request);
    };
    next.run(request).await
}
