//! Lineage exports (`ExportLineage`): SPDX 3, CycloneDX and PROV documents of a walk, under the
//! visibility rules of `GetLineage`. The documents' conformance to their standards is checked by
//! the standards' own libraries in `tests/interop/test_exports.py`.

use provenance_registry::proto::v1 as pb;
use serde_json::Value;
use tonic::Code;

use crate::helpers::*;

const FORMATS: [(pb::LineageExportFormat, &str); 3] = [
    (
        pb::LineageExportFormat::Spdx3,
        "application/spdx3+json; version=3.0.1",
    ),
    (
        pb::LineageExportFormat::Cyclonedx,
        "application/vnd.cyclonedx+json; version=1.6",
    ),
    (pb::LineageExportFormat::Prov, "application/json"),
];

fn export_request(
    root: &str,
    direction: pb::LineageDirection,
    format: pb::LineageExportFormat,
) -> pb::ExportLineageRequest {
    pb::ExportLineageRequest {
        dataset_id: root.into(),
        direction: direction as i32,
        max_depth: 0,
        format: format as i32,
    }
}

async fn export(
    app: &TestApp,
    token: &str,
    request: pb::ExportLineageRequest,
) -> Result<pb::ExportLineageResponse, tonic::Status> {
    app.lineage()
        .export_lineage(authed(token, request))
        .await
        .map(|r| r.into_inner())
}

fn model_source(model_id: &str) -> pb::Source {
    pb::Source {
        kind: pb::SourceKind::ModelGenerated as i32,
        model: Some(pb::ModelRef {
            model_id: model_id.into(),
            version: "2024-06".into(),
            provider: "example-provider".into(),
        }),
        ..Default::default()
    }
}

fn crawl_source(uri: &str) -> pb::Source {
    pb::Source {
        kind: pb::SourceKind::WebCrawl as i32,
        uri: uri.into(),
        license: "CC-BY-4.0".into(),
        ..Default::default()
    }
}

fn hex_of(dataset: &pb::Dataset) -> String {
    dataset
        .content_digest
        .trim_start_matches("sha256:")
        .to_owned()
}

#[tokio::test]
async fn each_format_carries_the_walk_with_digests_licences_and_models_and_is_deterministic() {
    let app = spawn_app().await;
    let raw = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                license: "CC-BY-SA-4.0".into(),
                sources: vec![crawl_source("https://crawl.example/2024")],
                ..dataset("raw-web")
            },
        )
        .await;
    let mut request = derived("distilled", &[&raw]);
    request.sources.push(model_source("example/teacher-7b"));
    request.license = "Apache-2.0".into();
    let child = app.register(&app.admin, request).await;

    for (format, media_type) in FORMATS {
        let first = export(
            &app,
            &app.admin,
            export_request(&child.id, pb::LineageDirection::Upstream, format),
        )
        .await
        .unwrap();
        assert_eq!(first.media_type, media_type);
        let text = String::from_utf8(first.content.clone()).expect("UTF-8");
        let _: Value = serde_json::from_str(&text).expect("JSON");
        for needle in [
            "raw-web",
            "distilled",
            "example/teacher-7b",
            "https://crawl.example/2024",
            "Apache-2.0",
            "CC-BY-SA-4.0",
        ] {
            assert!(text.contains(needle), "{format:?} lacks {needle}");
        }
        assert!(text.contains(&hex_of(&raw)) && text.contains(&hex_of(&child)));
        let again = export(
            &app,
            &app.admin,
            export_request(&child.id, pb::LineageDirection::Upstream, format),
        )
        .await
        .unwrap();
        assert_eq!(
            first.content, again.content,
            "{format:?}: same state, same bytes"
        );
    }
}

#[tokio::test]
async fn the_spdx_export_links_derivations_and_models_by_relationships() {
    let app = spawn_app().await;
    let raw = app.register(&app.admin, dataset("raw")).await;
    let mut request = derived("child", &[&raw]);
    request.sources.push(model_source("example/teacher"));
    let child = app.register(&app.admin, request).await;
    let answer = export(
        &app,
        &app.admin,
        export_request(
            &child.id,
            pb::LineageDirection::Upstream,
            pb::LineageExportFormat::Spdx3,
        ),
    )
    .await
    .unwrap();
    let doc: Value = serde_json::from_slice(&answer.content).unwrap();
    let graph = doc["@graph"].as_array().unwrap();
    let iri = |d: &pb::Dataset| format!("urn:provenance-registry:dataset:{}", d.id);
    let child_package = graph
        .iter()
        .find(|e| e["spdxId"] == iri(&child))
        .expect("the child's package");
    assert_eq!(child_package["type"], "dataset_DatasetPackage");
    assert_eq!(
        child_package["verifiedUsing"][0]["hashValue"],
        hex_of(&child)
    );
    assert!(graph.iter().any(|e| {
        e["type"] == "Relationship"
            && e["relationshipType"] == "descendantOf"
            && e["from"] == iri(&child)
            && e["to"]
                .as_array()
                .unwrap()
                .contains(&Value::from(iri(&raw)))
    }));
    let model = graph
        .iter()
        .find(|e| e["type"] == "ai_AIPackage")
        .expect("the model");
    assert!(graph.iter().any(|e| e["relationshipType"] == "generates"
        && e["from"] == model["spdxId"]
        && e["to"][0] == iri(&child)));
}

/// Org B: a private dataset with a secret name, digest and crawl URI, and a public one made from
/// it; org A (the caller) makes a dataset from the public one; org B also makes a private dataset
/// from the public one. Nothing of B's private datasets may reach A's exports, up or down.
#[tokio::test]
async fn another_organisations_private_datasets_are_counted_never_shown_in_any_export() {
    let app = spawn_app().await;
    let (_, other) = app.other_org("Other Org").await;
    let secret = app
        .register(
            &other,
            pb::RegisterDatasetRequest {
                description: "secret-description".into(),
                sources: vec![crawl_source("https://secret.example/crawl")],
                ..dataset("secret-parent")
            },
        )
        .await;
    let public = app
        .register(
            &other,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..derived("public-middle", &[&secret])
            },
        )
        .await;
    let secret_child = app
        .register(&other, derived("secret-child", &[&public]))
        .await;
    let mine = app.register(&app.admin, derived("mine", &[&public])).await;

    let walks = [
        (&mine.id, pb::LineageDirection::Upstream),
        (&public.id, pb::LineageDirection::Downstream),
    ];
    for (root, direction) in walks {
        for (format, _) in FORMATS {
            let answer = export(&app, &app.admin, export_request(root, direction, format))
                .await
                .unwrap();
            let text = String::from_utf8(answer.content).unwrap();
            for hidden in [&secret, &secret_child] {
                for leak in [&hidden.name, &hidden.id, &hex_of(hidden)] {
                    assert!(
                        !text.contains(leak.as_str()),
                        "{format:?} {direction:?} leaks {leak}"
                    );
                }
            }
            for leak in ["secret-description", "https://secret.example/crawl"] {
                assert!(
                    !text.contains(leak),
                    "{format:?} {direction:?} leaks {leak}"
                );
            }
            assert!(text.contains("public-middle") && text.contains("mine"));
            assert!(
                text.contains("1 dataset not visible to you"),
                "{format:?} {direction:?} shows the hidden dataset as a counted node"
            );
        }
    }

    // The owner sees its own private datasets in full.
    let answer = export(
        &app,
        &other,
        export_request(
            &public.id,
            pb::LineageDirection::Downstream,
            pb::LineageExportFormat::Prov,
        ),
    )
    .await
    .unwrap();
    let text = String::from_utf8(answer.content).unwrap();
    assert!(text.contains("secret-child") && text.contains(&secret_child.id));
    // ...and A's private dataset, made from B's public one, is hidden from B in turn.
    assert!(!text.contains(&mine.id) && !text.contains(&hex_of(&mine)));
    assert!(text.contains("1 dataset not visible to you"));
}

#[tokio::test]
async fn bad_export_requests_name_the_field_and_unseen_datasets_are_not_found() {
    let app = spawn_app().await;
    let (_, other) = app.other_org("Other Org").await;
    let theirs = app.register(&other, dataset("theirs")).await;
    let mine = app.register(&app.admin, dataset("mine")).await;
    let good = || {
        export_request(
            &mine.id,
            pb::LineageDirection::Upstream,
            pb::LineageExportFormat::Spdx3,
        )
    };
    let cases = [
        (
            "no format",
            pb::ExportLineageRequest {
                format: 0,
                ..good()
            },
            "format",
        ),
        (
            "an unknown format",
            pb::ExportLineageRequest {
                format: 99,
                ..good()
            },
            "format",
        ),
        (
            "a malformed id",
            pb::ExportLineageRequest {
                dataset_id: "nope".into(),
                ..good()
            },
            "dataset_id",
        ),
        (
            "a negative depth",
            pb::ExportLineageRequest {
                max_depth: -1,
                ..good()
            },
            "max_depth",
        ),
        (
            "an unknown direction",
            pb::ExportLineageRequest {
                direction: 7,
                ..good()
            },
            "direction",
        ),
    ];
    for (case, request, field) in cases {
        let status = export(&app, &app.admin, request).await.unwrap_err();
        assert_invalid_field(&status, case, field);
    }
    let unseen = pb::ExportLineageRequest {
        dataset_id: theirs.id.clone(),
        ..good()
    };
    assert_status(export(&app, &app.admin, unseen).await, Code::NotFound, "");
    let missing = pb::ExportLineageRequest {
        dataset_id: uuid::Uuid::now_v7().to_string(),
        ..good()
    };
    assert_status(export(&app, &app.admin, missing).await, Code::NotFound, "");
    assert_status(
        app.lineage().export_lineage(good()).await,
        Code::Unauthenticated,
        "",
    );
}

#[tokio::test]
async fn an_export_over_the_bound_is_refused_whole_and_a_shallower_one_fits() {
    let app = spawn_app().await;
    // 5000 leaves, 5 datasets of 1000 leaves each, and one made from those 5: 5006 in the walk.
    let mut middles = Vec::new();
    for m in 0..5 {
        let registrations: Vec<pb::BatchRegistration> = (0..1000)
            .map(|i| pb::BatchRegistration {
                r#ref: format!("leaf-{i}"),
                dataset: Some(dataset(&format!("leaf-{m}-{i}"))),
            })
            .collect();
        let leaves: Vec<pb::Dataset> = app
            .datasets()
            .register_datasets(authed(
                &app.admin,
                pb::RegisterDatasetsRequest { registrations },
            ))
            .await
            .unwrap()
            .into_inner()
            .results
            .into_iter()
            .filter_map(|r| r.dataset)
            .collect();
        assert_eq!(leaves.len(), 1000);
        let middle = derived(&format!("middle-{m}"), &leaves.iter().collect::<Vec<_>>());
        middles.push(app.register(&app.admin, middle).await);
    }
    let top = app
        .register(
            &app.admin,
            derived("top", &middles.iter().collect::<Vec<_>>()),
        )
        .await;
    let status = export(
        &app,
        &app.admin,
        export_request(
            &top.id,
            pb::LineageDirection::Upstream,
            pb::LineageExportFormat::Cyclonedx,
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("5000"), "{}", status.message());

    let shallow = export(
        &app,
        &app.admin,
        pb::ExportLineageRequest {
            max_depth: 1,
            ..export_request(
                &top.id,
                pb::LineageDirection::Upstream,
                pb::LineageExportFormat::Cyclonedx,
            )
        },
    )
    .await
    .unwrap();
    let bom: Value = serde_json::from_slice(&shallow.content).unwrap();
    assert_eq!(bom["components"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn the_http_gateway_serves_the_same_export_as_grpc() {
    use base64::Engine;
    let app = spawn_app().await;
    let raw = app.register(&app.admin, dataset("raw")).await;
    let child = app.register(&app.admin, derived("child", &[&raw])).await;
    let grpc = export(
        &app,
        &app.admin,
        export_request(
            &child.id,
            pb::LineageDirection::Upstream,
            pb::LineageExportFormat::Cyclonedx,
        ),
    )
    .await
    .unwrap();
    let path = format!(
        "/v1/datasets/{}/lineage:export?format=LINEAGE_EXPORT_FORMAT_CYCLONEDX",
        child.id
    );
    let headers = [format!("Authorization: Bearer {}", app.admin)];
    let answer = crate::verify_page::http(&app, "GET", &path, &headers, b"").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["mediaType"], grpc.media_type);
    let content = base64::engine::general_purpose::STANDARD
        .decode(body["content"].as_str().unwrap())
        .unwrap();
    assert_eq!(content, grpc.content);

    let refused = crate::verify_page::http(
        &app,
        "GET",
        &format!("/v1/datasets/{}/lineage:export", child.id),
        &headers,
        b"",
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("format"), "{}", refused.body);
}
