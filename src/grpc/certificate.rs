//! `provenance.v1.CertificateService`.

use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};

use super::convert::{policy_selection, purpose_from_proto, time_from_proto, time_to_proto};
use crate::domain::access::Role;
use crate::domain::attestation::limits as attestation_limits;
use crate::domain::certificate::{
    CertificateRecord, CertificateStatus, CoveredPolicyClaim, RevocationCause, parse_revoke_cause,
};
use crate::domain::dataset::limits;
use crate::domain::evaluation::Verdict;
use crate::domain::public_lineage::PublicLineage;
use crate::domain::text::{optional_line, optional_uuid, required_line, required_uuid};
use crate::error::Error;
use crate::proto::v1 as pb;
use crate::registry::Registry;
use crate::registry::certificates::{CertificateRequest, MAX_TOKEN_LEN, Standing};
use crate::signing_keys::KeyEntry;

/// Handlers of the certificate service.
pub struct CertificateHandlers {
    /// The registry the handlers serve.
    pub registry: Registry,
}

fn signing_key_to_proto(key: &KeyEntry) -> pb::SigningKey {
    pb::SigningKey {
        kid: key.kid.clone(),
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        x: key.x(),
        r#use: "sig".into(),
        alg: "EdDSA".into(),
        status: if key.is_active() {
            pb::SigningKeyStatus::Active
        } else {
            pb::SigningKeyStatus::Retired
        } as i32,
        valid_from: Some(time_to_proto(key.created)),
        valid_until: key.retired.map(time_to_proto),
    }
}

fn status_to_proto(status: CertificateStatus) -> pb::CertificateStatus {
    match status {
        CertificateStatus::Valid => pb::CertificateStatus::Valid,
        CertificateStatus::Revoked => pb::CertificateStatus::Revoked,
        CertificateStatus::Expired => pb::CertificateStatus::Expired,
    }
}

fn history_to_proto(
    history: Vec<(CertificateStatus, DateTime<Utc>, Option<String>)>,
) -> Vec<pb::CertificateStatusChange> {
    history
        .into_iter()
        .map(|(status, time, reason)| pb::CertificateStatusChange {
            status: status_to_proto(status) as i32,
            time: Some(time_to_proto(time)),
            reason: reason.unwrap_or_default(),
        })
        .collect()
}

fn revocation_cause_to_proto(cause: RevocationCause) -> pb::RevocationCause {
    match cause {
        RevocationCause::CertificateRevoked => pb::RevocationCause::CertificateRevoked,
        RevocationCause::AttestationRevoked => pb::RevocationCause::AttestationRevoked,
        RevocationCause::ContaminationReported => pb::RevocationCause::ContaminationReported,
    }
}

/// The standing fields of `VerifyCertificateResponse`; all empty without a standing.
fn standing_to_proto(standing: Option<Standing>, response: &mut pb::VerifyCertificateResponse) {
    let Some(standing) = standing else {
        return;
    };
    let cause = standing.revoke_cause.unwrap_or_default();
    let (kind, id) = parse_revoke_cause(&cause)
        .map(|(kind, id)| (revocation_cause_to_proto(kind), id.to_owned()))
        .unwrap_or((pb::RevocationCause::Unspecified, String::new()));
    response.revoke_time = standing.revoke_time.map(time_to_proto);
    response.revoke_reason = standing.revoke_reason.unwrap_or_default();
    response.revoke_cause_kind = kind as i32;
    response.revoke_cause_id = id;
    response.revoke_cause = cause;
    response.status_history = history_to_proto(standing.history);
}

/// The certificate as the API answers it, with its DSSE envelope (`dsse_envelope`, empty when
/// none could be made).
fn certificate_to_proto(
    c: CertificateRecord,
    dsse_envelope: Option<String>,
    as_of: DateTime<Utc>,
) -> pb::Certificate {
    // Asked about a time before the revocation, the certificate is shown as it stood then.
    let revoked_by_then = c.revoke_time.is_some_and(|revoked| revoked <= as_of);
    let (revoke_time, revoke_reason, revoke_cause) = if revoked_by_then {
        (
            c.revoke_time,
            c.revoke_reason.clone(),
            c.revoke_cause.clone(),
        )
    } else {
        (None, None, None)
    };
    let claims = c.claims();
    pb::Certificate {
        policies: claims
            .as_ref()
            .map(|claims| {
                claims
                    .covered_policies()
                    .into_iter()
                    .map(certified_policy_to_proto)
                    .collect()
            })
            .unwrap_or_default(),
        declared_purpose: claims
            .as_ref()
            .and_then(|claims| claims.purpose.as_deref())
            .and_then(|purpose| pb::Purpose::from_str_name(&format!("PURPOSE_{purpose}")))
            .unwrap_or(pb::Purpose::Unspecified) as i32,
        status: status_to_proto(c.status_at(as_of)) as i32,
        status_history: history_to_proto(c.history(as_of)),
        id: c.id.to_string(),
        dataset_id: c.dataset_id.to_string(),
        organization_id: c.organization_id.to_string(),
        audience_organization_id: c.audience.map(|a| a.to_string()).unwrap_or_default(),
        policy_id: c.policy_id,
        policy_version: c.policy_version,
        verdict: match c.verdict {
            Verdict::Clean => pb::Verdict::Clean,
            Verdict::Exempt => pb::Verdict::Exempt,
            Verdict::Contaminated => pb::Verdict::Contaminated,
            Verdict::Incomplete => pb::Verdict::Incomplete,
        } as i32,
        target_model: c.target_model.unwrap_or_default(),
        contract_reference: c.contract_reference.unwrap_or_default(),
        lineage_digest: c.lineage_digest,
        closure_size: c.closure_size as i32,
        kid: c.kid,
        token: c.token,
        issue_time: Some(time_to_proto(c.issue_time)),
        not_before: Some(time_to_proto(c.not_before)),
        expire_time: Some(time_to_proto(c.expire_time)),
        revoke_time: revoke_time.map(time_to_proto),
        revoke_reason: revoke_reason.unwrap_or_default(),
        revoke_cause: revoke_cause.unwrap_or_default(),
        // Only certificates stored before the log existed lack it, and the migration fills those.
        log_index: c
            .issued_event_sequence
            .map(|sequence| sequence.saturating_sub(1))
            .unwrap_or_default(),
        dsse_envelope: dsse_envelope.unwrap_or_default(),
    }
}

/// One covered policy as the certificate's claims state it; a name the API does not know reads as
/// unspecified.
fn certified_policy_to_proto(covered: CoveredPolicyClaim) -> pb::CertifiedPolicy {
    let named = |prefix: &str, name: &str| format!("{prefix}_{name}");
    pb::CertifiedPolicy {
        kind: pb::PolicyKind::from_str_name(&named("POLICY_KIND", &covered.kind))
            .unwrap_or(pb::PolicyKind::Unspecified) as i32,
        verdict: pb::Verdict::from_str_name(&named("VERDICT", &covered.verdict))
            .unwrap_or(pb::Verdict::Unspecified) as i32,
        obligations: covered
            .obligations
            .iter()
            .map(|owed| pb::Obligation {
                kind: pb::ObligationKind::from_str_name(&named("OBLIGATION_KIND", &owed.kind))
                    .unwrap_or(pb::ObligationKind::Unspecified) as i32,
                status: pb::ObligationStatus::from_str_name(&named(
                    "OBLIGATION_STATUS",
                    &owed.status,
                ))
                .unwrap_or(pb::ObligationStatus::Unspecified) as i32,
                name_prefix: owed.name_prefix.clone().unwrap_or_default(),
                ..Default::default()
            })
            .collect(),
        policy_id: covered.id,
        policy_version: covered.version,
        clause_sha256: covered.clause_sha256,
    }
}

#[tonic::async_trait]
impl pb::certificate_service_server::CertificateService for CertificateHandlers {
    #[tracing::instrument(skip_all)]
    async fn issue_certificate(
        &self,
        request: Request<pb::IssueCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.registry.caller(&request).await?;
        // Rights before validation, so that a caller without them learns nothing from the answers.
        caller.member_with(Role::Registrar)?;
        let request = request.into_inner();
        let validity = request
            .validity
            .map(|d| {
                if d.nanos != 0 {
                    return Err(Error::invalid("validity", "must be whole seconds"));
                }
                // Seconds beyond what a duration holds are beyond the maximum too: the range check
                // then answers with the bounds, as for any other validity out of range.
                Ok(
                    chrono::Duration::try_seconds(d.seconds).unwrap_or(if d.seconds < 0 {
                        chrono::Duration::MIN
                    } else {
                        chrono::Duration::MAX
                    }),
                )
            })
            .transpose()?;
        let selection = policy_selection(&request)?;
        let purpose = purpose_from_proto(request.declared_purpose)?;
        let certificate = self
            .registry
            .issue_certificate(
                &caller,
                CertificateRequest {
                    dataset_id: required_uuid("dataset_id", &request.dataset_id)?,
                    selection,
                    purpose,
                    policy_id: request.policy_id,
                    policy_version: request.policy_version,
                    audience: optional_uuid(
                        "audience_organization_id",
                        &request.audience_organization_id,
                    )?,
                    contract_reference: optional_line(
                        "contract_reference",
                        &request.contract_reference,
                        limits::NAME,
                    )?,
                    target_model: optional_line(
                        "target_model",
                        &request.target_model,
                        limits::MODEL_FIELD,
                    )?,
                    validity,
                },
            )
            .await?;
        // Stored already: a key that cannot sign now leaves the envelope out (GetCertificate
        // gives it later) rather than report a failure for what was done.
        let envelope = self
            .registry
            .dsse_envelope(&certificate)
            .await
            .unwrap_or_default();
        Ok(Response::new(certificate_to_proto(
            certificate,
            envelope,
            Utc::now(),
        )))
    }

    #[tracing::instrument(skip_all)]
    async fn get_certificate(
        &self,
        request: Request<pb::GetCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.registry.caller(&request).await?;
        let id = required_uuid("id", &request.get_ref().id)?;
        let as_of = request
            .get_ref()
            .as_of
            .as_ref()
            .map(|t| time_from_proto("as_of", t))
            .transpose()?
            .unwrap_or_else(Utc::now);
        let certificate = self.registry.get_certificate(&caller, id).await?;
        let envelope = self.registry.dsse_envelope(&certificate).await?;
        Ok(Response::new(certificate_to_proto(
            certificate,
            envelope,
            as_of,
        )))
    }

    /// Public: buyers verify without an account, so no token is asked for.
    #[tracing::instrument(skip_all)]
    async fn verify_certificate(
        &self,
        request: Request<pb::VerifyCertificateRequest>,
    ) -> Result<Response<pb::VerifyCertificateResponse>, Status> {
        let request = request.into_inner();
        if request.token.is_empty() {
            return Err(Error::invalid("token", "is required").into());
        }
        if request.token.len() > MAX_TOKEN_LEN {
            return Err(
                Error::invalid("token", format!("must be at most {MAX_TOKEN_LEN} bytes")).into(),
            );
        }
        let audience = optional_uuid(
            "audience_organization_id",
            &request.audience_organization_id,
        )?;
        let as_of = request
            .as_of
            .as_ref()
            .map(|t| time_from_proto("as_of", t))
            .transpose()?;
        let verification = self
            .registry
            .verify_certificate(request.token.trim(), audience, as_of)
            .await?;
        let mut response = pb::VerifyCertificateResponse {
            valid: verification.valid,
            status: verification
                .status
                .map(|s| status_to_proto(s) as i32)
                .unwrap_or_default(),
            certificate_id: verification
                .claims
                .as_ref()
                .map(|c| c.jti.clone())
                .unwrap_or_default(),
            claims_json: verification.claims_json.unwrap_or_default(),
            checks: verification
                .checks
                .into_iter()
                .map(|c| pb::VerificationCheck {
                    name: c.name.to_string(),
                    passed: c.passed,
                    detail: c.detail,
                })
                .collect(),
            ..Default::default()
        };
        if request.include_public_lineage
            && let (Some(claims), true) = (&verification.claims, !response.claims_json.is_empty())
        {
            response.public_lineage = self
                .registry
                .public_certificate_facts(request.token.trim(), &response.claims_json, claims)
                .await?
                .and_then(|facts| facts.lineage)
                .map(|lineage| public_lineage_to_proto(&lineage));
        }
        standing_to_proto(verification.standing, &mut response);
        Ok(Response::new(response))
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_certificate(
        &self,
        request: Request<pb::RevokeCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let id = required_uuid("id", &request.id)?;
        let reason = required_line("reason", &request.reason, attestation_limits::REASON)?;
        let certificate = self
            .registry
            .revoke_certificate(&caller, id, reason)
            .await?;
        // Stored already: a key that cannot sign now leaves the envelope out (GetCertificate
        // gives it later) rather than report a failure for what was done.
        let envelope = self
            .registry
            .dsse_envelope(&certificate)
            .await
            .unwrap_or_default();
        Ok(Response::new(certificate_to_proto(
            certificate,
            envelope,
            Utc::now(),
        )))
    }

    /// Public: verifiers fetch keys without an account, so no token is asked for.
    #[tracing::instrument(skip_all)]
    async fn list_signing_keys(
        &self,
        _request: Request<pb::ListSigningKeysRequest>,
    ) -> Result<Response<pb::ListSigningKeysResponse>, Status> {
        let ring = self.registry.listed_signing_keys().await;
        Ok(Response::new(pb::ListSigningKeysResponse {
            keys: ring.keys().iter().rev().map(signing_key_to_proto).collect(),
            jwks_json: self.registry.jwks().await.to_string(),
        }))
    }
}

/// The lineage an anonymous viewer may see, as `VerifyCertificateResponse.public_lineage`.
fn public_lineage_to_proto(lineage: &PublicLineage) -> pb::PublicLineage {
    use crate::domain::public_lineage::Standing;
    pb::PublicLineage {
        root: lineage.root.clone(),
        nodes: lineage
            .nodes
            .iter()
            .map(|n| {
                let (standing, reason) = match &n.standing {
                    Standing::Attested => (pb::PublicLineageStanding::Attested, None),
                    Standing::Unattested => (pb::PublicLineageStanding::Unattested, None),
                    Standing::MadeFromContaminated => {
                        (pb::PublicLineageStanding::MadeFromContaminated, None)
                    }
                    Standing::Contaminated(reason) => {
                        (pb::PublicLineageStanding::Contaminated, reason.clone())
                    }
                };
                pb::PublicLineageNode {
                    key: n.key.clone(),
                    dataset_id: n
                        .dataset
                        .as_ref()
                        .map(|d| d.id.to_string())
                        .unwrap_or_default(),
                    name: n
                        .dataset
                        .as_ref()
                        .map(|d| d.name.clone())
                        .unwrap_or_default(),
                    version: n
                        .dataset
                        .as_ref()
                        .map(|d| d.version.clone())
                        .unwrap_or_default(),
                    hidden_count: u32::try_from(n.hidden).unwrap_or(u32::MAX),
                    standing: standing as i32,
                    contamination_reason: reason.unwrap_or_default(),
                }
            })
            .collect(),
        edges: lineage
            .edges
            .iter()
            .map(|(from, to)| pb::PublicLineageEdge {
                from_key: from.clone(),
                to_key: to.clone(),
            })
            .collect(),
    }
}
