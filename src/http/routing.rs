//! Which protocol answers a request on the shared port, and what a request for nothing gets.
//!
//! gRPC and plain HTTP share one port, and tonic's router answers every path it does not know with
//! gRPC's `UNIMPLEMENTED`: an HTTP `200 OK` with an empty body. A browser, `curl`, or a pipeline's
//! lineage emitter posting to a wrong URL took that for success and its data was lost. So the
//! request's content type decides: a gRPC request (`application/grpc`, or `application/grpc+`
//! any codec suffix such as `+proto`) is gRPC's to answer, with `UNIMPLEMENTED` for a method
//! nobody serves; anything else is plain HTTP, answered `404` for an unknown path and `405` with
//! `Allow` for a wrong method, each with a `google.rpc.Status` as JSON. gRPC-Web (`application/grpc-web...`)
//! goes to the gRPC services through tonic-web ([`grpc_web`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prost::Message;

/// Whether `headers` say the request is gRPC (over HTTP/2, as tonic serves it).
pub fn is_grpc(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    // Media types are case-insensitive and may carry parameters (`; charset=...`).
    let media = value.split(';').next().unwrap_or_default().trim();
    const GRPC: &str = "application/grpc";
    media.eq_ignore_ascii_case(GRPC)
        || media
            .get(..GRPC.len() + 1)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("application/grpc+"))
}

/// The gRPC methods the server serves, by service: read from the descriptors of the services it
/// registers (the API, health and reflection v1).
#[derive(Debug, Default)]
pub struct GrpcMethods {
    services: HashMap<String, HashSet<String>>,
}

/// What a path is to gRPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrpcPath {
    /// `/package.Service/Method` of a served method.
    Method,
    /// Under a served service, but no method of it.
    UnknownMethod,
    /// Not under any served service.
    Other,
}

impl GrpcMethods {
    /// The methods of every service in the server's descriptor sets.
    pub fn served() -> anyhow::Result<Self> {
        let mut methods = Self::default();
        for encoded in [
            crate::proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        ] {
            methods.add(encoded)?;
        }
        Ok(methods)
    }

    fn add(&mut self, encoded: &[u8]) -> anyhow::Result<()> {
        let set = prost_types::FileDescriptorSet::decode(encoded)?;
        for file in set.file {
            let package = file.package();
            for service in &file.service {
                let name = if package.is_empty() {
                    service.name().to_owned()
                } else {
                    format!("{package}.{}", service.name())
                };
                self.services
                    .entry(name)
                    .or_default()
                    .extend(service.method.iter().map(|m| m.name().to_owned()));
            }
        }
        Ok(())
    }

    /// Classifies a request path.
    pub fn classify(&self, path: &str) -> GrpcPath {
        let Some((service, method)) = path.strip_prefix('/').and_then(|rest| rest.split_once('/'))
        else {
            return GrpcPath::Other;
        };
        match self.services.get(service) {
            None => GrpcPath::Other,
            Some(methods) if methods.contains(method) => GrpcPath::Method,
            Some(_) => GrpcPath::UnknownMethod,
        }
    }
}

/// Middleware in front of every route: sends each request to the protocol its content type names
/// (see the module's comment).
pub async fn by_content_type(
    State(methods): State<Arc<GrpcMethods>>,
    request: Request,
    next: Next,
) -> Response {
    let path = methods.classify(request.uri().path());
    if is_grpc(request.headers()) {
        return match path {
            // Tonic answers an unknown method of a served service with UNIMPLEMENTED itself.
            GrpcPath::Method | GrpcPath::UnknownMethod => next.run(request).await,
            GrpcPath::Other => tonic::Status::unimplemented(format!(
                "{} is not a gRPC method of this server",
                request.uri().path()
            ))
            .into_http::<axum::body::Body>()
            .into_response(),
        };
    }
    match path {
        GrpcPath::Other => next.run(request).await,
        GrpcPath::UnknownMethod => not_found(request).await,
        GrpcPath::Method if request.method() != Method::POST => {
            let mut response = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!(
                    "{} is a gRPC method: call it with POST from a gRPC client, not {}",
                    request.uri().path(),
                    request.method()
                ),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            response
        }
        GrpcPath::Method => error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "{} is a gRPC method: call it from a gRPC client (content-type application/grpc \
                 over HTTP/2); gRPC-Web and other content types are not served",
                request.uri().path()
            ),
        ),
    }
}

/// Middleware: sends gRPC-Web requests (any `application/grpc-web...` content type) to the gRPC
/// services through tonic-web; everything else goes on.
pub async fn grpc_web(
    State(service): State<tonic_web::GrpcWebService<axum::Router>>,
    request: Request,
    next: Next,
) -> Response {
    let media = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let grpc_web = matches!(
        media.as_str(),
        "application/grpc-web"
            | "application/grpc-web+proto"
            | "application/grpc-web-text"
            | "application/grpc-web-text+proto"
    );
    if !grpc_web {
        return next.run(request).await;
    }
    use tower::ServiceExt;
    match service.oneshot(request).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(never) => match never {},
    }
}

/// The answer to a plain HTTP request for a path the server does not serve.
pub async fn not_found(request: Request) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("nothing is served at {}", request.uri().path()),
    )
}

/// The answer to a method a served HTTP path does not take; the router adds the `Allow` header
/// listing those it does.
pub async fn method_not_allowed(request: Request) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} does not take {}; the Allow header lists the methods it does",
            request.uri().path(),
            request.method()
        ),
    )
}

/// A refusal as `google.rpc.Status` JSON, as every plain-HTTP error of the server is.
fn error(status: StatusCode, code: &str, message: String) -> Response {
    let code = match code {
        "not_found" => tonic::Code::NotFound,
        "method_not_allowed" => tonic::Code::Unimplemented,
        _ => tonic::Code::InvalidArgument,
    };
    crate::gateway::status::refusal(status, code, message, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        headers
    }

    #[test]
    fn grpc_is_told_by_its_media_type_whatever_the_case_suffix_or_parameters() {
        for grpc in [
            "application/grpc",
            "application/grpc+proto",
            "Application/GRPC",
            "application/grpc; charset=utf-8",
            "application/grpc+proto;x=y",
        ] {
            assert!(is_grpc(&headers(grpc)), "{grpc}");
        }
        for other in [
            "application/json",
            "application/grpc-web",
            "application/grpc-web+proto",
            "application/grpc-web-text",
            "application/grpcx",
            "text/plain",
            "",
        ] {
            assert!(!is_grpc(&headers(other)), "{other}");
        }
        assert!(!is_grpc(&HeaderMap::new()));
    }

    #[test]
    fn paths_are_classified_by_the_served_services_and_their_methods() {
        let methods = GrpcMethods::served().unwrap();
        for served in [
            "/provenance.v1.DatasetService/GetDataset",
            "/provenance.v1.CertificateService/RevokeCertificate",
            "/provenance.v1.TransparencyLogService/GetCheckpoint",
            "/grpc.health.v1.Health/Check",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        ] {
            assert_eq!(methods.classify(served), GrpcPath::Method, "{served}");
        }
        assert_eq!(
            methods.classify("/provenance.v1.DatasetService/Nope"),
            GrpcPath::UnknownMethod
        );
        for other in [
            "/",
            "/nonexistent",
            "/api/v1/lineage",
            "/verify",
            "/v1/certificates:verify",
            "/provenance.v1.Nope/GetDataset",
            "/provenance.v1.DatasetService",
        ] {
            assert_eq!(methods.classify(other), GrpcPath::Other, "{other}");
        }
    }
}
