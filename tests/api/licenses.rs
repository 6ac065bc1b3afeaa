//! Licences as SPDX licence expressions: one rule for every registration path (RegisterDataset,
//! RegisterDatasets, OpenLineage ingestion), the normalised form stored and shown, values stored
//! before the rule flagged as unparsed.

use provenance_registry::proto::v1 as pb;
use serde_json::{Value, json};
use tonic::Code;

use crate::helpers::*;
use crate::openlineage::{complete, emit, facet};

fn with_license(name: &str, license: &str, source_license: &str) -> pb::RegisterDatasetRequest {
    pb::RegisterDatasetRequest {
        license: license.into(),
        sources: vec![pb::Source {
            kind: pb::SourceKind::WebCrawl as i32,
            uri: "https://crawl.example/dump".into(),
            license: source_license.into(),
            ..Default::default()
        }],
        ..dataset(name)
    }
}

async fn get(app: &TestApp, id: &str) -> pb::Dataset {
    app.datasets()
        .get_dataset(authed(&app.admin, pb::GetDatasetRequest { id: id.into() }))
        .await
        .expect("readable")
        .into_inner()
}

#[tokio::test]
async fn licences_are_stored_and_shown_in_normalised_form() {
    let app = spawn_app().await;
    let registered = app
        .register(
            &app.admin,
            with_license(
                "normalised",
                "apache-2.0  or (mit and cc-by-4.0)",
                "gpl-2.0-or-later with classpath-exception-2.0",
            ),
        )
        .await;
    let read = get(&app, &registered.id).await;
    assert_eq!(read.license, "Apache-2.0 OR (MIT AND CC-BY-4.0)");
    assert!(!read.license_unparsed);
    assert_eq!(
        read.sources[0].license,
        "GPL-2.0-or-later WITH Classpath-exception-2.0"
    );
    assert!(!read.sources[0].license_unparsed);
    assert_eq!(registered.license, read.license);

    // A licence not on the list, by reference; and none at all.
    let referenced = app
        .register(
            &app.admin,
            with_license("referenced", "LicenseRef-Vendor-EULA", ""),
        )
        .await;
    assert_eq!(
        get(&app, &referenced.id).await.license,
        "LicenseRef-Vendor-EULA"
    );
    let none = app.register(&app.admin, dataset("unlicensed")).await;
    let none = get(&app, &none.id).await;
    assert_eq!((none.license.as_str(), none.license_unparsed), ("", false));
}

#[tokio::test]
async fn unknown_identifiers_and_bad_expressions_are_refused_naming_the_field_and_nothing_is_stored()
 {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    for (case, request, field, needle) in [
        (
            "unknown dataset licence",
            with_license("refused", "MIT OR Frobnicate-1.0", ""),
            "license",
            "Frobnicate-1.0",
        ),
        (
            "free text",
            with_license("refused", "Creative Commons, see website", ""),
            "license",
            "Creative",
        ),
        (
            "dangling operator",
            with_license("refused", "MIT OR", ""),
            "license",
            "SPDX licence expression",
        ),
        (
            "unbalanced parenthesis",
            with_license("refused", "(MIT OR Apache-2.0", ""),
            "license",
            "SPDX licence expression",
        ),
        (
            "unknown source licence",
            with_license("refused", "MIT", "CC-BY-5.0"),
            "sources[0].license",
            "CC-BY-5.0",
        ),
        (
            "unknown exception",
            with_license("refused", "GPL-2.0-only WITH Nothing-exception", ""),
            "license",
            "Nothing-exception",
        ),
    ] {
        let status = app
            .datasets()
            .register_dataset(authed(&app.admin, request.clone()))
            .await
            .expect_err(case);
        assert_invalid_field(&status, case, field);
        assert!(
            status.message().contains(needle),
            "{case}: {}",
            status.message()
        );

        // The batch call applies the same rule, naming the item.
        let status = app
            .datasets()
            .register_datasets(authed(
                &app.admin,
                pb::RegisterDatasetsRequest {
                    registrations: vec![
                        pb::BatchRegistration {
                            r#ref: String::new(),
                            dataset: Some(dataset("batch-fine")),
                        },
                        pb::BatchRegistration {
                            r#ref: String::new(),
                            dataset: Some(request),
                        },
                    ],
                },
            ))
            .await
            .expect_err(case);
        assert_eq!(status.code(), Code::InvalidArgument, "{case}");
        assert!(
            status
                .message()
                .contains(&format!("registrations[1].dataset.{field}")),
            "{case}: {}",
            status.message()
        );
        assert!(
            status.message().contains(needle),
            "{case}: {}",
            status.message()
        );
    }
    assert_eq!(app.snapshot().await, before, "nothing stored or logged");
}

#[tokio::test]
async fn openlineage_ingestion_applies_the_same_licence_rule() {
    let app = spawn_app().await;
    let output = |name: &str, license: &str| {
        json!({
            "namespace": "s3://lake",
            "name": name,
            "facets": {"provenance_digest": facet(
                "ProvenanceDigestDatasetFacet",
                json!({"digest": digest(name), "license": license}),
            )},
        })
    };
    let before = app.snapshot().await;
    let refused = emit(
        &app,
        &app.admin,
        &complete(
            "job",
            json!([]),
            json!([output("bad", "MIT AND Nonsense-2")]),
        ),
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("license"), "{}", refused.body);
    assert!(refused.body.contains("Nonsense-2"), "{}", refused.body);
    assert_eq!(app.snapshot().await, before, "nothing stored or logged");

    let accepted = emit(
        &app,
        &app.admin,
        &complete(
            "job",
            json!([]),
            json!([output("good", "mit or apache-2.0")]),
        ),
    )
    .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let body: Value = serde_json::from_str(&accepted.body).unwrap();
    let id = body["registered"][0]["datasetId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(get(&app, &id).await.license, "MIT OR Apache-2.0");
}

#[tokio::test]
async fn licences_stored_before_the_rule_stay_readable_and_are_flagged_unparsed() {
    let app = spawn_app().await;
    let model = app
        .register(&app.admin, with_license("model-row", "MIT", "MIT"))
        .await;
    // Rows as an older registry stored them, free text and all, written straight into its
    // database (SQLite or PostgreSQL, whichever the suite runs on).
    let legacy = uuid::Uuid::now_v7();
    let model_id = uuid::Uuid::parse_str(&model.id).unwrap();
    let statements = [
        "INSERT INTO datasets (id, organization_id, name, version, content_digest, size_bytes, \
         description, license, visibility, create_time, creator_token_id, creator_subject) \
         SELECT $1, organization_id, 'legacy', version, content_digest, size_bytes, description, \
         'Creative Commons, see website', visibility, create_time, creator_token_id, \
         creator_subject FROM datasets WHERE id = $2",
        "INSERT INTO dataset_sources (dataset_id, position, kind, uri, license) \
         SELECT $1, position, kind, uri, 'mit' FROM dataset_sources WHERE dataset_id = $2",
    ];
    match &app.database {
        Some(database) => {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(database.url.as_str())
                .await
                .unwrap();
            for statement in statements {
                sqlx::query(statement)
                    .bind(legacy)
                    .bind(model_id)
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
        None => {
            let url = format!("sqlite://{}", app.dir.path().join("registry.db").display());
            let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
                .await
                .unwrap();
            for statement in statements {
                sqlx::query(statement)
                    .bind(legacy.to_string())
                    .bind(model_id.to_string())
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
    }
    let legacy = legacy.to_string();

    let read = get(&app, &legacy).await;
    assert_eq!(read.license, "Creative Commons, see website");
    assert!(read.license_unparsed);
    // Shown as stored (the lineage digest covers it as stored), and flagged.
    assert_eq!(read.sources[0].license, "mit");
    assert!(read.sources[0].license_unparsed);
    let fresh = get(&app, &model.id).await;
    assert!(!fresh.license_unparsed && !fresh.sources[0].license_unparsed);
}
