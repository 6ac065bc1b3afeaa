//! Webhooks against a receiver the test runs on 127.0.0.1: Standard Webhooks signatures, order and
//! catch-up after failures, pauses, crashes (SIGKILL) and secret rotation; and the SSRF rules, with
//! the proof that nothing was sent where it must not be.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use provenance_registry::config::ServeSettings;
use provenance_registry::proto::v1 as pb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::*;
use crate::process::{ServerProcess, create_org_with};
use crate::support_postgres::TestDatabase;

use pb::webhook_service_client::WebhookServiceClient;

/// How long a test waits for deliveries (retries back off from 2.5 to 5 seconds, then double).
const PATIENCE: Duration = Duration::from_secs(40);

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
    fn sequence(&self) -> u64 {
        self.json()["data"]["sequence"]
            .as_str()
            .expect("data.sequence as a string (proto3 JSON of uint64)")
            .parse()
            .unwrap()
    }
}

/// An HTTP receiver on 127.0.0.1 that records every request and answers with `status`.
#[derive(Clone)]
struct Receiver {
    port: u16,
    status: Arc<AtomicU16>,
    location: Arc<Mutex<String>>,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Self {
            port: listener.local_addr().unwrap().port(),
            status: Arc::new(AtomicU16::new(status)),
            location: Arc::new(Mutex::new(String::new())),
            received: Arc::default(),
            connections: Arc::default(),
        };
        let shared = receiver.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                shared.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(shared.clone().serve(stream));
            }
        });
        receiver
    }

    async fn serve(self, mut stream: tokio::net::TcpStream) {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head_len, headers) = loop {
            let Ok(n) = stream.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buffer.extend_from_slice(&chunk[..n]);
            let mut slots = [httparse::EMPTY_HEADER; 32];
            let mut request = httparse::Request::new(&mut slots);
            if let Ok(httparse::Status::Complete(len)) = request.parse(&buffer) {
                let headers: BTreeMap<String, String> = request
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_ascii_lowercase(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                break (len, headers);
            }
        };
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_len + length {
            let Ok(n) = stream.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        let body = buffer[head_len..head_len + length].to_vec();
        self.received
            .lock()
            .unwrap()
            .push(Received { headers, body });
        let status = self.status.load(Ordering::SeqCst);
        let location = self.location.lock().unwrap().clone();
        let answer = format!(
            "HTTP/1.1 {status} X\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        let _ = stream.write_all(answer.as_bytes()).await;
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until the requests received satisfy `done`.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: not within {PATIENCE:?}; received {} requests",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Delivered sequences of successful answers, in arrival order, without repeats.
fn sequences(received: &[Received]) -> Vec<u64> {
    let mut seen = Vec::new();
    for r in received {
        let s = r.sequence();
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    seen
}

/// Checks a Standard Webhooks signature with an HMAC computed here; which of the secrets signed.
fn verify(received: &Received, secrets: &[&str]) -> Vec<usize> {
    let id = &received.headers["webhook-id"];
    let timestamp = &received.headers["webhook-timestamp"];
    let now = chrono::Utc::now().timestamp();
    let sent: i64 = timestamp.parse().expect("integer seconds");
    assert!((now - sent).abs() < 300, "timestamp {sent} is not now");
    let signatures: Vec<&str> = received.headers["webhook-signature"].split(' ').collect();
    let mut matched = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
            .unwrap();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
        let mut content = format!("{id}.{timestamp}.").into_bytes();
        content.extend_from_slice(&received.body);
        let expected = format!(
            "v1,{}",
            STANDARD.encode(ring::hmac::sign(&key, &content).as_ref())
        );
        if signatures.contains(&expected.as_str()) {
            matched.push(i);
        }
    }
    matched
}

fn loopback() -> ServeSettings {
    ServeSettings {
        webhook_allow_loopback: true,
        ..ServeSettings::default()
    }
}

fn hooks(app: &TestApp) -> WebhookServiceClient<Channel> {
    WebhookServiceClient::new(app.channel.clone())
}

async fn create(
    client: &mut WebhookServiceClient<Channel>,
    token: &str,
    url: &str,
    types: &[&str],
) -> Result<pb::CreateWebhookResponse, tonic::Status> {
    client
        .create_webhook(authed(
            token,
            pb::CreateWebhookRequest {
                webhook: Some(pb::Webhook {
                    url: url.into(),
                    description: "procurement".into(),
                    event_types: types.iter().map(|t| t.to_string()).collect(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .map(|r| r.into_inner())
}

async fn deliveries(
    client: &mut WebhookServiceClient<Channel>,
    token: &str,
    id: &str,
) -> Vec<pb::Delivery> {
    client
        .list_deliveries(authed(
            token,
            pb::ListDeliveriesRequest {
                webhook_id: id.into(),
                page_size: 1000,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .deliveries
}

async fn set_state(
    client: &mut WebhookServiceClient<Channel>,
    token: &str,
    id: &str,
    state: pb::WebhookState,
) -> pb::Webhook {
    client
        .update_webhook(authed(
            token,
            pb::UpdateWebhookRequest {
                id: id.into(),
                state: state as i32,
                update_mask: Some(provenance_registry::proto::wkt::FieldMask {
                    paths: vec!["state".into()],
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn register_some(app: &TestApp, prefix: &str, count: usize) -> Vec<pb::Dataset> {
    let mut out = Vec::new();
    for n in 0..count {
        out.push(
            app.register(&app.admin, dataset(&format!("{prefix}-{n}")))
                .await,
        );
    }
    out
}

#[tokio::test]
async fn deliveries_are_signed_as_standard_webhooks_say_and_arrive_in_sequence_order() {
    let app = spawn_app_with(loopback()).await;
    let receiver = Receiver::start(200).await;
    let mut client = hooks(&app);
    let created = create(
        &mut client,
        &app.admin,
        &receiver.url(),
        &["dataset.registered"],
    )
    .await
    .unwrap();
    assert!(created.secret.starts_with("whsec_"));
    let hook = created.webhook.unwrap();
    assert_eq!(hook.state, pb::WebhookState::Active as i32);
    register_some(&app, "signed", 5).await;

    let received = receiver.wait_for("five deliveries", |r| r.len() >= 5).await;
    let events = app.all_events(&app.admin).await;
    let registered: Vec<&pb::Event> = events
        .iter()
        .filter(|e| e.r#type == "dataset.registered")
        .collect();
    assert_eq!(
        sequences(&received),
        registered.iter().map(|e| e.sequence).collect::<Vec<_>>()
    );
    for (r, event) in received.iter().zip(&registered) {
        assert_eq!(
            verify(r, &[&created.secret]),
            [0],
            "signature of {}",
            event.sequence
        );
        let json = r.json();
        assert_eq!(json["type"], "dataset.registered");
        assert_eq!(json["data"]["hash"], event.hash.as_str());
        assert_eq!(json["data"]["prevHash"], event.prev_hash.as_str());
        assert_eq!(json["data"]["payloadJson"], event.payload_json.as_str());
        assert_eq!(
            r.headers["webhook-id"],
            format!("msg_{}_{}", hook.id.replace('-', ""), event.sequence)
        );
        assert_eq!(r.headers["content-type"], "application/json");
    }
    // The ledger says the same.
    let ledger = deliveries(&mut client, &app.admin, &hook.id).await;
    assert_eq!(ledger.len(), 5);
    for d in &ledger {
        assert_eq!(d.state, pb::DeliveryState::Delivered as i32, "{d:?}");
        assert_eq!((d.attempts, d.last_status_code), (1, 200));
        assert!(d.delivered_time.is_some());
    }
}

#[tokio::test]
async fn an_endpoint_that_is_down_is_retried_with_the_same_id_and_catches_up_in_order() {
    let app = spawn_app_with(loopback()).await;
    let receiver = Receiver::start(503).await;
    let mut client = hooks(&app);
    let created = create(
        &mut client,
        &app.admin,
        &receiver.url(),
        &["dataset.registered"],
    )
    .await
    .unwrap();
    let id = created.webhook.unwrap().id;
    register_some(&app, "down", 4).await;
    let failed = receiver
        .wait_for("a first attempt", |r| !r.is_empty())
        .await;
    let first_id = failed[0].headers["webhook-id"].clone();
    // Only the head of the queue is tried while it fails: order is kept.
    let ledger = deliveries(&mut client, &app.admin, &id).await;
    let head = ledger.iter().min_by_key(|d| d.sequence).unwrap();
    assert_eq!(head.last_status_code, 503);
    assert_eq!(head.state, pb::DeliveryState::Pending as i32);
    assert!(head.last_error.contains("503"), "{head:?}");
    assert!(
        ledger.iter().filter(|d| d.attempts > 0).count() == 1,
        "{ledger:?}"
    );

    receiver.status.store(200, Ordering::SeqCst);
    let received = receiver
        .wait_for("the catch-up", |r| {
            r.iter().filter(|x| x.sequence() >= 1).count() >= 5 && sequences(r).len() >= 4
        })
        .await;
    let order = sequences(&received);
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "delivered out of order");
    let retried: Vec<_> = received
        .iter()
        .filter(|r| r.headers["webhook-id"] == first_id)
        .collect();
    assert!(
        retried.len() >= 2,
        "the first event was tried again under its id"
    );
    for r in &received {
        assert_eq!(verify(r, &[&created.secret]), [0]);
    }
}

#[tokio::test]
async fn a_paused_endpoint_accumulates_and_catches_up_when_resumed() {
    let app = spawn_app_with(loopback()).await;
    let receiver = Receiver::start(200).await;
    let mut client = hooks(&app);
    let created = create(
        &mut client,
        &app.admin,
        &receiver.url(),
        &["dataset.registered"],
    )
    .await
    .unwrap();
    let id = created.webhook.unwrap().id;
    let paused = set_state(&mut client, &app.admin, &id, pb::WebhookState::Paused).await;
    assert_eq!(paused.state, pb::WebhookState::Paused as i32);
    register_some(&app, "paused", 3).await;
    let ledger = deliveries(&mut client, &app.admin, &id).await;
    assert_eq!(ledger.len(), 3, "accumulated while paused");
    assert!(ledger.iter().all(|d| d.attempts == 0));
    assert_eq!(receiver.connections.load(Ordering::SeqCst), 0);

    set_state(&mut client, &app.admin, &id, pb::WebhookState::Active).await;
    let received = receiver.wait_for("the catch-up", |r| r.len() >= 3).await;
    let order = sequences(&received);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

#[tokio::test]
async fn an_endpoint_sees_exactly_the_events_its_organisation_may_see() {
    let app = spawn_app_with(loopback()).await;
    let receiver = Receiver::start(200).await;
    let (_, other_admin) = app.other_org("Globex").await;
    let mut client = hooks(&app);
    create(&mut client, &app.admin, &receiver.url(), &[])
        .await
        .unwrap();
    // Another organisation's private dataset is not Acme's to see; its public one is.
    app.register(&other_admin, dataset("globex-private")).await;
    let mut public = dataset("globex-public");
    public.visibility = pb::Visibility::Public as i32;
    app.register(&other_admin, public).await;
    app.register(&app.admin, dataset("acme-own")).await;
    let visible = app.all_events(&app.admin).await;
    let last = visible.last().unwrap().sequence;
    let received = receiver
        .wait_for("everything Acme may see", |r| {
            r.iter().any(|x| x.sequence() == last)
        })
        .await;
    let after_creation: Vec<u64> = visible
        .iter()
        .filter(|e| e.sequence >= sequences(&received)[0])
        .map(|e| e.sequence)
        .collect();
    assert_eq!(sequences(&received), after_creation);
    let names: Vec<String> = received
        .iter()
        .map(|r| r.json()["data"]["payloadJson"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        !names.iter().any(|p| p.contains("globex-private")),
        "{names:?}"
    );
    assert!(names.iter().any(|p| p.contains("globex-public")));
}

#[tokio::test]
async fn a_rotated_secret_and_the_previous_one_both_sign_during_the_grace_period() {
    let app = spawn_app_with(loopback()).await;
    let receiver = Receiver::start(200).await;
    let mut client = hooks(&app);
    let created = create(
        &mut client,
        &app.admin,
        &receiver.url(),
        &["dataset.registered"],
    )
    .await
    .unwrap();
    let id = created.webhook.unwrap().id;
    register_some(&app, "before", 1).await;
    receiver.wait_for("one delivery", |r| !r.is_empty()).await;
    let rotated = client
        .rotate_webhook_secret(authed(
            &app.admin,
            pb::RotateWebhookSecretRequest {
                id: id.clone(),
                grace_period: Some(provenance_registry::proto::wkt::Duration {
                    seconds: 3600,
                    nanos: 0,
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(rotated.secret, created.secret);
    assert!(
        rotated
            .webhook
            .unwrap()
            .previous_secret_expire_time
            .is_some()
    );
    register_some(&app, "during", 1).await;
    let received = receiver.wait_for("two deliveries", |r| r.len() >= 2).await;
    assert_eq!(
        verify(&received[0], &[&created.secret, &rotated.secret]),
        [0]
    );
    assert_eq!(
        verify(&received[1], &[&created.secret, &rotated.secret]),
        [0, 1]
    );

    // With no grace, only the new secret signs.
    let again = client
        .rotate_webhook_secret(authed(
            &app.admin,
            pb::RotateWebhookSecretRequest {
                id,
                grace_period: Some(provenance_registry::proto::wkt::Duration {
                    seconds: 0,
                    nanos: 0,
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    register_some(&app, "after", 1).await;
    let received = receiver
        .wait_for("three deliveries", |r| r.len() >= 3)
        .await;
    assert_eq!(
        verify(
            &received[2],
            &[&created.secret, &rotated.secret, &again.secret]
        ),
        [2]
    );
}

#[tokio::test]
async fn addresses_outside_the_public_internet_are_refused_at_creation_and_nothing_is_sent() {
    let app = spawn_app().await;
    let receiver = Receiver::start(200).await;
    let port = receiver.port;
    let mut client = hooks(&app);
    for (url, why) in [
        (format!("http://127.0.0.1:{port}/hook"), "https://"),
        (format!("https://127.0.0.1:{port}/hook"), "loopback"),
        (format!("https://localhost:{port}/hook"), "loopback"),
        (format!("https://[::1]:{port}/hook"), "loopback"),
        ("https://10.0.0.7/hook".into(), "private"),
        ("https://192.168.1.1/hook".into(), "private"),
        (
            "https://169.254.169.254/latest/meta-data".into(),
            "link-local",
        ),
        ("https://[fd00:ec2::254]/latest".into(), "unique local"),
        ("https://100.64.0.1/".into(), "CGNAT"),
        ("https://[::ffff:127.0.0.1]/".into(), "loopback"),
        ("https://0.0.0.0/".into(), "unspecified"),
        ("https://user:pw@example.com/".into(), "user name"),
        ("ftp://example.com/".into(), "https://"),
    ] {
        let refused = create(&mut client, &app.admin, &url, &[])
            .await
            .unwrap_err();
        assert_invalid_field(&refused, &url, "webhook.url");
        assert!(
            refused.message().contains(why),
            "{url}: {}",
            refused.message()
        );
    }
    let listed = client
        .list_webhooks(authed(&app.admin, pb::ListWebhooksRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.webhooks.is_empty(), "nothing was stored");
    assert_eq!(
        receiver.connections.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn addresses_are_checked_again_at_every_delivery() {
    let app = spawn_app_with(loopback()).await;
    let receiver = Receiver::start(200).await;
    let mut client = hooks(&app);
    let created = create(
        &mut client,
        &app.admin,
        &format!("http://localhost:{}/hook", receiver.port),
        &["dataset.registered"],
    )
    .await
    .unwrap();
    let id = created.webhook.unwrap().id;
    // The operator withdraws the loopback allowance: the endpoint's next deliveries are refused
    // before any connection.
    let app = app.restart_with(ServeSettings::default()).await;
    let mut client = hooks(&app);
    register_some(&app, "rechecked", 1).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let ledger = loop {
        let ledger = deliveries(&mut client, &app.admin, &id).await;
        if ledger.iter().any(|d| d.attempts > 0) {
            break ledger;
        }
        assert!(tokio::time::Instant::now() < deadline, "never attempted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let tried = ledger.iter().find(|d| d.attempts > 0).unwrap();
    assert!(tried.last_error.contains("refused"), "{tried:?}");
    assert!(tried.last_error.contains("loopback"), "{tried:?}");
    assert_eq!(tried.last_status_code, 0);
    assert_eq!(tried.state, pb::DeliveryState::Pending as i32);
    assert_eq!(
        receiver.connections.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let app = spawn_app_with(loopback()).await;
    let elsewhere = Receiver::start(200).await;
    let redirecting = Receiver::start(307).await;
    *redirecting.location.lock().unwrap() = elsewhere.url();
    let mut client = hooks(&app);
    let created = create(
        &mut client,
        &app.admin,
        &redirecting.url(),
        &["dataset.registered"],
    )
    .await
    .unwrap();
    let id = created.webhook.unwrap().id;
    register_some(&app, "redirected", 1).await;
    redirecting.wait_for("an attempt", |r| !r.is_empty()).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let tried = loop {
        let ledger = deliveries(&mut client, &app.admin, &id).await;
        if let Some(d) = ledger.into_iter().find(|d| d.attempts > 0) {
            break d;
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(tried.last_status_code, 307);
    assert!(
        tried.last_error.contains("redirects are not followed"),
        "{tried:?}"
    );
    assert_eq!(tried.state, pb::DeliveryState::Pending as i32);
    assert_eq!(elsewhere.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn when_retries_run_out_the_endpoint_is_failing_and_the_organisation_is_told() {
    let app = spawn_app_with(ServeSettings {
        webhook_retry_window: Duration::from_secs(1),
        ..loopback()
    })
    .await;
    let receiver = Receiver::start(500).await;
    let mut client = hooks(&app);
    let created = create(
        &mut client,
        &app.admin,
        &receiver.url(),
        &["dataset.registered"],
    )
    .await
    .unwrap();
    let id = created.webhook.unwrap().id;
    register_some(&app, "failing", 1).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let hook = client
            .get_webhook(authed(&app.admin, pb::GetWebhookRequest { id: id.clone() }))
            .await
            .unwrap()
            .into_inner();
        if hook.state == pb::WebhookState::Failing as i32 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never marked failing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = app.all_events(&app.admin).await;
    let told = events
        .iter()
        .find(|e| e.r#type == "webhook.failing")
        .expect("a webhook.failing event");
    assert!(told.subject.ends_with(&id));
    assert!(receiver.received().len() >= 2, "retried before giving up");

    // Resumed, it catches up with a fresh window.
    receiver.status.store(200, Ordering::SeqCst);
    set_state(&mut client, &app.admin, &id, pb::WebhookState::Active).await;
    receiver
        .wait_for("the catch-up", |r| {
            r.iter().any(|x| x.json()["type"] == "dataset.registered")
                && r.last()
                    .is_some_and(|x| x.json()["type"] == "dataset.registered")
        })
        .await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let ledger = deliveries(&mut client, &app.admin, &id).await;
        if ledger
            .iter()
            .all(|d| d.state == pb::DeliveryState::Delivered as i32)
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{ledger:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn redelivery_sends_an_event_again_under_its_id() {
    let app = spawn_app_with(loopback()).await;
    let receiver = Receiver::start(200).await;
    let mut client = hooks(&app);
    let created = create(
        &mut client,
        &app.admin,
        &receiver.url(),
        &["dataset.registered"],
    )
    .await
    .unwrap();
    let id = created.webhook.unwrap().id;
    register_some(&app, "again", 1).await;
    let first = receiver.wait_for("one delivery", |r| !r.is_empty()).await;
    let sequence = first[0].sequence();
    let delivery = client
        .redeliver_event(authed(
            &app.admin,
            pb::RedeliverEventRequest {
                webhook_id: id.clone(),
                sequence,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(delivery.state, pb::DeliveryState::Pending as i32);
    let both = receiver.wait_for("the redelivery", |r| r.len() >= 2).await;
    assert_eq!(both[1].headers["webhook-id"], both[0].headers["webhook-id"]);
    assert_eq!(both[1].body, both[0].body);
    let missing = client
        .redeliver_event(authed(
            &app.admin,
            pb::RedeliverEventRequest {
                webhook_id: id,
                sequence: 1,
            },
        ))
        .await;
    assert_status(missing, Code::NotFound, "no delivery of event 1");
}

#[tokio::test]
async fn bad_requests_are_refused_naming_the_field_and_change_nothing() {
    let app = spawn_app_with(loopback()).await;
    let receiver = Receiver::start(200).await;
    let mut client = hooks(&app);
    let created = create(
        &mut client,
        &app.admin,
        &receiver.url(),
        &["dataset.registered"],
    )
    .await
    .unwrap();
    let hook = created.webhook.unwrap();

    let missing = client
        .create_webhook(authed(
            &app.admin,
            pb::CreateWebhookRequest { webhook: None },
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&missing, "no webhook", "webhook: is required");
    let unknown_type = create(&mut client, &app.admin, &receiver.url(), &["nope"])
        .await
        .unwrap_err();
    assert_invalid_field(&unknown_type, "unknown type", "webhook.event_types[0]");
    let long = format!("{}?{}", receiver.url(), "a".repeat(3000));
    let too_long = create(&mut client, &app.admin, &long, &[])
        .await
        .unwrap_err();
    assert_invalid_field(&too_long, "long url", "webhook.url");

    let update = |mask: Vec<&str>, state: pb::WebhookState| pb::UpdateWebhookRequest {
        id: hook.id.clone(),
        state: state as i32,
        update_mask: Some(provenance_registry::proto::wkt::FieldMask {
            paths: mask.into_iter().map(String::from).collect(),
        }),
        ..Default::default()
    };
    let empty = client
        .update_webhook(authed(&app.admin, update(vec![], pb::WebhookState::Paused)))
        .await
        .unwrap_err();
    assert_invalid_field(&empty, "empty mask", "update_mask");
    let url = client
        .update_webhook(authed(
            &app.admin,
            update(vec!["url"], pb::WebhookState::Paused),
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&url, "url path", "update_mask.paths[0]");
    let failing = client
        .update_webhook(authed(
            &app.admin,
            update(vec!["state"], pb::WebhookState::Failing),
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&failing, "failing", "state");
    let grace = client
        .rotate_webhook_secret(authed(
            &app.admin,
            pb::RotateWebhookSecretRequest {
                id: hook.id.clone(),
                grace_period: Some(provenance_registry::proto::wkt::Duration {
                    seconds: 8 * 24 * 3600,
                    nanos: 0,
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_invalid_field(&grace, "grace", "grace_period");
    let bad_id = client
        .get_webhook(authed(&app.admin, pb::GetWebhookRequest { id: "x".into() }))
        .await
        .unwrap_err();
    assert_invalid_field(&bad_id, "bad id", "id");

    // Nothing changed.
    let now = client
        .get_webhook(authed(
            &app.admin,
            pb::GetWebhookRequest {
                id: hook.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now, hook);

    // Rights: a registrar may not, another organisation sees nothing.
    let registrar = app.token(pb::Role::Registrar).await;
    assert_status(
        client
            .list_webhooks(authed(&registrar, pb::ListWebhooksRequest::default()))
            .await,
        Code::PermissionDenied,
        "admin",
    );
    let (_, other_admin) = app.other_org("Globex").await;
    assert_status(
        client
            .get_webhook(authed(
                &other_admin,
                pb::GetWebhookRequest {
                    id: hook.id.clone(),
                },
            ))
            .await,
        Code::NotFound,
        "not found",
    );
    assert_status(
        client
            .delete_webhook(authed(
                &other_admin,
                pb::DeleteWebhookRequest {
                    id: hook.id.clone(),
                },
            ))
            .await,
        Code::NotFound,
        "not found",
    );
    let theirs = client
        .list_webhooks(authed(&other_admin, pb::ListWebhooksRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(theirs.webhooks.is_empty());

    // Deleting is for the owner, and it is gone.
    client
        .delete_webhook(authed(
            &app.admin,
            pb::DeleteWebhookRequest {
                id: hook.id.clone(),
            },
        ))
        .await
        .unwrap();
    assert_status(
        client
            .get_webhook(authed(&app.admin, pb::GetWebhookRequest { id: hook.id }))
            .await,
        Code::NotFound,
        "not found",
    );
}

#[tokio::test]
async fn after_a_sigkill_with_deliveries_pending_every_event_arrives_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::helpers::fresh_database().await;
    let mut database_options: Vec<String> = Vec::new();
    if let Some(TestDatabase { url, .. }) = &database {
        database_options.extend(["--database-url".into(), url.clone()]);
    }
    let database_options: Vec<&str> = database_options.iter().map(String::as_str).collect();
    let (_, admin) = create_org_with(dir.path(), &database_options, "Acme");
    let mut options = database_options.clone();
    options.push("--webhook-allow-loopback");
    let receiver = Receiver::start(503).await;
    let server = ServerProcess::start_with(dir.path(), &options);
    let channel = server.channel().await;
    let mut client = WebhookServiceClient::new(channel.clone());
    let mut datasets = DatasetServiceClient::new(channel.clone());
    let created = client
        .create_webhook(authed(
            &admin,
            pb::CreateWebhookRequest {
                webhook: Some(pb::Webhook {
                    url: receiver.url(),
                    event_types: vec!["dataset.registered".into()],
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut expected = Vec::new();
    for n in 0..20 {
        let registered = datasets
            .register_dataset(authed(&admin, dataset(&format!("killed-{n}"))))
            .await
            .unwrap()
            .into_inner();
        expected.push(registered.dataset.unwrap().id);
    }
    receiver
        .wait_for("a first attempt", |r| !r.is_empty())
        .await;
    server.signal("KILL");
    server.wait(Duration::from_secs(10));

    receiver.status.store(200, Ordering::SeqCst);
    let server = ServerProcess::start_with(dir.path(), &options);
    let received = receiver
        .wait_for("every event after the restart", |r| {
            sequences(r).len() >= 20
        })
        .await;
    let order = sequences(&received);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    let ids: Vec<String> = received
        .iter()
        .filter(|r| verify(r, &[&created.secret]) == [0])
        .map(|r| {
            let payload: serde_json::Value =
                serde_json::from_str(r.json()["data"]["payloadJson"].as_str().unwrap()).unwrap();
            payload["id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    for id in &expected {
        assert!(ids.contains(id), "dataset {id} was never delivered");
    }
    drop(server);
}

#[tokio::test]
async fn two_replicas_deliver_each_event_to_each_endpoint_once_and_in_order() {
    let Some(server) = crate::support_postgres::server_url() else {
        return;
    };
    let database = TestDatabase::create(&server).await;
    let url = database.url.as_str();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_, admin) = create_org_with(dir_a.path(), &["--database-url", url], "Acme");
    // The second replica gets the first one's keys, as a deployment distributes them.
    for entry in std::fs::read_dir(dir_a.path()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir_b.path().join(entry.file_name())).unwrap();
        }
    }
    let options = ["--database-url", url, "--webhook-allow-loopback"];
    let a = ServerProcess::start_with(dir_a.path(), &options);
    let b = ServerProcess::start_with(dir_b.path(), &options);
    let replicas = [a.channel().await, b.channel().await];
    let receiver = Receiver::start(200).await;
    let mut client = WebhookServiceClient::new(replicas[0].clone());
    let mut endpoints = Vec::new();
    for n in 0..4 {
        let created = client
            .create_webhook(authed(
                &admin,
                pb::CreateWebhookRequest {
                    webhook: Some(pb::Webhook {
                        url: format!("http://127.0.0.1:{}/hook/{n}", receiver.port),
                        event_types: vec!["dataset.registered".into()],
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        endpoints.push(created.webhook.unwrap().id.replace('-', ""));
    }
    const EVENTS: usize = 30;
    for n in 0..EVENTS {
        DatasetServiceClient::new(replicas[n % 2].clone())
            .register_dataset(authed(&admin, dataset(&format!("replicated-{n}"))))
            .await
            .unwrap();
    }
    let received = receiver
        .wait_for("every event at every endpoint", |r| r.len() >= 4 * EVENTS)
        .await;
    // Give a second sender, if there were one, time to repeat something.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = if receiver.received().len() > received.len() {
        receiver.received()
    } else {
        received
    };
    let mut ids: Vec<&str> = received
        .iter()
        .map(|r| r.headers["webhook-id"].as_str())
        .collect();
    assert_eq!(ids.len(), 4 * EVENTS, "each event once per endpoint");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4 * EVENTS, "no event sent twice to an endpoint");
    for endpoint in &endpoints {
        let order: Vec<u64> = received
            .iter()
            .filter(|r| r.headers["webhook-id"].contains(endpoint.as_str()))
            .map(Received::sequence)
            .collect();
        assert_eq!(order.len(), EVENTS);
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    }
    drop((a, b));
}
