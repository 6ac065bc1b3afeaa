//! `/metrics` (`--metrics-listen`): scraped from a real server after real calls over gRPC and
//! HTTP/JSON, parsed, and checked for the counted calls, refusals, batches and gauges, and for the
//! absence of any organisation's name or id.

use std::collections::HashMap;
use std::net::SocketAddr;

use provenance_registry::config::ServeSettings;
use provenance_registry::proto::v1 as pb;
use tokio::io::AsyncWriteExt;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::helpers::*;
use crate::verify_page::{certified, http, http_at};

/// A server serving `/metrics` on a port of its own.
async fn spawn_monitored(settings: ServeSettings) -> TestApp {
    spawn_app_with(ServeSettings {
        metrics_listen: Some("127.0.0.1:0".parse().unwrap()),
        ..settings
    })
    .await
}

/// `GET path` on `addr` with `headers`: the status, the head (lower-cased) and the body.
async fn get_with(addr: SocketAddr, path: &str, headers: &[String]) -> (u16, String, String) {
    let answer = http_at(addr, "GET", path, headers, b"").await;
    (answer.status, answer.head, answer.body)
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    get_with(addr, path, &[]).await
}

/// The samples of a scrape, by name and labels.
struct Scrape {
    text: String,
    samples: HashMap<(String, Vec<(String, String)>), f64>,
}

impl Scrape {
    /// Scrapes `app`'s `/metrics` and parses the text format's sample lines.
    async fn of(app: &TestApp) -> Self {
        let addr = app.metrics_addr.expect("the server serves /metrics");
        let (status, head, text) = get(addr, "/metrics").await;
        assert_eq!(status, 200, "{head}\n{text}");
        assert!(
            head.contains("content-type: text/plain; version=0.0.4"),
            "{head}"
        );
        assert!(!text.contains("# EOF"), "{text}");
        let mut samples = HashMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ').expect("a value");
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, parse_labels(labels.trim_end_matches('}'))),
                None => (series, Vec::new()),
            };
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
            samples.insert((name.to_owned(), labels), value);
        }
        Self { text, samples }
    }

    /// The value of `name` with exactly `labels` (in any order), if sampled.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        labels.sort();
        self.samples.get(&(name.to_owned(), labels)).copied()
    }

    /// [`Self::get`], failing the test when absent.
    #[track_caller]
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no {name} {labels:?} in\n{}", self.text))
    }
}

/// `a="x",b="y"` (the values here never hold quotes or commas).
fn parse_labels(text: &str) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = text
        .split("\",")
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once("=\"").expect("key=\"value\"");
            (key.to_owned(), value.trim_end_matches('"').to_owned())
        })
        .collect();
    labels.sort();
    labels
}

/// The labels of a call's count.
fn call<'a>(
    protocol: &'a str,
    service: &'a str,
    method: &'a str,
    status: &'a str,
) -> [(&'a str, &'a str); 4] {
    [
        ("protocol", protocol),
        ("service", service),
        ("method", method),
        ("status", status),
    ]
}

fn grpc_call<'a>(service: &'a str, method: &'a str, status: &'a str) -> [(&'a str, &'a str); 4] {
    call("grpc", service, method, status)
}

const DATASETS: &str = "provenance.v1.DatasetService";

#[tokio::test]
async fn metrics_are_served_only_on_their_own_address_when_asked_for() {
    let app = spawn_app().await;
    assert_eq!(app.metrics_addr, None);
    // Not on the API's port, with or without --metrics-listen.
    let answer = http(&app, "GET", "/metrics", &[], b"").await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    let monitored = spawn_monitored(ServeSettings::default()).await;
    let answer = http(&monitored, "GET", "/metrics", &[], b"").await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    let addr = monitored.metrics_addr.expect("a metrics address");
    assert_ne!(addr, monitored.addr);
    let (status, _, _) = get(addr, "/elsewhere").await;
    assert_eq!(status, 404);
    // OpenMetrics to a scraper that asks for it, as Prometheus does.
    let (status, head, text) = get_with(
        addr,
        "/metrics",
        &[
            "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
                .into(),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    assert!(text.contains("# TYPE provenance_calls counter\n"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[tokio::test]
async fn calls_are_counted_by_service_method_and_status_without_organizations() {
    let app = spawn_monitored(ServeSettings::default()).await;
    let mut ids = Vec::new();
    for name in ["one", "two", "three"] {
        ids.push(app.register(&app.admin, dataset(name)).await.id);
    }
    let missing = app
        .datasets()
        .get_dataset(authed(
            &app.admin,
            pb::GetDatasetRequest {
                id: uuid::Uuid::now_v7().to_string(),
            },
        ))
        .await
        .expect_err("no such dataset");
    assert_eq!(missing.code(), Code::NotFound);
    let anonymous = app
        .orgs()
        .get_organization(pb::GetOrganizationRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    // HTTP/JSON, counted under the gRPC method that answered; other HTTP routes by their route.
    let over_http = http(
        &app,
        "GET",
        &format!("/v1/datasets/{}", ids[0]),
        &[format!("Authorization: Bearer {}", app.admin)],
        b"",
    )
    .await;
    assert_eq!(over_http.status, 200, "{}", over_http.body);
    assert_eq!(
        http(&app, "GET", "/.well-known/jwks.json", &[], b"")
            .await
            .status,
        200
    );
    assert_eq!(
        http(&app, "GET", "/no/such/page", &[], b"").await.status,
        404
    );

    let scrape = Scrape::of(&app).await;
    let calls = "provenance_calls_total";
    assert_eq!(
        scrape.value(calls, &grpc_call(DATASETS, "RegisterDataset", "OK")),
        3.0
    );
    assert_eq!(
        scrape.value(calls, &grpc_call(DATASETS, "GetDataset", "NOT_FOUND")),
        1.0
    );
    assert_eq!(
        scrape.value(
            calls,
            &grpc_call(
                "provenance.v1.OrganizationService",
                "GetOrganization",
                "UNAUTHENTICATED"
            )
        ),
        1.0
    );
    let http_call = |service, method, status| call("http", service, method, status);
    assert_eq!(
        scrape.value(calls, &http_call(DATASETS, "GetDataset", "200")),
        1.0
    );
    assert_eq!(
        scrape.value(
            calls,
            &http_call("http", "GET /.well-known/jwks.json", "200")
        ),
        1.0
    );
    assert_eq!(
        scrape.value(calls, &http_call("http", "GET (no route)", "404")),
        1.0
    );
    // Every call has its duration, by method.
    let durations = [
        ("protocol", "grpc"),
        ("service", DATASETS),
        ("method", "RegisterDataset"),
    ];
    assert_eq!(
        scrape.value("provenance_call_duration_seconds_count", &durations),
        3.0
    );
    assert!(scrape.value("provenance_call_duration_seconds_sum", &durations) > 0.0);
    let mut infinite = durations.to_vec();
    infinite.push(("le", "+Inf"));
    assert_eq!(
        scrape.value("provenance_call_duration_seconds_bucket", &infinite),
        3.0
    );
    // Three registrations of one dataset each went through group commit.
    let registrations = [("kind", "registration")];
    assert_eq!(
        scrape.value("provenance_group_commit_batch_size_sum", &registrations),
        3.0
    );
    // The write transactions waited for their connection and lock.
    assert!(scrape.value("provenance_database_write_wait_seconds_count", &[]) >= 3.0);
    for pool in ["writer", "readers"] {
        for state in ["in_use", "idle"] {
            let open = scrape.value(
                "provenance_database_pool_connections",
                &[("pool", pool), ("state", state)],
            );
            assert!(open >= 0.0, "{pool} {state}: {open}");
        }
    }
    // The logs: the organisation's creation and the three registrations at least, and the
    // transparency log covers what the event log holds (or lags it).
    let events = scrape.value("provenance_event_log_events", &[]);
    let leaves = scrape.value("provenance_transparency_log_leaves", &[]);
    assert!(events >= 4.0, "{events}");
    assert!(leaves <= events, "{leaves} > {events}");
    assert_eq!(scrape.value("provenance_watchers_open", &[]), 0.0);
    assert_eq!(
        scrape.value("provenance_webhook_deliveries_pending", &[]),
        0.0
    );

    // Nothing of any organisation: no name, no id, no dataset, no token.
    for secret in [
        "Acme",
        app.org_id.as_str(),
        app.admin.as_str(),
        ids[0].as_str(),
        "three",
    ] {
        assert!(
            !scrape.text.contains(secret),
            "{secret} in\n{}",
            scrape.text
        );
    }
    // Label values come from fixed sets: a path nobody serves is not a label.
    assert!(!scrape.text.contains("/no/such/page"), "{}", scrape.text);
}

#[tokio::test]
async fn batches_caches_and_watchers_are_measured() {
    let app = spawn_monitored(ServeSettings::default()).await;
    let (_, certificate) = certified(&app).await;
    for _ in 0..2 {
        let answer = app
            .certificates()
            .verify_certificate(pb::VerifyCertificateRequest {
                token: certificate.token.clone(),
                audience_organization_id: String::new(),
                as_of: None,
                include_public_lineage: false,
            })
            .await
            .expect("verification answers")
            .into_inner();
        assert!(answer.valid, "{answer:?}");
    }
    let mut watch = app
        .events()
        .watch_events(authed(
            &app.admin,
            pb::WatchEventsRequest { after_sequence: 0 },
        ))
        .await
        .expect("a watcher")
        .into_inner();
    watch.next().await.expect("an event").expect("no error");

    let scrape = Scrape::of(&app).await;
    let issuances = [("kind", "certificate_issuance")];
    assert_eq!(
        scrape.value("provenance_group_commit_batch_size_count", &issuances),
        1.0
    );
    assert_eq!(
        scrape.value("provenance_group_commit_batch_size_sum", &issuances),
        1.0
    );
    // Each verification checked its signature in some batch.
    assert!(scrape.value("provenance_signature_batch_size_sum", &[]) >= 2.0);
    // Both verifications looked the certificate up (a replica of PostgreSQL caches nothing).
    let hits = scrape
        .get(
            "provenance_certificate_cache_lookups_total",
            &[("kind", "hit")],
        )
        .unwrap_or(0.0);
    let misses = scrape
        .get(
            "provenance_certificate_cache_lookups_total",
            &[("kind", "miss")],
        )
        .unwrap_or(0.0);
    assert_eq!(hits + misses, 2.0, "{}", scrape.text);
    if app.database.is_none() {
        assert!(hits >= 1.0, "{}", scrape.text);
    }
    assert_eq!(scrape.value("provenance_watchers_open", &[]), 1.0);
    assert!(!scrape.text.contains(&app.org_id));
    drop(watch);
}

#[tokio::test]
async fn calls_refused_by_the_concurrency_bound_are_counted() {
    let app = spawn_monitored(ServeSettings {
        max_concurrent_calls: 1,
        ..Default::default()
    })
    .await;
    // An HTTP/JSON call whose body never finishes holds the only permit while the gateway reads it.
    let mut holder = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /v1/datasets HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\nContent-Length: 1000\r\n\r\n{{",
        app.admin
    );
    holder.write_all(head.as_bytes()).await.unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(app.channel.clone());
    let mut served = 0.0;
    let mut refused = 0.0;
    for _ in 0..100_000 {
        match health
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
        {
            Ok(_) => {
                served += 1.0;
                tokio::task::yield_now().await;
            }
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                refused += 1.0;
                if refused == 3.0 {
                    break;
                }
            }
        }
    }
    assert_eq!(refused, 3.0, "the held call never took the only permit");
    let scrape = Scrape::of(&app).await;
    assert_eq!(
        scrape.value("provenance_calls_refused_total", &[("kind", "grpc")]),
        3.0
    );
    assert_eq!(
        scrape.get("provenance_calls_refused_total", &[("kind", "http")]),
        None
    );
    let health_calls = |status| grpc_call("grpc.health.v1.Health", "Check", status);
    assert_eq!(
        scrape.value(
            "provenance_calls_total",
            &health_calls("RESOURCE_EXHAUSTED")
        ),
        3.0
    );
    if served > 0.0 {
        assert_eq!(
            scrape.value("provenance_calls_total", &health_calls("OK")),
            served
        );
    }
    drop(holder);
}
