//! `POST /api/v1/lineage` over plain HTTP, on every backend (the OpenLineage client's own tests are
//! in `tests/interop/test_openlineage.py`).

use provenance_registry::proto::v1 as pb;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::verify_page::{Answer, http};

const FACETS: &str = "https://registry.example/openlineage/facets/1-0-0/";

pub async fn emit(app: &TestApp, token: &str, event: &Value) -> Answer {
    let body = event.to_string();
    http(
        app,
        "POST",
        "/api/v1/lineage",
        &[
            "Content-Type: application/json".into(),
            format!("Authorization: Bearer {token}"),
            format!("Content-Length: {}", body.len()),
        ],
        body.as_bytes(),
    )
    .await
}

pub fn facet(schema: &str, fields: Value) -> Value {
    let mut facet = json!({
        "_producer": "https://example.org/tests",
        "_schemaURL": format!("{FACETS}{schema}.json#/$defs/{schema}"),
    });
    if let (Some(facet), Some(fields)) = (facet.as_object_mut(), fields.as_object()) {
        facet.extend(fields.clone());
    }
    facet
}

fn output(name: &str) -> Value {
    json!({
        "namespace": "s3://lake",
        "name": name,
        "facets": {"provenance_digest": facet("ProvenanceDigestDatasetFacet", json!({"digest": digest(name)}))},
    })
}

pub fn complete(job: &str, inputs: Value, outputs: Value) -> Value {
    json!({
        "eventType": "COMPLETE",
        "eventTime": "2026-12-05T10:00:00.000Z",
        "producer": "https://example.org/tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": uuid::Uuid::now_v7().to_string()},
        "job": {"namespace": "pipelines", "name": job},
        "inputs": inputs,
        "outputs": outputs,
    })
}

async fn named(app: &TestApp, name: &str) -> Vec<pb::Dataset> {
    app.datasets()
        .list_datasets(authed(
            &app.admin,
            pb::ListDatasetsRequest {
                name: name.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .datasets
}

#[tokio::test]
async fn a_run_that_read_model_output_registers_a_contaminated_dataset_once() {
    let app = spawn_app().await;
    let r1 = json!({
        "namespace": "s3://vendor",
        "name": "r1-answers",
        "facets": {"provenance_modelGenerated": facet(
            "ProvenanceModelGeneratedDatasetFacet",
            json!({"modelId": "deepseek-ai/DeepSeek-R1"}),
        )},
    });
    let synthetic = complete("filter", json!([r1]), json!([output("synthetic")]));
    let answer = emit(&app, &app.admin, &synthetic).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let mix = complete(
        "mix",
        json!([{"namespace": "s3://lake", "name": "synthetic"}, {"namespace": "https://crawl.example", "name": "dump"}]),
        json!([output("train")]),
    );
    let answer = emit(&app, &app.admin, &mix).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["registered"][0]["alreadyExisted"], false);

    let synthetic_dataset = named(&app, "s3://lake/synthetic").await.remove(0);
    let train = named(&app, "s3://lake/train").await;
    assert_eq!(train.len(), 1);
    let train = &train[0];
    assert_eq!(train.id, body["registered"][0]["datasetId"]);
    assert_eq!(train.sources[0].dataset_id, synthetic_dataset.id);
    assert_eq!(train.sources[1].uri, "https://crawl.example/dump");
    let evaluation = app.evaluate(&app.admin, train, "").await;
    assert_eq!(evaluation.verdict, pb::Verdict::Contaminated as i32);

    // The same event again: the same answer, nothing written.
    let before = app.snapshot().await;
    let again = emit(&app, &app.admin, &mix).await;
    assert_eq!(again.status, 200, "{}", again.body);
    let again: Value = serde_json::from_str(&again.body).unwrap();
    assert_eq!(again["registered"][0]["alreadyExisted"], true);
    assert_eq!(again["registered"][0]["datasetId"], train.id.as_str());
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_refused_event_stores_nothing_and_names_the_output() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let missing_digest = complete(
        "job",
        json!([]),
        json!([output("fine"), {"namespace": "s3://lake", "name": "bare"}]),
    );
    let answer = emit(&app, &app.admin, &missing_digest).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        body["details"][0]["fieldViolations"][0]["field"],
        "outputs[1].facets.provenance_digest"
    );
    let auditor = app.token(pb::Role::Auditor).await;
    let before_auditor = app.snapshot().await;
    let refused = emit(
        &app,
        &auditor,
        &complete("job", json!([]), json!([output("x")])),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(app.snapshot().await, before_auditor);
    assert!(before.0.is_empty() && named(&app, "s3://lake/fine").await.is_empty());
}

#[tokio::test]
async fn a_chain_sent_backwards_converges_in_linked_versions() {
    let app = spawn_app().await;
    let read = |name: &str| json!([{"namespace": "s3://lake", "name": name}]);
    let a = complete("a", json!([]), json!([output("a")]));
    let b = complete("b", read("a"), json!([output("b")]));
    let c = complete("c", read("b"), json!([output("c")]));
    for event in [&c, &b] {
        let answer = emit(&app, &app.admin, event).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let answer = emit(&app, &app.admin, &a).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    let linked: Vec<&str> = body["linked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(linked, ["s3://lake/b", "s3://lake/c"]);

    let newest = |versions: Vec<pb::Dataset>| versions.into_iter().last().unwrap();
    let (a, b, c) = (
        newest(named(&app, "s3://lake/a").await),
        newest(named(&app, "s3://lake/b").await),
        newest(named(&app, "s3://lake/c").await),
    );
    assert_eq!(b.sources[0].dataset_id, a.id);
    assert_eq!(c.sources[0].dataset_id, b.id);
    assert!(c.version.ends_with("+linked.2"), "{}", c.version);
    assert_eq!(named(&app, "s3://lake/c").await.len(), 3);

    // A new run of `a` links nothing: `b` names the version it read by id.
    let before = app.snapshot().await;
    let again = emit(
        &app,
        &app.admin,
        &complete("a", json!([]), json!([output("a")])),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    let after = app.snapshot().await;
    assert_eq!(
        after.0.len(),
        before.0.len() + 1,
        "only the new run's output"
    );
}
