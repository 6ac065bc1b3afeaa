//! Traces (`--otlp-endpoint`): the server process exports its spans over OTLP/gRPC to a receiver
//! the test starts (the collector's `TraceService`, from `opentelemetry-proto`). Calls over gRPC and
//! HTTP/JSON that carry a W3C `traceparent` continue its trace, with the method, the status and the
//! organisation id (never its name or a token), and child spans for the store's transactions and
//! the signature batches; the last spans are sent when the server stops.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span;
use provenance_registry::proto::v1 as pb;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use crate::helpers::*;
use crate::policies::{POLICY, attestation_request};
use crate::process::{ServerProcess, create_org_with};
use crate::verify_page::http_at;

/// An OTLP receiver: keeps every span exported to it.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

impl Receiver {
    /// Serves the receiver on a free loopback port.
    async fn start() -> (Self, SocketAddr) {
        let receiver = Self::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let service = TraceServiceServer::new(receiver.clone());
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
        );
        (receiver, addr)
    }

    fn spans(&self) -> Vec<Span> {
        self.spans.lock().unwrap().clone()
    }
}

/// A W3C `traceparent` (sampled) and its trace and parent span ids.
struct Parent {
    header: String,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
}

impl Parent {
    fn new(seed: u8) -> Self {
        let trace_id: Vec<u8> = (0..16)
            .map(|i| seed.wrapping_mul(31).wrapping_add(i))
            .collect();
        let span_id: Vec<u8> = (0..8).map(|i| seed.wrapping_add(100 + i)).collect();
        Self {
            header: format!("00-{}-{}-01", hex::encode(&trace_id), hex::encode(&span_id)),
            trace_id,
            span_id,
        }
    }

    /// `message` with `token` (if any) and this `traceparent`.
    fn request<T>(&self, token: Option<&str>, message: T) -> tonic::Request<T> {
        let mut request = match token {
            Some(token) => authed(token, message),
            None => tonic::Request::new(message),
        };
        request.metadata_mut().insert(
            "traceparent",
            MetadataValue::try_from(self.header.as_str()).unwrap(),
        );
        request
    }
}

/// The string attribute `key` of `span`.
fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|value| match &value.value {
            Some(any_value::Value::StringValue(text)) => Some(text.clone()),
            Some(any_value::Value::IntValue(number)) => Some(number.to_string()),
            _ => None,
        })
}

/// The one `call` span of the trace `parent` began, made a child of `parent`'s span.
#[track_caller]
fn call_span<'a>(spans: &'a [Span], parent: &Parent) -> &'a Span {
    let calls: Vec<&Span> = spans
        .iter()
        .filter(|s| s.trace_id == parent.trace_id && attribute(s, "rpc.system").is_some())
        .collect();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].parent_span_id, parent.span_id, "{:#?}", calls[0]);
    calls[0]
}

/// The spans of `parent`'s trace below `span`, at any depth.
fn descendants<'a>(spans: &'a [Span], span: &Span) -> Vec<&'a Span> {
    let mut found: Vec<&Span> = Vec::new();
    let mut frontier = vec![span.span_id.clone()];
    while let Some(id) = frontier.pop() {
        for child in spans
            .iter()
            .filter(|s| s.trace_id == span.trace_id && s.parent_span_id == id)
        {
            frontier.push(child.span_id.clone());
            found.push(child);
        }
    }
    found
}

/// Registers `request` over `channel`.
async fn register(
    channel: &Channel,
    token: &str,
    request: pb::RegisterDatasetRequest,
) -> pb::Dataset {
    DatasetServiceClient::new(channel.clone())
        .register_dataset(authed(token, request))
        .await
        .expect("registered")
        .into_inner()
        .dataset
        .expect("a dataset")
}

// Multi-threaded: the receiver keeps answering while the test waits for the server to exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_continue_the_callers_trace_with_their_method_status_organization_and_children() {
    let (receiver, collector) = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (org_id, admin) = create_org_with(dir.path(), &[], "Traced Org");
    let endpoint = format!("http://{collector}");
    let server = ServerProcess::start_with(dir.path(), &["--otlp-endpoint", &endpoint]);
    let channel = server.channel().await;

    // gRPC: a read, a write through group commit, and a refusal.
    let read = Parent::new(1);
    OrganizationServiceClient::new(channel.clone())
        .get_organization(read.request(Some(&admin), pb::GetOrganizationRequest::default()))
        .await
        .expect("the caller's organisation");
    let write = Parent::new(2);
    DatasetServiceClient::new(channel.clone())
        .register_dataset(write.request(Some(&admin), dataset("traced")))
        .await
        .expect("registered");
    let refused = Parent::new(3);
    let status = DatasetServiceClient::new(channel.clone())
        .get_dataset(refused.request(
            Some(&admin),
            pb::GetDatasetRequest {
                id: uuid::Uuid::now_v7().to_string(),
            },
        ))
        .await
        .expect_err("no such dataset");
    assert_eq!(status.code(), tonic::Code::NotFound);

    // HTTP/JSON, through the gateway.
    let over_http = Parent::new(4);
    let answer = http_at(
        server.addr().parse().unwrap(),
        "GET",
        &format!("/v1/organizations/{org_id}"),
        &[
            format!("Authorization: Bearer {admin}"),
            format!("traceparent: {}", over_http.header),
        ],
        b"",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // A certificate verification, whose signature is checked in a batch.
    let public = pb::RegisterDatasetRequest {
        visibility: pb::Visibility::Public as i32,
        ..dataset("raw")
    };
    let raw = register(&channel, &admin, public).await;
    let mix = register(&channel, &admin, derived("mix", &[&raw])).await;
    let mut attestations = AttestationServiceClient::new(channel.clone());
    for attested in [&raw, &mix] {
        attestations
            .record_attestation(authed(&admin, attestation_request(attested)))
            .await
            .expect("attested");
    }
    let certificate =
        pb::certificate_service_client::CertificateServiceClient::new(channel.clone())
            .issue_certificate(authed(
                &admin,
                pb::IssueCertificateRequest {
                    dataset_id: mix.id.clone(),
                    policy_id: POLICY.into(),
                    contract_reference: "MSA-2027-001".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect("issued")
            .into_inner();
    let verification = Parent::new(5);
    let verified = pb::certificate_service_client::CertificateServiceClient::new(channel.clone())
        .verify_certificate(verification.request(
            None,
            pb::VerifyCertificateRequest {
                token: certificate.token.clone(),
                audience_organization_id: String::new(),
                as_of: None,
                include_public_lineage: false,
            },
        ))
        .await
        .expect("verification answers")
        .into_inner();
    assert!(verified.valid, "{verified:?}");

    // The spans still buffered are sent when the server stops.
    server.signal("TERM");
    assert!(server.wait(Duration::from_secs(30)).success());
    let spans = receiver.spans();

    let span = call_span(&spans, &read);
    let method = "provenance.v1.OrganizationService/GetOrganization";
    assert_eq!(span.name, method);
    assert_eq!(attribute(span, "rpc.system").as_deref(), Some("grpc"));
    assert_eq!(attribute(span, "rpc.method").as_deref(), Some(method));
    assert_eq!(attribute(span, "status").as_deref(), Some("OK"));
    assert_eq!(attribute(span, "organization.id"), Some(org_id.clone()));
    assert_eq!(attribute(span, "role").as_deref(), Some("admin"));

    let span = call_span(&spans, &write);
    assert_eq!(span.name, "provenance.v1.DatasetService/RegisterDataset");
    assert_eq!(attribute(span, "status").as_deref(), Some("OK"));
    let children = descendants(&spans, span);
    let transaction = children
        .iter()
        .find(|s| s.name == "store.transaction")
        .unwrap_or_else(|| {
            let all: Vec<_> = spans
                .iter()
                .map(|s| {
                    (
                        &s.name,
                        hex::encode(&s.trace_id),
                        hex::encode(&s.span_id),
                        hex::encode(&s.parent_span_id),
                    )
                })
                .collect();
            panic!("no store.transaction under the call {span:?}: {all:#?}")
        });
    assert_eq!(
        attribute(transaction, "kind").as_deref(),
        Some("registration")
    );
    assert_eq!(attribute(transaction, "batch.size").as_deref(), Some("1"));
    assert!(
        descendants(&spans, transaction)
            .iter()
            .any(|s| s.name == "store.begin"),
        "{children:#?}"
    );

    let span = call_span(&spans, &refused);
    assert_eq!(attribute(span, "status").as_deref(), Some("NOT_FOUND"));
    assert_eq!(
        span.status.as_ref().map(|s| s.code),
        Some(opentelemetry_proto::tonic::trace::v1::status::StatusCode::Error as i32)
    );

    let span = call_span(&spans, &over_http);
    assert_eq!(span.name, method);
    assert_eq!(attribute(span, "rpc.system").as_deref(), Some("http"));
    assert_eq!(attribute(span, "rpc.method").as_deref(), Some(method));
    assert_eq!(
        attribute(span, "http.route").as_deref(),
        Some("GET /v1/{*rest}")
    );
    assert_eq!(attribute(span, "status").as_deref(), Some("200"));
    assert_eq!(attribute(span, "organization.id"), Some(org_id.clone()));

    let span = call_span(&spans, &verification);
    assert_eq!(
        span.name,
        "provenance.v1.CertificateService/VerifyCertificate"
    );
    assert_eq!(attribute(span, "organization.id").as_deref(), Some("-"));
    let batch = descendants(&spans, span)
        .into_iter()
        .find(|s| s.name == "signature_batch")
        .unwrap_or_else(|| panic!("no signature_batch under {span:#?}"));
    assert!(attribute(batch, "batch.size").is_some(), "{batch:#?}");

    // Never an organisation's name, a token, or what a caller sent.
    let everything = format!("{spans:?}");
    for secret in ["Traced Org", admin.as_str(), certificate.token.as_str()] {
        assert!(!everything.contains(secret), "{secret} in the spans");
    }
}

#[tokio::test]
async fn an_otlp_endpoint_that_is_not_a_url_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    create_org_with(dir.path(), &[], "Quiet Org");
    let error = ServerProcess::try_start_with(dir.path(), &["--otlp-endpoint", "localhost:4317"])
        .err()
        .expect("refused");
    assert!(error.contains("--otlp-endpoint"), "{error}");
    assert!(
        error.contains("must start with http:// or https://"),
        "{error}"
    );
}
