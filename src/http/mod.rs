//! Plain-HTTP routes served beside gRPC on the same port: the public certificate verification
//! page and its JSON twin, and ([`routing`]) which protocol answers a request and what a request
//! for nothing gets. Thin: read and bound the request, call the registry, render with
//! [`crate::web`]. Every answer carries the same strict security headers.

pub mod cors;
pub mod openlineage;
pub mod request;
pub mod routing;
pub mod status_lists;
pub mod tiles;
pub mod verify;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
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
    let registry_for_tiles = registry.clone();
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
        .merge(tiles::router(registry_for_tiles.clone()))
        .merge(status_lists::router(registry_for_tiles))
}

/// The headers every plain-HTTP answer carries, pages, JSON, the JWKS and every error alike
/// ([`security_headers`]).
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// What answers over TLS add: browsers then refuse plain HTTP to this host for a year, so that
/// a verification page cannot be served to them by whoever sits on the network. Not
/// `includeSubDomains`: the operator's other hosts are not this server's to decide.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Middleware in front of every route: adds [`SECURITY_HEADERS`] to every plain-HTTP answer that
/// lacks them, whichever handler, fallback or refusal made it (so that no error answer, such as
/// a router's `405`, goes without), and `Strict-Transport-Security` when the server speaks TLS
/// (`tls`). gRPC answers are left as they are.
pub async fn security_headers(State(tls): State<bool>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if routing::is_grpc(response.headers()) {
        return response;
    }
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    response
}

/// An answer with `body` of `content_type`, never cached ([`security_headers`] adds the rest).
pub(crate) fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Verification answers change when a certificate is revoked: never serve one from a cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
