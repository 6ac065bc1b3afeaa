//! Verifying a lineage certificate without the network, against a JWKS the verifier holds (one it
//! pinned with `provctl cert keys --out`, or the one packed in a bundle). Pure: token, keys and a
//! moment in, checks out.
//!
//! The checks are the registry's own (`VerifyCertificate`), by the same names and in the same
//! order, and a check after a failed one is reported as not checked, as the registry does. Two of
//! the registry's checks cannot be made offline and are reported apart, as [`ONLINE_ONLY`]:
//! `status` (whether the certificate was revoked) and `lineage` (whether its lineage digest matches
//! the registry's records).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use ed25519_verify::PublicKey;
use provenance_registry::domain::certificate::{
    CERTIFICATE_TYPE, CertificateClaims, signed_claims,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The checks made offline, in the order they run (the registry's order, less `status` and
/// `lineage`).
const OFFLINE_CHECKS: [&str; 8] = [
    "format",
    "algorithm",
    "type",
    "key",
    "signature",
    "key_window",
    "validity",
    "audience",
];

/// The registry's checks that need the registry, and why they are not made offline.
pub const ONLINE_ONLY: [(&str, &str); 2] = [
    (
        "status",
        "not checked offline: only the registry knows whether the certificate was revoked; run `provctl cert verify` without --offline",
    ),
    (
        "lineage",
        "not checked offline: only the registry can confirm that the lineage digest matches its records",
    ),
];

/// One check, online or offline: its name, whether it passed, what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `format`, `algorithm`, `type`, `key`, `signature`, `key_window`, `validity`, `audience`,
    /// and online also `status` and `lineage`; `bundle` for a bundle's summary.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub detail: String,
}

impl Check {
    /// A check by name.
    pub fn new(name: &str, passed: bool, detail: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            passed,
            detail: detail.into(),
        }
    }
}

/// The outcome of an offline verification.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Every check passed. Says nothing of revocation: see [`ONLINE_ONLY`].
    pub valid: bool,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// The claims, when the signature verified.
    pub claims: Option<CertificateClaims>,
    /// The claims exactly as signed, when the signature verified.
    pub claims_json: Option<String>,
    /// The `kid` of the key that verified the signature.
    pub kid: Option<String>,
}

/// Verifies `token` against the keys of `jwks` (a JWKS document: `{"keys": [...]}`) as things
/// stand at `at`, expecting `audience` when given.
pub fn verify(
    token: &str,
    jwks: &Value,
    audience: Option<Uuid>,
    at: DateTime<Utc>,
) -> Verification {
    let mut checks = Vec::new();
    let token = token.trim();
    let signed = verify_signature(token, jwks, &mut checks);
    let Some(Signed {
        claims,
        claims_json,
        key,
        kid,
    }) = signed
    else {
        return finish(checks, None);
    };

    checks.push(key_window_check(&kid, key, claims.iat));
    let now = at.timestamp();
    let in_window = claims.nbf <= now && now < claims.exp;
    checks.push(Check::new(
        "validity",
        in_window,
        if in_window {
            "within its validity window"
        } else if now >= claims.exp {
            "expired"
        } else {
            "not valid yet"
        },
    ));
    checks.push(match audience {
        None => Check::new("audience", true, "no audience expected"),
        Some(expected) => {
            let matches = claims.aud.as_deref() == Some(expected.to_string().as_str());
            Check::new(
                "audience",
                matches,
                if matches {
                    "issued for the expected organisation".to_owned()
                } else {
                    format!(
                        "issued for {}, not for {expected}",
                        claims.aud.as_deref().unwrap_or("no audience")
                    )
                },
            )
        }
    });
    let mut verification = finish(checks, Some((claims, claims_json)));
    verification.kid = Some(kid);
    verification
}

/// What a verified signature yields.
struct Signed<'a> {
    claims: CertificateClaims,
    claims_json: String,
    key: &'a Map<String, Value>,
    kid: String,
}

/// The format, algorithm, type, key and signature checks, as the registry makes them.
fn verify_signature<'a>(
    token: &str,
    jwks: &'a Value,
    checks: &mut Vec<Check>,
) -> Option<Signed<'a>> {
    let parts: Vec<&str> = token.split('.').collect();
    let header = match parts.as_slice() {
        [header, _, _] => decode_json(header),
        _ => Err(format!("{} part(s) separated by dots, not 3", parts.len())),
    };
    let header = match header {
        Ok(Value::Object(header)) => header,
        Ok(_) => {
            checks.push(Check::new(
                "format",
                false,
                "not a compact JWS with a readable header: the header is not a JSON object",
            ));
            return None;
        }
        Err(e) => {
            checks.push(Check::new(
                "format",
                false,
                format!("not a compact JWS with a readable header: {e}"),
            ));
            return None;
        }
    };
    checks.push(Check::new("format", true, "a compact JWS"));

    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg != "EdDSA" {
        checks.push(Check::new(
            "algorithm",
            false,
            format!("{alg:?} is not allowed; certificates use EdDSA"),
        ));
        return None;
    }
    checks.push(Check::new("algorithm", true, "EdDSA"));

    let typ = header.get("typ").and_then(Value::as_str).unwrap_or("");
    if typ != CERTIFICATE_TYPE {
        checks.push(Check::new(
            "type",
            false,
            format!("typ {typ:?} is not {CERTIFICATE_TYPE:?}: not a lineage certificate"),
        ));
        return None;
    }
    checks.push(Check::new("type", true, CERTIFICATE_TYPE));

    let kid = header.get("kid").and_then(Value::as_str).unwrap_or("");
    let (key, verifying) = match find_key(jwks, kid) {
        Ok(found) => found,
        Err(why) => {
            checks.push(Check::new("key", false, why));
            return None;
        }
    };
    checks.push(Check::new(
        "key",
        true,
        format!(
            "signed with key {kid} ({} in the JWKS)",
            key.get("status")
                .and_then(Value::as_str)
                .unwrap_or("no status")
        ),
    ));

    // Three parts, as the format check found: the signature covers the first two as sent.
    let (signing_input, signature) = token.rsplit_once('.').unwrap_or((token, ""));
    let verifies = signature_verifies(&verifying, signing_input.as_bytes(), signature);
    if !verifies {
        checks.push(Check::new(
            "signature",
            false,
            "the signature does not verify: the token was altered, or signed by another key",
        ));
        return None;
    }
    match signed_claims(signing_input) {
        Ok((claims, claims_json)) => {
            checks.push(Check::new("signature", true, "the signature verifies"));
            Some(Signed {
                claims,
                claims_json,
                key,
                kid: kid.to_owned(),
            })
        }
        Err(e) => {
            checks.push(Check::new(
                "signature",
                false,
                format!("the signed claims are not a lineage certificate's: {e}"),
            ));
            None
        }
    }
}

/// Whether `signature` (base64url, as in the token) is `key`'s signature of `signing_input` under
/// the one Ed25519 rule the registry applies online (`ed25519-verify`; SECURITY.md, "Ed25519
/// signatures"), so that a crafted signature gets the same answer offline as online.
pub fn signature_verifies(key: &PublicKey, signing_input: &[u8], signature: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(signature)
        .is_ok_and(|bytes| ed25519_verify::verify(key, signing_input, &bytes).is_ok())
}

/// The JWK named `kid`, if it is an Ed25519 signing key whose id is its thumbprint and whose public
/// key the signature rule accepts; otherwise why not.
fn find_key<'a>(jwks: &'a Value, kid: &str) -> Result<(&'a Map<String, Value>, PublicKey), String> {
    if kid.is_empty() {
        return Err("the token names no key (no kid in its header)".into());
    }
    let key = jwk_list(jwks)
        .iter()
        .filter_map(Value::as_object)
        .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
        .ok_or_else(|| format!("kid {kid:?} is not in the JWKS"))?;
    let member = |name: &str| key.get(name).and_then(Value::as_str).unwrap_or("");
    if member("use") != "sig" {
        return Err(format!(
            "key {kid} is not a signing key: its use is {:?}, not \"sig\"",
            member("use")
        ));
    }
    if member("kty") != "OKP" || member("crv") != "Ed25519" {
        return Err(format!(
            "key {kid} is not an Ed25519 key (kty {:?}, crv {:?})",
            member("kty"),
            member("crv")
        ));
    }
    if key.contains_key("alg") && member("alg") != "EdDSA" {
        return Err(format!("key {kid} is for {:?}, not EdDSA", member("alg")));
    }
    let x = member("x");
    let bytes = URL_SAFE_NO_PAD
        .decode(x)
        .map_err(|_| format!("key {kid} holds no Ed25519 public key in x: not base64url"))?;
    let verifying = PublicKey::from_bytes(&bytes)
        .map_err(|why| format!("key {kid} holds no usable Ed25519 public key in x: {why}"))?;
    if thumbprint(x) != kid {
        return Err(format!(
            "kid {kid} is not the RFC 7638 thumbprint of its key: the JWKS was altered"
        ));
    }
    Ok((key, verifying))
}

/// Whether the key was active when the certificate was issued, by the JWK's `valid_from` and
/// `valid_until` members (the registry's; a plain JWKS lacks them, and then the answer is no).
fn key_window_check(kid: &str, key: &Map<String, Value>, iat: i64) -> Check {
    let time = |name: &str| -> Result<Option<DateTime<Utc>>, String> {
        match key.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
                .map(|t| Some(t.to_utc()))
                .map_err(|_| format!("key {kid} has a malformed {name} {text:?}")),
            Some(_) => Err(format!("key {kid} has a malformed {name}")),
        }
    };
    let window = time("valid_from").and_then(|from| Ok((from, time("valid_until")?)));
    let (from, until) = match window {
        Ok((Some(from), until)) => (from, until),
        Ok((None, _)) => {
            return Check::new(
                "key_window",
                false,
                format!(
                    "the JWKS gives no valid_from for key {kid}, so whether it was active at the issue time is unknown; use the registry's JWKS (`provctl cert keys`)"
                ),
            );
        }
        Err(why) => return Check::new("key_window", false, why),
    };
    let Some(issued) = DateTime::from_timestamp(iat, 0) else {
        return Check::new("key_window", false, "the issue time is out of range");
    };
    // As the registry: `iat` is in whole seconds, the key's start in microseconds.
    let within = from <= issued + Duration::seconds(1) && until.is_none_or(|until| issued < until);
    Check::new(
        "key_window",
        within,
        if within {
            format!("key {kid} was active when the certificate was issued")
        } else {
            format!("key {kid} was not active at the certificate's issue time")
        },
    )
}

/// Reports the checks not reached as not checked, and whether all passed.
fn finish(mut checks: Vec<Check>, claims: Option<(CertificateClaims, String)>) -> Verification {
    for name in OFFLINE_CHECKS.iter().skip(checks.len()) {
        checks.push(Check::new(
            name,
            false,
            "not checked: an earlier check failed",
        ));
    }
    let (claims, claims_json) = claims.unzip();
    Verification {
        valid: checks.iter().all(|c| c.passed),
        checks,
        claims,
        claims_json,
        kid: None,
    }
}

/// The keys of a JWKS document; none when it has no `keys` list.
pub fn jwk_list(jwks: &Value) -> &[Value] {
    jwks.get("keys")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Checks that `jwks` looks like a JWKS that can verify certificates: an object with a list of
/// keys, at least one a signing key (`"use": "sig"`) with a `kid`. Other keys (the registry also
/// lists its transparency log's key, `"use": "log"`) are allowed and never used.
pub fn check_jwks(jwks: &Value) -> Result<(), String> {
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        return Err("not a JWKS: expected a JSON object with a \"keys\" list".into());
    };
    let signing = keys.iter().any(|k| {
        k.get("use").and_then(Value::as_str) == Some("sig")
            && k.get("kid").and_then(Value::as_str).is_some()
    });
    if !signing {
        return Err("the JWKS holds no signing key (a key with a kid and \"use\": \"sig\")".into());
    }
    Ok(())
}

/// The token's claims, read without verifying anything: for showing what a certificate the
/// registry sent over an authenticated channel states. `None` when they do not decode.
pub fn unverified_claims(token: &str) -> Option<Value> {
    let payload = token.trim().split('.').nth(1)?;
    decode_json(payload).ok()
}

fn decode_json(part: &str) -> Result<Value, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| "a part is not base64url".to_owned())?;
    serde_json::from_slice(&bytes).map_err(|_| "a part is not JSON".to_owned())
}

/// RFC 7638 thumbprint of an Ed25519 public key `x`: base64url SHA-256 of the required members in
/// lexicographic order, without whitespace.
pub fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
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

    fn failed(v: &Verification) -> Vec<&str> {
        v.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name.as_str())
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
        let names: Vec<&str> = v.checks.iter().map(|c| c.name.as_str()).collect();
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
        assert_eq!(skipped, 3);
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
        let document: Value =
            serde_json::from_str(include_str!("../../../tests/data/ed25519_speccheck.json"))
                .expect("the vectors are JSON");
        let cases = document["cases"].as_array().expect("cases");
        assert!(cases.len() >= 12);
        for case in cases {
            let field = |name: &str| hex::decode(case[name].as_str().expect("hex")).expect("hex");
            let signature = URL_SAFE_NO_PAD.encode(field("signature"));
            let outcome = PublicKey::from_bytes(&field("public_key"))
                .is_ok_and(|key| signature_verifies(&key, &field("message"), &signature));
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
}
