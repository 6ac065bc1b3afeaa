//! Lineage certificates: the lineage digest that binds a certificate to the registry's state, and
//! the certificate as the registry keeps it. Pure; signing and storage live elsewhere. The claims a
//! certificate carries are the API's ([`provenance_api::certificate::claims`]), re-exported here.
//!
//! The lineage digest, so that anyone holding the closure's records can recompute it:
//!
//! ```text
//! digest = "sha256:" + hex(SHA-256(canonical JSON of
//!            {"datasets": [ {"id", "content_digest", "sources"} for each dataset of the upstream
//!                           closure, the certified one included, ordered by id ]}))
//! ```
//!
//! where `sources` is the dataset's sources in registration order, each as [`Source::to_json`]
//! writes it (the same form as the `dataset.registered` event's payload), and canonical JSON is
//! [`canonical_json`]: keys sorted, no whitespace.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::dataset::{Dataset, Source};
use super::evaluation::Verdict;
use super::event::{NewEvent, canonical_json, format_time};

pub use provenance_api::certificate::claims::{
    CERTIFICATE_TYPE, CertificateClaims, CoveredPolicyClaim, DatasetClaim, LineageClaim,
    MAX_COVERED_POLICIES, MAX_LISTED_MEMBERS, ObligationClaim, PolicyClaim, signed_claims,
};
use provenance_api::certificate::{Check, dsse};

/// The lineage digest of a closure (see the module documentation). `closure` holds every dataset
/// of the upstream closure with its sources, in any order.
pub fn lineage_digest(closure: &[Dataset]) -> String {
    let mut members: Vec<&Dataset> = closure.iter().collect();
    members.sort_by_key(|d| d.id);
    let datasets: Vec<Value> = members
        .iter()
        .map(|d| {
            json!({
                "id": d.id.to_string(),
                "content_digest": d.content_digest.as_str(),
                "sources": d.sources.iter().map(Source::to_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let document = canonical_json(&json!({ "datasets": datasets }));
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(document.as_bytes()))
    )
}

/// The lineage claim of a closure.
pub fn lineage_claim(closure: &[Dataset]) -> LineageClaim {
    let mut members: Vec<String> = closure.iter().map(|d| d.id.to_string()).collect();
    members.sort();
    let members_complete = members.len() <= MAX_LISTED_MEMBERS;
    members.truncate(MAX_LISTED_MEMBERS);
    LineageClaim {
        digest: lineage_digest(closure),
        size: closure.len(),
        members,
        members_complete,
    }
}

/// The `policies` check of a verification, completed with what only the registry knows: each
/// covered policy's clause digest against the digest of the policy version loaded under the same
/// id and version (`loaded`, `None` when none is). A policy no longer loaded is said so and not
/// held against the certificate: it was judged under the clause its digest names.
pub fn compare_clauses(
    claims: &CertificateClaims,
    offline_detail: String,
    loaded: impl Fn(&str, &str) -> Option<String>,
) -> Check {
    let mut unloaded = Vec::new();
    for covered in claims.covered_policies() {
        let name = format!("{}@{}", covered.id, covered.version);
        match loaded(&covered.id, &covered.version) {
            Some(digest) if digest != covered.clause_sha256 => {
                return Check::new(
                    "policies",
                    false,
                    format!(
                        "{name}: the clause digest {} is not the loaded policy's {digest}",
                        covered.clause_sha256
                    ),
                );
            }
            Some(_) => {}
            None => unloaded.push(name),
        }
    }
    let compared = if unloaded.is_empty() {
        "every clause digest matches the policy loaded here".to_owned()
    } else {
        format!(
            "not loaded here, clause not compared: {}",
            unloaded.join(", ")
        )
    };
    Check::new("policies", true, format!("{offline_detail}; {compared}"))
}

/// Where a certificate stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStatus {
    /// Within its window and not revoked.
    Valid,
    /// Revoked.
    Revoked,
    /// Past its expiry.
    Expired,
}

/// A certificate as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    /// The `jti`.
    pub id: Uuid,
    /// The certified dataset.
    pub dataset_id: Uuid,
    /// Its owner.
    pub organization_id: Uuid,
    /// The buyer's organisation (`aud`).
    pub audience: Option<Uuid>,
    /// Policy id.
    pub policy_id: String,
    /// Policy version.
    pub policy_version: String,
    /// `Clean`, or `Exempt` for `target_model`.
    pub verdict: Verdict,
    /// The target model of an exempt verdict.
    pub target_model: Option<String>,
    /// The contract reference.
    pub contract_reference: Option<String>,
    /// Lineage digest of the closure.
    pub lineage_digest: String,
    /// Datasets in the closure.
    pub closure_size: usize,
    /// The signing key.
    pub kid: String,
    /// The compact JWS.
    pub token: String,
    /// `iat`.
    pub issue_time: DateTime<Utc>,
    /// `nbf`.
    pub not_before: DateTime<Utc>,
    /// `exp`.
    pub expire_time: DateTime<Utc>,
    /// When revoked.
    pub revoke_time: Option<DateTime<Utc>>,
    /// Why.
    pub revoke_reason: Option<String>,
    /// What caused it: `certificates/<id>`, `attestations/<id>` or `contamination_reports/<id>`.
    pub revoke_cause: Option<String>,
    /// Sequence of its `certificate.issued` event; `None` until stored.
    pub issued_event_sequence: Option<u64>,
}

impl CertificateRecord {
    /// The in-toto Statement signed at issuance beside the token (see
    /// [`provenance_api::certificate::dsse`]): the token's claims with the certificate's log index.
    /// The same bytes whenever it is built, so that signing it again (Ed25519 is deterministic)
    /// gives the envelope signed at issuance. `None` until the certificate is stored (the log
    /// index is known only then), or when the token's claims do not read.
    pub fn statement(&self) -> Option<Vec<u8>> {
        let sequence = self.issued_event_sequence?;
        let signing_input = self.token.rsplit_once('.')?.0;
        let (_, claims_json) = signed_claims(signing_input).ok()?;
        dsse::statement(&claims_json, &self.token, sequence.saturating_sub(1)).ok()
    }

    /// The claims its token states; `None` when they do not read (never for a token the registry
    /// signed).
    pub fn claims(&self) -> Option<CertificateClaims> {
        let signing_input = self.token.rsplit_once('.')?.0;
        signed_claims(signing_input).ok().map(|(claims, _)| claims)
    }

    /// Whether `presented` is this very certificate: its token, or (a DSSE envelope) one whose
    /// payload `signed` is its Statement.
    pub fn holds(&self, presented: &str, signed: &str) -> bool {
        if dsse::looks_like_envelope(presented) {
            self.statement()
                .is_some_and(|statement| statement == signed.as_bytes())
        } else {
            self.token == presented
        }
    }

    /// Where it stands at `time`.
    pub fn status_at(&self, time: DateTime<Utc>) -> CertificateStatus {
        status_at(self.revoke_time, self.expire_time, time)
    }

    /// The `certificate.issued` event, owned by the certificate's organisation.
    pub fn issued_event(&self) -> NewEvent {
        NewEvent {
            event_type: "certificate.issued",
            subject: format!("certificates/{}", self.id),
            organization_id: Some(self.organization_id),
            public: false,
            payload: json!({
                "id": self.id.to_string(),
                "dataset_id": self.dataset_id.to_string(),
                "audience_organization_id": self.audience.map(|a| a.to_string()),
                "policy_id": self.policy_id,
                "policy_version": self.policy_version,
                "verdict": verdict_name(self.verdict),
                "target_model": self.target_model,
                "contract_reference": self.contract_reference,
                "policies": self.claims().map(|claims| {
                    claims
                        .covered_policies()
                        .iter()
                        .map(|p| json!({"id": p.id, "version": p.version, "verdict": p.verdict}))
                        .collect::<Vec<_>>()
                }),
                "lineage_digest": self.lineage_digest,
                "closure_size": self.closure_size,
                "kid": self.kid,
                "token_sha256": hex::encode(Sha256::digest(self.token.as_bytes())),
                "issue_time": format_time(self.issue_time),
                "not_before": format_time(self.not_before),
                "expire_time": format_time(self.expire_time),
            }),
        }
    }

    /// The `certificate.revoked` events: one for the certificate's organisation and, when it was
    /// issued for a buyer, one for the buyer's organisation, so that each learns of it from its own
    /// event stream.
    pub fn revoked_events(&self, time: DateTime<Utc>, reason: &str, cause: &str) -> Vec<NewEvent> {
        let recipients = std::iter::once(self.organization_id).chain(
            self.audience
                .filter(|audience| *audience != self.organization_id),
        );
        recipients
            .map(|recipient| self.revoked_event_for(recipient, time, reason, cause))
            .collect()
    }

    fn revoked_event_for(
        &self,
        recipient: Uuid,
        time: DateTime<Utc>,
        reason: &str,
        cause: &str,
    ) -> NewEvent {
        NewEvent {
            event_type: "certificate.revoked",
            subject: format!("certificates/{}", self.id),
            organization_id: Some(recipient),
            public: false,
            payload: json!({
                "organization_id": self.organization_id.to_string(),
                "id": self.id.to_string(),
                "dataset_id": self.dataset_id.to_string(),
                "audience_organization_id": self.audience.map(|a| a.to_string()),
                "revoke_time": format_time(time),
                "reason": reason,
                "cause": cause,
            }),
        }
    }
}

/// The certificate's status changes up to `now`, oldest first: valid from `nbf`, then revoked or
/// expired (or both, when an expired certificate was revoked), each with when and why.
impl CertificateRecord {
    /// The history of its status as of `now`.
    pub fn history(
        &self,
        now: DateTime<Utc>,
    ) -> Vec<(CertificateStatus, DateTime<Utc>, Option<String>)> {
        status_history(
            self.not_before,
            self.revoke_time,
            self.revoke_reason.as_deref(),
            self.expire_time,
            now,
        )
    }
}

/// A certificate's status changes up to `now`, oldest first: valid from `not_before`, then revoked
/// or expired (or both, when an expired certificate was revoked), each with when and, for the
/// revocation, why. One function, so that `GetCertificate` and `VerifyCertificate` tell the same
/// history.
pub fn status_history(
    not_before: DateTime<Utc>,
    revoke_time: Option<DateTime<Utc>>,
    revoke_reason: Option<&str>,
    expire_time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<(CertificateStatus, DateTime<Utc>, Option<String>)> {
    let mut changes = vec![(CertificateStatus::Valid, not_before, None)];
    if let Some(revoked) = revoke_time.filter(|t| *t <= now) {
        changes.push((
            CertificateStatus::Revoked,
            revoked,
            revoke_reason.map(str::to_owned),
        ));
    }
    if expire_time <= now {
        changes.push((CertificateStatus::Expired, expire_time, None));
    }
    changes.sort_by_key(|(_, time, _)| *time);
    changes
}

/// What caused a certificate's revocation, by the resource its `revoke_cause` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationCause {
    /// `certificates/<id>`: its owner revoked it.
    CertificateRevoked,
    /// `attestations/<id>`: an attestation it rests on was revoked.
    AttestationRevoked,
    /// `contamination_reports/<id>`: a dataset of its lineage was reported contaminated.
    ContaminationReported,
}

/// The kind and id of a stored `revoke_cause`; `None` for a name of no known kind.
pub fn parse_revoke_cause(cause: &str) -> Option<(RevocationCause, &str)> {
    let (collection, id) = cause.split_once('/')?;
    let kind = match collection {
        "certificates" => RevocationCause::CertificateRevoked,
        "attestations" => RevocationCause::AttestationRevoked,
        "contamination_reports" => RevocationCause::ContaminationReported,
        _ => return None,
    };
    Some((kind, id))
}

/// A certificate's status at `time`: revoked from its revocation on, else expired from `exp` on.
pub fn status_at(
    revoke_time: Option<DateTime<Utc>>,
    expire_time: DateTime<Utc>,
    time: DateTime<Utc>,
) -> CertificateStatus {
    if revoke_time.is_some_and(|revoked| revoked <= time) {
        CertificateStatus::Revoked
    } else if time >= expire_time {
        CertificateStatus::Expired
    } else {
        CertificateStatus::Valid
    }
}

/// The claim spelling of a verdict.
pub fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Clean => "CLEAN",
        Verdict::Contaminated => "CONTAMINATED",
        Verdict::Incomplete => "INCOMPLETE",
        Verdict::Exempt => "EXEMPT",
    }
}

/// Inverse of [`verdict_name`].
pub fn parse_verdict(name: &str) -> Option<Verdict> {
    [
        Verdict::Clean,
        Verdict::Contaminated,
        Verdict::Incomplete,
        Verdict::Exempt,
    ]
    .into_iter()
    .find(|v| verdict_name(*v) == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dataset::{SourceKind, Visibility};
    use crate::domain::digest::ContentDigest;

    fn dataset(name: &str, sources: Vec<Source>) -> Dataset {
        Dataset {
            id: Uuid::now_v7(),
            organization_id: Uuid::nil(),
            name: name.into(),
            version: "1".into(),
            content_digest: ContentDigest::of(name.as_bytes()),
            size_bytes: None,
            description: None,
            license: None,
            visibility: Visibility::Private,
            sources,
            create_time: Utc::now(),
            creator_token_id: Uuid::nil(),
            creator_subject: "t".into(),
            contamination_reports: vec![],
        }
    }

    fn parent(id: Uuid) -> Source {
        Source {
            kind: SourceKind::Dataset {
                dataset_id: id,
                parent_public: false,
            },
            uri: None,
            license: None,
            collect_time: None,
            content_digest: None,
            description: None,
        }
    }

    #[test]
    fn the_digest_ignores_order_and_changes_with_any_digest_or_source() {
        let a = dataset("a", vec![]);
        let b = dataset("b", vec![parent(a.id)]);
        let digest = lineage_digest(&[a.clone(), b.clone()]);
        assert_eq!(digest, lineage_digest(&[b.clone(), a.clone()]));
        assert!(digest.starts_with("sha256:") && digest.len() == 71);

        let mut other_bytes = a.clone();
        other_bytes.content_digest = ContentDigest::of(b"changed");
        assert_ne!(digest, lineage_digest(&[other_bytes, b.clone()]));
        let mut other_sources = b.clone();
        other_sources.sources.push(parent(Uuid::nil()));
        assert_ne!(digest, lineage_digest(&[a, other_sources]));
    }

    #[test]
    fn the_digest_follows_the_documented_recipe() {
        let a = dataset("a", vec![]);
        let document = format!(
            r#"{{"datasets":[{{"content_digest":"{}","id":"{}","sources":[]}}]}}"#,
            a.content_digest, a.id
        );
        assert_eq!(
            lineage_digest(&[a]),
            format!(
                "sha256:{}",
                hex::encode(Sha256::digest(document.as_bytes()))
            )
        );
    }

    #[test]
    fn members_are_listed_up_to_the_bound_and_the_size_counts_them_all() {
        let closure: Vec<Dataset> = (0..MAX_LISTED_MEMBERS + 5)
            .map(|i| dataset(&i.to_string(), vec![]))
            .collect();
        let claim = lineage_claim(&closure);
        assert_eq!(claim.size, MAX_LISTED_MEMBERS + 5);
        assert_eq!(claim.members.len(), MAX_LISTED_MEMBERS);
        assert!(!claim.members_complete);
        let mut sorted = claim.members.clone();
        sorted.sort();
        assert_eq!(sorted, claim.members);
    }

    fn record(audience: Option<Uuid>) -> CertificateRecord {
        let now = Utc::now();
        CertificateRecord {
            id: Uuid::now_v7(),
            dataset_id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            audience,
            policy_id: "p".into(),
            policy_version: "v".into(),
            verdict: Verdict::Clean,
            target_model: None,
            contract_reference: None,
            lineage_digest: "sha256:00".into(),
            closure_size: 1,
            kid: "k".into(),
            token: "t".into(),
            issue_time: now,
            not_before: now,
            expire_time: now + chrono::Duration::days(1),
            revoke_time: None,
            revoke_reason: None,
            revoke_cause: None,
            issued_event_sequence: None,
        }
    }

    #[test]
    fn status_follows_the_window_and_revocation_at_any_moment() {
        let mut c = record(None);
        let (start, end) = (c.not_before, c.expire_time);
        assert_eq!(c.status_at(start), CertificateStatus::Valid);
        assert_eq!(c.status_at(end), CertificateStatus::Expired);
        let revoked = start + chrono::Duration::hours(1);
        c.revoke_time = Some(revoked);
        c.revoke_reason = Some("r".into());
        assert_eq!(
            c.status_at(revoked - chrono::Duration::seconds(1)),
            CertificateStatus::Valid
        );
        assert_eq!(c.status_at(revoked), CertificateStatus::Revoked);
        let history = c.history(end);
        let statuses: Vec<_> = history.iter().map(|(s, _, _)| *s).collect();
        assert_eq!(
            statuses,
            [
                CertificateStatus::Valid,
                CertificateStatus::Revoked,
                CertificateStatus::Expired
            ]
        );
        assert_eq!(c.history(start).len(), 1);
    }

    #[test]
    fn a_revocation_is_announced_to_the_owner_and_to_the_buyer() {
        let buyer = Uuid::now_v7();
        let events = record(Some(buyer)).revoked_events(Utc::now(), "r", "c");
        let recipients: Vec<_> = events.iter().map(|e| e.organization_id).collect();
        assert_eq!(recipients.len(), 2);
        assert_eq!(recipients[1], Some(buyer));
        assert_eq!(record(None).revoked_events(Utc::now(), "r", "c").len(), 1);
    }

    fn plain_claims() -> CertificateClaims {
        CertificateClaims {
            iss: "registry".into(),
            sub: "datasets/x".into(),
            aud: None,
            audience_name: None,
            iat: 1,
            nbf: 1,
            exp: 2,
            jti: "j".into(),
            dataset: DatasetClaim {
                id: "x".into(),
                organization_id: "o".into(),
                organization_name: None,
                name: "n".into(),
                version: "1".into(),
                content_digest: "sha256:00".into(),
            },
            lineage: LineageClaim {
                digest: "sha256:11".into(),
                size: 1,
                members: vec!["x".into()],
                members_complete: true,
            },
            policy: PolicyClaim {
                id: "p".into(),
                version: "v".into(),
                clause_sha256: "22".into(),
            },
            policies: None,
            verdict: "CLEAN".into(),
            target_model: None,
            purpose: None,
            attestations: vec![],
            attestation_count: Some(0),
            contract_reference: None,
            verification_url: None,
            status: None,
        }
    }

    #[test]
    fn claims_round_trip_through_json_and_omit_what_is_absent() {
        let claims = plain_claims();
        let text = serde_json::to_string(&claims).unwrap();
        assert!(!text.contains("\"aud\"") && !text.contains("target_model"));
        assert!(!text.contains("_name") && !text.contains("verification_url"));
        assert_eq!(
            serde_json::from_str::<CertificateClaims>(&text).unwrap(),
            claims
        );
    }

    fn covering(entries: &[(&str, &str, &str)]) -> CertificateClaims {
        let policies: Vec<CoveredPolicyClaim> = entries
            .iter()
            .map(|(id, version, digest)| CoveredPolicyClaim {
                id: (*id).into(),
                version: (*version).into(),
                clause_sha256: (*digest).into(),
                kind: "PROHIBITION".into(),
                verdict: "CLEAN".into(),
                obligations: vec![],
            })
            .collect();
        CertificateClaims {
            policies: Some(policies),
            ..plain_claims()
        }
    }

    #[test]
    fn each_covered_clause_is_compared_with_the_policy_loaded_under_its_id_and_version() {
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let claims = covering(&[("p", "v", &a), ("q", "1", &b)]);
        let loaded = |digests: Vec<(&'static str, String)>| {
            move |id: &str, version: &str| {
                digests
                    .iter()
                    .find(|(key, _)| *key == format!("{id}@{version}"))
                    .map(|(_, digest)| digest.clone())
            }
        };

        let same = compare_clauses(
            &claims,
            "2 policies".into(),
            loaded(vec![("p@v", a.clone()), ("q@1", b.clone())]),
        );
        assert!(same.passed, "{same:?}");
        assert!(
            same.detail
                .starts_with("2 policies; every clause digest matches")
        );

        let changed = compare_clauses(
            &claims,
            String::new(),
            loaded(vec![("p@v", a.clone()), ("q@1", a.clone())]),
        );
        assert!(!changed.passed);
        assert!(
            changed.detail.starts_with("q@1: the clause digest"),
            "{changed:?}"
        );

        let gone = compare_clauses(&claims, "x".into(), loaded(vec![("p@v", a.clone())]));
        assert!(
            gone.passed,
            "a policy no longer loaded is not held against it"
        );
        assert!(
            gone.detail
                .ends_with("not loaded here, clause not compared: q@1"),
            "{gone:?}"
        );

        // A certificate issued before policies were listed is compared by its one policy.
        let legacy = CertificateClaims {
            policies: None,
            ..plain_claims()
        };
        assert!(!compare_clauses(&legacy, String::new(), loaded(vec![("p@v", a.clone())])).passed);
        assert!(compare_clauses(&legacy, String::new(), loaded(vec![("p@v", "22".into())])).passed);
    }
}
