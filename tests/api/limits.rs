//! Bounds: calls beyond the concurrency limit are refused (gRPC: `RESOURCE_EXHAUSTED`, plain HTTP:
//! 503), and nothing is lost; a configured message limit is the one in force (the watcher limit: events.rs).

use provenance_registry::config::ServeSettings;
use provenance_registry::proto::v1 as pb;
use sqlx::Connection;
use tonic::Code;

use crate::helpers::*;
use crate::verify_page::http;

#[tokio::test]
async fn calls_beyond_the_concurrency_limit_are_refused_and_the_call_in_flight_completes() {
    let app = spawn_app_with(ServeSettings {
        max_concurrent_calls: 1,
        ..Default::default()
    })
    .await;
    // Hold SQLite's write lock from outside, so that a registration waits inside the server,
    // keeping the one permitted call busy for as long as the test needs.
    let Some(url) = app.sqlite_url() else {
        return;
    };
    let mut blocker = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();

    let mut client = app.datasets();
    let admin = app.admin.clone();
    let in_flight = tokio::spawn(async move {
        client
            .register_dataset(authed(&admin, dataset("waiting")))
            .await
    });

    // Once the registration holds the only permit, every other call is shed at once.
    let mut health = tonic_health::pb::health_client::HealthClient::new(app.channel.clone());
    let mut refused = None;
    for _ in 0..100_000 {
        match health
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
        {
            Ok(_) => tokio::task::yield_now().await,
            Err(status) => {
                refused = Some(status);
                break;
            }
        }
    }
    let refused = refused.expect("a call beyond the limit was refused");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused.message().contains("--max-concurrent-calls"),
        "{refused:?}"
    );
    // Plain-HTTP callers (a JWKS fetcher, a browser) are refused in HTTP's terms.
    let jwks = http(&app, "GET", "/.well-known/jwks.json", &[], b"").await;
    assert_eq!(jwks.status, 503, "{}", jwks.head);
    assert!(jwks.head.contains("retry-after: 1"), "{}", jwks.head);
    assert!(!jwks.head.contains("grpc-status"), "{}", jwks.head);
    assert!(
        jwks.body.contains("--max-concurrent-calls"),
        "{}",
        jwks.body
    );

    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    let registered = in_flight
        .await
        .unwrap()
        .expect("the call in flight completes")
        .into_inner();
    let id = registered.dataset.unwrap().id;
    let read = app
        .datasets()
        .get_dataset(authed(&app.admin, pb::GetDatasetRequest { id }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.name, "waiting");
}

/// `--max-message-bytes` is the bound in force: a request under the default limit but over a
/// configured smaller one is refused unread, and nothing is stored.
#[tokio::test]
async fn a_configured_message_limit_refuses_smaller_requests_than_the_default() {
    let app = spawn_app_with(ServeSettings {
        max_message_bytes: 64 * 1024,
        ..Default::default()
    })
    .await;
    let before = app.snapshot().await;
    let mut sources = Vec::new();
    for n in 0..2_000 {
        sources.push(pb::Source {
            kind: pb::SourceKind::WebCrawl as i32,
            uri: format!("https://example.org/crawl/{n}"),
            ..Default::default()
        });
    }
    let large = pb::RegisterDatasetRequest {
        sources,
        ..dataset("large")
    };
    let status = app
        .datasets()
        .register_dataset(authed(&app.admin, large))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert_eq!(app.snapshot().await, before);
    // Small requests still pass.
    app.register(&app.admin, dataset("small")).await;
}

/// `--max-calls-per-connection` bounds the streams of one HTTP/2 connection: with a bound of one, a
/// second call on a connection busy with an open event stream waits, while the same call on another
/// connection is answered at once.
#[tokio::test]
async fn a_connection_carries_at_most_the_configured_number_of_calls() {
    let app = spawn_app_with(ServeSettings {
        max_calls_per_connection: 1,
        ..Default::default()
    })
    .await;
    let _watch = EventServiceClient::new(app.channel.clone())
        .watch_events(authed(&app.admin, pb::WatchEventsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let request = || {
        authed(
            &app.admin,
            pb::ListDatasetsRequest {
                ..Default::default()
            },
        )
    };
    let same_connection = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        app.datasets().list_datasets(request()),
    )
    .await;
    assert!(
        same_connection.is_err(),
        "the second call on a full connection waits"
    );
    let other = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        DatasetServiceClient::new(other).list_datasets(request()),
    )
    .await
    .expect("another connection is served at once")
    .expect("answered");
}
