//! Which protocol answers on the shared port: plain HTTP clients (HTTP/1.1, and HTTP/2 with prior
//! knowledge) asking for a path nobody serves get `404`, a wrong method `405` with `Allow`, each
//! with a JSON error, never gRPC's `200 OK` with `grpc-status: 12`; gRPC clients still get
//! `UNIMPLEMENTED` for unknown methods, and every served route still answers. Over TLS: tls.rs.

use axum::http::{HeaderMap, Method, Request};
use provenance_registry::proto::v1 as pb;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::Code;

use crate::helpers::*;
use crate::verify_page::http;

/// An answer over HTTP/2.
pub struct H2Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub trailers: Option<HeaderMap>,
}

impl H2Answer {
    /// A header's value, `""` when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// One request over a new HTTP/2 connection on `io` (plaintext with prior knowledge, or TLS that
/// negotiated `h2`), reading the whole answer and its trailers.
pub async fn h2_request<S>(
    io: S,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> H2Answer
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (client, connection) = h2::client::handshake(io).await.expect("HTTP/2 handshake");
    let connection = tokio::spawn(connection);
    let mut client = client.ready().await.expect("HTTP/2 connection ready");
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://localhost{path}"));
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let (response, mut stream) = client
        .send_request(request.body(()).unwrap(), body.is_empty())
        .expect("request sent");
    if !body.is_empty() {
        stream
            .send_data(axum::body::Bytes::copy_from_slice(body), true)
            .expect("body sent");
    }
    let (parts, mut received) = response.await.expect("an answer").into_parts();
    let mut body = Vec::new();
    while let Some(chunk) = received.data().await {
        let chunk = chunk.expect("body chunk");
        let _ = received.flow_control().release_capacity(chunk.len());
        body.extend_from_slice(&chunk);
    }
    let trailers = received.trailers().await.expect("trailers");
    drop(client);
    connection.abort();
    H2Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
        trailers,
    }
}

async fn h2c(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> H2Answer {
    let tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    h2_request(tcp, method, path, content_type, body).await
}

/// Asserts a plain HTTP JSON error of `status` with `code`, whose message names `path`.
#[track_caller]
/// A `google.rpc.Status` error under HTTP `want.0`, its gRPC code the one that maps to `want.1`,
/// naming `path`.
fn assert_json_error(status: u16, content_type: &str, body: &[u8], want: (u16, &str), path: &str) {
    assert_eq!(status, want.0, "{}", String::from_utf8_lossy(body));
    assert_eq!(content_type, "application/json");
    let error: Value = serde_json::from_slice(body).expect("a JSON error");
    let code = match want.1 {
        "not_found" => 5,
        "method_not_allowed" => 12,
        _ => 3,
    };
    assert_eq!(error["code"], code, "{error}");
    let message = error["message"].as_str().expect("a message");
    assert!(message.contains(path), "{message:?} does not name {path}");
}

/// The value of `name` in a lower-cased HTTP/1.1 head.
fn head_value<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .unwrap_or_default()
        .trim()
}

#[tokio::test]
async fn unknown_paths_get_404_with_a_json_error_over_http1_and_http2() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let lineage_event = br#"{"eventType":"COMPLETE","job":{"namespace":"etl","name":"mix"}}"#;
    for (method, path, body) in [
        (Method::GET, "/nonexistent", &b""[..]),
        (Method::POST, "/api/v2/lineage", &lineage_event[..]),
        (Method::PUT, "/v1/nothing", &b"{}"[..]),
        (Method::GET, "/", &b""[..]),
        // Under a served gRPC service, but no method of it.
        (
            Method::POST,
            "/provenance.v1.DatasetService/Nope",
            &b"{}"[..],
        ),
    ] {
        let content_type = (!body.is_empty()).then_some("application/json");
        let mut headers = vec![format!("Content-Length: {}", body.len())];
        if let Some(content_type) = content_type {
            headers.push(format!("Content-Type: {content_type}"));
        }
        let one = http(&app, method.as_str(), path, &headers, body).await;
        assert_json_error(
            one.status,
            head_value(&one.head, "content-type"),
            one.body.as_bytes(),
            (404, "not_found"),
            path,
        );
        assert!(!one.head.contains("grpc-status"), "{}", one.head);

        let two = h2c(&app, method.clone(), path, content_type, body).await;
        assert_json_error(
            two.status,
            two.header("content-type"),
            &two.body,
            (404, "not_found"),
            path,
        );
        assert!(two.headers.get("grpc-status").is_none());
        assert!(two.trailers.is_none_or(|t| t.get("grpc-status").is_none()));
    }
    // HEAD of an unknown path: 404 with no body.
    let head = http(&app, "HEAD", "/nonexistent", &[], b"").await;
    assert_eq!(head.status, 404);
    assert!(head.body.is_empty());
    // Nothing posted to a wrong URL was taken in.
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_wrong_method_on_a_served_path_gets_405_with_allow_and_a_json_error() {
    let app = spawn_app().await;
    for (method, path, allowed) in [
        ("DELETE", "/verify", &["GET", "HEAD", "POST"][..]),
        ("GET", "/v1/certificates:verify", &["POST"][..]),
        ("PUT", "/.well-known/jwks.json", &["GET", "HEAD"][..]),
        // A gRPC method asked for by a browser.
        (
            "GET",
            "/provenance.v1.DatasetService/GetDataset",
            &["POST"][..],
        ),
    ] {
        let one = http(&app, method, path, &[], b"").await;
        assert_json_error(
            one.status,
            head_value(&one.head, "content-type"),
            one.body.as_bytes(),
            (405, "method_not_allowed"),
            path,
        );
        // The head was lower-cased when read.
        let allow: Vec<String> = head_value(&one.head, "allow")
            .split(',')
            .map(|m| m.trim().to_uppercase())
            .collect();
        assert_eq!(allow, allowed, "{path}");

        let two = h2c(&app, method.parse().unwrap(), path, None, b"").await;
        assert_json_error(
            two.status,
            two.header("content-type"),
            &two.body,
            (405, "method_not_allowed"),
            path,
        );
        let allow: Vec<&str> = two.header("allow").split(',').map(str::trim).collect();
        assert_eq!(allow, allowed);
    }
}

#[tokio::test]
async fn a_grpc_method_called_without_grpc_or_grpc_web_gets_415() {
    let app = spawn_app().await;
    let path = "/provenance.v1.DatasetService/RegisterDataset";
    let before = app.snapshot().await;
    for content_type in ["application/json", "text/plain", "application/grpc-webx"] {
        let one = http(
            &app,
            "POST",
            path,
            &[
                format!("Content-Type: {content_type}"),
                "Content-Length: 2".into(),
            ],
            b"{}",
        )
        .await;
        assert_json_error(
            one.status,
            head_value(&one.head, "content-type"),
            one.body.as_bytes(),
            (415, "unsupported_media_type"),
            path,
        );
        let two = h2c(&app, Method::POST, path, Some(content_type), b"{}").await;
        assert_json_error(
            two.status,
            two.header("content-type"),
            &two.body,
            (415, "unsupported_media_type"),
            path,
        );
        assert!(
            two.json()["message"]
                .as_str()
                .unwrap()
                .contains("application/grpc")
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn served_http_routes_answer_as_before_and_head_works_where_get_does() {
    let app = spawn_app().await;
    for path in ["/.well-known/jwks.json", "/verify"] {
        let get = http(&app, "GET", path, &[], b"").await;
        assert_eq!(get.status, 200, "{path}: {}", get.head);
        assert!(!get.body.is_empty());
        let head = http(&app, "HEAD", path, &[], b"").await;
        assert_eq!(head.status, 200, "{path}: {}", head.head);
        assert!(head.body.is_empty());
        assert_eq!(
            head_value(&head.head, "content-type"),
            head_value(&get.head, "content-type")
        );
        let two = h2c(&app, Method::GET, path, None, b"").await;
        assert_eq!(two.status, 200, "{path}");
        assert_eq!(two.body, get.body.as_bytes(), "{path}");
    }
    let jwks: Value = serde_json::from_str(
        &http(&app, "GET", "/.well-known/jwks.json", &[], b"")
            .await
            .body,
    )
    .unwrap();
    assert!(jwks["keys"].as_array().is_some_and(|k| !k.is_empty()));
    // The JSON verification still reads JSON and answers its own errors.
    let verify = h2c(
        &app,
        Method::POST,
        "/v1/certificates:verify",
        Some("application/json"),
        br#"{"token": "not-a-token"}"#,
    )
    .await;
    assert_eq!(verify.status, 200);
    assert_eq!(verify.json()["valid"], false);
}

#[tokio::test]
async fn grpc_calls_to_unknown_methods_stay_unimplemented_and_served_ones_work() {
    let app = spawn_app().await;
    // A real gRPC client (tonic) calling methods nobody serves.
    for path in [
        "/provenance.v1.DatasetService/Nope",
        "/provenance.v1.Nope/GetDataset",
        "/nonexistent/method",
        // An HTTP path called by a gRPC client is no gRPC method either.
        "/verify/x",
    ] {
        let mut grpc = tonic::client::Grpc::new(app.channel.clone());
        grpc.ready().await.unwrap();
        let outcome: Result<tonic::Response<pb::Dataset>, tonic::Status> = grpc
            .unary(
                authed(&app.admin, pb::GetDatasetRequest::default()),
                path.parse().unwrap(),
                tonic_prost::ProstCodec::default(),
            )
            .await;
        let status = outcome.expect_err("an unknown method was answered");
        assert_eq!(status.code(), Code::Unimplemented, "{path}: {status:?}");
    }
    // gRPC over plain HTTP/2 to an unknown path: the gRPC status, with HTTP 200 as gRPC has it.
    let raw = h2c(
        &app,
        Method::POST,
        "/api/v1/lineage",
        Some("application/grpc"),
        &[0, 0, 0, 0, 0],
    )
    .await;
    assert_eq!(raw.status, 200);
    let status = raw
        .headers
        .get("grpc-status")
        .or_else(|| raw.trailers.as_ref().and_then(|t| t.get("grpc-status")))
        .expect("a grpc-status");
    assert_eq!(status, "12");

    // Served methods, health and reflection still work.
    let registered = app.register(&app.admin, dataset("routed")).await;
    let read = app
        .datasets()
        .get_dataset(authed(
            &app.admin,
            pb::GetDatasetRequest {
                id: registered.id.clone(),
            },
        ))
        .await
        .expect("a served method")
        .into_inner();
    assert_eq!(read, registered);
    let health = tonic_health::pb::health_client::HealthClient::new(app.channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: "provenance.v1.DatasetService".into(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}
