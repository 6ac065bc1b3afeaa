//! The API over HTTP/JSON (`src/gateway`): the same answers as gRPC, `google.rpc.Status` errors with
//! the standard HTTP statuses, NDJSON streams, and the OpenAPI document.

use provenance_registry::proto::v1 as pb;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;
use crate::policies::{POLICY, generated_by};
use crate::verify_page::{Answer, certified, http};

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Answer {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut headers = vec![format!("Content-Length: {}", body.len())];
    if !body.is_empty() {
        headers.push("Content-Type: application/json".into());
    }
    if let Some(token) = token {
        headers.push(format!("Authorization: Bearer {token}"));
    }
    http(app, method, path, &headers, body.as_bytes()).await
}

/// The canonical JSON of a message as the API crate prints it (pbjson), for requests.
fn canonical<T: serde::Serialize>(message: &T) -> Value {
    serde_json::to_value(message).unwrap()
}

/// An HTTP answer read as the message it must be (pbjson, which refuses unknown fields), for a
/// field-by-field comparison with the gRPC answer.
fn decoded<T: serde::de::DeserializeOwned>(json: &Value) -> T {
    serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{e}: {json}"))
}

#[track_caller]
fn assert_status(answer: &Answer, http_status: u16, code: i64, needle: &str) -> Value {
    assert_eq!(answer.status, http_status, "{}", answer.body);
    assert!(
        answer.head.contains("content-type: application/json"),
        "{}",
        answer.head
    );
    let body = answer.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains(needle),
        "{body} lacks {needle:?}"
    );
    body
}

#[tokio::test]
async fn a_walkthrough_over_http_answers_what_grpc_answers() {
    let app = spawn_app().await;
    let raw = call(
        &app,
        "POST",
        "/v1/datasets",
        Some(&app.admin),
        Some(&json!({"name": "raw", "version": "1", "contentDigest": digest("raw")})),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let raw: pb::RegisterDatasetResponse = serde_json::from_str(&raw.body).unwrap();
    let raw = raw.dataset.unwrap();
    // Proto field names are accepted as well as JSON names, as the mapping requires.
    let mix = call(
        &app,
        "POST",
        "/v1/datasets",
        Some(&app.admin),
        Some(
            &json!({"name": "mix", "version": "1", "content_digest": digest("mix"),
            "sources": [{"kind": "SOURCE_KIND_DATASET", "datasetId": raw.id}]}),
        ),
    )
    .await;
    let mix: pb::RegisterDatasetResponse = serde_json::from_str(&mix.body).unwrap();
    let mix = mix.dataset.unwrap();

    let over_http = call(
        &app,
        "GET",
        &format!("/v1/datasets/{}", mix.id),
        Some(&app.admin),
        None,
    )
    .await;
    let over_grpc = app
        .datasets()
        .get_dataset(authed(
            &app.admin,
            pb::GetDatasetRequest { id: mix.id.clone() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decoded::<pb::Dataset>(&over_http.json()), over_grpc);
    over_http.assert_secure_headers();

    // Query parameters fill the fields the path does not bind.
    let listed = call(
        &app,
        "GET",
        "/v1/datasets?name=mix&pageSize=5",
        Some(&app.admin),
        None,
    )
    .await;
    let listed: pb::ListDatasetsResponse = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(listed.datasets, vec![over_grpc.clone()]);
    let lineage = call(
        &app,
        "GET",
        &format!(
            "/v1/datasets/{}/lineage?direction=LINEAGE_DIRECTION_UPSTREAM&max_depth=3",
            mix.id
        ),
        Some(&app.admin),
        None,
    )
    .await;
    let grpc_lineage = app
        .lineage()
        .get_lineage(authed(
            &app.admin,
            pb::GetLineageRequest {
                dataset_id: mix.id.clone(),
                direction: pb::LineageDirection::Upstream as i32,
                max_depth: 3,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        decoded::<pb::GetLineageResponse>(&lineage.json()),
        grpc_lineage
    );

    // A custom method with a body; the path's id wins over one in the body.
    let evaluation = call(
        &app,
        "POST",
        &format!("/v1/datasets/{}:evaluate", mix.id),
        Some(&app.admin),
        Some(&json!({"policyId": POLICY, "datasetId": raw.id})),
    )
    .await;
    let evaluation = evaluation.json();
    assert_eq!(evaluation["datasetId"], mix.id.as_str());
    assert_eq!(evaluation["verdict"], "VERDICT_INCOMPLETE");

    // The server stream as NDJSON, one node a line, the same nodes as GetLineage.
    let stream = call(
        &app,
        "GET",
        &format!(
            "/v1/datasets/{}/lineage:stream?direction=LINEAGE_DIRECTION_UPSTREAM",
            mix.id
        ),
        Some(&app.admin),
        None,
    )
    .await;
    assert!(
        stream.head.contains("content-type: application/x-ndjson"),
        "{}",
        stream.head
    );
    let lines: Vec<Value> = stream
        .body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), grpc_lineage.nodes.len());
    for (line, node) in lines.iter().zip(&grpc_lineage.nodes) {
        assert_eq!(&decoded::<pb::LineageNode>(line), node);
    }

    // Without a token where none is needed.
    let keys = call(&app, "GET", "/v1/signingKeys", None, None).await;
    assert_eq!(keys.status, 200, "{}", keys.body);
    assert!(
        keys.json()["keys"]
            .as_array()
            .is_some_and(|k| !k.is_empty())
    );
}

#[tokio::test]
async fn certificate_verification_over_http_answers_what_grpc_answers() {
    let app = spawn_app().await;
    let (mix, certificate) = certified(&app).await;
    let answer = call(
        &app,
        "POST",
        "/v1/certificates:verify",
        None,
        Some(&json!({"token": certificate.token})),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.assert_secure_headers();
    let grpc = app
        .certificates()
        .verify_certificate(pb::VerifyCertificateRequest {
            token: certificate.token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let body = answer.json();
    assert_eq!(decoded::<pb::VerifyCertificateResponse>(&body), grpc);
    assert_eq!(body["valid"], true);
    let claims: Value = serde_json::from_str(body["claimsJson"].as_str().unwrap()).unwrap();
    assert_eq!(claims["dataset"]["id"], mix.id.as_str());

    let (buyer, _) = app.other_org("Buyer").await;
    let other = call(
        &app,
        "POST",
        "/v1/certificates:verify",
        None,
        Some(&json!({"token": certificate.token, "audience_organization_id": buyer, "asOf": "2001-01-01T00:00:00Z"})),
    )
    .await
    .json();
    assert_eq!(other["valid"], false, "written out although a default");
    let failed: Vec<&str> = other["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        failed.contains(&"audience") && failed.contains(&"validity"),
        "{failed:?}"
    );
}

#[tokio::test]
async fn errors_are_google_rpc_status_with_the_standard_http_status_and_details() {
    let app = spawn_app().await;
    let poisoned = app
        .register(
            &app.admin,
            generated_by("r1-traces", "deepseek-ai/DeepSeek-R1"),
        )
        .await;
    let before = app.snapshot().await;

    let missing = call(
        &app,
        "GET",
        &format!("/v1/datasets/{}", uuid::Uuid::now_v7()),
        Some(&app.admin),
        None,
    )
    .await;
    assert_status(&missing, 404, 5, "not found");

    let bad_id = call(&app, "GET", "/v1/datasets/acme", Some(&app.admin), None).await;
    let body = assert_status(&bad_id, 400, 3, "id: must be a UUID");
    assert_eq!(
        body["details"][0]["@type"],
        "type.googleapis.com/google.rpc.BadRequest"
    );
    assert_eq!(body["details"][0]["fieldViolations"][0]["field"], "id");

    let anonymous = call(&app, "GET", "/v1/datasets", None, None).await;
    assert_status(&anonymous, 401, 16, "missing access token");
    assert!(
        anonymous.head.contains("www-authenticate: bearer"),
        "{}",
        anonymous.head
    );

    let auditor = app.token(pb::Role::Auditor).await;
    let before_auditor = app.snapshot().await;
    let denied = call(
        &app,
        "POST",
        "/v1/datasets",
        Some(&auditor),
        Some(&json!({"name": "x", "version": "1", "contentDigest": digest("x")})),
    )
    .await;
    assert_status(&denied, 403, 7, "");
    assert_eq!(app.snapshot().await, before_auditor);

    let attest = call(
        &app,
        "POST",
        "/v1/attestations",
        Some(&app.admin),
        Some(&canonical(&crate::policies::attestation_request(&poisoned))),
    )
    .await;
    let body = assert_status(&attest, 400, 9, "");
    assert_eq!(
        body["details"][0]["@type"],
        "type.googleapis.com/google.rpc.PreconditionFailure"
    );
    assert!(
        body["details"][0]["violations"][0]["subject"]
            .as_str()
            .is_some()
    );

    let register = |body: &'static str| {
        let app = &app;
        async move {
            http(
                app,
                "POST",
                "/v1/datasets",
                &[
                    "Content-Type: application/json".into(),
                    format!("Content-Length: {}", body.len()),
                    format!("Authorization: Bearer {}", app.admin),
                ],
                body.as_bytes(),
            )
            .await
        }
    };
    assert_status(&register("{\"name\": ").await, 400, 3, "not valid JSON");
    let unknown = assert_status(
        &register("{\"name\": \"x\", \"nmae\": 1}").await,
        400,
        3,
        "nmae",
    );
    assert_eq!(unknown["details"][0]["fieldViolations"][0]["field"], "nmae");
    assert_status(&register("{\"name\": 7}").await, 400, 3, "name");
    assert_status(&register("[1]").await, 400, 3, "must be a JSON object");
    assert_status(
        &register("{\"name\": \"x\", \"version\": \"1\"}").await,
        400,
        3,
        "content_digest",
    );

    let text = http(
        &app,
        "POST",
        "/v1/datasets",
        &[
            "Content-Type: text/plain".into(),
            "Content-Length: 2".into(),
            format!("Authorization: Bearer {}", app.admin),
        ],
        b"{}",
    )
    .await;
    assert_status(&text, 415, 3, "application/json");

    let huge = format!("{{\"name\": \"{}\"}}", "a".repeat(4 * 1024 * 1024));
    let too_large = http(
        &app,
        "POST",
        "/v1/datasets",
        &[
            "Content-Type: application/json".into(),
            format!("Content-Length: {}", huge.len()),
            format!("Authorization: Bearer {}", app.admin),
        ],
        huge.as_bytes(),
    )
    .await;
    assert_status(&too_large, 413, 8, "larger than");

    let unknown_query = call(
        &app,
        "GET",
        "/v1/datasets?colour=red",
        Some(&app.admin),
        None,
    )
    .await;
    let body = assert_status(&unknown_query, 400, 3, "colour");
    assert_eq!(body["details"][0]["fieldViolations"][0]["field"], "colour");

    let nowhere = call(&app, "GET", "/v1/nothing/here", Some(&app.admin), None).await;
    assert_status(&nowhere, 404, 5, "nothing is served at /v1/nothing/here");
    let wrong_method = call(&app, "DELETE", "/v1/datasets", Some(&app.admin), None).await;
    assert_status(&wrong_method, 405, 12, "does not take DELETE");
    assert!(
        wrong_method.head.contains("allow: get, post"),
        "{}",
        wrong_method.head
    );

    assert_eq!(
        app.snapshot().await.0,
        before.0,
        "no dataset stored by a refused call"
    );
}

#[tokio::test]
async fn watch_events_streams_ndjson_as_events_happen() {
    let app = spawn_app().await;
    app.register(&app.admin, dataset("first")).await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "GET /v1/events:watch?afterSequence=0 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\r\n",
        app.admin
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut seen = String::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut registered_second = false;
    while tokio::time::Instant::now() < deadline {
        let read = tokio::time::timeout(
            std::time::Duration::from_millis(500),
            stream.read(&mut buffer),
        )
        .await;
        if let Ok(Ok(n)) = read {
            assert!(n > 0, "the stream ended: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
        if !registered_second && seen.contains("\"dataset.registered\"") {
            // An event after the stream opened arrives on it too.
            app.register(&app.admin, dataset("second")).await;
            registered_second = true;
        }
        if seen.matches("\"dataset.registered\"").count() >= 2 {
            break;
        }
    }
    assert!(
        seen.to_ascii_lowercase()
            .contains("content-type: application/x-ndjson"),
        "{seen}"
    );
    assert_eq!(seen.matches("\"dataset.registered\"").count(), 2, "{seen}");
}

#[tokio::test]
async fn the_openapi_document_is_served_as_committed() {
    let app = spawn_app().await;
    let answer = call(&app, "GET", "/openapi.json", None, None).await;
    assert_eq!(answer.status, 200);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(answer.json(), committed);
    assert_eq!(committed["openapi"], "3.1.0");
}

/// One gRPC-Web call over HTTP/1.1 in its text form (`application/grpc-web-text`: the frames in
/// base64), and the frames of the answer, decoded.
async fn grpc_web(app: &TestApp, path: &str, message: &impl prost::Message) -> (Answer, Vec<u8>) {
    use base64::Engine;
    let encoded = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
    frame.extend_from_slice(&encoded);
    let body = base64::engine::general_purpose::STANDARD.encode(&frame);
    let answer = http(
        app,
        "POST",
        path,
        &[
            "Content-Type: application/grpc-web-text".into(),
            "Accept: application/grpc-web-text".into(),
            "X-Grpc-Web: 1".into(),
            format!("Authorization: Bearer {}", app.admin),
            format!("Content-Length: {}", body.len()),
        ],
        body.as_bytes(),
    )
    .await;
    // Each frame is base64 on its own, padding included: decode them one by one.
    let mut frames = Vec::new();
    let text = answer.body.trim();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find('=').map(|at| {
            let mut end = at;
            while rest[end..].starts_with('=') {
                end += 1;
            }
            end
        });
        let (chunk, more) = rest.split_at(end.unwrap_or(rest.len()));
        frames.extend(
            base64::engine::general_purpose::STANDARD
                .decode(chunk)
                .unwrap_or_default(),
        );
        rest = more;
    }
    (answer, frames)
}

#[tokio::test]
async fn grpc_web_calls_are_served_on_the_same_port_with_the_same_rules() {
    let app = spawn_app().await;
    let stored = app.register(&app.admin, dataset("raw")).await;
    let (answer, bytes) = grpc_web(
        &app,
        "/provenance.v1.DatasetService/GetDataset",
        &pb::GetDatasetRequest {
            id: stored.id.clone(),
        },
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.head);
    assert!(
        answer
            .head
            .contains("content-type: application/grpc-web-text"),
        "{}",
        answer.head
    );
    // The message frame, then the trailers frame (flag 0x80) with grpc-status 0.
    assert_eq!(bytes[0], 0, "{bytes:?}");
    let length = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
    let dataset = <pb::Dataset as prost::Message>::decode(&bytes[5..5 + length]).unwrap();
    assert_eq!(dataset, stored);
    assert_eq!(bytes[5 + length], 0x80);
    let trailers = String::from_utf8_lossy(&bytes[5 + length + 5..]).to_ascii_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers:?}");

    // A refusal is the same gRPC status as over gRPC, in the headers of a trailers-only answer.
    let (missing, _) = grpc_web(
        &app,
        "/provenance.v1.DatasetService/GetDataset",
        &pb::GetDatasetRequest { id: "acme".into() },
    )
    .await;
    assert!(missing.head.contains("grpc-status: 3"), "{}", missing.head);
}

#[tokio::test]
async fn cors_answers_only_the_origins_the_operator_named() {
    let preflight = |origin: &'static str| {
        vec![
            format!("Origin: {origin}"),
            "Access-Control-Request-Method: POST".into(),
            "Access-Control-Request-Headers: authorization, content-type, x-grpc-web".into(),
            "Content-Length: 0".into(),
        ]
    };
    let closed = spawn_app().await;
    let answer = http(
        &closed,
        "OPTIONS",
        "/provenance.v1.DatasetService/GetDataset",
        &preflight("https://buyer.example"),
        b"",
    )
    .await;
    assert!(
        !answer.head.contains("access-control-allow-origin"),
        "{}",
        answer.head
    );

    let open = spawn_app_with(provenance_registry::config::ServeSettings {
        cors_origins: vec!["https://buyer.example".into()],
        ..Default::default()
    })
    .await;
    let allowed = http(
        &open,
        "OPTIONS",
        "/v1/datasets",
        &preflight("https://buyer.example"),
        b"",
    )
    .await;
    assert!(allowed.status < 300, "{}", allowed.head);
    assert!(
        allowed
            .head
            .contains("access-control-allow-origin: https://buyer.example"),
        "{}",
        allowed.head
    );
    assert!(allowed.head.contains("authorization"), "{}", allowed.head);
    let other = http(
        &open,
        "OPTIONS",
        "/v1/datasets",
        &preflight("https://evil.example"),
        b"",
    )
    .await;
    assert!(
        !other.head.contains("access-control-allow-origin"),
        "{}",
        other.head
    );

    // An actual call from the allowed origin may read the answer and gRPC-Web's status headers.
    let call = http(
        &open,
        "GET",
        "/v1/signingKeys",
        &["Origin: https://buyer.example".into()],
        b"",
    )
    .await;
    assert_eq!(call.status, 200);
    assert!(
        call.head
            .contains("access-control-allow-origin: https://buyer.example"),
        "{}",
        call.head
    );
    assert!(
        call.head.contains("access-control-expose-headers"),
        "{}",
        call.head
    );
}
