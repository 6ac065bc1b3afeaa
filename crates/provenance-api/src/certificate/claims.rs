//! What a lineage certificate states: the claims of its compact JWS, as the registry signs them
//! and every verifier reads them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The `typ` header of lineage certificates: never `JWT` or the access tokens' `at+jwt`.
pub const CERTIFICATE_TYPE: &str = "lineage-cert+jwt";

/// Closure members (and attestations) listed in a certificate at most; the digest, size and count
/// always cover all of them.
pub const MAX_LISTED_MEMBERS: usize = 1000;

/// The certified dataset, as the certificate names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetClaim {
    /// Its id.
    pub id: String,
    /// Its owner.
    pub organization_id: String,
    /// Its owner's name when the certificate was issued, so that a reader sees who certified
    /// without looking the id up. Absent from certificates issued before names were signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its content digest.
    pub content_digest: String,
}

/// The lineage the certificate covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageClaim {
    /// The lineage digest of the whole upstream closure.
    pub digest: String,
    /// Datasets in the closure, the certified one included.
    pub size: usize,
    /// Their ids, sorted, at most [`MAX_LISTED_MEMBERS`].
    pub members: Vec<String>,
    /// Whether `members` lists them all.
    pub members_complete: bool,
}

/// The policy the lineage was judged under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyClaim {
    /// Policy id.
    pub id: String,
    /// Policy version.
    pub version: String,
    /// SHA-256 of its clause.
    pub clause_sha256: String,
}

/// Policies a certificate covers at most, as an evaluation judges by at most.
pub const MAX_COVERED_POLICIES: usize = 16;

/// One policy version a certificate covers, and the judgement under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveredPolicyClaim {
    /// Policy id.
    pub id: String,
    /// Policy version.
    pub version: String,
    /// SHA-256 of its clause, lower-case hex.
    pub clause_sha256: String,
    /// What its clause does: `PROHIBITION`, `NAMING_OBLIGATION`, `INHERITED_TERMS` or
    /// `COMPETING_USE_PROHIBITION`.
    pub kind: String,
    /// `CLEAN`, or `EXEMPT` for the certificate's `target_model`.
    pub verdict: String,
    /// What the lineage's restricted outputs oblige the trained model to under this policy, each
    /// met or applying; absent when nothing is owed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<ObligationClaim>,
}

/// An obligation a certificate's lineage brings, as the certificate states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationClaim {
    /// `NAME_PREFIX`, `INHERITED_TERMS` or `NO_COMPETING_USE`.
    pub kind: String,
    /// `MET` (by the target model's name, or by the declared purpose) or `APPLIES` (binds the
    /// trained model whatever it is).
    pub status: String,
    /// For `NAME_PREFIX`: what the trained model's name must begin with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<String>,
}

/// Everything a lineage certificate states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateClaims {
    /// The issuing registry.
    pub iss: String,
    /// `datasets/<id>` of the certified dataset.
    pub sub: String,
    /// The buyer's organisation id, when the certificate was issued for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The buyer's organisation's name when the certificate was issued, beside `aud`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience_name: Option<String>,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Not valid before.
    pub nbf: i64,
    /// Not valid after.
    pub exp: i64,
    /// The certificate's id.
    pub jti: String,
    /// The certified dataset.
    pub dataset: DatasetClaim,
    /// Its lineage.
    pub lineage: LineageClaim,
    /// The policy: the first of `policies`.
    pub policy: PolicyClaim,
    /// Every policy version the certificate covers, `policy` first, each with its verdict and
    /// obligations. Absent from certificates issued before certificates listed their policies,
    /// which cover `policy` alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<CoveredPolicyClaim>>,
    /// The verdict under `policy`: `CLEAN`, or `EXEMPT` for the named target model.
    pub verdict: String,
    /// The target model the verdicts hold for: given when a verdict is `EXEMPT` for it or a
    /// naming obligation is met by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_model: Option<String>,
    /// The purpose the verdicts were judged for (`COMPETING_MODEL` or `NON_COMPETING`), when one
    /// was declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// The attestations the verdict rests on, sorted; at most [`MAX_LISTED_MEMBERS`], the first
    /// in that order, so that a token stays readable however large the lineage.
    pub attestations: Vec<String>,
    /// How many attestations the verdict rests on in all. Absent from certificates issued before
    /// the list was bounded, whose list is whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_count: Option<usize>,
    /// The contract the certificate is attached to, as the vendor names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_reference: Option<String>,
    /// Where a reader verifies it: the registry's public verification page, as its operator
    /// published it (`--public-url`), never the address a client happened to use. Absent when
    /// the operator published none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_url: Option<String>,
    /// Where the certificate's revocation status is published (a token status list), when the
    /// operator published a URL for the registry (`--public-url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::status_list::StatusClaim>,
}

impl CertificateClaims {
    /// Every policy the certificate covers: its `policies`, or for a certificate issued before
    /// they were listed, its one `policy` with the `verdict`.
    pub fn covered_policies(&self) -> Vec<CoveredPolicyClaim> {
        self.policies.clone().unwrap_or_else(|| {
            vec![CoveredPolicyClaim {
                id: self.policy.id.clone(),
                version: self.policy.version.clone(),
                clause_sha256: self.policy.clause_sha256.clone(),
                kind: String::new(),
                verdict: self.verdict.clone(),
                obligations: Vec::new(),
            }]
        })
    }

    /// How many attestations the verdict rests on: the count, or for a certificate issued before
    /// the list was bounded, the length of its whole list.
    pub fn attestation_total(&self) -> usize {
        self.attestation_count.unwrap_or(self.attestations.len())
    }
}

/// The claims of a token whose signature verified: its signing input (`header.payload`) decoded,
/// both as claims and as the JSON text exactly as signed. Says why when they are not a
/// certificate's.
pub fn signed_claims(signing_input: &str) -> Result<(CertificateClaims, String), String> {
    let payload = signing_input.split_once('.').map_or("", |(_, p)| p);
    let json = URL_SAFE_NO_PAD.decode(payload).map_err(|e| e.to_string())?;
    let json = String::from_utf8(json).map_err(|e| e.to_string())?;
    let claims = serde_json::from_str::<CertificateClaims>(&json).map_err(|e| e.to_string())?;
    Ok((claims, json))
}
