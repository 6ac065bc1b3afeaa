//! The offline checks against known keys, signatures, times and the shared Ed25519 edge cases.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ed25519_verify::PublicKey;
use serde_json::Value;
use uuid::Uuid;

use super::checks::{OfflineVerification, unverified_claims};
use super::jwks::{check_jwks, thumbprint};
use super::*;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::json;

/// RFC 8037, appendix A.1: a key whose thumbprint is known (A.3).
const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const KID: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
const ISSUED: i64 = 1_800_000_000;

fn signing_key() -> SigningKey {
    let mut seed = [0u8; 32];
    hex::decode_to_slice(SEED, &mut seed).expect("the RFC's seed is hex");
    SigningKey::from_bytes(&seed)
}

fn jwks() -> Value {
    json!({"keys": [{
        "kty": "OKP", "crv": "Ed25519", "x": X, "kid": KID, "use": "sig", "alg": "EdDSA",
        "status": "active", "valid_from": "2027-01-01T00:00:00.000000Z", "valid_until": null,
    }]})
}

fn claims(aud: Option<&str>) -> Value {
    json!({
        "iss": "provenance-registry",
        "sub": "datasets/0193a5b0-0000-7000-8000-000000000001",
        "aud": aud,
        "iat": ISSUED, "nbf": ISSUED, "exp": ISSUED + 86_400,
        "jti": "0193a5b0-0000-7000-8000-0000000000c1",
        "dataset": {
            "id": "0193a5b0-0000-7000-8000-000000000001",
            "organization_id": "0193a5b0-0000-7000-8000-0000000000a1",
            "name": "sft", "version": "1",
            "content_digest": format!("sha256:{}", "0".repeat(64)),
        },
        "lineage": {
            "digest": format!("sha256:{}", "1".repeat(64)), "size": 1,
            "members": ["0193a5b0-0000-7000-8000-000000000001"], "members_complete": true,
        },
        "policy": {"id": "p", "version": "1", "clause_sha256": "2".repeat(64)},
        "verdict": "CLEAN",
        "attestations": [],
    })
}

fn sign(header: &Value, claims: &Value) -> String {
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let input = format!("{}.{}", encode(header), encode(claims));
    let signature = signing_key().sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn header() -> Value {
    json!({"alg": "EdDSA", "typ": CERTIFICATE_TYPE, "kid": KID})
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).expect("in range")
}

/// Every offline check of `token` against the JWKS `jwks`.
fn verify(
    token: &str,
    jwks: &Value,
    audience: Option<Uuid>,
    at: DateTime<Utc>,
) -> OfflineVerification {
    verify_offline(token, &JsonWebKeySet::new(jwks), audience, at)
}

fn failed(v: &OfflineVerification) -> Vec<&str> {
    v.checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name.as_ref())
        .collect()
}

#[test]
fn the_kid_is_the_rfc_7638_thumbprint() {
    assert_eq!(thumbprint(X), KID);
}

#[test]
fn a_good_token_passes_every_check_in_the_registrys_order() {
    let token = sign(&header(), &claims(None));
    let v = verify(&token, &jwks(), None, at(ISSUED + 60));
    assert!(v.valid, "{:#?}", v.checks);
    let names: Vec<&str> = v.checks.iter().map(|c| c.name.as_ref()).collect();
    assert_eq!(names, OFFLINE_CHECKS);
    assert_eq!(v.kid.as_deref(), Some(KID));
    assert_eq!(
        v.claims.map(|c| c.jti),
        Some("0193a5b0-0000-7000-8000-0000000000c1".to_owned())
    );
}

#[test]
fn one_altered_character_fails_the_signature_and_skips_the_rest() {
    let token = sign(&header(), &claims(None));
    let (head, rest) = token.split_once('.').expect("three parts");
    let mut payload: Vec<char> = rest.chars().collect();
    payload[10] = if payload[10] == 'A' { 'B' } else { 'A' };
    let altered = format!("{head}.{}", payload.into_iter().collect::<String>());
    let v = verify(&altered, &jwks(), None, at(ISSUED + 60));
    assert!(!v.valid);
    assert_eq!(failed(&v)[0], "signature");
    let skipped = v
        .checks
        .iter()
        .filter(|c| c.detail.starts_with("not checked"))
        .count();
    assert_eq!(skipped, 4, "key_window, validity, audience, policies");
    assert!(v.claims.is_none());
}

#[test]
fn time_audience_and_key_window_are_judged_at_the_moment_asked() {
    let org = "0193a5b0-0000-7000-8000-0000000000b1";
    let token = sign(&header(), &claims(Some(org)));
    let expected: Uuid = org.parse().expect("a UUID");
    let other = Uuid::nil();
    assert!(verify(&token, &jwks(), Some(expected), at(ISSUED + 60)).valid);
    let wrong = verify(&token, &jwks(), Some(other), at(ISSUED + 60));
    assert_eq!(failed(&wrong), ["audience"]);
    let late = verify(&token, &jwks(), None, at(ISSUED + 86_400));
    assert_eq!(failed(&late), ["validity"]);
    assert!(late.checks[6].detail.contains("expired"));
    let early = verify(&token, &jwks(), None, at(ISSUED - 1));
    assert!(early.checks[6].detail.contains("not valid yet"));

    // A key retired before the certificate was issued could not have signed it.
    let mut retired = jwks();
    retired["keys"][0]["valid_until"] = json!("2027-01-01T00:00:01Z");
    assert_eq!(
        failed(&verify(&token, &retired, None, at(ISSUED + 60))),
        ["key_window"]
    );
    let mut plain = jwks();
    plain["keys"][0]
        .as_object_mut()
        .expect("an object")
        .remove("valid_from");
    let unknown = verify(&token, &plain, None, at(ISSUED + 60));
    assert_eq!(failed(&unknown), ["key_window"]);
}

#[test]
fn algorithm_type_and_key_are_refused_as_the_registry_does() {
    let none = sign(
        &json!({"alg": "none", "typ": CERTIFICATE_TYPE, "kid": KID}),
        &claims(None),
    );
    assert_eq!(
        failed(&verify(&none, &jwks(), None, at(ISSUED)))[0],
        "algorithm"
    );
    let access = sign(
        &json!({"alg": "EdDSA", "typ": "at+jwt", "kid": KID}),
        &claims(None),
    );
    assert_eq!(
        failed(&verify(&access, &jwks(), None, at(ISSUED)))[0],
        "type"
    );
    let unknown = sign(
        &json!({"alg": "EdDSA", "typ": CERTIFICATE_TYPE, "kid": "x"}),
        &claims(None),
    );
    assert_eq!(
        failed(&verify(&unknown, &jwks(), None, at(ISSUED)))[0],
        "key"
    );

    let token = sign(&header(), &claims(None));
    let mut encryption = jwks();
    encryption["keys"][0]["use"] = json!("enc");
    let v = verify(&token, &encryption, None, at(ISSUED));
    assert_eq!(failed(&v)[0], "key");
    assert!(v.checks[3].detail.contains("not a signing key"));
    // Another key under this key's id.
    let mut swapped = jwks();
    swapped["keys"][0]["x"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
    assert_eq!(
        failed(&verify(&token, &swapped, None, at(ISSUED)))[0],
        "key"
    );

    for garbage in ["", "a.b", "not a token", "a.b.c"] {
        let v = verify(garbage, &jwks(), None, at(ISSUED));
        assert_eq!(failed(&v)[0], "format", "{garbage:?}");
        assert_eq!(v.checks.len(), OFFLINE_CHECKS.len());
    }
}

#[test]
fn jwks_documents_are_checked_for_shape() {
    assert!(check_jwks(&jwks()).is_ok());
    assert!(check_jwks(&json!({"keys": []})).is_err());
    assert!(check_jwks(&json!({"kid": KID})).is_err());
    assert!(check_jwks(&json!({"keys": [{"x": X, "use": "sig"}]})).is_err());
    assert!(check_jwks(&json!({"keys": [{"kid": KID, "use": "log"}]})).is_err());
}

#[test]
fn the_transparency_logs_key_is_listed_but_never_signs_certificates() {
    let mut with_log_key = jwks();
    let log_key = json!({
        "kty": "OKP", "crv": "Ed25519", "x": X, "kid": "log-key", "use": "log",
        "alg": "EdDSA", "status": "active",
    });
    with_log_key["keys"]
        .as_array_mut()
        .expect("a list")
        .push(log_key);
    assert!(check_jwks(&with_log_key).is_ok());
    let token = sign(&header(), &claims(None));
    assert!(verify(&token, &with_log_key, None, at(ISSUED)).valid);
    let by_log_key = sign(
        &json!({"alg": "EdDSA", "typ": CERTIFICATE_TYPE, "kid": "log-key"}),
        &claims(None),
    );
    let v = verify(&by_log_key, &with_log_key, None, at(ISSUED));
    assert_eq!(failed(&v)[0], "key");
    assert!(
        v.checks[3].detail.contains("not a signing key"),
        "{:?}",
        v.checks[3]
    );
}

#[test]
fn claims_can_be_read_for_display() {
    let token = sign(&header(), &claims(None));
    assert_eq!(
        unverified_claims(&token).and_then(|c| c["verdict"].as_str().map(str::to_owned)),
        Some("CLEAN".to_owned())
    );
    assert!(unverified_claims("x").is_none());
}

/// The shared edge cases (tests/data/ed25519_speccheck.json): offline, each gets the outcome
/// the rule gives it, as online and in the Python client.
#[test]
fn the_shared_ed25519_edge_cases_get_the_rules_outcome() {
    let document: Value = serde_json::from_str(include_str!(
        "../../../../tests/data/ed25519_speccheck.json"
    ))
    .expect("the vectors are JSON");
    let cases = document["cases"].as_array().expect("cases");
    assert!(cases.len() >= 12);
    for case in cases {
        let field = |name: &str| hex::decode(case[name].as_str().expect("hex")).expect("hex");
        let outcome = PublicKey::from_bytes(&field("public_key")).is_ok_and(|key| {
            ed25519_verify::verify(&key, &field("message"), &field("signature")).is_ok()
        });
        assert_eq!(outcome, case["valid"] == true, "{}", case["id"]);
    }
}

/// A key the rule refuses (here the small-order key of speccheck case 0) fails the `key` check,
/// whatever the signature, as in the Python client.
#[test]
fn a_small_order_or_non_canonical_key_in_the_jwks_fails_the_key_check() {
    for x in [
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ] {
        let x = URL_SAFE_NO_PAD.encode(hex::decode(x).expect("hex"));
        let kid = thumbprint(&x);
        let jwks = json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig",
            "valid_from": "2027-01-01T00:00:00Z",
        }]});
        let token = sign(
            &json!({"alg": "EdDSA", "typ": CERTIFICATE_TYPE, "kid": kid}),
            &claims(None),
        );
        let v = verify(&token, &jwks, None, at(ISSUED));
        assert_eq!(failed(&v)[0], "key", "{:?}", v.checks);
        assert!(v.checks[3].detail.contains("no usable Ed25519 public key"));
    }
}

/// Signatures the key's holder crafted over a real token: the `signature` check gives the
/// rule's answer (the mixed-order one passes here, where `verify_strict` refused it before).
#[test]
fn signatures_crafted_by_the_key_holder_get_the_rules_answer() {
    use ed25519_verify::crafting::{Craft, craft};
    let token = sign(&header(), &claims(None));
    let (signing_input, _) = token.rsplit_once('.').expect("three parts");
    let mut seed = [0u8; 32];
    hex::decode_to_slice(SEED, &mut seed).expect("hex");
    for how in Craft::ALL {
        let signature = craft(&seed, signing_input.as_bytes(), how);
        let crafted = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));
        let v = verify(&crafted, &jwks(), None, at(ISSUED + 60));
        assert_eq!(v.valid, how.expected().is_ok(), "{how:?}: {:#?}", v.checks);
        assert_eq!(v.checks[4].name, "signature");
        assert_eq!(v.checks[4].passed, how.expected().is_ok(), "{how:?}");
    }
}

/// The DSSE envelope of `token`'s claims, as the registry signs it at issuance.
fn envelope_of(token: &str, log_index: u64) -> String {
    let payload = token.split('.').nth(1).expect("three parts");
    let claims_json =
        String::from_utf8(URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("UTF-8");
    let statement = dsse::statement(&claims_json, token, log_index).expect("a statement");
    let signature = signing_key().sign(&dsse::pae(dsse::PAYLOAD_TYPE, &statement));
    dsse::envelope_json(&statement, KID, &signature.to_bytes())
}

#[test]
fn the_pae_is_the_dsse_specifications() {
    // The DSSE protocol document's example.
    assert_eq!(
        dsse::pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
    );
}

#[test]
fn an_envelope_passes_the_same_checks_as_its_token_and_states_the_same_claims() {
    let token = sign(
        &header(),
        &claims(Some("0193a5b0-0000-7000-8000-0000000000b1")),
    );
    let envelope = envelope_of(&token, 41);
    let audience = Uuid::try_parse("0193a5b0-0000-7000-8000-0000000000b1").ok();
    let by_token = verify(&token, &jwks(), audience, at(ISSUED + 60));
    let by_envelope = verify(&envelope, &jwks(), audience, at(ISSUED + 60));
    assert!(by_envelope.valid, "{:#?}", by_envelope.checks);
    let names =
        |v: &OfflineVerification| v.checks.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&by_envelope), names(&by_token));
    assert_eq!(by_envelope.claims, by_token.claims);
    assert_eq!(by_envelope.kid.as_deref(), Some(KID));
    let statement: Value =
        serde_json::from_str(by_envelope.claims_json.as_deref().expect("signed")).expect("JSON");
    assert_eq!(statement["predicate"]["log_index"], 41);
    assert_eq!(
        statement["subject"][0]["name"],
        "0193a5b0-0000-7000-8000-0000000000a1/sft@1"
    );
    assert_eq!(statement["subject"][0]["digest"]["sha256"], "0".repeat(64));
    // The same certificate always gives the same envelope.
    assert_eq!(envelope_of(&token, 41), envelope);

    // Expiry, audience and key window are judged from the predicate as from the token.
    assert_eq!(
        failed(&verify(&envelope, &jwks(), audience, at(ISSUED + 86_400))),
        ["validity"]
    );
    assert_eq!(
        failed(&verify(
            &envelope,
            &jwks(),
            Some(Uuid::nil()),
            at(ISSUED + 60)
        )),
        ["audience"]
    );
}

#[test]
fn an_envelope_whose_subject_is_not_the_predicates_dataset_fails_the_signature_check() {
    // Signed by the key's holder, yet not a certificate: the subject names another dataset.
    let token = sign(&header(), &claims(None));
    let envelope: Value = serde_json::from_str(&envelope_of(&token, 1)).expect("JSON");
    let mut statement: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(envelope["payload"].as_str().expect("payload"))
            .expect("base64"),
    )
    .expect("JSON");
    statement["subject"][0]["name"] = "other/thing@1".into();
    let statement = statement.to_string().into_bytes();
    let signature = signing_key().sign(&dsse::pae(dsse::PAYLOAD_TYPE, &statement));
    let forged = dsse::envelope_json(&statement, KID, &signature.to_bytes());
    let v = verify(&forged, &jwks(), None, at(ISSUED + 60));
    assert_eq!(failed(&v)[0], "signature");
    assert!(
        v.checks.iter().any(|c| c.detail.contains("subject")),
        "{:#?}",
        v.checks
    );
}
