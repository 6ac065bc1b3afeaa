//! Certificates as in-toto Statements in DSSE envelopes: signed at issuance beside the JWS, read
//! back unchanged, verified by the same checks as the token (online, over HTTP, on the page), and
//! refused when altered.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use provenance_registry::proto::v1 as pb;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::certificates::{certifiable, issue, issue_request};
use crate::helpers::*;
use crate::verify_page::{post_json, post_pasted, post_upload};

const PREDICATE_TYPE: &str = "https://provenance-registry.dev/attestation/lineage-certificate/v1";

async fn verify(app: &TestApp, presented: &str) -> pb::VerifyCertificateResponse {
    app.certificates()
        .verify_certificate(pb::VerifyCertificateRequest {
            token: presented.into(),
            ..Default::default()
        })
        .await
        .expect("verification answers")
        .into_inner()
}

async fn get(app: &TestApp, id: &str) -> pb::Certificate {
    app.certificates()
        .get_certificate(authed(
            &app.admin,
            pb::GetCertificateRequest {
                id: id.into(),
                as_of: None,
            },
        ))
        .await
        .expect("readable")
        .into_inner()
}

/// DSSE's pre-authentication encoding, written from the specification.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn names(answer: &pb::VerifyCertificateResponse) -> Vec<String> {
    answer.checks.iter().map(|c| c.name.clone()).collect()
}

fn first_failed(answer: &pb::VerifyCertificateResponse) -> (String, String) {
    let check = answer
        .checks
        .iter()
        .find(|c| !c.passed)
        .expect("a failed check");
    (check.name.clone(), check.detail.clone())
}

/// The envelope with its payload (the Statement as JSON) changed by `edit`, signature kept.
fn with_statement(envelope: &Value, edit: impl FnOnce(&mut Value)) -> String {
    let mut statement: Value = serde_json::from_slice(
        &STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    edit(&mut statement);
    let mut altered = envelope.clone();
    altered["payload"] = STANDARD.encode(statement.to_string()).into();
    altered.to_string()
}

#[tokio::test]
async fn a_certificate_is_also_an_in_toto_statement_in_a_dsse_envelope_signed_by_the_same_key() {
    let app = spawn_app().await;
    let (raw, mix) = certifiable(&app).await;
    let (buyer, _) = app.other_org("Buyer").await;
    let issued = issue(
        &app,
        pb::IssueCertificateRequest {
            audience_organization_id: buyer.clone(),
            contract_reference: "PO-7".into(),
            ..issue_request(&mix)
        },
    )
    .await;
    assert!(!issued.dsse_envelope.is_empty());
    // Read again, it is the very envelope issued.
    assert_eq!(
        get(&app, &issued.id).await.dsse_envelope,
        issued.dsse_envelope
    );

    let envelope: Value = serde_json::from_str(&issued.dsse_envelope).unwrap();
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    let signatures = envelope["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 1);
    assert_eq!(signatures[0]["keyid"], issued.kid.as_str());
    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["predicateType"], PREDICATE_TYPE);
    let organization = app
        .orgs()
        .get_organization(authed(&app.admin, pb::GetOrganizationRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        statement["subject"],
        json!([{
            "name": format!("{}/mix@{}", organization.name, mix.version),
            "digest": {"sha256": mix.content_digest.strip_prefix("sha256:").unwrap()},
        }])
    );

    // The predicate is the JWS's claims, with the log index and the token's SHA-256.
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(issued.token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let mut predicate = statement["predicate"].clone();
    assert_eq!(predicate["log_index"], issued.log_index);
    assert_eq!(
        predicate["token_sha256"],
        hex::encode(Sha256::digest(issued.token.as_bytes()))
    );
    let extra = predicate.as_object_mut().unwrap();
    extra.remove("log_index");
    extra.remove("token_sha256");
    assert_eq!(predicate, claims);
    assert_eq!(claims["aud"], buyer.as_str());
    assert_eq!(
        claims["policy"]["clause_sha256"].as_str().unwrap().len(),
        64
    );
    let members = claims["lineage"]["members"].as_array().unwrap();
    assert!(members.contains(&json!(raw.id)) && members.contains(&json!(mix.id)));

    // The signature is the JWKS key's Ed25519 signature of the PAE.
    let jwks: Value = serde_json::from_str(
        &app.certificates()
            .list_signing_keys(pb::ListSigningKeysRequest {})
            .await
            .unwrap()
            .into_inner()
            .jwks_json,
    )
    .unwrap();
    let x = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == issued.kid.as_str())
        .unwrap()["x"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = ed25519_verify::PublicKey::from_bytes(&URL_SAFE_NO_PAD.decode(x).unwrap()).unwrap();
    let signature = STANDARD
        .decode(signatures[0]["sig"].as_str().unwrap())
        .unwrap();
    ed25519_verify::verify(
        &key,
        &pae("application/vnd.in-toto+json", &payload),
        &signature,
    )
    .expect("the envelope's signature verifies");

    // VerifyCertificate takes it as it takes the token: the same checks, all passed, the same
    // standing; what was signed is the Statement.
    let by_envelope = verify(&app, &issued.dsse_envelope).await;
    let by_token = verify(&app, &issued.token).await;
    assert!(by_envelope.valid, "{:?}", by_envelope.checks);
    assert_eq!(names(&by_envelope), names(&by_token));
    assert_eq!(by_envelope.certificate_id, issued.id);
    assert_eq!(by_envelope.status, pb::CertificateStatus::Valid as i32);
    assert_eq!(by_envelope.status_history, by_token.status_history);
    assert_eq!(by_envelope.claims_json.as_bytes(), payload.as_slice());
}

#[tokio::test]
async fn altered_or_malformed_envelopes_fail_verification_naming_the_check() {
    let app = spawn_app().await;
    let (_, mix) = certifiable(&app).await;
    let issued = issue(&app, issue_request(&mix)).await;
    let envelope: Value = serde_json::from_str(&issued.dsse_envelope).unwrap();

    let mut cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "a changed verdict",
            with_statement(&envelope, |s| s["predicate"]["verdict"] = "EXEMPT".into()),
            "signature",
            "does not verify",
        ),
        (
            "a later expiry",
            with_statement(&envelope, |s| {
                s["predicate"]["exp"] = (s["predicate"]["exp"].as_i64().unwrap() + 86_400).into()
            }),
            "signature",
            "does not verify",
        ),
        (
            "another subject",
            with_statement(&envelope, |s| {
                s["subject"][0]["digest"]["sha256"] = "00".repeat(32).into()
            }),
            "signature",
            "does not verify",
        ),
        (
            "another predicate type",
            with_statement(&envelope, |s| {
                s["predicateType"] = "https://slsa.dev/provenance/v1".into()
            }),
            "type",
            "predicateType",
        ),
        (
            "another Statement type",
            with_statement(&envelope, |s| {
                s["_type"] = "https://in-toto.io/Statement/v0.1".into()
            }),
            "type",
            "_type",
        ),
    ];
    let mut edit = |what: &'static str, f: &dyn Fn(&mut Value), check, needle| {
        let mut altered = envelope.clone();
        f(&mut altered);
        cases.push((what, altered.to_string(), check, needle));
    };
    edit(
        "another payload type",
        &|e| e["payloadType"] = "application/json".into(),
        "type",
        "payloadType",
    );
    edit(
        "an unknown key id",
        &|e| e["signatures"][0]["keyid"] = "not-a-key".into(),
        "key",
        "not-a-key",
    );
    edit(
        "no key id",
        &|e| {
            e["signatures"][0].as_object_mut().unwrap().remove("keyid");
        },
        "key",
        "no keyid",
    );
    edit(
        "a flipped signature bit",
        &|e| {
            let mut sig = STANDARD
                .decode(e["signatures"][0]["sig"].as_str().unwrap())
                .unwrap();
            sig[5] ^= 1;
            e["signatures"][0]["sig"] = STANDARD.encode(sig).into();
        },
        "signature",
        "does not verify",
    );
    edit(
        "a signature that is not base64",
        &|e| e["signatures"][0]["sig"] = "!!".into(),
        "signature",
        "does not verify",
    );
    edit(
        "two signatures",
        &|e| {
            let first = e["signatures"][0].clone();
            e["signatures"] = json!([first.clone(), first]);
        },
        "format",
        "exactly one",
    );
    edit(
        "no signatures",
        &|e| e["signatures"] = json!([]),
        "format",
        "exactly one",
    );
    edit(
        "a payload that is not base64",
        &|e| e["payload"] = "%%%".into(),
        "format",
        "base64",
    );
    cases.push((
        "not JSON",
        "{not json".into(),
        "format",
        "not a DSSE envelope",
    ));

    for (what, presented, check, needle) in cases {
        let answer = verify(&app, &presented).await;
        assert!(!answer.valid, "{what}");
        let (name, detail) = first_failed(&answer);
        assert_eq!(name, check, "{what}: {detail}");
        assert!(detail.contains(needle), "{what}: {detail}");
        // Nothing of the certificate is told for a forgery.
        assert!(answer.claims_json.is_empty(), "{what}");
        assert!(answer.status_history.is_empty(), "{what}");
    }
    // The original still verifies: nothing was changed by the attempts.
    assert!(verify(&app, &issued.dsse_envelope).await.valid);
}

#[tokio::test]
async fn a_revoked_certificate_fails_in_either_form_with_the_same_status_check() {
    let app = spawn_app().await;
    let (_, mix) = certifiable(&app).await;
    let issued = issue(&app, issue_request(&mix)).await;
    assert!(verify(&app, &issued.dsse_envelope).await.valid);
    let revoked = app
        .certificates()
        .revoke_certificate(authed(
            &app.admin,
            pb::RevokeCertificateRequest {
                id: issued.id.clone(),
                reason: "contract ended".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    // Revocation changes the status, not the envelope.
    assert_eq!(revoked.dsse_envelope, issued.dsse_envelope);
    let by_envelope = verify(&app, &issued.dsse_envelope).await;
    let by_token = verify(&app, &issued.token).await;
    assert!(!by_envelope.valid);
    assert_eq!(by_envelope.status, pb::CertificateStatus::Revoked as i32);
    assert_eq!(first_failed(&by_envelope), first_failed(&by_token));
    assert!(first_failed(&by_envelope).1.contains("contract ended"));
    assert_eq!(
        by_envelope.revoke_cause,
        format!("certificates/{}", issued.id)
    );
}

#[tokio::test]
async fn the_http_api_and_the_verification_page_take_the_envelope() {
    let app = spawn_app().await;
    let (_, mix) = certifiable(&app).await;
    let issued = issue(&app, issue_request(&mix)).await;

    let body = json!({"token": issued.dsse_envelope}).to_string();
    let answer = post_json(&app, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let verified: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(verified["valid"], true, "{verified}");
    assert_eq!(verified["certificateId"], issued.id.as_str());

    let pasted = post_pasted(&app, &issued.dsse_envelope).await;
    assert_eq!(pasted.status, 200);
    assert!(
        pasted.body.contains("VALID: every check made passed"),
        "{}",
        pasted.body
    );
    assert!(!pasted.body.contains("NOT VALID"), "{}", pasted.body);
    assert!(pasted.body.contains("DSSE envelope"), "{}", pasted.body);

    let uploaded = post_upload(&app, "mix.dsse.json", issued.dsse_envelope.as_bytes()).await;
    assert_eq!(uploaded.status, 200);
    assert!(!uploaded.body.contains("NOT VALID"), "{}", uploaded.body);
    assert!(
        uploaded.body.contains("VALID: every check made passed"),
        "{}",
        uploaded.body
    );

    let forged = with_statement(&serde_json::from_str(&issued.dsse_envelope).unwrap(), |s| {
        s["predicate"]["verdict"] = "EXEMPT".into()
    });
    let refused = post_pasted(&app, &forged).await;
    assert!(refused.body.contains("NOT VALID"), "{}", refused.body);
}

#[tokio::test]
async fn an_envelope_signed_before_a_rotation_still_verifies_with_the_retired_key() {
    let app = spawn_app().await;
    let (_, mix) = certifiable(&app).await;
    let issued = issue(&app, issue_request(&mix)).await;
    app.run_command(&["keys", "rotate"]);
    let answer = verify(&app, &issued.dsse_envelope).await;
    assert!(answer.valid, "{:?}", answer.checks);
    // Read after the rotation, it is still the envelope signed at issuance, by the old key; a
    // new certificate's is signed by the new one.
    assert_eq!(
        get(&app, &issued.id).await.dsse_envelope,
        issued.dsse_envelope
    );
    let newer = issue(&app, issue_request(&mix)).await;
    assert_ne!(newer.kid, issued.kid);
    let envelope: Value = serde_json::from_str(&newer.dsse_envelope).unwrap();
    assert_eq!(envelope["signatures"][0]["keyid"], newer.kid.as_str());
    assert!(verify(&app, &newer.dsse_envelope).await.valid);
}
