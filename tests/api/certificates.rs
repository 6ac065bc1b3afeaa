//! Certificate signing keys: published without a token, over gRPC and plain HTTP, and rotated.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use provenance_registry::proto::v1 as pb;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

async fn signing_keys(app: &TestApp) -> pb::ListSigningKeysResponse {
    pb::certificate_service_client::CertificateServiceClient::new(app.channel.clone())
        .list_signing_keys(pb::ListSigningKeysRequest {})
        .await
        .expect("no token needed")
        .into_inner()
}

/// A plain HTTP/1.1 GET, as any HTTP client would send it; returns the head and the body.
async fn http_get(app: &TestApp, path: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    (head.to_owned(), body.to_owned())
}

#[tokio::test]
async fn the_signing_keys_are_a_jwks_of_ed25519_keys_whose_ids_are_their_thumbprints() {
    let app = spawn_app().await;
    let answer = signing_keys(&app).await;
    assert_eq!(answer.keys.len(), 1);
    let key = &answer.keys[0];
    assert_eq!(
        (
            key.kty.as_str(),
            key.crv.as_str(),
            key.r#use.as_str(),
            key.alg.as_str()
        ),
        ("OKP", "Ed25519", "sig", "EdDSA")
    );
    assert_eq!(key.status, pb::SigningKeyStatus::Active as i32);
    assert!(key.valid_from.is_some() && key.valid_until.is_none());
    assert_eq!(URL_SAFE_NO_PAD.decode(&key.x).unwrap().len(), 32);
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, key.x);
    assert_eq!(
        key.kid,
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    );

    let jwks: serde_json::Value = serde_json::from_str(&answer.jwks_json).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], key.kid.as_str());
    assert_eq!(jwks["keys"][0]["x"], key.x.as_str());
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "the private key must never be published"
    );
}

#[tokio::test]
async fn the_same_jwks_is_served_over_plain_http_on_the_grpc_port() {
    let app = spawn_app().await;
    let (head, body) = http_get(&app, "/.well-known/jwks.json").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/jwk-set+json"),
        "{head}"
    );
    let served: serde_json::Value = serde_json::from_str(&body).unwrap();
    let listed: serde_json::Value =
        serde_json::from_str(&signing_keys(&app).await.jwks_json).unwrap();
    assert_eq!(served, listed);
}

#[tokio::test]
async fn a_rotation_on_the_server_machine_is_published_at_once_and_keeps_the_old_key() {
    let app = spawn_app().await;
    let before = signing_keys(&app).await.keys.remove(0);
    let listing = app.run_command(&["keys", "rotate"]);
    assert_eq!(listing.lines().count(), 2, "{listing}");
    assert!(
        listing.lines().nth(1).unwrap().starts_with(&before.kid) && listing.contains("retired"),
        "{listing}"
    );

    let after = signing_keys(&app).await;
    assert_eq!(after.keys.len(), 2);
    assert_ne!(after.keys[0].kid, before.kid);
    assert_eq!(after.keys[0].status, pb::SigningKeyStatus::Active as i32);
    assert_eq!(after.keys[1].kid, before.kid);
    assert_eq!(after.keys[1].status, pb::SigningKeyStatus::Retired as i32);
    assert!(after.keys[1].valid_until.is_some());
    let (_, body) = http_get(&app, "/.well-known/jwks.json").await;
    assert!(body.contains(&after.keys[0].kid) && body.contains(&before.kid));
}

#[tokio::test]
async fn the_signing_key_file_is_private_and_apart_from_the_access_token_key() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let keys = app.dir.path().join("signing-keys.json");
    assert_eq!(
        std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let access = std::fs::read_to_string(app.dir.path().join("access-token.key")).unwrap();
    let signing = std::fs::read_to_string(&keys).unwrap();
    assert!(
        !signing.contains(access.trim()),
        "certificates must not be signed with the access-token key"
    );
}

// ----- issuance, verification, revocation ---------------------------------------------------------

use crate::policies::{POLICY, generated_by};
use tonic::Code;

pub fn issue_request(dataset: &pb::Dataset) -> pb::IssueCertificateRequest {
    pb::IssueCertificateRequest {
        dataset_id: dataset.id.clone(),
        policy_id: POLICY.into(),
        ..Default::default()
    }
}

/// A clean, attested chain `raw <- mix`; returns the mix.
pub async fn certifiable(app: &TestApp) -> (pb::Dataset, pb::Dataset) {
    let raw = app.register(&app.admin, dataset("raw")).await;
    let mix = app.register(&app.admin, derived("mix", &[&raw])).await;
    app.attest(&app.admin, &raw).await;
    app.attest(&app.admin, &mix).await;
    (raw, mix)
}

pub async fn issue(app: &TestApp, request: pb::IssueCertificateRequest) -> pb::Certificate {
    app.certificates()
        .issue_certificate(authed(&app.admin, request))
        .await
        .expect("certificate issued")
        .into_inner()
}

/// A certificate as `token` may read it now.
async fn read_certificate(app: &TestApp, token: &str, id: &str) -> pb::Certificate {
    app.certificates()
        .get_certificate(authed(
            token,
            pb::GetCertificateRequest {
                id: id.into(),
                as_of: None,
            },
        ))
        .await
        .expect("certificate readable")
        .into_inner()
}

async fn verify(app: &TestApp, token: &str, audience: &str) -> pb::VerifyCertificateResponse {
    app.certificates()
        .verify_certificate(pb::VerifyCertificateRequest {
            token: token.into(),
            audience_organization_id: audience.into(),
            as_of: None,
            include_public_lineage: false,
        })
        .await
        .expect("verification answers")
        .into_inner()
}

fn failed_check(answer: &pb::VerifyCertificateResponse) -> (String, String) {
    let check = answer
        .checks
        .iter()
        .find(|c| !c.passed)
        .expect("a failed check");
    (check.name.clone(), check.detail.clone())
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_part(part: &str) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn a_clean_dataset_gets_a_certificate_whose_claims_state_its_lineage() {
    let app = spawn_app().await;
    let (raw, mix) = certifiable(&app).await;
    let (buyer, _) = app.other_org("Buyer").await;
    let request = pb::IssueCertificateRequest {
        audience_organization_id: buyer.clone(),
        contract_reference: "PO-2026-117".into(),
        ..issue_request(&mix)
    };
    let certificate = issue(&app, request).await;
    assert_eq!(certificate.status, pb::CertificateStatus::Valid as i32);
    assert_eq!(certificate.verdict, pb::Verdict::Clean as i32);
    assert_eq!(certificate.closure_size, 2);
    let lifetime =
        certificate.expire_time.unwrap().seconds - certificate.issue_time.unwrap().seconds;
    assert_eq!(lifetime, 90 * 86_400);

    let parts: Vec<&str> = certificate.token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = decode_part(parts[0]);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "lineage-cert+jwt");
    let keys = signing_keys(&app).await;
    assert_eq!(header["kid"], keys.keys[0].kid.as_str());
    let claims = decode_part(parts[1]);
    assert_eq!(claims["sub"], format!("datasets/{}", mix.id));
    assert_eq!(claims["aud"], buyer.as_str());
    assert_eq!(claims["jti"], certificate.id.as_str());
    assert_eq!(
        claims["dataset"]["content_digest"],
        mix.content_digest.as_str()
    );
    assert_eq!(claims["policy"]["id"], POLICY);
    assert_eq!(claims["verdict"], "CLEAN");
    assert_eq!(claims["contract_reference"], "PO-2026-117");
    assert_eq!(claims["attestations"].as_array().unwrap().len(), 2);
    let mut members = vec![raw.id.clone(), mix.id.clone()];
    members.sort();
    assert_eq!(claims["lineage"]["members"], serde_json::json!(members));

    // The lineage digest recomputed from the records, as README documents it.
    let source = |s: &pb::Source| {
        serde_json::json!({"kind": "dataset", "dataset_id": s.dataset_id, "uri": null, "license": null,
            "collect_time": null, "content_digest": null, "description": null})
    };
    let mut closure = [raw.clone(), mix.clone()];
    closure.sort_by(|a, b| a.id.cmp(&b.id));
    let document = serde_json::json!({"datasets": closure.iter().map(|d| serde_json::json!({
        "id": d.id, "content_digest": d.content_digest, "sources": d.sources.iter().map(source).collect::<Vec<_>>()
    })).collect::<Vec<_>>()});
    let expected = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(
            serde_json::to_string(&document).unwrap().as_bytes()
        ))
    );
    assert_eq!(claims["lineage"]["digest"], expected.as_str());
    assert_eq!(certificate.lineage_digest, expected);

    // Verification needs no token, and every check passes.
    let answer = verify(&app, &certificate.token, &buyer).await;
    assert!(answer.valid, "{:?}", answer.checks);
    assert_eq!(answer.status, pb::CertificateStatus::Valid as i32);
    assert_eq!(answer.checks.len(), 11);
    assert_eq!(answer.certificate_id, certificate.id);
    let read = read_certificate(&app, &app.admin, &certificate.id).await;
    assert_eq!(read, certificate);
}

#[tokio::test]
async fn certificates_are_refused_unless_the_lineage_is_clean_or_exempt_and_nothing_is_stored() {
    let app = spawn_app().await;
    let traces = app
        .register(
            &app.admin,
            generated_by("traces", "deepseek-ai/DeepSeek-R1"),
        )
        .await;
    let child = app.register(&app.admin, derived("child", &[&traces])).await;
    let unattested = app.register(&app.admin, dataset("unattested")).await;
    let (_, mix) = certifiable(&app).await;
    let auditor = app.token(pb::Role::Auditor).await;
    let (_, other_admin) = app.other_org("Globex").await;
    let before = app.snapshot().await;

    let status = assert_status(
        app.certificates()
            .issue_certificate(authed(&app.admin, issue_request(&child)))
            .await,
        Code::FailedPrecondition,
        "its lineage is contaminated: 1 offender(s) in all",
    );
    use tonic_types::StatusExt;
    let offenders = status
        .get_details_precondition_failure()
        .expect("PreconditionFailure details");
    assert!(offenders.violations[0].subject.contains(&traces.id));
    let status = assert_status(
        app.certificates()
            .issue_certificate(authed(&app.admin, issue_request(&unattested)))
            .await,
        Code::FailedPrecondition,
        "1 dataset(s) without a valid attestation in all",
    );
    let missing = status
        .get_details_precondition_failure()
        .expect("PreconditionFailure details");
    assert_eq!(missing.violations[0].r#type, "MISSING_ATTESTATION");
    assert!(missing.violations[0].subject.contains(&unattested.id));
    assert_status(
        app.certificates()
            .issue_certificate(authed(&auditor, issue_request(&mix)))
            .await,
        Code::PermissionDenied,
        "registrar",
    );
    assert_status(
        app.certificates()
            .issue_certificate(authed(&other_admin, issue_request(&mix)))
            .await,
        Code::NotFound,
        "not found",
    );
    let too_long = pb::IssueCertificateRequest {
        validity: Some(provenance_registry::proto::wkt::Duration {
            seconds: 400 * 86_400,
            nanos: 0,
        }),
        ..issue_request(&mix)
    };
    assert_status(
        app.certificates()
            .issue_certificate(authed(&app.admin, too_long))
            .await,
        Code::InvalidArgument,
        "validity",
    );
    let unknown_buyer = pb::IssueCertificateRequest {
        audience_organization_id: uuid::Uuid::now_v7().to_string(),
        ..issue_request(&mix)
    };
    assert_status(
        app.certificates()
            .issue_certificate(authed(&app.admin, unknown_buyer))
            .await,
        Code::NotFound,
        "audience_organization_id",
    );
    assert_eq!(app.snapshot().await, before);

    // The exempt target is certified, and says so.
    let exempt = issue(
        &app,
        pb::IssueCertificateRequest {
            target_model: "DeepSeek-R1-Distill-Qwen-7B".into(),
            ..issue_request(&traces)
        },
    )
    .await;
    assert_eq!(exempt.verdict, pb::Verdict::Exempt as i32);
    assert_eq!(
        decode_part(exempt.token.split('.').nth(1).unwrap())["target_model"],
        "DeepSeek-R1-Distill-Qwen-7B"
    );
}

#[tokio::test]
async fn forged_altered_and_misused_tokens_fail_verification_with_the_reason() {
    let app = spawn_app().await;
    let (_, mix) = certifiable(&app).await;
    let (buyer, _) = app.other_org("Buyer").await;
    let certificate = issue(
        &app,
        pb::IssueCertificateRequest {
            audience_organization_id: buyer.clone(),
            ..issue_request(&mix)
        },
    )
    .await;
    let parts: Vec<&str> = certificate.token.split('.').collect();
    let mut claims = decode_part(parts[1]);
    let header = decode_part(parts[0]);

    let mut cases: Vec<(&str, String, &str, &str)> = Vec::new();
    claims["dataset"]["name"] = serde_json::json!("something else");
    let tampered_payload = format!(
        "{}.{}.{}",
        parts[0],
        b64(claims.to_string().as_bytes()),
        parts[2]
    );
    cases.push(("tampered payload", tampered_payload, "signature", ""));
    let mut other_header = header.clone();
    other_header["x"] = serde_json::json!("y");
    cases.push((
        "tampered header",
        format!(
            "{}.{}.{}",
            b64(other_header.to_string().as_bytes()),
            parts[1],
            parts[2]
        ),
        "signature",
        "",
    ));
    let none_header =
        serde_json::json!({"alg": "none", "typ": "lineage-cert+jwt", "kid": header["kid"]});
    // Refused by name, as provctl and the Python client refuse it offline: one implementation of
    // the checks (provenance_api::certificate::checks) answers for the registry and provctl.
    cases.push((
        "alg none",
        format!("{}.{}.", b64(none_header.to_string().as_bytes()), parts[1]),
        "algorithm",
        "\"none\" is not allowed",
    ));
    // HS256 keyed with the public key, the classic algorithm-confusion forgery.
    let public_x = signing_keys(&app).await.keys[0].x.clone();
    let hs_header =
        serde_json::json!({"alg": "HS256", "typ": "lineage-cert+jwt", "kid": header["kid"]});
    let hs_signing_input = format!("{}.{}", b64(hs_header.to_string().as_bytes()), parts[1]);
    let hs_signature = crate::helpers::hmac_signature(
        jsonwebtoken::Algorithm::HS256,
        public_x.as_bytes(),
        &hs_signing_input,
    );
    cases.push((
        "HS256 with the public key",
        format!("{hs_signing_input}.{hs_signature}"),
        "algorithm",
        "HS256",
    ));
    let unknown_kid =
        serde_json::json!({"alg": "EdDSA", "typ": "lineage-cert+jwt", "kid": "no-such-key"});
    cases.push((
        "unknown kid",
        format!(
            "{}.{}.{}",
            b64(unknown_kid.to_string().as_bytes()),
            parts[1],
            parts[2]
        ),
        "key",
        "no-such-key",
    ));
    let access_kid =
        serde_json::json!({"alg": "EdDSA", "typ": "lineage-cert+jwt", "kid": "access-token.key"});
    cases.push((
        "kid naming the access-token key",
        format!(
            "{}.{}.{}",
            b64(access_kid.to_string().as_bytes()),
            parts[1],
            parts[2]
        ),
        "key",
        "",
    ));
    let jwks: serde_json::Value = serde_json::from_str(
        &app.certificates()
            .list_signing_keys(pb::ListSigningKeysRequest {})
            .await
            .unwrap()
            .into_inner()
            .jwks_json,
    )
    .unwrap();
    let log_kid = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["use"] == "log")
        .expect("the log key is listed")["kid"]
        .clone();
    let log_header = serde_json::json!({"alg": "EdDSA", "typ": "lineage-cert+jwt", "kid": log_kid});
    cases.push((
        "kid naming the transparency log's key",
        format!(
            "{}.{}.{}",
            b64(log_header.to_string().as_bytes()),
            parts[1],
            parts[2]
        ),
        "key",
        "not a signing key",
    ));
    cases.push((
        "truncated",
        certificate.token[..certificate.token.len() - 10].to_owned(),
        "signature",
        "",
    ));
    cases.push((
        "an access token presented as a certificate",
        app.admin.clone(),
        "algorithm",
        "",
    ));

    cases.push(("the token as issued", certificate.token.clone(), "", ""));
    for (case, token, check, needle) in cases {
        let answer = verify(&app, &token, "").await;
        if check.is_empty() {
            assert!(answer.valid, "{case}: {:?}", answer.checks);
        } else {
            assert!(!answer.valid, "{case} verified");
            let (name, detail) = failed_check(&answer);
            assert_eq!(name, check, "{case}: {detail}");
            assert!(detail.contains(needle), "{case}: {detail}");
        }
        // provctl's offline verification against the registry's JWKS reaches the same outcome on
        // every offline check: both run provenance_api's checks.
        let offline = provenance_api::certificate::verify_offline(
            &token,
            &provenance_api::certificate::JsonWebKeySet::new(&jwks),
            None,
            chrono::Utc::now(),
        );
        let offline: Vec<(String, bool)> = offline
            .checks
            .iter()
            .map(|c| (c.name.to_string(), c.passed))
            .collect();
        let online: Vec<(String, bool)> = answer.checks[..offline.len()]
            .iter()
            .map(|c| (c.name.clone(), c.passed))
            .collect();
        assert_eq!(offline, online, "{case}");
    }

    let wrong_audience = verify(&app, &certificate.token, &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(failed_check(&wrong_audience).0, "audience");

    // A certificate is not an access token.
    let status = app
        .datasets()
        .list_datasets(authed(
            &certificate.token,
            pb::ListDatasetsRequest::default(),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    assert_status(
        app.certificates()
            .verify_certificate(pb::VerifyCertificateRequest {
                token: String::new(),
                audience_organization_id: String::new(),
                as_of: None,
                include_public_lineage: false,
            })
            .await,
        Code::InvalidArgument,
        "token",
    );
}

#[tokio::test]
async fn an_expired_or_not_yet_valid_certificate_fails_the_validity_check() {
    let app = spawn_app().await;
    let (_, mix) = certifiable(&app).await;
    let certificate = issue(&app, issue_request(&mix)).await;
    let parts: Vec<&str> = certificate.token.split('.').collect();
    let header = decode_part(parts[0]);
    // Signed with the registry's own key, read from the key file as an operator could.
    let file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(app.dir.path().join("signing-keys.json")).unwrap(),
    )
    .unwrap();
    let seed = hex::decode(file["keys"][0]["private_key"].as_str().unwrap()).unwrap();
    let mut der = hex::decode("302e020100300506032b657004220420").unwrap();
    der.extend_from_slice(&seed);
    let key = jsonwebtoken::EncodingKey::from_ed_der(&der);
    let mut jwt_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    jwt_header.typ = Some("lineage-cert+jwt".into());
    jwt_header.kid = header["kid"].as_str().map(String::from);
    let now = chrono::Utc::now().timestamp();
    for (case, nbf, exp, needle) in [
        ("expired", now - 7200, now - 3600, "expired"),
        ("not yet valid", now + 3600, now + 7200, "not valid yet"),
    ] {
        let mut claims = decode_part(parts[1]);
        claims["nbf"] = serde_json::json!(nbf);
        claims["exp"] = serde_json::json!(exp);
        let token = jsonwebtoken::encode(&jwt_header, &claims, &key).unwrap();
        let answer = verify(&app, &token, "").await;
        let validity = answer.checks.iter().find(|c| c.name == "validity").unwrap();
        assert!(
            !validity.passed && validity.detail.contains(needle),
            "{case}: {validity:?}"
        );
        assert!(
            answer
                .checks
                .iter()
                .find(|c| c.name == "signature")
                .unwrap()
                .passed,
            "{case}"
        );
        assert!(!answer.valid);
    }
}

#[tokio::test]
async fn revocation_by_the_owner_by_a_revoked_attestation_or_by_a_contamination_report_shows_in_verification()
 {
    let app = spawn_app().await;
    let (raw, mix) = certifiable(&app).await;
    let by_owner = issue(&app, issue_request(&mix)).await;
    // Each is verified while valid first, so that a verification remembered from before the
    // revocation would show.
    assert!(verify(&app, &by_owner.token, "").await.valid);
    let revoked = app
        .certificates()
        .revoke_certificate(authed(
            &app.admin,
            pb::RevokeCertificateRequest {
                id: by_owner.id.clone(),
                reason: "contract ended".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(revoked.status, pb::CertificateStatus::Revoked as i32);
    assert_eq!(
        revoked.revoke_cause,
        format!("certificates/{}", by_owner.id)
    );
    let answer = verify(&app, &by_owner.token, "").await;
    assert!(!answer.valid);
    assert_eq!(answer.status, pb::CertificateStatus::Revoked as i32);
    assert!(failed_check(&answer).1.contains("contract ended"));

    // Revoking an attestation the certificate rests on revokes it in the same transaction.
    let second = issue(&app, issue_request(&mix)).await;
    assert!(verify(&app, &second.token, "").await.valid);
    let attestations = app
        .attestations()
        .list_attestations(authed(
            &app.admin,
            pb::ListAttestationsRequest {
                dataset_id: raw.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .attestations;
    app.attestations()
        .revoke_attestation(authed(
            &app.admin,
            pb::RevokeAttestationRequest {
                id: attestations[0].id.clone(),
                reason: "scan was wrong".into(),
            },
        ))
        .await
        .unwrap();
    let read = read_certificate(&app, &app.admin, &second.id).await;
    assert_eq!(read.status, pb::CertificateStatus::Revoked as i32);
    assert_eq!(
        read.revoke_cause,
        format!("attestations/{}", attestations[0].id)
    );
    assert!(!verify(&app, &second.token, "").await.valid);

    // The owner's contamination report revokes too; an outsider cannot even file one on a private
    // dataset (a third party's report on a public one is the next test).
    app.attest(&app.admin, &raw).await;
    let third = issue(&app, issue_request(&mix)).await;
    let (_, outsider) = app.other_org("Globex").await;
    // The outsider cannot see the private dataset, so its report is refused as not found.
    let complaint = pb::ReportContaminationRequest {
        dataset_id: raw.id.clone(),
        statement: "we think so".into(),
        evidence: vec![],
    };
    assert_status(
        app.datasets()
            .report_contamination(authed(&outsider, complaint.clone()))
            .await,
        Code::NotFound,
        "not found",
    );
    assert!(verify(&app, &third.token, "").await.valid);
    app.datasets()
        .report_contamination(authed(&app.admin, complaint))
        .await
        .unwrap();
    let read = read_certificate(&app, &app.admin, &third.id).await;
    assert_eq!(read.status, pb::CertificateStatus::Revoked as i32);
    assert!(read.revoke_cause.starts_with("contamination_reports/"));
    assert!(!verify(&app, &third.token, "").await.valid);

    let events = app.all_events(&app.admin).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e.r#type == "certificate.revoked")
            .count(),
        3
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.r#type == "certificate.issued")
            .count(),
        3
    );
    crate::events::assert_chain_verifies(&app.all_events(&app.operator).await);
}

#[tokio::test]
async fn a_certificate_signed_before_a_rotation_still_verifies() {
    let app = spawn_app().await;
    let (_, mix) = certifiable(&app).await;
    let certificate = issue(&app, issue_request(&mix)).await;
    app.run_command(&["keys", "rotate"]);
    assert!(verify(&app, &certificate.token, "").await.valid);
    let newer = issue(&app, issue_request(&mix)).await;
    assert_ne!(newer.kid, certificate.kid);
    assert!(verify(&app, &newer.token, "").await.valid);
}

#[tokio::test]
async fn a_buyer_learns_of_a_revocation_and_can_ask_whether_it_was_valid_on_the_contract_date() {
    let app = spawn_app().await;
    let (_, mix) = certifiable(&app).await;
    let (buyer, buyer_admin) = app.other_org("Buyer").await;
    let certificate = issue(
        &app,
        pb::IssueCertificateRequest {
            audience_organization_id: buyer.clone(),
            ..issue_request(&mix)
        },
    )
    .await;
    // The contract was signed the moment the certificate was issued, before the revocation.
    let contract_date = certificate.issue_time.unwrap();

    // The buyer reads the certificate issued for it.
    let read = read_certificate(&app, &buyer_admin, &certificate.id).await;
    assert_eq!(read.status, pb::CertificateStatus::Valid as i32);

    app.certificates()
        .revoke_certificate(authed(
            &app.admin,
            pb::RevokeCertificateRequest {
                id: certificate.id.clone(),
                reason: "supplier breach".into(),
            },
        ))
        .await
        .unwrap();
    let buyer_events = app.all_events(&buyer_admin).await;
    let revocation = buyer_events
        .iter()
        .find(|e| e.r#type == "certificate.revoked")
        .expect("the buyer sees the revocation");
    assert_eq!(
        revocation.subject,
        format!("certificates/{}", certificate.id)
    );
    assert!(revocation.payload_json.contains("supplier breach"));

    let now = read_certificate(&app, &buyer_admin, &certificate.id).await;
    assert_eq!(now.status, pb::CertificateStatus::Revoked as i32);
    let statuses: Vec<i32> = now.status_history.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            pb::CertificateStatus::Valid as i32,
            pb::CertificateStatus::Revoked as i32
        ]
    );
    assert_eq!(now.status_history[1].reason, "supplier breach");
    let then = app
        .certificates()
        .get_certificate(authed(
            &buyer_admin,
            pb::GetCertificateRequest {
                id: certificate.id.clone(),
                as_of: Some(contract_date),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(then.status, pb::CertificateStatus::Valid as i32);
    // As it stood then: no revocation yet.
    assert_eq!(then.revoke_time, None);
    assert_eq!(
        (then.revoke_reason.as_str(), then.revoke_cause.as_str()),
        ("", "")
    );
    assert_eq!(now.revoke_reason, "supplier breach");

    let on_contract_date = app
        .certificates()
        .verify_certificate(pb::VerifyCertificateRequest {
            token: certificate.token.clone(),
            audience_organization_id: buyer.clone(),
            as_of: Some(contract_date),
            include_public_lineage: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(on_contract_date.valid, "{:?}", on_contract_date.checks);
    assert!(!verify(&app, &certificate.token, &buyer).await.valid);

    // A stranger cannot read it.
    let (_, stranger) = app.other_org("Stranger").await;
    assert_status(
        app.certificates()
            .get_certificate(authed(
                &stranger,
                pb::GetCertificateRequest {
                    id: certificate.id.clone(),
                    as_of: None,
                },
            ))
            .await,
        Code::NotFound,
        "not found",
    );
}

#[tokio::test]
async fn a_third_party_report_on_a_public_dataset_revokes_nothing() {
    let app = spawn_app().await;
    let public = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..dataset("public")
            },
        )
        .await;
    app.attest(&app.admin, &public).await;
    let certificate = issue(&app, issue_request(&public)).await;
    let (_, outsider) = app.other_org("Globex").await;
    let complaint = pb::ReportContaminationRequest {
        dataset_id: public.id.clone(),
        statement: "we think so".into(),
        evidence: vec![],
    };
    let report = app
        .datasets()
        .report_contamination(authed(&outsider, complaint))
        .await
        .unwrap()
        .into_inner();
    assert!(!report.effective);
    assert_eq!(
        read_certificate(&app, &app.admin, &certificate.id)
            .await
            .status,
        pb::CertificateStatus::Valid as i32
    );
    assert!(verify(&app, &certificate.token, "").await.valid);
}

#[tokio::test]
async fn concurrent_issuances_are_each_decided_on_their_own_and_stored_once() {
    let app = spawn_app().await;
    let (_, clean) = certifiable(&app).await;
    // Registered but never attested: INCOMPLETE, so every request for it is refused, also when
    // it shares a transaction with accepted ones.
    let unattested = app.register(&app.admin, dataset("unattested")).await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..40 {
        let mut client = app.certificates();
        let request = issue_request(if i % 4 == 0 { &unattested } else { &clean });
        let token = app.admin.clone();
        calls.spawn(async move {
            let dataset_id = request.dataset_id.clone();
            let answer = client.issue_certificate(authed(&token, request)).await;
            (dataset_id, answer)
        });
    }
    let mut issued = std::collections::HashSet::new();
    while let Some(call) = calls.join_next().await {
        let (dataset_id, answer) = call.unwrap();
        if dataset_id == unattested.id {
            assert_status(answer, Code::FailedPrecondition, "cannot be certified");
        } else {
            let certificate = answer.expect("a clean dataset is certified").into_inner();
            assert!(issued.insert(certificate.id.clone()), "ids are unique");
            assert!(verify(&app, &certificate.token, "").await.valid);
        }
    }
    assert_eq!(issued.len(), 30);
    let events = app.all_events(&app.operator).await;
    let stored: std::collections::HashSet<String> = events
        .iter()
        .filter(|e| e.r#type == "certificate.issued")
        .map(|e| e.subject.trim_start_matches("certificates/").to_owned())
        .collect();
    assert_eq!(
        stored, issued,
        "one event per issued certificate, none for refusals"
    );
    crate::events::assert_chain_verifies(&events);
}

#[tokio::test]
async fn only_the_issuing_organisation_revokes_and_others_learn_no_more_than_they_may_read() {
    let app = spawn_app().await;
    let (_, mix) = certifiable(&app).await;
    let (buyer, buyer_admin) = app.other_org("Buyer").await;
    let (_, stranger_admin) = app.other_org("Stranger").await;
    let certificate = issue(
        &app,
        pb::IssueCertificateRequest {
            audience_organization_id: buyer.clone(),
            ..issue_request(&mix)
        },
    )
    .await;
    let buyer_registrar = token_for(&app, &buyer_admin, pb::Role::Registrar).await;
    let buyer_auditor = token_for(&app, &buyer_admin, pb::Role::Auditor).await;
    let before = app.snapshot().await;
    let revoke = |token: Option<&str>, id: &str| {
        let request = pb::RevokeCertificateRequest {
            id: id.into(),
            reason: "we changed our mind".into(),
        };
        let request = match token {
            Some(token) => authed(token, request),
            None => tonic::Request::new(request),
        };
        let mut client = app.certificates();
        async move { client.revoke_certificate(request).await }
    };

    // The buyer reads it, so it is told why it may not revoke it: by its admin and its registrar.
    for token in [&buyer_admin, &buyer_registrar] {
        let refused = assert_status(
            revoke(Some(token), &certificate.id).await,
            Code::PermissionDenied,
            "only the issuing organisation revokes",
        );
        assert!(refused.message().contains(&certificate.id), "{refused:?}");
    }
    // An organisation that may not read it learns nothing: the answer of an id that exists nowhere.
    let absent = uuid::Uuid::now_v7().to_string();
    let hidden = assert_status(
        revoke(Some(&stranger_admin), &certificate.id).await,
        Code::NotFound,
        "not found",
    );
    let nowhere = assert_status(
        revoke(Some(&stranger_admin), &absent).await,
        Code::NotFound,
        "not found",
    );
    assert_eq!(
        hidden.message().replace(&certificate.id, "ID"),
        nowhere.message().replace(&absent, "ID")
    );
    // No token: unauthenticated. The buyer's auditor, or an operator: the role check comes first.
    assert_status(
        revoke(None, &certificate.id).await,
        Code::Unauthenticated,
        "",
    );
    assert_status(
        revoke(Some(&buyer_auditor), &certificate.id).await,
        Code::PermissionDenied,
        "registrar",
    );
    assert_status(
        revoke(Some(&app.operator), &certificate.id).await,
        Code::PermissionDenied,
        "acts for no organisation",
    );

    // Nothing changed: the certificate is still valid, and no event was written.
    assert_eq!(app.snapshot().await, before);
    let read = read_certificate(&app, &buyer_admin, &certificate.id).await;
    assert_eq!(read.status, pb::CertificateStatus::Valid as i32);
    assert!(verify(&app, &certificate.token, &buyer).await.valid);

    // A certificate of a public dataset is still private to its owner (and audience): another
    // organisation cannot read it, so it is not found, as for GetCertificate.
    let public = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..dataset("public-corpus")
            },
        )
        .await;
    app.attest(&app.admin, &public).await;
    let public_certificate = issue(&app, issue_request(&public)).await;
    let unreadable = app
        .certificates()
        .get_certificate(authed(
            &stranger_admin,
            pb::GetCertificateRequest {
                id: public_certificate.id.clone(),
                as_of: None,
            },
        ))
        .await;
    assert_status(unreadable, Code::NotFound, "not found");
    assert_status(
        revoke(Some(&stranger_admin), &public_certificate.id).await,
        Code::NotFound,
        "not found",
    );

    // The issuer still revokes.
    let revoked = revoke(Some(&app.admin), &certificate.id)
        .await
        .expect("the issuing organisation revokes")
        .into_inner();
    assert_eq!(revoked.status, pb::CertificateStatus::Revoked as i32);
}

/// `POST /v1/certificates:verify` with `token`, no access token; the JSON answer.
async fn verify_over_http(app: &TestApp, token: &str) -> serde_json::Value {
    let body = serde_json::json!({ "token": token }).to_string();
    let answer = crate::verify_page::http(
        app,
        "POST",
        "/v1/certificates:verify",
        &[
            "Content-Type: application/json".into(),
            format!("Content-Length: {}", body.len()),
        ],
        body.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    serde_json::from_str(&answer.body).expect("a JSON answer")
}

/// The statuses of a history, by their proto names.
fn history_statuses(answer: &pb::VerifyCertificateResponse) -> Vec<i32> {
    answer.status_history.iter().map(|c| c.status).collect()
}

/// Checks that gRPC and HTTP tell the same standing: revoked by `kind` through `cause`, for
/// `reason`, with the history valid then revoked.
async fn assert_revoked_standing(
    app: &TestApp,
    token: &str,
    kind: pb::RevocationCause,
    cause: &str,
    reason: &str,
) {
    let answer = verify(app, token, "").await;
    assert!(!answer.valid);
    let revoke_time = answer.revoke_time.expect("a revocation time");
    assert_eq!(answer.revoke_reason, reason);
    assert_eq!(answer.revoke_cause, cause);
    assert_eq!(answer.revoke_cause_kind, kind as i32);
    let (_, id) = cause.split_once('/').expect("a resource name");
    assert_eq!(answer.revoke_cause_id, id);
    assert_eq!(
        history_statuses(&answer),
        [
            pb::CertificateStatus::Valid as i32,
            pb::CertificateStatus::Revoked as i32
        ]
    );
    assert_eq!(answer.status_history[1].time, Some(revoke_time));
    assert_eq!(answer.status_history[1].reason, reason);
    let (name, detail) = failed_check(&answer);
    assert_eq!(name, "status");
    assert!(
        detail.starts_with("revoked at ") && detail.contains(reason),
        "{detail}"
    );

    let json = verify_over_http(app, token).await;
    assert_eq!(json["valid"], false);
    let time = chrono::DateTime::parse_from_rfc3339(json["revokeTime"].as_str().unwrap())
        .expect("an RFC 3339 time");
    assert_eq!(
        (time.timestamp(), time.timestamp_subsec_nanos() as i32),
        (revoke_time.seconds, revoke_time.nanos)
    );
    assert_eq!(json["revokeReason"], reason);
    assert_eq!(json["revokeCause"], cause);
    assert_eq!(json["revokeCauseKind"], kind.as_str_name());
    assert_eq!(json["revokeCauseId"], id);
    let history = json["statusHistory"].as_array().expect("a history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["status"], "CERTIFICATE_STATUS_VALID");
    assert_eq!(history[1]["status"], "CERTIFICATE_STATUS_REVOKED");
    assert_eq!(history[1]["time"], json["revokeTime"]);
    assert_eq!(history[1]["reason"], reason);
}

#[tokio::test]
async fn anyone_holding_the_token_reads_when_why_and_by_what_it_was_revoked_over_grpc_and_http() {
    let app = spawn_app().await;
    let (raw, mix) = certifiable(&app).await;

    // Valid: a history of one change, from `nbf`, and no revocation.
    let by_owner = issue(&app, issue_request(&mix)).await;
    let answer = verify(&app, &by_owner.token, "").await;
    assert!(answer.valid);
    assert_eq!(answer.revoke_time, None);
    assert_eq!(
        (answer.revoke_reason.as_str(), answer.revoke_cause.as_str()),
        ("", "")
    );
    assert_eq!(
        answer.revoke_cause_kind,
        pb::RevocationCause::Unspecified as i32
    );
    assert_eq!(
        history_statuses(&answer),
        [pb::CertificateStatus::Valid as i32]
    );
    assert_eq!(answer.status_history[0].time, by_owner.not_before);
    let json = verify_over_http(&app, &by_owner.token).await;
    assert_eq!(json["revokeTime"], serde_json::Value::Null);
    assert_eq!(json["revokeCauseKind"], "REVOCATION_CAUSE_UNSPECIFIED");
    assert_eq!(
        json["statusHistory"][0]["status"],
        "CERTIFICATE_STATUS_VALID"
    );

    // Revoked by its owner.
    app.certificates()
        .revoke_certificate(authed(
            &app.admin,
            pb::RevokeCertificateRequest {
                id: by_owner.id.clone(),
                reason: "contract ended".into(),
            },
        ))
        .await
        .unwrap();
    assert_revoked_standing(
        &app,
        &by_owner.token,
        pb::RevocationCause::CertificateRevoked,
        &format!("certificates/{}", by_owner.id),
        "contract ended",
    )
    .await;
    // As it stood at issuance: no revocation yet.
    let then = app
        .certificates()
        .verify_certificate(pb::VerifyCertificateRequest {
            token: by_owner.token.clone(),
            audience_organization_id: String::new(),
            as_of: by_owner.issue_time,
            include_public_lineage: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(then.valid, "{:?}", then.checks);
    assert_eq!((then.revoke_time, then.revoke_reason.as_str()), (None, ""));
    assert_eq!(
        history_statuses(&then),
        [pb::CertificateStatus::Valid as i32]
    );

    // Revoked because an attestation it rests on was revoked.
    let second = issue(&app, issue_request(&mix)).await;
    let attestation = app
        .attestations()
        .list_attestations(authed(
            &app.admin,
            pb::ListAttestationsRequest {
                dataset_id: raw.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .attestations
        .remove(0);
    app.attestations()
        .revoke_attestation(authed(
            &app.admin,
            pb::RevokeAttestationRequest {
                id: attestation.id.clone(),
                reason: "scan was wrong".into(),
            },
        ))
        .await
        .unwrap();
    let reason = read_certificate(&app, &app.admin, &second.id)
        .await
        .revoke_reason;
    assert!(reason.contains("scan was wrong"), "{reason}");
    assert_revoked_standing(
        &app,
        &second.token,
        pb::RevocationCause::AttestationRevoked,
        &format!("attestations/{}", attestation.id),
        &reason,
    )
    .await;

    // Revoked because its owner reported a dataset of its lineage contaminated.
    app.attest(&app.admin, &raw).await;
    let third = issue(&app, issue_request(&mix)).await;
    let report = app
        .datasets()
        .report_contamination(authed(
            &app.admin,
            pb::ReportContaminationRequest {
                dataset_id: raw.id.clone(),
                statement: "R1 traces found in the crawl".into(),
                evidence: vec![],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let reason = read_certificate(&app, &app.admin, &third.id)
        .await
        .revoke_reason;
    assert!(!reason.is_empty());
    assert_revoked_standing(
        &app,
        &third.token,
        pb::RevocationCause::ContaminationReported,
        &format!("contamination_reports/{}", report.id),
        &reason,
    )
    .await;

    // A token the registry did not issue under that id learns nothing of the certificate.
    let (head, rest) = third.token.split_once('.').unwrap();
    let (payload, _) = rest.rsplit_once('.').unwrap();
    let forged = format!("{head}.{payload}.{}", b64(&[7; 64]));
    let answer = verify(&app, &forged, "").await;
    assert_eq!((answer.revoke_time, answer.status_history.len()), (None, 0));
    let json = verify_over_http(&app, &forged).await;
    assert_eq!(json["revokeReason"], "");
    assert_eq!(json["statusHistory"], serde_json::json!([]));
}
