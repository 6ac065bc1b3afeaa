//! `RegisterDatasets`: many registrations in one call, all or none, idempotent item by item.

use provenance_registry::proto::v1 as pb;
use tonic::Code;

use crate::helpers::*;

fn item(reference: &str, dataset: pb::RegisterDatasetRequest) -> pb::BatchRegistration {
    pb::BatchRegistration {
        r#ref: reference.into(),
        dataset: Some(dataset),
    }
}

/// A `SOURCE_KIND_DATASET` source naming an earlier item of the same call.
fn earlier(reference: &str) -> pb::Source {
    pb::Source {
        kind: pb::SourceKind::Dataset as i32,
        batch_ref: reference.into(),
        ..Default::default()
    }
}

fn batch(items: Vec<pb::BatchRegistration>) -> pb::RegisterDatasetsRequest {
    pb::RegisterDatasetsRequest {
        registrations: items,
    }
}

async fn register_batch(
    app: &TestApp,
    request: pb::RegisterDatasetsRequest,
) -> Result<Vec<pb::RegisterDatasetResponse>, tonic::Status> {
    app.datasets()
        .register_datasets(authed(&app.admin, request))
        .await
        .map(|answer| answer.into_inner().results)
}

/// A chain `step-0 <- step-1 <- ... <- step-(n-1)`, each naming the one before by `ref`.
fn chain(n: usize) -> pb::RegisterDatasetsRequest {
    batch(
        (0..n)
            .map(|i| {
                let mut dataset = dataset(&format!("step-{i}"));
                if i > 0 {
                    dataset.sources = vec![earlier(&format!("s{}", i - 1))];
                }
                item(&format!("s{i}"), dataset)
            })
            .collect(),
    )
}

#[tokio::test]
async fn a_batch_stores_every_item_in_order_linking_earlier_items_with_one_event_each() {
    let app = spawn_app().await;
    let stored_parent = app.register(&app.admin, dataset("raw")).await;
    let before = app.all_events(&app.operator).await.len();

    let mut first = dataset("cleaned");
    first.sources = vec![parent_source(&stored_parent.id)];
    let mut second = dataset("mixed");
    second.sources = vec![earlier("c"), parent_source(&stored_parent.id)];
    let results = register_batch(&app, batch(vec![item("c", first), item("", second)]))
        .await
        .unwrap();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| !r.already_existed));
    let cleaned = results[0].dataset.clone().unwrap();
    let mixed = results[1].dataset.clone().unwrap();
    assert_eq!(
        (cleaned.name.as_str(), mixed.name.as_str()),
        ("cleaned", "mixed")
    );
    assert_eq!(mixed.sources[0].dataset_id, cleaned.id);
    assert_eq!(mixed.sources[0].batch_ref, "", "never echoed in answers");
    assert_eq!(mixed.sources[1].dataset_id, stored_parent.id);

    // Stored as answered, and the lineage walks through the batch's own edge.
    let read = app
        .datasets()
        .get_dataset(authed(
            &app.admin,
            pb::GetDatasetRequest {
                id: mixed.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, mixed);
    let events = app.all_events(&app.operator).await;
    assert_eq!(events.len(), before + 2, "one event per dataset");
    let subjects: Vec<&str> = events[before..]
        .iter()
        .map(|e| e.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        [
            format!("datasets/{}", cleaned.id),
            format!("datasets/{}", mixed.id)
        ]
    );
    assert!(
        events[before..]
            .iter()
            .all(|e| e.r#type == "dataset.registered")
    );
}

#[tokio::test]
async fn a_retried_batch_stores_nothing_twice_and_answers_the_stored_records() {
    let app = spawn_app().await;
    let first = register_batch(&app, chain(5)).await.unwrap();
    let before = app.snapshot().await;
    let again = register_batch(&app, chain(5)).await.unwrap();
    assert!(again.iter().all(|r| r.already_existed));
    assert_eq!(
        again.iter().map(|r| r.dataset.clone()).collect::<Vec<_>>(),
        first.iter().map(|r| r.dataset.clone()).collect::<Vec<_>>()
    );
    assert_eq!(app.snapshot().await, before);

    // Partly stored already: only the new items are written.
    let longer = register_batch(&app, chain(7)).await.unwrap();
    let existed: Vec<bool> = longer.iter().map(|r| r.already_existed).collect();
    assert_eq!(existed, [true, true, true, true, true, false, false]);
    assert_eq!(
        app.all_events(&app.operator).await.len(),
        before.1.len() + 2
    );
}

#[tokio::test]
async fn a_thousand_items_go_in_one_call_and_one_more_is_refused() {
    let app = spawn_app().await;
    let results = register_batch(&app, chain(1000)).await.unwrap();
    assert_eq!(results.len(), 1000);
    let last = results[999].dataset.clone().unwrap();
    assert_eq!(
        last.sources[0].dataset_id,
        results[998].dataset.as_ref().unwrap().id
    );

    let before = app.snapshot().await;
    let mut too_many = chain(1001);
    too_many.registrations[0].dataset.as_mut().unwrap().name = "other".into();
    assert_status(
        register_batch(&app, too_many).await,
        Code::InvalidArgument,
        "registrations: must hold 1 to 1000 registrations, not 1001",
    );
    assert_status(
        register_batch(&app, batch(Vec::new())).await,
        Code::InvalidArgument,
        "registrations: must hold 1 to 1000",
    );
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_refused_item_refuses_the_whole_call_naming_the_item_and_stores_nothing() {
    let app = spawn_app().await;
    let stored = app.register(&app.admin, dataset("stored")).await;
    let before = app.snapshot().await;
    let ok = |name: &str| item("", dataset(name));
    let with_source = |name: &str, source: pb::Source| {
        let mut d = dataset(name);
        d.sources = vec![source];
        item("", d)
    };
    let invalid_cases: Vec<(&str, pb::RegisterDatasetsRequest, &str)> = vec![
        (
            "a malformed digest",
            batch(vec![
                ok("a"),
                item(
                    "",
                    pb::RegisterDatasetRequest {
                        content_digest: "md5:0".into(),
                        ..dataset("b")
                    },
                ),
            ]),
            "registrations[1].dataset.content_digest",
        ),
        (
            "no dataset",
            batch(vec![
                ok("a"),
                pb::BatchRegistration {
                    r#ref: "x".into(),
                    dataset: None,
                },
            ]),
            "registrations[1].dataset: is required",
        ),
        (
            "a ref naming a later item",
            batch(vec![
                with_source("a", earlier("later")),
                item("later", dataset("b")),
            ]),
            "registrations[0].dataset.sources[0].batch_ref: names no earlier item",
        ),
        (
            "a ref naming itself",
            batch(vec![item("me", {
                let mut d = dataset("a");
                d.sources = vec![earlier("me")];
                d
            })]),
            "registrations[0].dataset.sources[0].batch_ref: names no earlier item",
        ),
        (
            "a ref on a source of another kind",
            batch(vec![
                item("a", dataset("a")),
                with_source(
                    "b",
                    pb::Source {
                        kind: pb::SourceKind::WebCrawl as i32,
                        uri: "https://example.org".into(),
                        batch_ref: "a".into(),
                        ..Default::default()
                    },
                ),
            ]),
            "registrations[1].dataset.sources[0].batch_ref: needs kind SOURCE_KIND_DATASET",
        ),
        (
            "a ref beside a dataset id",
            batch(vec![
                item("a", dataset("a")),
                with_source(
                    "b",
                    pb::Source {
                        dataset_id: stored.id.clone(),
                        ..earlier("a")
                    },
                ),
            ]),
            "registrations[1].dataset.sources[0].batch_ref: needs kind SOURCE_KIND_DATASET and an empty dataset_id",
        ),
        (
            "a repeated ref",
            batch(vec![item("a", dataset("a")), item("a", dataset("b"))]),
            "registrations[1].ref: is already the ref",
        ),
        (
            "a ref with a control character",
            batch(vec![item("a\n", dataset("a"))]),
            "registrations[0].ref: must not contain control characters",
        ),
        (
            "a ref too long",
            batch(vec![item(&"r".repeat(101), dataset("a"))]),
            "registrations[0].ref: must be at most 100 characters",
        ),
    ];
    for (case, request, needle) in invalid_cases {
        let status = register_batch(&app, request).await.expect_err(case);
        assert_invalid_field(&status, case, needle);
    }

    // Refusals decided against the stored state name the item too.
    let missing_parent = batch(vec![
        ok("a"),
        ok("b"),
        with_source("c", parent_source(&uuid::Uuid::now_v7().to_string())),
    ]);
    assert_status(
        register_batch(&app, missing_parent).await,
        Code::NotFound,
        "registrations[2]: sources[0].dataset_id",
    );
    let conflicting = batch(vec![
        ok("a"),
        item(
            "",
            pb::RegisterDatasetRequest {
                content_digest: digest("other bytes"),
                ..dataset("stored")
            },
        ),
    ]);
    assert_status(
        register_batch(&app, conflicting).await,
        Code::AlreadyExists,
        "registrations[1]: dataset \"stored\" version \"1\" is already registered",
    );
    let twice_in_one_call = batch(vec![
        ok("a"),
        item(
            "",
            pb::RegisterDatasetRequest {
                content_digest: digest("other bytes"),
                ..dataset("a")
            },
        ),
    ]);
    assert_status(
        register_batch(&app, twice_in_one_call).await,
        Code::AlreadyExists,
        "registrations[1]:",
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "nothing of a refused call stored"
    );
}

#[tokio::test]
async fn batch_refs_belong_to_batches_and_an_auditor_registers_nothing() {
    let app = spawn_app().await;
    let auditor = app.token(pb::Role::Auditor).await;
    let before = app.snapshot().await;
    let mut single = dataset("a");
    single.sources = vec![earlier("x")];
    assert_status(
        app.datasets()
            .register_dataset(authed(&app.admin, single))
            .await,
        Code::InvalidArgument,
        "sources[0].batch_ref: names an earlier item of a RegisterDatasets call",
    );
    assert_status(
        app.datasets()
            .register_datasets(authed(&auditor, chain(2)))
            .await,
        Code::PermissionDenied,
        "",
    );
    assert_status(
        app.datasets()
            .register_datasets(tonic::Request::new(chain(2)))
            .await,
        Code::Unauthenticated,
        "",
    );
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn concurrent_batches_and_single_calls_all_land_once() {
    let app = spawn_app().await;
    let mut calls = tokio::task::JoinSet::new();
    for caller in 0..4 {
        let (mut client, token) = (app.datasets(), app.admin.clone());
        calls.spawn(async move {
            let request = batch(
                (0..300)
                    .map(|i| item("", dataset(&format!("c{caller}-{i}"))))
                    .collect(),
            );
            let answer = client.register_datasets(authed(&token, request)).await;
            answer.unwrap().into_inner().results.len()
        });
    }
    for i in 0..20 {
        let (mut client, token) = (app.datasets(), app.admin.clone());
        calls.spawn(async move {
            let request = dataset(&format!("single-{i}"));
            let answer = client.register_dataset(authed(&token, request)).await;
            usize::from(answer.unwrap().into_inner().dataset.is_some())
        });
    }
    let stored: usize = calls.join_all().await.into_iter().sum();
    assert_eq!(stored, 1220);
    assert_eq!(app.all_datasets(&app.admin).await.len(), 1220);
    let events = app.all_events(&app.operator).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e.r#type == "dataset.registered")
            .count(),
        1220
    );
    crate::events::assert_chain_verifies(&events);
}
