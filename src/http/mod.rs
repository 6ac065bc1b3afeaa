//! Plain-HTTP routes served beside gRPC on the same port: the public certificate verification
//! page and its JSON twin, and ([`routing`]) which protocol answers a request and what a request
//! for nothing gets. Thin: read and bound the request, call the registry, render with
//! [`crate::web`]. Every answer carries the same strict security headers.

pub mod cors;
pub mod openlineage;
pub mod request;
pub mod routing;
pub mod verify;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::registry::Registry;

/// The Content-Security-Policy of every page: nothing but the page's own inline styles, forms
/// posting only to this origin, and no framing (against clickjacking of the verdict).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The routes, to merge into the server's router. `max_message_bytes` bounds OpenLineage events
/// as it bounds gRPC messages.
pub fn router(registry: Registry, max_message_bytes: usize) -> axum::Router {
    use axum::routing::{get, post};
    let lineage = openlineage::LineageState {
        registry: registry.clone(),
        max_body_bytes: max_message_bytes,
    };
    axum::Router::new()
        .route(
            crate::web::verify_page::VERIFY_PATH,
            get(verify::form).post(verify::submit),
        )
        .with_state(registry)
        .merge(
            axum::Router::new()
                .route(openlineage::LINEAGE_PATH, post(openlineage::ingest))
                .with_state(lineage),
        )
        .merge(openlineage::facet_schemas())
}

/// An answer with `body` of `content_type` and the security headers.
pub(crate) fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Verification answers change when a certificate is revoked: never serve one from a cache.
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// An HTML page.
fn html(status: StatusCode, body: String) -> Response {
    respond(status, "text/html; charset=utf-8", body)
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    respond(status, "application/json", value.to_string())
}
