//! Cross-origin calls from browsers (gRPC-Web and HTTP/JSON), for the origins the operator names
//! with `--cors-origin`, and for no other. Without the flag no CORS header is ever sent, so a page
//! of another origin cannot read any answer.

use anyhow::{Context, bail};
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The request headers a browser may send: the token, the body's type, and gRPC-Web's own.
const ALLOWED_HEADERS: [&str; 6] = [
    "authorization",
    "content-type",
    "x-grpc-web",
    "x-user-agent",
    "grpc-timeout",
    "traceparent",
];

/// The answer headers a page may read: gRPC-Web's status, message and details.
const EXPOSED_HEADERS: [&str; 3] = ["grpc-status", "grpc-message", "grpc-status-details-bin"];

/// The CORS layer allowing `origins`, or `None` for none. Each must be an origin alone
/// (`https://host[:port]`, no path, no trailing slash); `*` is refused: credentials (the bearer
/// token) must never be offered to every site.
pub fn layer(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let mut allowed = Vec::with_capacity(origins.len());
    for origin in origins {
        check_origin(origin).with_context(|| format!("--cors-origin {origin:?}"))?;
        allowed.push(HeaderValue::from_str(origin).context("not a header value")?);
    }
    let names = |list: &[&'static str]| {
        list.iter()
            .map(|h| HeaderName::from_static(h))
            .collect::<Vec<_>>()
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers(names(&ALLOWED_HEADERS))
            .expose_headers(names(&EXPOSED_HEADERS))
            .vary([header::ORIGIN])
            .max_age(std::time::Duration::from_secs(600)),
    ))
}

/// An origin is `scheme://host[:port]` with scheme `http` or `https`, lower case, nothing after.
fn check_origin(origin: &str) -> anyhow::Result<()> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .context("an origin starts with https:// (or http://)")?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '*', '@', ' ']) {
        bail!("an origin is scheme://host[:port] alone: no path, query, wildcard or credentials");
    }
    if origin != origin.to_ascii_lowercase() {
        bail!("browsers send origins in lower case: write it so");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_origins_are_accepted() {
        for good in [
            "https://buyer.example",
            "http://127.0.0.1:8080",
            "https://a.b.example:8443",
        ] {
            assert!(check_origin(good).is_ok(), "{good}");
        }
        for bad in [
            "*",
            "buyer.example",
            "https://buyer.example/",
            "https://x/path",
            "https://*.example",
            "HTTPS://X.EXAMPLE",
            "https://user@x",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
        assert!(layer(&[]).unwrap().is_none());
        assert!(layer(&["https://buyer.example".into()]).unwrap().is_some());
    }
}
