//! Token status lists: each certificate carries a distinct position, the list at its URI is a
//! signed `statuslist+jwt` whose bits follow revocations (cascades included) within the documented
//! delay, and malformed or unknown list numbers are refused.

use provenance_api::status_list::{StatusListClaims, decode_list, status_at};
use provenance_registry::proto::v1 as pb;
use provenance_registry::registry::status_lists::REFRESH;
use serde_json::Value;

use crate::certificates::{certifiable, issue, issue_request};
use crate::helpers::*;
use crate::verify_page::http;

const PUBLIC_URL: &str = "https://registry.example";

/// Part `n` of a JWT (0: header, 1: claims) as JSON.
fn part(token: &str, n: usize) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(n).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

fn payload(token: &str) -> Value {
    part(token, 1)
}

/// The status bit of the certificate whose token is `token`, from the list at its URI.
async fn bit(app: &TestApp, token: &str) -> u8 {
    let claims = payload(token);
    let uri = claims["status"]["status_list"]["uri"].as_str().unwrap();
    let idx = claims["status"]["status_list"]["idx"].as_u64().unwrap();
    let path = uri.strip_prefix(PUBLIC_URL).unwrap();
    let answer = http(app, "GET", path, &[], b"").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer
            .head
            .contains("content-type: application/statuslist+jwt")
    );
    assert_eq!(part(&answer.body, 0)["typ"], "statuslist+jwt");
    let list: StatusListClaims = serde_json::from_value(payload(&answer.body)).unwrap();
    assert_eq!(list.sub, uri);
    assert!(list.exp > list.iat && list.ttl > 0);
    status_at(&decode_list(&list.status_list).unwrap(), idx).unwrap()
}

#[tokio::test]
async fn the_list_follows_revocations_and_cascades() {
    let mut app = spawn_app_public(Default::default(), None, Some(PUBLIC_URL.into())).await;
    let (raw, mix) = certifiable(&app).await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        tokens.push(issue(&app, issue_request(&raw)).await);
    }
    let over_mix = issue(&app, issue_request(&mix)).await;
    let positions: std::collections::HashSet<u64> = tokens
        .iter()
        .chain([&over_mix])
        .map(|c| {
            payload(&c.token)["status"]["status_list"]["idx"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(positions.len(), 4, "every certificate has its own position");
    for certificate in tokens.iter().chain([&over_mix]) {
        assert_eq!(bit(&app, &certificate.token).await, 0);
    }

    app.certificates()
        .revoke_certificate(authed(
            &app.admin,
            pb::RevokeCertificateRequest {
                id: tokens[0].id.clone(),
                reason: "test".into(),
            },
        ))
        .await
        .unwrap();
    // The raw dataset found contaminated: every certificate over it is revoked in cascade.
    app.datasets()
        .report_contamination(authed(
            &app.admin,
            pb::ReportContaminationRequest {
                dataset_id: raw.id.clone(),
                statement: "found".into(),
                evidence: vec![pb::ContaminationEvidence {
                    uri: "https://evidence.example/c".into(),
                    content_digest: String::new(),
                }],
            },
        ))
        .await
        .unwrap();
    tokio::time::sleep(REFRESH.to_std().unwrap()).await;
    for certificate in tokens.iter().chain([&over_mix]) {
        assert_eq!(bit(&app, &certificate.token).await, 1, "{}", certificate.id);
    }
    app.stop().await;
}

#[tokio::test]
async fn without_a_public_url_certificates_carry_no_status_and_bad_numbers_are_refused() {
    let mut app = spawn_app().await;
    let (raw, _) = certifiable(&app).await;
    let certificate = issue(&app, issue_request(&raw)).await;
    assert!(payload(&certificate.token).get("status").is_none());
    assert_eq!(
        http(&app, "GET", "/statuslists/1", &[], b"").await.status,
        404
    );
    app.stop().await;

    let mut app = spawn_app_public(Default::default(), None, Some(PUBLIC_URL.into())).await;
    for (path, status, field) in [
        ("/statuslists/0", 400, Some("list")),
        ("/statuslists/01", 400, Some("list")),
        ("/statuslists/x", 400, Some("list")),
        ("/statuslists/99999999999999999999", 400, Some("list")),
        ("/statuslists/7", 404, None),
    ] {
        let answer = http(&app, "GET", path, &[], b"").await;
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
        if let Some(field) = field {
            assert_eq!(
                answer.json()["details"][0]["fieldViolations"][0]["field"],
                field
            );
        }
    }
    app.stop().await;
}
