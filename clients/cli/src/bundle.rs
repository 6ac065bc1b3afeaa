//! Certificate bundles: one JSON file holding a certificate's token, the keys that verify it and
//! a summary of what it states, for a buyer to attach to a contract and verify years later
//! without the registry (`provctl cert verify BUNDLE --offline`).
//!
//! ```text
//! {
//!   "format": "provenance-certificate-bundle/v1",
//!   "token": "<the compact JWS>",
//!   "dsse_envelope": {...},           the same certificate as an in-toto Statement in a DSSE
//!                                     envelope, when the bundler could read it (optional)
//!   "jwks": {"keys": [...]},          the registry's signing keys when bundled
//!   "certificate": {...},             a summary of the signed claims, and the status when bundled
//!   "lineage": [{"id", "name", "version", "content_digest", "depth"}, ...],
//!   "log": {                          the transparency log's evidence of the issuance, or null
//!     "verifier_key": "<name>+<key id>+<key>",
//!     "checkpoint": "<signed note>",
//!     "inclusion": {...},              a provenance-log-inclusion/v1 proof of the issuance leaf
//!     "issuance_event": {...}          the certificate.issued event, or null if unreadable
//!   },
//!   "status_list": "<statuslist+jwt>"  the certificate's token status list when bundled, for
//!                                     offline revocation checks (optional)
//! }
//! ```
//!
//! Only the token, the envelope, the checkpoint and the status list are signed. The summary and the lineage list are for people
//! and are checked against the signed claims when the bundle is verified (the `bundle` check);
//! the `log` member is checked against the log key (the `log_*` checks).

use chrono::{DateTime, SecondsFormat, Utc};
use provenance_api::certificate::CertificateClaims;
use provenance_api::event_chain::{Event, event_hash};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use transparency_log::{CosignatureVerifier, NoteVerifier, verify_cosignatures};

use crate::logproof::{self, INCLUSION_FORMAT, InclusionProof, VerifyInput};
use crate::offline::Check;

/// The type of the event a certificate's log index points at.
const ISSUANCE_EVENT: &str = "certificate.issued";

/// The `format` member of every bundle of this version.
pub const BUNDLE_FORMAT: &str = "provenance-certificate-bundle/v1";

/// A bundle as read from a file.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The certificate's compact JWS.
    pub token: String,
    /// The same certificate's DSSE envelope (JSON text), when the bundle carries it.
    pub dsse_envelope: Option<String>,
    /// The signing keys packed with it.
    pub jwks: Value,
    /// The summary (unsigned).
    pub certificate: Value,
    /// The lineage members the bundler could see (unsigned).
    pub lineage: Vec<Value>,
    /// The transparency log's evidence (`null` when the bundle has none).
    pub log: Value,
    /// The certificate's token status list (`statuslist+jwt`) as fetched when bundled, if any.
    pub status_list: Option<String>,
}

/// The outcome of the `log` member's checks.
#[derive(Debug, Default)]
pub struct LogChecks {
    /// The checks made, each named `log_...`.
    pub checks: Vec<Check>,
    /// What could not be checked, and why.
    pub not_checked: Vec<Check>,
}

impl Bundle {
    /// Reads a bundle from its JSON; the error says what is wrong with it.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        match value.get("format").and_then(Value::as_str) {
            Some(BUNDLE_FORMAT) => {}
            Some(other) => {
                return Err(format!(
                    "a bundle of format {other:?}, which this provctl does not know (it reads {BUNDLE_FORMAT}); upgrade provctl"
                ));
            }
            None => return Err(format!("not a bundle: no \"format\": {BUNDLE_FORMAT:?}")),
        }
        let token = value
            .get("token")
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .ok_or("the bundle holds no token")?
            .trim()
            .to_owned();
        let jwks = value.get("jwks").cloned().unwrap_or(Value::Null);
        crate::offline::check_jwks(&jwks).map_err(|e| format!("the bundle's jwks: {e}"))?;
        let dsse_envelope = match value.get("dsse_envelope") {
            None | Some(Value::Null) => None,
            Some(envelope @ Value::Object(_)) => Some(envelope.to_string()),
            Some(_) => return Err("the bundle's dsse_envelope is not a JSON object".into()),
        };
        Ok(Self {
            token,
            dsse_envelope,
            jwks,
            certificate: value.get("certificate").cloned().unwrap_or(Value::Null),
            lineage: value
                .get("lineage")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            log: value.get("log").cloned().unwrap_or(Value::Null),
            status_list: value
                .get("status_list")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// The log key packed in the `log` member, if there is one.
    pub fn log_verifier(&self) -> Option<Result<NoteVerifier, String>> {
        let vkey = self.log.get("verifier_key")?.as_str()?;
        Some(
            NoteVerifier::from_vkey(vkey)
                .map_err(|e| format!("the bundle's log verifier_key is not a log key: {e}")),
        )
    }

    /// The origin the `log` member's checkpoint names (unverified: to name a key with).
    pub fn log_origin(&self) -> Option<&str> {
        self.log.get("checkpoint")?.as_str()?.lines().next()
    }

    /// Checks the `log` member with `verifier`: the checkpoint's signature and origin, the
    /// inclusion proof against it, and that the proven leaf is this certificate's issuance event
    /// (the leaf's data is the event's chain hash, and the event names the certificate and the
    /// SHA-256 of its token). `key_source` says where `verifier` came from, for the details.
    pub fn log_checks(
        &self,
        verifier: &NoteVerifier,
        key_source: &str,
        claims: Option<&CertificateClaims>,
    ) -> LogChecks {
        let malformed = |why: &str| LogChecks {
            checks: vec![Check::new(
                "log",
                false,
                format!("the bundle's log member is malformed: {why}"),
            )],
            not_checked: Vec::new(),
        };
        let Some(note) = self.log.get("checkpoint").and_then(Value::as_str) else {
            return malformed("no signed checkpoint");
        };
        let Some(inclusion) = self.log.get("inclusion") else {
            return malformed("no inclusion proof");
        };
        if inclusion.get("format").and_then(Value::as_str) != Some(INCLUSION_FORMAT) {
            return malformed(&format!("the inclusion proof is not {INCLUSION_FORMAT}"));
        }
        let verification = logproof::verify(
            verifier,
            &VerifyInput {
                checkpoint: Some(note),
                inclusion: Some(inclusion),
                ..VerifyInput::default()
            },
        );
        let renamed = |mut check: Check| {
            check.name = format!("log_{}", check.name).into();
            check
        };
        let mut checks: Vec<Check> = verification.checks.into_iter().map(renamed).collect();
        if let Some(first) = checks.first_mut() {
            first.detail = format!("{} ({key_source})", first.detail);
        }
        let mut not_checked: Vec<Check> =
            verification.not_checked.into_iter().map(renamed).collect();
        let proof_verified = checks.iter().any(|c| c.name == "log_inclusion" && c.passed);
        match (claims, InclusionProof::from_json(inclusion)) {
            (Some(claims), Ok(proof)) if proof_verified => {
                match self.log.get("issuance_event").filter(|e| !e.is_null()) {
                    Some(event) => checks.push(issuance_check(event, &proof, claims, &self.token)),
                    None => not_checked.push(Check::new(
                        "log_issuance",
                        false,
                        format!(
                            "not checked: the bundle holds no issuance event (its bundler could not read it), so leaf {} is shown to be logged but not to be this certificate's issuance",
                            proof.leaf_index
                        ),
                    )),
                }
            }
            _ => not_checked.push(Check::new(
                "log_issuance",
                false,
                "not checked: it rests on the certificate's claims and a verified inclusion proof",
            )),
        }
        LogChecks {
            checks,
            not_checked,
        }
    }

    /// The `log_witnesses` check: at least `threshold` of `witnesses` cosigned the bundle's
    /// checkpoint (c2sp.org/tlog-cosignature), the one its inclusion proof is against, so the log
    /// showed this tree to them and not another.
    pub fn witness_check(&self, witnesses: &[CosignatureVerifier], threshold: usize) -> Check {
        let fail = |detail: String| Check::new("log_witnesses", false, detail);
        let Some(note) = self.log.get("checkpoint").and_then(Value::as_str) else {
            return fail(format!(
                "{threshold} witness cosignature(s) demanded, but the bundle carries no checkpoint"
            ));
        };
        let cosigned = match verify_cosignatures(note, witnesses) {
            Ok((_, cosigned)) => cosigned,
            Err(e) => return fail(format!("the checkpoint's cosignatures are malformed: {e}")),
        };
        let names: Vec<String> = cosigned
            .iter()
            .map(|c| {
                let time = i64::try_from(c.timestamp)
                    .ok()
                    .and_then(|t| DateTime::from_timestamp(t, 0))
                    .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                    .unwrap_or_else(|| c.timestamp.to_string());
                format!("{} at {time}", witnesses[c.verifier].name())
            })
            .collect();
        let size = note.lines().nth(1).unwrap_or("?");
        if cosigned.len() >= threshold {
            Check::new(
                "log_witnesses",
                true,
                format!(
                    "{} of the {} witnesses given cosigned the checkpoint of {size} leaves ({} demanded): {}",
                    cosigned.len(),
                    witnesses.len(),
                    threshold,
                    names.join(", ")
                ),
            )
        } else {
            fail(format!(
                "only {} of the {} witnesses given cosigned the checkpoint of {size} leaves, {} demanded{}",
                cosigned.len(),
                witnesses.len(),
                threshold,
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", names.join(", "))
                }
            ))
        }
    }

    /// The `dsse` check, when the bundle carries an envelope: it verifies offline with `jwks` (the
    /// keys the token was checked with) as the token does, and it is the same certificate (the same
    /// claims, and its `token_sha256` is the token's). `None` without an envelope.
    pub fn dsse_check(
        &self,
        jwks: &Value,
        claims: Option<&CertificateClaims>,
        at: DateTime<Utc>,
    ) -> Option<Check> {
        let envelope = self.dsse_envelope.as_deref()?;
        let Some(claims) = claims else {
            return Some(Check::new(
                "dsse",
                false,
                "not checked: an earlier check failed",
            ));
        };
        let verification = crate::offline::verify(envelope, jwks, None, at);
        let failed: Vec<String> = verification
            .checks
            .iter()
            .filter(|c| !c.passed && c.name != "validity")
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        let token_sha256 = hex::encode(Sha256::digest(self.token.as_bytes()));
        let same = verification.claims.as_ref() == Some(claims)
            && verification
                .claims_json
                .as_deref()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .and_then(|s| s["predicate"]["token_sha256"].as_str().map(str::to_owned))
                == Some(token_sha256);
        Some(if !failed.is_empty() {
            Check::new(
                "dsse",
                false,
                format!(
                    "the bundle's DSSE envelope does not verify ({})",
                    failed.join("; ")
                ),
            )
        } else if !same {
            Check::new(
                "dsse",
                false,
                "the bundle's DSSE envelope is of another certificate than its token",
            )
        } else {
            Check::new(
                "dsse",
                true,
                "the bundle's DSSE envelope verifies and states the token's claims",
            )
        })
    }

    /// Whether the unsigned summary agrees with the signed claims (`None` when they could not be
    /// read, because an earlier check failed).
    pub fn check(&self, claims: Option<&CertificateClaims>) -> Check {
        let Some(claims) = claims else {
            return Check::new("bundle", false, "not checked: an earlier check failed");
        };
        let summary = &self.certificate;
        let text = |path: &[&str]| {
            path.iter()
                .try_fold(summary, |v, key| v.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let mut disagree = Vec::new();
        if text(&["id"]).as_deref() != Some(claims.jti.as_str()) {
            disagree.push("id");
        }
        if text(&["dataset", "id"]).as_deref() != Some(claims.dataset.id.as_str()) {
            disagree.push("dataset");
        }
        if text(&["lineage_digest"]).as_deref() != Some(claims.lineage.digest.as_str()) {
            disagree.push("lineage_digest");
        }
        if summary.get("closure_size").and_then(Value::as_u64)
            != u64::try_from(claims.lineage.size).ok()
        {
            disagree.push("closure_size");
        }
        if text(&["verdict"]).as_deref() != Some(claims.verdict.as_str()) {
            disagree.push("verdict");
        }
        // The claims list every member when the closure is small enough; then every dataset the
        // bundle lists must be one of them.
        if claims.lineage.members_complete
            && self.lineage.iter().any(|m| {
                m.get("id")
                    .and_then(Value::as_str)
                    .is_none_or(|id| !claims.lineage.members.iter().any(|c| c == id))
            })
        {
            disagree.push("lineage");
        }
        if disagree.is_empty() {
            Check::new(
                "bundle",
                true,
                "the bundle's summary and lineage list (unsigned) agree with the signed claims",
            )
        } else {
            Check::new(
                "bundle",
                false,
                format!(
                    "the bundle's summary disagrees with the signed claims on {}: it was edited; only the token is signed",
                    disagree.join(", ")
                ),
            )
        }
    }
}

/// Whether the proven leaf is the certificate's issuance: the event hashes to the leaf's data, sits
/// at the leaf's position, and is the `certificate.issued` event of this certificate and token.
fn issuance_check(
    event: &Value,
    proof: &InclusionProof,
    claims: &CertificateClaims,
    token: &str,
) -> Check {
    let event = match event_from_json(event) {
        Ok(event) => event,
        Err(why) => {
            return Check::new(
                "log_issuance",
                false,
                format!("the bundle's issuance event is malformed: {why}"),
            );
        }
    };
    let payload: Value = serde_json::from_str(&event.payload_json).unwrap_or(Value::Null);
    let token_sha256 = hex::encode(Sha256::digest(token.as_bytes()));
    let subject = format!("certificates/{}", claims.jti);
    let problem = if event_hash(&event) != event.hash {
        Some("the event's fields do not hash to its hash".to_owned())
    } else if event.hash.as_slice() != proof.leaf_data.as_slice() {
        Some("the event's hash is not the proven leaf's data".to_owned())
    } else if event.sequence != proof.leaf_index.saturating_add(1) {
        Some(format!(
            "the event has sequence {}, but leaf {} is event {}",
            event.sequence,
            proof.leaf_index,
            proof.leaf_index.saturating_add(1)
        ))
    } else if event.event_type != ISSUANCE_EVENT || event.subject != subject {
        Some(format!(
            "the event is {} of {}, not {ISSUANCE_EVENT} of {subject}",
            event.event_type, event.subject
        ))
    } else if payload.get("token_sha256").and_then(Value::as_str) != Some(token_sha256.as_str()) {
        Some("the event records the SHA-256 of another token".to_owned())
    } else {
        None
    };
    match problem {
        None => Check::new(
            "log_issuance",
            true,
            format!(
                "leaf {} is event {}, the {ISSUANCE_EVENT} event of this certificate, recording this token's SHA-256",
                proof.leaf_index, event.sequence
            ),
        ),
        Some(why) => Check::new("log_issuance", false, why),
    }
}

/// An event as the bundle carries it, back in the form its hash is computed from.
fn event_from_json(value: &Value) -> Result<Event, String> {
    let text = |field: &str| {
        value
            .get(field)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`{field}` is not a string"))
    };
    let hash = |field: &str| {
        text(field).and_then(|h| {
            hex::decode(h)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| format!("`{field}` is not 32 bytes in hex"))
        })
    };
    let organization = text("organization_id")?;
    Ok(Event {
        sequence: value
            .get("sequence")
            .and_then(Value::as_u64)
            .ok_or("`sequence` is not a whole number")?,
        event_type: text("type")?.to_owned(),
        subject: text("subject")?.to_owned(),
        organization_id: if organization.is_empty() {
            None
        } else {
            Some(
                uuid::Uuid::parse_str(organization)
                    .map_err(|_| "`organization_id` is not a UUID")?,
            )
        },
        public: value
            .get("public")
            .and_then(Value::as_bool)
            .ok_or("`public` is not a boolean")?,
        payload_json: text("payload_json")?.to_owned(),
        time: DateTime::parse_from_rfc3339(text("time")?)
            .map_err(|_| "`time` is not RFC 3339")?
            .with_timezone(&Utc),
        prev_hash: hash("prev_hash")?,
        hash: hash("hash")?,
    })
}

/// The `log` member: the log key, the signed checkpoint, the inclusion proof of the issuance
/// leaf against it (carrying no checkpoint of its own: it is beside it), and the issuance event
/// when the bundler could read it.
pub fn log_member(
    verifier_key: &str,
    checkpoint: &str,
    proof: &InclusionProof,
    issuance_event: Option<Value>,
) -> Value {
    let proof = InclusionProof {
        checkpoint: None,
        ..proof.clone()
    };
    json!({
        "verifier_key": verifier_key,
        "checkpoint": checkpoint,
        "inclusion": proof.to_json(),
        "issuance_event": issuance_event,
    })
}

/// Seconds since the epoch as RFC 3339 (UTC, whole seconds), or null when out of range.
fn epoch_json(seconds: i64) -> Value {
    DateTime::<Utc>::from_timestamp(seconds, 0).map_or(Value::Null, |t| {
        json!(t.to_rfc3339_opts(SecondsFormat::Secs, true))
    })
}

/// What the bundler learnt besides the signed claims.
pub struct Standing {
    /// The registry's status when bundled, by its proto name (e.g. `CERTIFICATE_STATUS_VALID`).
    pub status: Value,
    /// When the status was read.
    pub checked_at: DateTime<Utc>,
    /// The status history, when the bundler may read the certificate (`GetCertificate`).
    pub history: Value,
    /// The id of the key that signed it.
    pub kid: Option<String>,
}

/// The bundle's JSON. `lineage` lists the closure members the bundler may see.
pub fn build(
    token: &str,
    jwks: Value,
    claims: &CertificateClaims,
    standing: Standing,
    lineage: Vec<Value>,
    log: Value,
) -> Value {
    let listed = lineage.len();
    json!({
        "format": BUNDLE_FORMAT,
        "token": token,
        "jwks": jwks,
        "certificate": {
            "id": claims.jti,
            "issuer": claims.iss,
            "kid": standing.kid,
            "dataset": {
                "id": claims.dataset.id,
                "organization_id": claims.dataset.organization_id,
                "name": claims.dataset.name,
                "version": claims.dataset.version,
                "content_digest": claims.dataset.content_digest,
            },
            "audience_organization_id": claims.aud,
            "contract_reference": claims.contract_reference,
            "policy": {
                "id": claims.policy.id,
                "version": claims.policy.version,
                "clause_sha256": claims.policy.clause_sha256,
            },
            "verdict": claims.verdict,
            "target_model": claims.target_model,
            "attestations": claims.attestations,
            "attestation_count": claims.attestation_total(),
            "validity": {
                "issued": epoch_json(claims.iat),
                "not_before": epoch_json(claims.nbf),
                "expires": epoch_json(claims.exp),
            },
            "lineage_digest": claims.lineage.digest,
            "closure_size": claims.lineage.size,
            "lineage_not_listed": claims.lineage.size.saturating_sub(listed),
            "status": standing.status,
            "status_checked_at": standing.checked_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            "status_history": standing.history,
        },
        "lineage": lineage,
        "log": log,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> CertificateClaims {
        serde_json::from_value(json!({
            "iss": "provenance-registry",
            "sub": "datasets/d1",
            "iat": 1_800_000_000, "nbf": 1_800_000_000, "exp": 1_800_086_400,
            "jti": "c1",
            "dataset": {"id": "d1", "organization_id": "o1", "name": "sft", "version": "1",
                        "content_digest": "sha256:00"},
            "lineage": {"digest": "sha256:11", "size": 3, "members": ["d0", "d1", "d2"],
                        "members_complete": true},
            "policy": {"id": "p", "version": "1", "clause_sha256": "22"},
            "verdict": "CLEAN",
            "attestations": ["a1"],
        }))
        .expect("valid claims")
    }

    fn jwks() -> Value {
        json!({"keys": [{"kid": "k1", "kty": "OKP", "use": "sig"}]})
    }

    fn standing() -> Standing {
        Standing {
            status: json!("CERTIFICATE_STATUS_VALID"),
            checked_at: DateTime::from_timestamp(1_800_000_100, 0).expect("in range"),
            history: json!([]),
            kid: Some("k1".into()),
        }
    }

    fn member(id: &str) -> Value {
        json!({"id": id, "name": id, "version": "1", "content_digest": "sha256:00", "depth": 0})
    }

    #[test]
    fn a_built_bundle_reads_back_and_agrees_with_its_claims() {
        let value = build(
            "h.p.s",
            jwks(),
            &claims(),
            standing(),
            vec![member("d1"), member("d0")],
            Value::Null,
        );
        assert_eq!(value["format"], BUNDLE_FORMAT);
        assert_eq!(value["log"], Value::Null);
        assert_eq!(value["certificate"]["lineage_not_listed"], 1);
        assert_eq!(
            value["certificate"]["validity"]["expires"],
            "2027-01-16T08:00:00Z"
        );
        let bundle = Bundle::from_json(&value).expect("a bundle");
        assert_eq!(bundle.token, "h.p.s");
        let check = bundle.check(Some(&claims()));
        assert!(check.passed, "{check:?}");
        assert!(!bundle.check(None).passed);
    }

    #[test]
    fn an_edited_summary_fails_the_bundle_check() {
        let mut value = build(
            "h.p.s",
            jwks(),
            &claims(),
            standing(),
            vec![member("d1")],
            Value::Null,
        );
        value["certificate"]["verdict"] = json!("EXEMPT");
        value["lineage"] = json!([member("d1"), member("not-a-member")]);
        let check = Bundle::from_json(&value)
            .expect("a bundle")
            .check(Some(&claims()));
        assert!(!check.passed);
        assert!(
            check.detail.contains("verdict, lineage"),
            "{}",
            check.detail
        );
    }

    /// The bundle cases of `tests/data/verification_vectors.json`, which the Python client's suite
    /// reads too: `cert verify BUNDLE --offline`'s checks (composed here as `commands::cert` composes
    /// them: the offline checks, the online-only ones as not run, `bundle`, then the log checks
    /// made and not made) give every case its expected verdict and check names.
    #[test]
    fn shared_bundle_cases_get_their_expected_checks() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/verification_vectors.json"
        );
        let text = std::fs::read_to_string(path).expect("tests/data/verification_vectors.json");
        let vectors: Value = serde_json::from_str(&text).expect("JSON");
        let cases = vectors["bundles"].as_array().expect("bundle cases");
        assert!(cases.len() >= 10);
        let mut failures = Vec::new();
        for case in cases {
            let name = case["name"].as_str().unwrap_or("?");
            let got = match verify_case(case) {
                Ok((valid, checks)) => json!({"valid": valid, "checks": checks}),
                Err(why) => json!({"error": why}),
            };
            let expected = &case["expect"];
            let agrees = match (expected.get("error"), got.get("error")) {
                (Some(wanted), Some(error)) => error
                    .as_str()
                    .zip(wanted.as_str())
                    .is_some_and(|(error, wanted)| error.contains(wanted)),
                (None, None) => &got == expected,
                _ => false,
            };
            if !agrees {
                failures.push(format!("{name}: got {got}, expected {expected}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    fn verify_case(case: &Value) -> Result<(bool, Vec<Value>), String> {
        let bundle = Bundle::from_json(&case["bundle"])?;
        let at = DateTime::from_timestamp(case["at"].as_i64().ok_or("at")?, 0).ok_or("at")?;
        let audience = case["audience"]
            .as_str()
            .map(|a| uuid::Uuid::parse_str(a).map_err(|e| e.to_string()))
            .transpose()?;
        let verification = crate::offline::verify(&bundle.token, &bundle.jwks, audience, at);
        let mut valid = verification.valid;
        let mut checks = verification.checks;
        checks.extend(
            crate::offline::ONLINE_ONLY
                .iter()
                .map(|(name, detail)| Check::new(*name, false, *detail)),
        );
        let summary = bundle.check(verification.claims.as_ref());
        valid &= summary.passed;
        checks.push(summary);
        if bundle.log.is_null() {
            checks.push(Check::new("log", false, "not checked: no log evidence"));
        } else {
            let verifier = match case["log_key"].as_str() {
                Some(vkey) => NoteVerifier::from_vkey(vkey).map_err(|e| e.to_string())?,
                None => bundle
                    .log_verifier()
                    .ok_or("the bundle's log member names no verifier_key")??,
            };
            let log = bundle.log_checks(&verifier, "test", verification.claims.as_ref());
            valid &= log.checks.iter().all(|c| c.passed);
            checks.extend(log.checks);
            checks.extend(log.not_checked);
        }
        Ok((
            valid,
            checks.iter().map(|c| json!([c.name, c.passed])).collect(),
        ))
    }

    #[test]
    fn other_json_is_refused_with_a_reason() {
        let refused = |v: Value| Bundle::from_json(&v).expect_err("not a bundle");
        assert!(refused(jwks()).contains("not a bundle"));
        assert!(refused(json!({"format": "provenance-certificate-bundle/v9"})).contains("upgrade"));
        assert!(refused(json!({"format": BUNDLE_FORMAT, "jwks": jwks()})).contains("no token"));
        assert!(
            refused(json!({"format": BUNDLE_FORMAT, "token": "t", "jwks": {}})).contains("jwks")
        );
    }
}
