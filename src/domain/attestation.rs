//! Attestations (an owner vouching for its dataset under a policy version) and contamination reports.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::digest::ContentDigest;
use super::event::{NewEvent, format_time};
use super::policy::Purpose;

/// Bounds of attestation and report fields.
pub mod limits {
    /// Characters in a statement.
    pub const STATEMENT: usize = 4096;
    /// Evidence items per attestation or report.
    pub const EVIDENCE: usize = 20;
    /// Characters in an evidence URI.
    pub const URI: usize = 2048;
    /// Characters in an evidence description.
    pub const EVIDENCE_DESCRIPTION: usize = 500;
    /// Characters in a revocation reason.
    pub const REASON: usize = 1000;
}

/// How the attesting organisation convinced itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// People reviewed the data.
    ManualReview,
    /// A tool scanned it.
    AutomatedScan,
    /// The supplier declared it.
    SupplierDeclaration,
    /// The producing pipeline is documented and audited.
    ProcessAudit,
}

impl Method {
    /// Stored and hashed spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::ManualReview => "manual_review",
            Method::AutomatedScan => "automated_scan",
            Method::SupplierDeclaration => "supplier_declaration",
            Method::ProcessAudit => "process_audit",
        }
    }

    /// Inverse of [`Method::as_str`].
    pub fn parse(value: &str) -> Option<Self> {
        [
            Method::ManualReview,
            Method::AutomatedScan,
            Method::SupplierDeclaration,
            Method::ProcessAudit,
        ]
        .into_iter()
        .find(|m| m.as_str() == value)
    }
}

/// A piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Where it is.
    pub uri: String,
    /// Digest of its bytes; required for attestations, optional for contamination reports.
    pub content_digest: Option<ContentDigest>,
    /// What it is.
    pub description: Option<String>,
}

impl Evidence {
    /// The stored and hashed form.
    pub fn to_json(&self) -> Value {
        json!({
            "uri": self.uri,
            "content_digest": self.content_digest.as_ref().map(ContentDigest::as_str),
            "description": self.description,
        })
    }
}

/// An attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// UUID v7.
    pub id: Uuid,
    /// The attested dataset.
    pub dataset_id: Uuid,
    /// The attesting organisation, the dataset's owner.
    pub organization_id: Uuid,
    /// The first policy it covers.
    pub policy_id: String,
    /// Its version.
    pub policy_version: String,
    /// Every policy version it covers as `(id, version)`: `policy_id` and `policy_version` first,
    /// then the others in the order the request named them. It counts under each.
    pub policies: Vec<(String, String)>,
    /// What the models the dataset trains are for, as the organisation declares it.
    pub declared_purpose: Purpose,
    /// How.
    pub method: Method,
    /// What it relied on.
    pub evidence: Vec<Evidence>,
    /// The statement.
    pub statement: String,
    /// When recorded.
    pub create_time: DateTime<Utc>,
    /// When it stops counting.
    pub expire_time: Option<DateTime<Utc>>,
    /// The recording token.
    pub attester_token_id: Uuid,
    /// Its subject.
    pub attester_subject: String,
    /// When revoked.
    pub revoke_time: Option<DateTime<Utc>>,
    /// Why revoked.
    pub revoke_reason: Option<String>,
}

impl Attestation {
    /// Whether it counts at `now`: not revoked, not expired.
    pub fn valid_at(&self, now: DateTime<Utc>) -> bool {
        self.revoke_time.is_none() && self.expire_time.is_none_or(|expiry| expiry > now)
    }

    /// The policy versions it covers as `(id, version)` pairs, in order (as the stores read
    /// closures by them).
    pub fn policy_keys(&self) -> Vec<(&str, &str)> {
        self.policies
            .iter()
            .map(|(id, version)| (id.as_str(), version.as_str()))
            .collect()
    }

    /// The `attestation.recorded` event; public when the dataset is.
    pub fn recorded_event(&self, dataset_public: bool) -> NewEvent {
        NewEvent {
            event_type: "attestation.recorded",
            subject: format!("attestations/{}", self.id),
            organization_id: Some(self.organization_id),
            public: dataset_public,
            payload: json!({
                "id": self.id.to_string(),
                "dataset_id": self.dataset_id.to_string(),
                "organization_id": self.organization_id.to_string(),
                "policy_id": self.policy_id,
                "policy_version": self.policy_version,
                "policies": self.policies.iter()
                    .map(|(id, version)| json!({"id": id, "version": version}))
                    .collect::<Vec<_>>(),
                "declared_purpose": self.declared_purpose.as_str(),
                "method": self.method.as_str(),
                "evidence": self.evidence.iter().map(Evidence::to_json).collect::<Vec<_>>(),
                "statement": self.statement,
                "create_time": format_time(self.create_time),
                "expire_time": self.expire_time.map(format_time),
                "attester_token_id": self.attester_token_id.to_string(),
                "attester_subject": self.attester_subject,
            }),
        }
    }

    /// The `attestation.revoked` event.
    pub fn revoked_event(
        &self,
        dataset_public: bool,
        time: DateTime<Utc>,
        reason: &str,
        by: Uuid,
    ) -> NewEvent {
        NewEvent {
            event_type: "attestation.revoked",
            subject: format!("attestations/{}", self.id),
            organization_id: Some(self.organization_id),
            public: dataset_public,
            payload: json!({
                "id": self.id.to_string(),
                "dataset_id": self.dataset_id.to_string(),
                "revoke_time": format_time(time),
                "reason": reason,
                "revoked_by": by.to_string(),
            }),
        }
    }
}

/// A report that a dataset is contaminated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContaminationReport {
    /// UUID v7.
    pub id: Uuid,
    /// The dataset.
    pub dataset_id: Uuid,
    /// The reporting organisation; `None` for the operator.
    pub reporter_organization_id: Option<Uuid>,
    /// The filing token.
    pub reporter_token_id: Uuid,
    /// Its subject.
    pub reporter_subject: String,
    /// Filed by the owner or the operator: it marks the dataset contaminated.
    pub effective: bool,
    /// What was found.
    pub statement: String,
    /// Where the evidence is.
    pub evidence: Vec<Evidence>,
    /// When filed.
    pub create_time: DateTime<Utc>,
}

impl ContaminationReport {
    /// The `dataset.contamination_reported` event, owned by the dataset's organisation and public
    /// when the dataset is (a third party can only report what it can see, so its reports are on
    /// public datasets and their events public).
    pub fn event(&self, owner: Uuid, dataset_public: bool) -> NewEvent {
        NewEvent {
            event_type: "dataset.contamination_reported",
            subject: format!("datasets/{}", self.dataset_id),
            organization_id: Some(owner),
            public: dataset_public,
            payload: json!({
                "id": self.id.to_string(),
                "dataset_id": self.dataset_id.to_string(),
                "reporter_organization_id": self.reporter_organization_id.map(|id| id.to_string()),
                "reporter_token_id": self.reporter_token_id.to_string(),
                "reporter_subject": self.reporter_subject,
                "effective": self.effective,
                "statement": self.statement,
                "evidence": self.evidence.iter().map(Evidence::to_json).collect::<Vec<_>>(),
                "create_time": format_time(self.create_time),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attestation() -> Attestation {
        Attestation {
            id: Uuid::now_v7(),
            dataset_id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            policy_id: "p".into(),
            policy_version: "1".into(),
            policies: vec![("p".into(), "1".into()), ("q".into(), "2".into())],
            declared_purpose: Purpose::NonCompeting,
            method: Method::ManualReview,
            evidence: vec![],
            statement: "s".into(),
            create_time: Utc::now(),
            expire_time: None,
            attester_token_id: Uuid::now_v7(),
            attester_subject: "t".into(),
            revoke_time: None,
            revoke_reason: None,
        }
    }

    #[test]
    fn an_attestation_counts_until_it_expires_or_is_revoked() {
        let now = Utc::now();
        let mut a = attestation();
        assert!(a.valid_at(now));
        a.expire_time = Some(now + chrono::Duration::seconds(1));
        assert!(a.valid_at(now));
        assert!(!a.valid_at(now + chrono::Duration::seconds(1)));
        a.expire_time = None;
        a.revoke_time = Some(now);
        assert!(!a.valid_at(now));
    }

    #[test]
    fn method_names_round_trip() {
        for m in [
            Method::ManualReview,
            Method::AutomatedScan,
            Method::SupplierDeclaration,
            Method::ProcessAudit,
        ] {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Method::parse("vibes"), None);
    }

    #[test]
    fn the_recorded_event_lists_the_policies_and_the_purpose() {
        let a = attestation();
        let payload = a.recorded_event(false).payload;
        assert_eq!(
            payload["policies"],
            json!([{"id": "p", "version": "1"}, {"id": "q", "version": "2"}])
        );
        assert_eq!(payload["declared_purpose"], "non_competing");
        let undeclared = Attestation {
            declared_purpose: Purpose::Undeclared,
            ..a
        };
        assert_eq!(
            undeclared.recorded_event(false).payload["declared_purpose"],
            Value::Null
        );
    }

    #[test]
    fn purpose_names_round_trip() {
        for p in [Purpose::CompetingModel, Purpose::NonCompeting] {
            assert_eq!(p.as_str().and_then(Purpose::parse), Some(p));
        }
        assert_eq!(Purpose::Undeclared.as_str(), None);
        assert_eq!(Purpose::parse("undeclared"), None);
    }
}
