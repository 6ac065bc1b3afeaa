//! Certificate bundles: one JSON file holding a certificate's token, the keys that verify it and
//! a summary of what it states, for a buyer to attach to a contract and verify years later
//! without the registry (`provctl cert verify BUNDLE --offline`).
//!
//! ```text
//! {
//!   "format": "provenance-certificate-bundle/v1",
//!   "token": "<the compact JWS>",
//!   "jwks": {"keys": [...]},          the registry's signing keys when bundled
//!   "certificate": {...},             a summary of the signed claims, and the status when bundled
//!   "lineage": [{"id", "name", "version", "content_digest", "depth"}, ...],
//!   "log": null                       reserved for the transparency log
//! }
//! ```
//!
//! Only the token is signed. The summary and the lineage list are for people and are checked
//! against the signed claims when the bundle is verified (the `bundle` check).

use chrono::{DateTime, SecondsFormat, Utc};
use provenance_registry::domain::certificate::CertificateClaims;
use serde_json::{Value, json};

use crate::offline::Check;

/// The `format` member of every bundle of this version.
pub const BUNDLE_FORMAT: &str = "provenance-certificate-bundle/v1";

/// A bundle as read from a file.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The certificate's compact JWS.
    pub token: String,
    /// The signing keys packed with it.
    pub jwks: Value,
    /// The summary (unsigned).
    pub certificate: Value,
    /// The lineage members the bundler could see (unsigned).
    pub lineage: Vec<Value>,
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
        Ok(Self {
            token,
            jwks,
            certificate: value.get("certificate").cloned().unwrap_or(Value::Null),
            lineage: value
                .get("lineage")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
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
        // Reserved: once the registry keeps a transparency log, the log's signed checkpoint and
        // this certificate's inclusion proof go here, so that a verifier can tell the certificate
        // was published. Null until then.
        "log": null,
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
        let mut value = build("h.p.s", jwks(), &claims(), standing(), vec![member("d1")]);
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
