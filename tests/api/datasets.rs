//! Registering, reading and listing datasets.

use provenance_registry::proto::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::*;

fn every_kind_of_source(parent: &str) -> Vec<pb::Source> {
    use pb::SourceKind::*;
    vec![
        parent_source(parent),
        pb::Source {
            kind: ExternalDataset as i32,
            uri: "hf://datasets/acme/raw".into(),
            license: "CC-BY-4.0".into(),
            ..Default::default()
        },
        pb::Source {
            kind: WebCrawl as i32,
            uri: "https://commoncrawl.org/2026-10".into(),
            collect_time: Some(provenance_registry::proto::wkt::Timestamp {
                seconds: 1_790_000_000,
                nanos: 123_456_000,
            }),
            ..Default::default()
        },
        pb::Source {
            kind: LicensedCorpus as i32,
            uri: "contract:ACME-2026-17".into(),
            content_digest: digest("corpus"),
            ..Default::default()
        },
        pb::Source {
            kind: HumanAuthored as i32,
            description: "written by annotators\nin two rounds".into(),
            ..Default::default()
        },
        pb::Source {
            kind: ModelGenerated as i32,
            model: Some(pb::ModelRef {
                model_id: "Qwen/Qwen2.5-72B-Instruct".into(),
                version: "2024-09".into(),
                provider: "self-hosted".into(),
            }),
            ..Default::default()
        },
    ]
}

#[tokio::test]
async fn a_dataset_with_every_kind_of_source_reads_back_exactly_as_registered() {
    let app = spawn_app().await;
    let parent = app.register(&app.admin, dataset("raw")).await;
    let request = pb::RegisterDatasetRequest {
        name: "mix".into(),
        version: "2026.11".into(),
        content_digest: digest("mix"),
        size_bytes: Some(1 << 40),
        description: "a blend".into(),
        license: "Apache-2.0 OR MIT".into(),
        visibility: pb::Visibility::Public as i32,
        sources: every_kind_of_source(&parent.id),
    };
    let answer = app
        .datasets()
        .register_dataset(authed(&app.admin, request.clone()))
        .await
        .unwrap()
        .into_inner();
    assert!(!answer.already_existed);
    let stored = answer.dataset.unwrap();
    assert_eq!(Uuid::try_parse(&stored.id).unwrap().get_version_num(), 7);
    assert_eq!(stored.organization_id, app.org_id);
    assert_eq!(
        (stored.name.as_str(), stored.version.as_str()),
        ("mix", "2026.11")
    );
    assert_eq!(stored.size_bytes, Some(1 << 40));
    assert_eq!(stored.visibility, pb::Visibility::Public as i32);
    assert_eq!(stored.sources, request.sources);

    let read = app
        .datasets()
        .get_dataset(authed(
            &app.admin,
            pb::GetDatasetRequest {
                id: stored.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, stored);
}

#[tokio::test]
async fn registering_the_same_dataset_again_returns_the_stored_record_and_writes_nothing() {
    let app = spawn_app().await;
    let first = app.register(&app.admin, dataset("corpus")).await;
    let before = app.snapshot().await;
    let again = app
        .datasets()
        .register_dataset(authed(&app.admin, dataset("corpus")))
        .await
        .unwrap()
        .into_inner();
    assert!(again.already_existed);
    assert_eq!(again.dataset.unwrap(), first);
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn the_same_name_and_version_with_another_digest_already_exists_and_changes_nothing() {
    let app = spawn_app().await;
    let first = app.register(&app.admin, dataset("corpus")).await;
    let before = app.snapshot().await;
    let conflicting = pb::RegisterDatasetRequest {
        content_digest: digest("other bytes"),
        ..dataset("corpus")
    };
    assert_status(
        app.datasets()
            .register_dataset(authed(&app.admin, conflicting))
            .await,
        Code::AlreadyExists,
        "new version",
    );
    assert_eq!(app.snapshot().await, before);
    let read = app
        .datasets()
        .get_dataset(authed(
            &app.admin,
            pb::GetDatasetRequest {
                id: first.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, first);
    // A new version is fine.
    let v2 = pb::RegisterDatasetRequest {
        version: "2".into(),
        content_digest: digest("other bytes"),
        ..dataset("corpus")
    };
    app.register(&app.admin, v2).await;
}

#[tokio::test]
async fn every_malformed_registration_names_its_field_and_stores_nothing() {
    let app = spawn_app().await;
    let parent = app.register(&app.admin, dataset("raw")).await;
    let before = app.snapshot().await;
    let source = |s: pb::Source| pb::RegisterDatasetRequest {
        sources: vec![s],
        ..dataset("bad")
    };
    let kind = |k: pb::SourceKind| pb::Source {
        kind: k as i32,
        ..Default::default()
    };
    let cases: Vec<(&str, pb::RegisterDatasetRequest, &str)> = vec![
        (
            "empty name",
            pb::RegisterDatasetRequest {
                name: String::new(),
                ..dataset("x")
            },
            "name: is required",
        ),
        (
            "long name",
            pb::RegisterDatasetRequest {
                name: "n".repeat(201),
                ..dataset("x")
            },
            "name: must be at most 200",
        ),
        (
            "control character",
            pb::RegisterDatasetRequest {
                name: "a\u{1b}[31m".into(),
                ..dataset("x")
            },
            "name: must not contain control",
        ),
        (
            "padded version",
            pb::RegisterDatasetRequest {
                version: "1 ".into(),
                ..dataset("x")
            },
            "version:",
        ),
        (
            "empty version",
            pb::RegisterDatasetRequest {
                version: String::new(),
                ..dataset("x")
            },
            "version: is required",
        ),
        (
            "missing digest",
            pb::RegisterDatasetRequest {
                content_digest: String::new(),
                ..dataset("x")
            },
            "content_digest: is required",
        ),
        (
            "upper-case digest",
            pb::RegisterDatasetRequest {
                content_digest: digest("x").to_uppercase().replace("SHA256", "sha256"),
                ..dataset("x")
            },
            "content_digest:",
        ),
        (
            "short digest",
            pb::RegisterDatasetRequest {
                content_digest: "sha256:abc".into(),
                ..dataset("x")
            },
            "content_digest:",
        ),
        (
            "md5 digest",
            pb::RegisterDatasetRequest {
                content_digest: "md5:d41d8cd98f00b204e9800998ecf8427e".into(),
                ..dataset("x")
            },
            "content_digest:",
        ),
        (
            "huge size",
            pb::RegisterDatasetRequest {
                size_bytes: Some(u64::MAX),
                ..dataset("x")
            },
            "size_bytes:",
        ),
        (
            "unknown visibility",
            pb::RegisterDatasetRequest {
                visibility: 7,
                ..dataset("x")
            },
            "visibility:",
        ),
        (
            "long description",
            pb::RegisterDatasetRequest {
                description: "d".repeat(4097),
                ..dataset("x")
            },
            "description:",
        ),
        (
            "too many sources",
            pb::RegisterDatasetRequest {
                sources: vec![kind(pb::SourceKind::HumanAuthored); 1001],
                ..dataset("x")
            },
            "sources: must hold at most 1000",
        ),
        (
            "unspecified kind",
            source(kind(pb::SourceKind::Unspecified)),
            "sources[0].kind: is required",
        ),
        (
            "unknown kind",
            source(pb::Source {
                kind: 42,
                ..Default::default()
            }),
            "sources[0].kind",
        ),
        (
            "dataset source without id",
            source(kind(pb::SourceKind::Dataset)),
            "sources[0].dataset_id: is required",
        ),
        (
            "malformed parent id",
            source(pb::Source {
                kind: 1,
                dataset_id: "raw".into(),
                ..Default::default()
            }),
            "sources[0].dataset_id: must be a UUID",
        ),
        (
            "id on a crawl",
            source(pb::Source {
                kind: 3,
                uri: "https://x".into(),
                dataset_id: parent.id.clone(),
                ..Default::default()
            }),
            "sources[0].dataset_id: must be empty",
        ),
        (
            "model without model",
            source(kind(pb::SourceKind::ModelGenerated)),
            "sources[0].model: is required",
        ),
        (
            "model without id",
            source(pb::Source {
                kind: 6,
                model: Some(pb::ModelRef::default()),
                ..Default::default()
            }),
            "sources[0].model.model_id: is required",
        ),
        (
            "model on a crawl",
            source(pb::Source {
                kind: 3,
                uri: "https://x".into(),
                model: Some(pb::ModelRef {
                    model_id: "m".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            "sources[0].model: must be unset",
        ),
        (
            "crawl without uri",
            source(kind(pb::SourceKind::WebCrawl)),
            "sources[0].uri: is required",
        ),
        (
            "external without uri",
            source(kind(pb::SourceKind::ExternalDataset)),
            "sources[0].uri: is required",
        ),
        (
            "long uri",
            source(pb::Source {
                kind: 3,
                uri: "u".repeat(2049),
                ..Default::default()
            }),
            "sources[0].uri: must be at most 2048",
        ),
        (
            "bad source digest",
            source(pb::Source {
                kind: 5,
                content_digest: "sha256:xyz".into(),
                ..Default::default()
            }),
            "sources[0].content_digest:",
        ),
        (
            "bad collect time",
            source(pb::Source {
                kind: 5,
                collect_time: Some(provenance_registry::proto::wkt::Timestamp {
                    seconds: 0,
                    nanos: -5,
                }),
                ..Default::default()
            }),
            "sources[0].collect_time:",
        ),
        (
            "second source bad",
            pb::RegisterDatasetRequest {
                sources: vec![parent_source(&parent.id), kind(pb::SourceKind::WebCrawl)],
                ..dataset("x")
            },
            "sources[1].uri",
        ),
    ];
    for (case, request, needle) in cases {
        let status = app
            .datasets()
            .register_dataset(authed(&app.admin, request))
            .await
            .expect_err(case);
        assert_invalid_field(&status, case, needle);
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_parent_that_does_not_exist_is_not_found_and_nothing_is_stored() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let missing = Uuid::now_v7().to_string();
    let status = assert_status(
        app.datasets()
            .register_dataset(authed(&app.admin, derived_from_ids("child", &[&missing])))
            .await,
        Code::NotFound,
        "sources[0].dataset_id",
    );
    assert!(status.message().contains(&missing));
    assert_eq!(app.snapshot().await, before);
}

pub fn derived_from_ids(name: &str, ids: &[&str]) -> pb::RegisterDatasetRequest {
    pb::RegisterDatasetRequest {
        sources: ids.iter().map(|id| parent_source(id)).collect(),
        ..dataset(name)
    }
}

#[tokio::test]
async fn get_refuses_a_malformed_id_and_does_not_find_an_unknown_one() {
    let app = spawn_app().await;
    assert_status(
        app.datasets()
            .get_dataset(authed(
                &app.admin,
                pb::GetDatasetRequest { id: "42".into() },
            ))
            .await,
        Code::InvalidArgument,
        "id:",
    );
    assert_status(
        app.datasets()
            .get_dataset(authed(
                &app.admin,
                pb::GetDatasetRequest {
                    id: Uuid::now_v7().to_string(),
                },
            ))
            .await,
        Code::NotFound,
        "not found",
    );
}

#[tokio::test]
async fn listing_pages_through_every_dataset_in_registration_order_and_filters_by_name() {
    let app = spawn_app().await;
    let mut registered = Vec::new();
    for i in 0..7 {
        registered.push(app.register(&app.admin, dataset(&format!("set-{i}"))).await);
    }
    let v2 = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                version: "2".into(),
                content_digest: digest("v2"),
                ..dataset("set-3")
            },
        )
        .await;
    registered.push(v2.clone());

    let client = app.datasets();
    let seen = all_pages(|page_token| {
        let mut client = client.clone();
        let request = pb::ListDatasetsRequest {
            page_size: 3,
            page_token,
            ..Default::default()
        };
        let admin = app.admin.clone();
        async move {
            let page = client
                .list_datasets(authed(&admin, request))
                .await
                .unwrap()
                .into_inner();
            assert!(page.datasets.len() <= 3);
            (page.datasets, page.next_page_token)
        }
    })
    .await;
    assert_eq!(seen, registered);

    let by_name = app
        .datasets()
        .list_datasets(authed(
            &app.admin,
            pb::ListDatasetsRequest {
                name: "set-3".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let versions: Vec<_> = by_name
        .datasets
        .iter()
        .map(|d| d.version.as_str())
        .collect();
    assert_eq!(versions, ["1", "2"]);
}

#[tokio::test]
async fn page_sizes_out_of_range_and_foreign_page_tokens_are_invalid() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.register(&app.admin, dataset(&Uuid::now_v7().to_string()))
            .await;
    }
    for size in [-1, 1001, i32::MAX] {
        let request = pb::ListDatasetsRequest {
            page_size: size,
            ..Default::default()
        };
        assert_status(
            app.datasets()
                .list_datasets(authed(&app.admin, request))
                .await,
            Code::InvalidArgument,
            "page_size",
        );
    }
    let first = app
        .datasets()
        .list_datasets(authed(
            &app.admin,
            pb::ListDatasetsRequest {
                page_size: 1,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    for (token, filter) in [
        ("garbage!".to_owned(), String::new()),
        (first.next_page_token.clone(), "another-name".to_owned()),
        (format!("{}x", first.next_page_token), String::new()),
    ] {
        let request = pb::ListDatasetsRequest {
            page_size: 1,
            page_token: token,
            name: filter,
            ..Default::default()
        };
        assert_status(
            app.datasets()
                .list_datasets(authed(&app.admin, request))
                .await,
            Code::InvalidArgument,
            "page_token",
        );
    }
    let events = app.events();
    let mut events = events;
    assert_status(
        events
            .list_events(authed(
                &app.admin,
                pb::ListEventsRequest {
                    page_token: first.next_page_token,
                    ..Default::default()
                },
            ))
            .await,
        Code::InvalidArgument,
        "page_token",
    );
}

#[tokio::test]
async fn an_oversized_request_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let huge = pb::RegisterDatasetRequest {
        description: "x".repeat(5 * 1024 * 1024),
        ..dataset("huge")
    };
    let status = app
        .datasets()
        .register_dataset(authed(&app.admin, huge))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn concurrent_registrations_are_all_stored_once() {
    let app = spawn_app().await;
    let registrar = app.token(pb::Role::Registrar).await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..200 {
        let mut client = app.datasets();
        let token = registrar.clone();
        // Every name twice: the repeat must come back as the same record.
        calls.spawn(async move {
            client
                .register_dataset(authed(&token, dataset(&format!("c-{}", i % 100))))
                .await
                .map(|r| r.into_inner())
        });
    }
    let mut ids = std::collections::HashMap::new();
    while let Some(answer) = calls.join_next().await {
        let answer = answer.unwrap().unwrap();
        let d = answer.dataset.unwrap();
        let previous = ids.insert(d.name.clone(), d.id.clone());
        assert!(previous.is_none_or(|p| p == d.id), "two ids for {}", d.name);
    }
    assert_eq!(ids.len(), 100);
    let stored = app.all_datasets(&registrar).await;
    assert_eq!(stored.len(), 100);
    let registered_events = app
        .all_events(&registrar)
        .await
        .into_iter()
        .filter(|e| e.r#type == "dataset.registered")
        .count();
    assert_eq!(registered_events, 100);
}

/// A registration whose `name` field holds bytes that are not UTF-8, as no generated client can
/// send it.
#[derive(Clone, PartialEq, prost::Message)]
struct RawRegistration {
    #[prost(bytes = "vec", tag = "1")]
    name: Vec<u8>,
}

/// A string field that is not UTF-8 is refused while the request is decoded, before any handler
/// runs: `INTERNAL`, as gRPC's status-code table prescribes for a request that does not parse,
/// with a message naming the message, the field and the reason; nothing is stored.
#[tokio::test]
async fn a_string_field_that_is_not_utf8_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let mut grpc = tonic::client::Grpc::new(app.channel.clone());
    grpc.ready().await.unwrap();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/provenance.v1.DatasetService/RegisterDataset",
    );
    let codec = tonic_prost::ProstCodec::<RawRegistration, pb::RegisterDatasetResponse>::default();
    let status = grpc
        .unary(
            authed(
                &app.admin,
                RawRegistration {
                    name: vec![b'a', 0xff, 0xfe, b'z'],
                },
            ),
            path,
            codec,
        )
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert!(
        status.message().contains("RegisterDatasetRequest.name")
            && status.message().contains("UTF-8"),
        "{status:?}"
    );
    assert_eq!(app.snapshot().await, before);
}
