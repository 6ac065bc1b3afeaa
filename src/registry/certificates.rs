//! Use cases of lineage certificates: issuance (only on a clean or exempt verdict), reading,
//! verification (no account needed) and revocation.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, Header};
use uuid::Uuid;

use super::Registry;
use super::certificate_cache::StoredFacts;
use crate::domain::access::{Caller, Role};
use crate::domain::certificate::{
    CERTIFICATE_TYPE, CertificateClaims, CertificateRecord, CertificateStatus, CoveredPolicyClaim,
    DatasetClaim, MAX_LISTED_MEMBERS, ObligationClaim, PolicyClaim, compare_clauses, lineage_claim,
    verdict_name,
};
use crate::domain::evaluation::{
    self, Evaluation, ObligationKind, ObligationStatus, SharedClosure, Verdict,
};
use crate::domain::event::truncate_to_micros;
use crate::domain::policy::{Policy, PolicySelection, Purpose};
use crate::domain::refusal;
use crate::error::{Error, Result};
use crate::signing_keys::KeyRing;
use crate::store::CertificateInsert;
use provenance_api::certificate::checks::{
    CertificateKey, CertificateKeys, ONLINE_CHECKS, read_header,
};
use provenance_api::certificate::dsse;

/// Lifetimes of certificates and the name they are issued under.
#[derive(Debug, Clone)]
pub struct CertificatePolicy {
    /// The `iss` claim.
    pub issuer: String,
    /// Validity when a request does not say.
    pub default_validity: Duration,
    /// Longest validity a request may ask for.
    pub max_validity: Duration,
    /// Where certificates say they are verified (`--public-url` and `/verify`), if anywhere.
    pub verification_url: Option<String>,
    /// The registry's public URL (`--public-url`): certificates carry a status list position under
    /// it; without one they carry none.
    pub public_url: Option<String>,
}

/// Shortest validity a request may ask for.
pub const MIN_VALIDITY: Duration = Duration::hours(1);

/// Longest token `VerifyCertificate` reads. The registry's own tokens stay well within it: their
/// claims list at most [`MAX_LISTED_MEMBERS`] closure members and as many attestation ids
/// (about 80 KB of JSON, 108 KB as a token), whatever the lineage.
pub const MAX_TOKEN_LEN: usize = 128 * 1024;

/// A request for a certificate, validated.
#[derive(Debug, Clone)]
pub struct CertificateRequest {
    /// The dataset.
    pub dataset_id: Uuid,
    /// Several policies to cover at once; `None` for the one `policy_id`, `policy_version`.
    pub selection: Option<PolicySelection>,
    /// Policy id (empty with a selection).
    pub policy_id: String,
    /// Policy version (empty for the only one).
    pub policy_version: String,
    /// What the trained model is for, as the request declares it.
    pub purpose: Purpose,
    /// The buyer's organisation.
    pub audience: Option<Uuid>,
    /// The contract reference.
    pub contract_reference: Option<String>,
    /// The target model, for an exempt verdict.
    pub target_model: Option<String>,
    /// How long it is valid.
    pub validity: Option<Duration>,
}

/// One check of a verification: the API's, shared with every offline verifier.
pub use provenance_api::certificate::Check;

/// The outcome of a verification.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Every check passed.
    pub valid: bool,
    /// The stored certificate's status, when the registry knows it.
    pub status: Option<CertificateStatus>,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// The claims, when the signature verified.
    pub claims: Option<CertificateClaims>,
    /// The claims exactly as signed (the token's payload, decoded), when the signature verified.
    pub claims_json: Option<String>,
    /// The certificate's revocation and status history, when the registry holds this very token.
    pub standing: Option<Standing>,
}

/// Where a certificate stands, as `VerifyCertificate` tells anyone who holds its token: at the
/// moment asked, so that a revocation after it is not shown (as `GetCertificate` with `as_of`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// When it was revoked, if it was by then.
    pub revoke_time: Option<DateTime<Utc>>,
    /// Why.
    pub revoke_reason: Option<String>,
    /// What caused it: `certificates/<id>`, `attestations/<id>` or `contamination_reports/<id>`.
    pub revoke_cause: Option<String>,
    /// Status changes, oldest first, each with its time and (for a revocation) its reason.
    pub history: Vec<(CertificateStatus, DateTime<Utc>, Option<String>)>,
}

impl Standing {
    fn of(facts: &StoredFacts, at: DateTime<Utc>) -> Self {
        let revoked_by_then = facts.revoke_time.is_some_and(|revoked| revoked <= at);
        let then = |value: &Option<String>| value.clone().filter(|_| revoked_by_then);
        Self {
            revoke_time: facts.revoke_time.filter(|_| revoked_by_then),
            revoke_reason: then(&facts.revoke_reason),
            revoke_cause: then(&facts.revoke_cause),
            history: facts.history(at),
        }
    }
}

impl Registry {
    /// Issues a certificate for one of the caller's organisation's datasets (registrars, admins).
    pub async fn issue_certificate(
        &self,
        caller: &Caller,
        request: CertificateRequest,
    ) -> Result<CertificateRecord> {
        let organization = caller.member_with(Role::Registrar)?;
        let policies = self.policies.resolve(
            &request.policy_id,
            &request.policy_version,
            request.selection.as_ref(),
        )?;
        let dataset = self
            .own_dataset(caller, organization, request.dataset_id, "certify")
            .await?;
        let validity = request
            .validity
            .unwrap_or(self.certificates.default_validity);
        if validity < MIN_VALIDITY || validity > self.certificates.max_validity {
            return Err(Error::invalid(
                "validity",
                format!(
                    "must be between {} and {} seconds",
                    MIN_VALIDITY.num_seconds(),
                    self.certificates.max_validity.num_seconds()
                ),
            ));
        }
        // Names are signed beside the ids, as they are at issuance, so that a reader of the
        // certificate sees who certified for whom without looking ids up.
        let audience_name = match request.audience {
            Some(audience) => Some(
                self.store
                    .get_organization(audience)
                    .await?
                    .ok_or_else(|| {
                        Error::NotFound(format!(
                            "audience_organization_id: organisation {audience} not found"
                        ))
                    })?
                    .name,
            ),
            None => None,
        };
        let owner_name = self
            .store
            .get_organization(organization)
            .await?
            .map(|o| o.name);

        let now = truncate_to_micros(Utc::now());
        let covered_keys: Vec<(String, String)> = policies
            .iter()
            .map(|p| (p.id.clone(), p.version.clone()))
            .collect();
        let judge = Judgement {
            policies: policies.clone(),
            target: request.target_model.clone(),
            purpose: request.purpose,
            caller: caller.clone(),
            dataset: dataset.id,
        };
        let closure = self
            .store
            .shared_closure(dataset.id, &key_refs(&covered_keys), now)
            .await?;
        let found = judge.certifiable(&closure)?;
        let graph = &closure.graph;
        let members: Vec<Uuid> = graph.nodes.iter().map(|n| n.id).collect();
        let closure_datasets = self.store.get_datasets(&members).await?;
        let lineage = lineage_claim(&closure_datasets);
        let first = &policies[0];
        let first_verdict = found[0].verdict;
        let covered: Vec<CoveredPolicyClaim> = policies
            .iter()
            .zip(&found)
            .map(|(policy, judged)| covered_policy_claim(policy, judged))
            .collect();
        let target_judged = found.iter().any(|judged| {
            judged.verdict == Verdict::Exempt
                || judged
                    .obligations
                    .iter()
                    .any(|owed| owed.kind == ObligationKind::NamePrefix)
        });
        // The attestations the verdicts rest on, under any of the policies: revoking any of them
        // revokes the certificate.
        let attestation_ids: Vec<Uuid> = found
            .iter()
            .flat_map(|judged| judged.attestation_ids.iter().copied())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let id = Uuid::now_v7();
        let status = self.reserve_status(id).await?;
        let expire_time = now + validity;
        let claims = CertificateClaims {
            iss: self.certificates.issuer.clone(),
            sub: format!("datasets/{}", dataset.id),
            aud: request.audience.map(|a| a.to_string()),
            audience_name,
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expire_time.timestamp(),
            jti: id.to_string(),
            dataset: DatasetClaim {
                id: dataset.id.to_string(),
                organization_id: dataset.organization_id.to_string(),
                organization_name: owner_name,
                name: dataset.name.clone(),
                version: dataset.version.clone(),
                content_digest: dataset.content_digest.to_string(),
            },
            lineage: lineage.clone(),
            policy: PolicyClaim {
                id: first.id.clone(),
                version: first.version.clone(),
                clause_sha256: first.clause_sha256.clone(),
            },
            policies: Some(covered),
            verdict: verdict_name(first_verdict).to_owned(),
            target_model: request.target_model.clone().filter(|_| target_judged),
            purpose: signed_purpose(request.purpose, &found),
            attestations: attestation_ids
                .iter()
                .take(MAX_LISTED_MEMBERS)
                .map(Uuid::to_string)
                .collect(),
            attestation_count: Some(attestation_ids.len()),
            contract_reference: request.contract_reference.clone(),
            verification_url: self.certificates.verification_url.clone(),
            status,
        };
        let keys = self.keys_for_signing().await;
        let key = keys.active();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(CERTIFICATE_TYPE.to_owned());
        header.kid = Some(key.kid.clone());
        // Signed before anything is stored: a key that cannot sign (its hardware module gone)
        // fails the call with UNAVAILABLE and leaves no certificate row and no event behind.
        let token = key.sign_jws(&header, &claims).await?;

        let record = CertificateRecord {
            id,
            dataset_id: dataset.id,
            organization_id: organization,
            audience: request.audience,
            policy_id: first.id.clone(),
            policy_version: first.version.clone(),
            verdict: first_verdict,
            target_model: claims.target_model.clone(),
            contract_reference: request.contract_reference,
            lineage_digest: lineage.digest,
            closure_size: lineage.size,
            kid: key.kid.clone(),
            token,
            issue_time: now,
            not_before: now,
            expire_time,
            revoke_time: None,
            revoke_reason: None,
            revoke_cause: None,
            issued_event_sequence: None,
        };
        let event = record.issued_event();
        let precondition = move |closure: &SharedClosure| judge.certifiable(closure).map(|_| ());
        let read_at = self.certificate_cache.generation();
        let sequence = self
            .issuances
            .submit(CertificateInsert {
                certificate: record.clone(),
                policies: covered_keys,
                members,
                event,
                precondition: Box::new(precondition),
            })
            .await?;
        let record = CertificateRecord {
            issued_event_sequence: Some(sequence),
            ..record
        };
        self.certificate_cache
            .insert(record.id, StoredFacts::of(&record), read_at);
        Ok(record)
    }

    /// Reads a certificate: its owner's and its audience's members, and operators, may.
    pub async fn get_certificate(&self, caller: &Caller, id: Uuid) -> Result<CertificateRecord> {
        self.store
            .get_certificate(id)
            .await?
            .filter(|c| may_read(caller, c))
            .ok_or_else(|| Error::NotFound(format!("certificate {id} not found")))
    }

    /// Revokes one of the caller's organisation's certificates (registrars and admins). Anyone else
    /// who may read it (its buyer) is told that only the issuing organisation revokes; for everyone
    /// else it does not exist, as for `GetCertificate`.
    pub async fn revoke_certificate(
        &self,
        caller: &Caller,
        id: Uuid,
        reason: String,
    ) -> Result<CertificateRecord> {
        let organization = caller.member_with(Role::Registrar)?;
        let not_found = || Error::NotFound(format!("certificate {id} not found"));
        let certificate = self
            .store
            .get_certificate(id)
            .await?
            .filter(|c| may_read(caller, c))
            .ok_or_else(not_found)?;
        if certificate.organization_id != organization {
            return Err(Error::PermissionDenied(format!(
                "certificate {id} was issued by another organisation; only the issuing \
                 organisation revokes it"
            )));
        }
        let now = truncate_to_micros(Utc::now());
        let events = certificate.revoked_events(now, &reason, &format!("certificates/{id}"));
        let revoked = self
            .store
            .revoke_certificate(organization, id, now, &reason, events)
            .await;
        self.certificate_cache.invalidate_all();
        let revoked = revoked?.ok_or_else(not_found)?;
        self.feed.notify();
        Ok(revoked)
    }

    /// What verification compares a token with, from the cache or else the store.
    async fn stored_facts(&self, id: Uuid) -> Result<Option<StoredFacts>> {
        if let Some(facts) = self.certificate_cache.get(id) {
            self.metrics.count_certificate_cache(true);
            return Ok(Some(facts));
        }
        self.metrics.count_certificate_cache(false);
        let read_at = self.certificate_cache.generation();
        let Some(record) = self.store.get_certificate(id).await? else {
            return Ok(None);
        };
        let facts = StoredFacts::of(&record);
        self.certificate_cache.insert(id, facts.clone(), read_at);
        Ok(Some(facts))
    }

    /// The certificate as an in-toto Statement in a DSSE envelope (JSON), signed by the key that
    /// signed its token. Built again on each call: the Statement is the same bytes every time and
    /// Ed25519 signatures are deterministic, so this is exactly the envelope signed at issuance.
    /// `None` before the certificate is stored, or when its key is gone from the key file; fails
    /// with `UNAVAILABLE` when the key cannot sign now (its hardware module gone).
    pub async fn dsse_envelope(&self, record: &CertificateRecord) -> Result<Option<String>> {
        let Some(statement) = record.statement() else {
            return Ok(None);
        };
        let ring = self.verifying_keys(&record.kid).await;
        let Some(key) = ring.find(&record.kid) else {
            tracing::warn!(kid = %record.kid, "a certificate's signing key is not in the key file");
            return Ok(None);
        };
        let signature = key.sign(dsse::pae(dsse::PAYLOAD_TYPE, &statement)).await?;
        Ok(Some(dsse::envelope_json(&statement, &key.kid, &signature)))
    }

    /// Checks a certificate in either form (a compact JWS or a DSSE envelope), reporting every
    /// check. Needs no caller.
    pub async fn verify_certificate(
        &self,
        token: &str,
        expected_audience: Option<Uuid>,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Verification> {
        // The offline checks, as every verifier makes them (provenance_api::certificate::checks),
        // with the keys of this registry and the signature verified together with concurrent
        // calls' signatures.
        let now = as_of.unwrap_or_else(Utc::now);
        let pending = match read_header(token) {
            Ok(header) => {
                let ring = self.verifying_keys(header.kid()).await;
                header.find_key(&*ring)
            }
            Err(stopped) => Err(stopped),
        };
        let offline = match pending {
            Err(stopped) => stopped.into(),
            Ok(pending) => {
                let verifies = match pending.signature() {
                    Some(signature) => {
                        self.signatures
                            .verify(
                                pending.signing_input().to_vec(),
                                signature,
                                *pending.public_key(),
                            )
                            .await
                    }
                    None => false,
                };
                pending.conclude(verifies, now, expected_audience)
            }
        };
        let mut checks = offline.checks;
        let (Some(claims), Some(claims_json)) = (offline.claims, offline.claims_json) else {
            checks.extend(ONLINE_CHECKS.map(Check::not_checked));
            return Ok(Verification::of(checks, None, None, None));
        };
        if let Some(check) = checks
            .iter_mut()
            .find(|check| check.name == "policies" && check.passed)
        {
            let detail = std::mem::take(&mut check.detail);
            *check = compare_clauses(&claims, detail, |id, version| {
                let loaded = self.policies.get("id", id, "version", version).ok()?;
                Some(loaded.clause_sha256.clone())
            });
        }
        let stored = match Uuid::try_parse(&claims.jti) {
            Ok(id) => self.stored_facts(id).await?,
            Err(_) => None,
        };
        let status = stored.as_ref().map(|c| c.status_at(now));
        checks.push(match &stored {
            None => Check::new(
                "status",
                false,
                "the registry has no certificate with this id",
            ),
            Some(record) if !record.holds(token, &claims_json) => Check::new(
                "status",
                false,
                "the registry holds a different certificate under this id",
            ),
            Some(record) => match record.status_at(now) {
                CertificateStatus::Valid => Check::new("status", true, "valid"),
                CertificateStatus::Expired => Check::new("status", false, "expired"),
                CertificateStatus::Revoked => Check::new(
                    "status",
                    false,
                    format!(
                        "revoked at {}: {} ({})",
                        record
                            .revoke_time
                            .map(crate::domain::event::format_time)
                            .unwrap_or_default(),
                        record.revoke_reason.as_deref().unwrap_or(""),
                        record.revoke_cause.as_deref().unwrap_or("")
                    ),
                ),
            },
        });
        // Told to whoever holds the token the registry issued, and to no one else: a token made
        // up under a known id learns nothing of that certificate.
        let standing = stored
            .as_ref()
            .filter(|record| record.holds(token, &claims_json))
            .map(|record| Standing::of(record, now));
        // A dataset's upstream closure never changes, so the digest stored at issuance is the
        // registry's; a mismatch means the token or the store was altered.
        let lineage_matches = stored.as_ref().is_some_and(|record| {
            record.lineage_digest == claims.lineage.digest
                && record.dataset_id.to_string() == claims.dataset.id
        });
        checks.push(Check::new(
            "lineage",
            lineage_matches,
            if lineage_matches {
                format!(
                    "lineage digest {} matches the registry",
                    claims.lineage.digest
                )
            } else {
                "the lineage digest or dataset does not match the registry".into()
            },
        ));
        Ok(Verification::of(
            checks,
            status,
            Some((claims, claims_json)),
            standing,
        ))
    }
}

impl Verification {
    fn of(
        checks: Vec<Check>,
        status: Option<CertificateStatus>,
        claims: Option<(CertificateClaims, String)>,
        standing: Option<Standing>,
    ) -> Self {
        let (claims, claims_json) = claims.unzip();
        Self {
            valid: checks.iter().all(|c| c.passed),
            status,
            checks,
            claims,
            claims_json,
            standing,
        }
    }
}

/// The registry's keys, as the offline checks look them up.
impl CertificateKeys for KeyRing {
    fn certificate_key(&self, kid: &str) -> std::result::Result<CertificateKey, String> {
        let key = self
            .find(kid)
            .ok_or_else(|| format!("kid {kid:?} is not a signing key of this registry"))?;
        Ok(CertificateKey {
            kid: key.kid.clone(),
            public_key: key.public_key(),
            valid_from: Some(key.created),
            valid_until: key.retired,
            note: None,
        })
    }
}

/// What a certificate request asks to be judged by, kept to judge again in the storing
/// transaction.
struct Judgement {
    policies: Vec<Arc<Policy>>,
    target: Option<String>,
    purpose: Purpose,
    caller: Caller,
    dataset: Uuid,
}

impl Judgement {
    /// The evaluation under each policy, in order, when every one allows a certificate; else the
    /// first refusal, naming its policy.
    fn certifiable(&self, closure: &SharedClosure) -> Result<Vec<Evaluation>> {
        let judged: Vec<&Policy> = self.policies.iter().map(Arc::as_ref).collect();
        let listed = evaluation::listed_each(judged.len());
        let found = closure.evaluate_each(
            &judged,
            self.target.as_deref(),
            self.purpose,
            &self.caller,
            listed,
        );
        for (policy, judgement) in judged.iter().zip(&found) {
            refuse_unless_certifiable(judgement, self.dataset, policy)?;
        }
        Ok(found)
    }
}

fn key_refs(keys: &[(String, String)]) -> Vec<(&str, &str)> {
    keys.iter()
        .map(|(id, version)| (id.as_str(), version.as_str()))
        .collect()
}

/// One covered policy as the claims state it: its verdict and the obligations shown met or
/// applying (a certifiable evaluation has no other).
fn covered_policy_claim(policy: &Policy, judged: &Evaluation) -> CoveredPolicyClaim {
    CoveredPolicyClaim {
        id: policy.id.clone(),
        version: policy.version.clone(),
        clause_sha256: policy.clause_sha256.clone(),
        // The claim names the kind as policy files do, in capitals, as verdicts are named.
        kind: policy.kind.as_str().to_ascii_uppercase(),
        verdict: verdict_name(judged.verdict).to_owned(),
        obligations: judged
            .obligations
            .iter()
            .map(|owed| ObligationClaim {
                kind: match owed.kind {
                    ObligationKind::NamePrefix => "NAME_PREFIX",
                    ObligationKind::InheritedTerms => "INHERITED_TERMS",
                    ObligationKind::NoCompetingUse => "NO_COMPETING_USE",
                }
                .to_owned(),
                status: match owed.status {
                    ObligationStatus::Met => "MET",
                    ObligationStatus::Applies => "APPLIES",
                    ObligationStatus::Unmet => "UNMET",
                    ObligationStatus::Undetermined => "UNDETERMINED",
                }
                .to_owned(),
                name_prefix: (owed.kind == ObligationKind::NamePrefix)
                    .then(|| policy.name_prefix.clone()),
            })
            .collect(),
    }
}

/// The `purpose` claim: the request's, or else non-competing when a no-competing-use obligation
/// was shown met (by the purpose the dataset's attestations declare).
fn signed_purpose(requested: Purpose, found: &[Evaluation]) -> Option<String> {
    let shown_non_competing = found.iter().any(|judged| {
        judged.obligations.iter().any(|owed| {
            owed.kind == ObligationKind::NoCompetingUse && owed.status == ObligationStatus::Met
        })
    });
    match requested {
        Purpose::CompetingModel => Some("COMPETING_MODEL".to_owned()),
        Purpose::NonCompeting => Some("NON_COMPETING".to_owned()),
        Purpose::Undeclared => shown_non_competing.then(|| "NON_COMPETING".to_owned()),
    }
}

/// `FailedPrecondition` unless the evaluation under `policy` allows a certificate: clean, or
/// exempt for the target, with no obligation unmet or undetermined.
fn refuse_unless_certifiable(found: &Evaluation, dataset: Uuid, policy: &Policy) -> Result<()> {
    let open = found.obligations.iter().find(|o| {
        matches!(
            o.status,
            ObligationStatus::Unmet | ObligationStatus::Undetermined
        )
    });
    let under = format!("under policy {:?} version {:?}", policy.id, policy.version);
    match (found.verdict, open) {
        (Verdict::Contaminated, _) => Err(refusal::contaminated(
            &format!("dataset {dataset} cannot be certified {under}: its lineage is contaminated"),
            found,
        )),
        (_, Some(owed)) => Err(refusal::obligation_open(
            &format!(
                "dataset {dataset} cannot be certified {under}: an obligation is not shown met"
            ),
            owed,
            &policy.name_prefix,
        )),
        (Verdict::Clean | Verdict::Exempt, None) => Ok(()),
        (Verdict::Incomplete, None) => Err(refusal::incomplete(
            &format!(
                "dataset {dataset} cannot be certified {under}: its lineage is not wholly attested \
                 by the datasets' owners under this policy version"
            ),
            found,
        )),
    }
}

/// Whether `caller` may read `certificate`: its owner's and its audience's members, and operators.
fn may_read(caller: &Caller, certificate: &CertificateRecord) -> bool {
    caller.role == Role::Operator
        || caller.organization_id == Some(certificate.organization_id)
        || (certificate.audience.is_some() && caller.organization_id == certificate.audience)
}
