//! Use cases of lineage certificates: issuance (only on a clean or exempt verdict), reading,
//! verification (no account needed) and revocation.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, Header};
use uuid::Uuid;

use super::Registry;
use super::certificate_cache::StoredFacts;
use crate::domain::access::{Caller, Role};
use crate::domain::certificate::{
    CERTIFICATE_TYPE, CertificateClaims, CertificateRecord, CertificateStatus, DatasetClaim,
    MAX_LISTED_MEMBERS, PolicyClaim, lineage_claim, verdict_name,
};
use crate::domain::evaluation::{self, ClosureGraph, Evaluation, ObligationStatus, Verdict};
use crate::domain::event::truncate_to_micros;
use crate::domain::policy::{Policy, Purpose};
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
    /// Policy id.
    pub policy_id: String,
    /// Policy version (empty for the only one).
    pub policy_version: String,
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
        let policy = self.policies.get(
            "policy_id",
            &request.policy_id,
            "policy_version",
            &request.policy_version,
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
        let graph = self
            .store
            .closure_graph(dataset.id, &policy.id, &policy.version, now)
            .await?;
        let target = request.target_model.as_deref();
        // Certificates carry no declared purpose yet: a competing-use prohibition is refused as
        // undetermined when its outputs are in the lineage.
        let found = evaluation::evaluate(&graph, &policy, target, Purpose::Undeclared, caller);
        refuse_unless_certifiable(&found, dataset.id, &policy)?;

        let members: Vec<Uuid> = graph.nodes.iter().map(|n| n.id).collect();
        let closure = self.store.get_datasets(&members).await?;
        let lineage = lineage_claim(&closure);
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
                id: policy.id.clone(),
                version: policy.version.clone(),
                clause_sha256: policy.clause_sha256.clone(),
            },
            policies: None,
            verdict: verdict_name(found.verdict).to_owned(),
            target_model: request
                .target_model
                .clone()
                .filter(|_| found.verdict == Verdict::Exempt),
            attestations: found
                .attestation_ids
                .iter()
                .take(MAX_LISTED_MEMBERS)
                .map(Uuid::to_string)
                .collect(),
            attestation_count: Some(found.attestation_ids.len()),
            purpose: None,
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
            policy_id: policy.id.clone(),
            policy_version: policy.version.clone(),
            verdict: found.verdict,
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
        let check_caller = caller.clone();
        let check_target = request.target_model.clone();
        let dataset_id = dataset.id;
        let precondition = move |graph: &ClosureGraph| {
            let again = evaluation::evaluate(
                graph,
                &policy,
                check_target.as_deref(),
                Purpose::Undeclared,
                &check_caller,
            );
            refuse_unless_certifiable(&again, dataset_id, &policy)
        };
        let read_at = self.certificate_cache.generation();
        let sequence = self
            .issuances
            .submit(CertificateInsert {
                certificate: record.clone(),
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

/// `FailedPrecondition` unless the evaluation allows a certificate: clean, or exempt for the target.
fn refuse_unless_certifiable(found: &Evaluation, dataset: Uuid, policy: &Policy) -> Result<()> {
    let open = found.obligations.iter().find(|o| {
        matches!(
            o.status,
            ObligationStatus::Unmet | ObligationStatus::Undetermined
        )
    });
    match (found.verdict, open) {
        (Verdict::Contaminated, _) => Err(refusal::contaminated(
            &format!("dataset {dataset} cannot be certified: its lineage is contaminated"),
            found,
        )),
        (_, Some(owed)) => Err(refusal::obligation_open(
            &format!(
                "dataset {dataset} cannot be certified under policy {:?} version {:?}: an obligation is not shown met",
                policy.id, policy.version
            ),
            owed,
            &policy.name_prefix,
        )),
        (Verdict::Clean | Verdict::Exempt, None) => Ok(()),
        (Verdict::Incomplete, None) => Err(refusal::incomplete(
            &format!(
                "dataset {dataset} cannot be certified: its lineage is not wholly attested by the \
                 datasets' owners under this policy version"
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
