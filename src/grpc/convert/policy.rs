//! Conversions of policies, evaluations, attestations and contamination reports.

use std::sync::Arc;

use chrono::Utc;
use uuid::Uuid;

use super::{time_from_proto, time_to_proto};
use crate::domain::attestation::{Attestation, ContaminationReport, Evidence, Method, limits};
use crate::domain::digest::ContentDigest;
use crate::domain::evaluation::{
    Evaluation, MAX_LISTED_ATTESTATION_IDS, Obligation, ObligationKind, ObligationStatus, Offence,
    Offender, PathStep, Verdict, listed_attestation_ids_each,
};
use crate::domain::model_name::ModelFamily;
use crate::domain::policy::{Policy, PolicySelection, Purpose, RuleKind};
use crate::domain::text::{optional_text, required_line, required_uuid};
use crate::error::{Error, Result};
use crate::proto::v1 as pb;
use crate::registry::policy::AttestationDraft;

/// A policy on the wire.
pub fn policy_to_proto(p: &Policy) -> pb::Policy {
    pb::Policy {
        id: p.id.clone(),
        version: p.version.clone(),
        title: p.title.clone(),
        clause: p.clause.clone(),
        clause_sha256: p.clause_sha256.clone(),
        source: Some(pb::PolicySource {
            publisher: p.source.publisher.clone(),
            record_id: p.source.record_id.clone(),
            document: p.source.document.clone(),
            document_updated: p.source.document_updated.clone(),
            url: p.source.url.clone(),
            snapshot_sha256: p.source.snapshot_sha256.clone(),
            note: p.source.note.clone(),
            document_version: p.source.document_version.clone(),
        }),
        restricted: Some(family_to_proto(&p.restricted)),
        derivative_outputs_restricted: p.derivative_outputs_restricted,
        exempt: Some(pb::Exemption {
            description: p.exempt.description.clone(),
            restricted_family: p.exempt.restricted_family,
        }),
        builtin: p.builtin,
        kind: kind_to_proto(p.kind) as i32,
        section: p.section.clone(),
        name_prefix: p.name_prefix.clone(),
    }
}

fn kind_to_proto(kind: RuleKind) -> pb::PolicyKind {
    match kind {
        RuleKind::Prohibition => pb::PolicyKind::Prohibition,
        RuleKind::NamingObligation => pb::PolicyKind::NamingObligation,
        RuleKind::InheritedTerms => pb::PolicyKind::InheritedTerms,
        RuleKind::CompetingUseProhibition => pb::PolicyKind::CompetingUseProhibition,
    }
}

/// The declared purpose of an evaluation request.
pub fn purpose_from_proto(value: i32) -> Result<Purpose> {
    match pb::Purpose::try_from(value) {
        Ok(pb::Purpose::Unspecified) => Ok(Purpose::Undeclared),
        Ok(pb::Purpose::CompetingModel) => Ok(Purpose::CompetingModel),
        Ok(pb::Purpose::NonCompeting) => Ok(Purpose::NonCompeting),
        Err(_) => Err(Error::invalid(
            "declared_purpose",
            format!("{value} is not one of the PURPOSE_ values"),
        )),
    }
}

fn purpose_to_proto(purpose: Purpose) -> pb::Purpose {
    match purpose {
        Purpose::Undeclared => pb::Purpose::Unspecified,
        Purpose::CompetingModel => pb::Purpose::CompetingModel,
        Purpose::NonCompeting => pb::Purpose::NonCompeting,
    }
}

fn obligation_to_proto(policy: &Policy, o: &Obligation) -> pb::Obligation {
    let (kind, owed) = match o.kind {
        ObligationKind::NamePrefix => (
            pb::ObligationKind::NamePrefix,
            format!(
                "the trained model's name must begin with {:?} ({} {})",
                policy.name_prefix, policy.source.document, policy.section
            ),
        ),
        ObligationKind::InheritedTerms => (
            pb::ObligationKind::InheritedTerms,
            format!(
                "the trained model is bound by the terms of {} ({})",
                policy.source.document, policy.section
            ),
        ),
        ObligationKind::NoCompetingUse => (
            pb::ObligationKind::NoCompetingUse,
            format!(
                "the trained model must not compete with the provider ({} {})",
                policy.source.document, policy.section
            ),
        ),
    };
    let (status, why) = match o.status {
        ObligationStatus::Met if o.kind == ObligationKind::NamePrefix => (
            pb::ObligationStatus::Met,
            "met: the target model's name begins with it",
        ),
        ObligationStatus::Met => (
            pb::ObligationStatus::Met,
            "met: the declared purpose is a model that does not compete",
        ),
        ObligationStatus::Unmet => (
            pb::ObligationStatus::Unmet,
            "not met by the target model's name",
        ),
        ObligationStatus::Undetermined if o.kind == ObligationKind::NamePrefix => (
            pb::ObligationStatus::Undetermined,
            "undetermined: no target model named",
        ),
        ObligationStatus::Undetermined => (
            pb::ObligationStatus::Undetermined,
            "undetermined: no purpose declared",
        ),
        ObligationStatus::Applies => (
            pb::ObligationStatus::Applies,
            "applies to whatever model is trained",
        ),
    };
    pb::Obligation {
        kind: kind as i32,
        status: status as i32,
        description: format!("{owed}: {why}"),
        name_prefix: if o.kind == ObligationKind::NamePrefix {
            policy.name_prefix.clone()
        } else {
            String::new()
        },
        sources: o.sources.iter().map(offender_to_proto).collect(),
        source_count: i32::try_from(o.source_count).unwrap_or(i32::MAX),
    }
}

fn family_to_proto(f: &ModelFamily) -> pb::ModelFamily {
    pb::ModelFamily {
        canonical_ids: f.canonical_ids.clone(),
        aliases: f
            .aliases
            .iter()
            .map(|a| pb::ModelAlias {
                name: a.name.clone(),
                derivative: a.derivative,
                note: a.note.clone().unwrap_or_default(),
            })
            .collect(),
        patterns: f
            .patterns
            .iter()
            .map(|p| pb::ModelPattern {
                pattern: p.pattern.clone(),
                derivative: p.derivative,
                note: p.note.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

fn step_to_proto(step: &PathStep) -> pb::PathStep {
    match step {
        PathStep::Shown { id, name, version } => pb::PathStep {
            dataset_id: id.to_string(),
            name: name.clone(),
            version: version.clone(),
            hidden: false,
        },
        PathStep::Hidden => pb::PathStep {
            hidden: true,
            ..Default::default()
        },
    }
}

fn offender_to_proto(o: &Offender) -> pb::Offender {
    let path = o.path.iter().map(step_to_proto).collect();
    let path_length = i32::try_from(o.path_length).unwrap_or(i32::MAX);
    match &o.offence {
        Offence::RestrictedModelOutput {
            model_id,
            source_index,
            found,
        } => pb::Offender {
            kind: pb::OffenceKind::RestrictedModelOutput as i32,
            path,
            model_id: model_id.clone(),
            source_index: *source_index as i32,
            match_rule: found.rule.as_str().to_owned(),
            matched: found.matched.clone(),
            derivative: found.derivative,
            report_id: String::new(),
            path_length,
        },
        Offence::ReportedContaminated { report_id } => pb::Offender {
            kind: pb::OffenceKind::ReportedContaminated as i32,
            path,
            report_id: report_id.map(|id| id.to_string()).unwrap_or_default(),
            path_length,
            ..Default::default()
        },
    }
}

/// An evaluation on the wire, with the purpose it judged by.
pub fn evaluation_to_proto(
    dataset_id: Uuid,
    policy: &Policy,
    target_model: String,
    e: Evaluation,
) -> pb::Evaluation {
    let verdict = match e.verdict {
        Verdict::Clean => pb::Verdict::Clean,
        Verdict::Contaminated => pb::Verdict::Contaminated,
        Verdict::Incomplete => pb::Verdict::Incomplete,
        Verdict::Exempt => pb::Verdict::Exempt,
    };
    let exemption = e
        .target_exemption
        .as_ref()
        .map(|m| {
            format!(
                "{}: the target model matches {} {:?} of the policy's family",
                policy.exempt.description,
                m.rule.as_str(),
                m.matched
            )
        })
        .unwrap_or_default();
    pb::Evaluation {
        verdict: verdict as i32,
        dataset_id: dataset_id.to_string(),
        policy_id: policy.id.clone(),
        policy_version: policy.version.clone(),
        clause_sha256: policy.clause_sha256.clone(),
        target_model,
        target_exempt: e.target_exemption.is_some(),
        exemption,
        offenders: e.offenders.iter().map(offender_to_proto).collect(),
        offender_count: e.offender_count as i32,
        missing_attestations: e.missing_attestations.iter().map(step_to_proto).collect(),
        missing_attestation_count: e.missing_attestation_count as i32,
        attestation_ids: e
            .attestation_ids
            .iter()
            .take(MAX_LISTED_ATTESTATION_IDS)
            .map(Uuid::to_string)
            .collect(),
        attestation_count: i32::try_from(e.attestation_ids.len()).unwrap_or(i32::MAX),
        closure_size: e.closure_size as i32,
        evaluate_time: Some(time_to_proto(Utc::now())),
        obligations: e
            .obligations
            .iter()
            .map(|o| obligation_to_proto(policy, o))
            .collect(),
        declared_purpose: purpose_to_proto(e.purpose) as i32,
        policy_kind: kind_to_proto(policy.kind) as i32,
        policy_evaluations: Vec::new(),
    }
}

/// The policies a request names in any of its forms (`policy_id` and `policy_version`; or
/// `policies`; or `all_policies`), as the evaluation, attestation and certificate requests carry
/// them.
pub struct PolicyFields<'r> {
    /// `policy_id`.
    pub policy_id: &'r str,
    /// `policy_version`.
    pub policy_version: &'r str,
    /// `policies`.
    pub policies: &'r [pb::PolicyRef],
    /// `all_policies`.
    pub all_policies: bool,
}

impl<'r> From<&'r pb::EvaluateDatasetRequest> for PolicyFields<'r> {
    fn from(request: &'r pb::EvaluateDatasetRequest) -> Self {
        Self {
            policy_id: &request.policy_id,
            policy_version: &request.policy_version,
            policies: &request.policies,
            all_policies: request.all_policies,
        }
    }
}

impl<'r> From<&'r pb::RecordAttestationRequest> for PolicyFields<'r> {
    fn from(request: &'r pb::RecordAttestationRequest) -> Self {
        Self {
            policy_id: &request.policy_id,
            policy_version: &request.policy_version,
            policies: &request.policies,
            all_policies: request.all_policies,
        }
    }
}

impl<'r> From<&'r pb::IssueCertificateRequest> for PolicyFields<'r> {
    fn from(request: &'r pb::IssueCertificateRequest) -> Self {
        Self {
            policy_id: &request.policy_id,
            policy_version: &request.policy_version,
            policies: &request.policies,
            all_policies: request.all_policies,
        }
    }
}

/// The several policies a request names (`policies` or `all_policies`), or `None` for a request
/// by one policy (`policy_id`, `policy_version`). The forms do not mix.
pub fn policy_selection<'r>(
    request: impl Into<PolicyFields<'r>>,
) -> Result<Option<PolicySelection>> {
    let request = request.into();
    let single = !request.policy_id.is_empty() || !request.policy_version.is_empty();
    let selection = match (request.all_policies, request.policies.is_empty()) {
        (false, true) => return Ok(None),
        (true, false) => {
            return Err(Error::invalid(
                "policies",
                "must be empty when all_policies is set",
            ));
        }
        (true, true) => PolicySelection::All {
            field: "all_policies",
        },
        (false, false) => PolicySelection::Listed {
            field: "policies",
            refs: request
                .policies
                .iter()
                .map(|r| (r.id.clone(), r.version.clone()))
                .collect(),
        },
    };
    if single {
        let field = if request.policy_id.is_empty() {
            "policy_version"
        } else {
            "policy_id"
        };
        return Err(Error::invalid(
            field,
            "must be empty when policies or all_policies names the policies",
        ));
    }
    Ok(Some(selection))
}

/// How bad a verdict is, for the worst of several: CONTAMINATED, INCOMPLETE, EXEMPT, CLEAN.
fn severity(verdict: i32) -> u8 {
    match pb::Verdict::try_from(verdict) {
        Ok(pb::Verdict::Contaminated) => 4,
        Ok(pb::Verdict::Incomplete) => 3,
        Ok(pb::Verdict::Exempt) => 2,
        Ok(pb::Verdict::Clean) => 1,
        Ok(pb::Verdict::Unspecified) | Err(_) => 0,
    }
}

/// An evaluation by several policies on the wire: one evaluation per policy in
/// `policy_evaluations` (attestation ids cut to [`listed_attestation_ids_each`] each, each with
/// the purpose it judged by), under the worst verdict and the request's `purpose`.
pub fn evaluations_to_proto(
    dataset_id: Uuid,
    target_model: String,
    purpose: Purpose,
    judged: Vec<(Arc<Policy>, Evaluation)>,
) -> pb::Evaluation {
    let closure_size = judged.first().map_or(0, |(_, e)| e.closure_size);
    let ids_each = listed_attestation_ids_each(judged.len());
    let each: Vec<pb::Evaluation> = judged
        .into_iter()
        .map(|(policy, e)| {
            let mut one = evaluation_to_proto(dataset_id, &policy, target_model.clone(), e);
            one.attestation_ids.truncate(ids_each);
            one
        })
        .collect();
    let verdict = each
        .iter()
        .map(|e| e.verdict)
        .max_by_key(|&v| severity(v))
        .unwrap_or(pb::Verdict::Unspecified as i32);
    pb::Evaluation {
        verdict,
        dataset_id: dataset_id.to_string(),
        target_model,
        closure_size: i32::try_from(closure_size).unwrap_or(i32::MAX),
        evaluate_time: Some(time_to_proto(Utc::now())),
        declared_purpose: purpose_to_proto(purpose) as i32,
        policy_evaluations: each,
        ..Default::default()
    }
}

fn method_from_proto(value: i32) -> Result<Method> {
    match pb::AttestationMethod::try_from(value) {
        Ok(pb::AttestationMethod::ManualReview) => Ok(Method::ManualReview),
        Ok(pb::AttestationMethod::AutomatedScan) => Ok(Method::AutomatedScan),
        Ok(pb::AttestationMethod::SupplierDeclaration) => Ok(Method::SupplierDeclaration),
        Ok(pb::AttestationMethod::ProcessAudit) => Ok(Method::ProcessAudit),
        Ok(pb::AttestationMethod::Unspecified) | Err(_) => Err(Error::invalid(
            "method",
            "must be one of the ATTESTATION_METHOD_ values",
        )),
    }
}

fn method_to_proto(method: Method) -> pb::AttestationMethod {
    match method {
        Method::ManualReview => pb::AttestationMethod::ManualReview,
        Method::AutomatedScan => pb::AttestationMethod::AutomatedScan,
        Method::SupplierDeclaration => pb::AttestationMethod::SupplierDeclaration,
        Method::ProcessAudit => pb::AttestationMethod::ProcessAudit,
    }
}

/// Validates a request to attest.
pub fn attestation_draft(request: pb::RecordAttestationRequest) -> Result<AttestationDraft> {
    let selection = policy_selection(&request)?;
    let declared_purpose = purpose_from_proto(request.declared_purpose)?;
    if request.evidence.is_empty() || request.evidence.len() > limits::EVIDENCE {
        return Err(Error::invalid(
            "evidence",
            format!("must hold 1 to {} items", limits::EVIDENCE),
        ));
    }
    let evidence = request
        .evidence
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let item = || -> Result<Evidence> {
                Ok(Evidence {
                    uri: required_line("uri", &e.uri, limits::URI)?,
                    content_digest: Some(ContentDigest::parse(
                        "content_digest",
                        &e.content_digest,
                    )?),
                    description: optional_text(
                        "description",
                        &e.description,
                        limits::EVIDENCE_DESCRIPTION,
                    )?,
                })
            };
            item().map_err(|err| err.within(&format!("evidence[{i}]")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(AttestationDraft {
        dataset_id: required_uuid("dataset_id", &request.dataset_id)?,
        policy_id: request.policy_id,
        policy_version: request.policy_version,
        selection,
        declared_purpose,
        method: method_from_proto(request.method)?,
        evidence,
        statement: optional_text("statement", &request.statement, limits::STATEMENT)?
            .ok_or_else(|| Error::invalid("statement", "is required"))?,
        expire_time: request
            .expire_time
            .as_ref()
            .map(|t| time_from_proto("expire_time", t))
            .transpose()?,
    })
}

fn evidence_to_proto(e: &Evidence) -> pb::Evidence {
    pb::Evidence {
        uri: e.uri.clone(),
        content_digest: e
            .content_digest
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        description: e.description.clone().unwrap_or_default(),
    }
}

/// An attestation on the wire, with whether it counts now.
pub fn attestation_to_proto(a: Attestation) -> pb::Attestation {
    pb::Attestation {
        valid: a.valid_at(Utc::now()),
        id: a.id.to_string(),
        dataset_id: a.dataset_id.to_string(),
        organization_id: a.organization_id.to_string(),
        policy_id: a.policy_id,
        policy_version: a.policy_version,
        method: method_to_proto(a.method) as i32,
        evidence: a.evidence.iter().map(evidence_to_proto).collect(),
        statement: a.statement,
        create_time: Some(time_to_proto(a.create_time)),
        expire_time: a.expire_time.map(time_to_proto),
        attester_token_id: a.attester_token_id.to_string(),
        attester_subject: a.attester_subject,
        revoke_time: a.revoke_time.map(time_to_proto),
        revoke_reason: a.revoke_reason.unwrap_or_default(),
        policies: a
            .policies
            .into_iter()
            .map(|(id, version)| pb::PolicyRef { id, version })
            .collect(),
        declared_purpose: purpose_to_proto(a.declared_purpose) as i32,
    }
}

/// Validates the evidence of a contamination report (digests optional).
pub fn contamination_evidence(items: Vec<pb::ContaminationEvidence>) -> Result<Vec<Evidence>> {
    if items.len() > limits::EVIDENCE {
        return Err(Error::invalid(
            "evidence",
            format!("must hold at most {} items", limits::EVIDENCE),
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let item = || -> Result<Evidence> {
                Ok(Evidence {
                    uri: required_line("uri", &e.uri, limits::URI)?,
                    content_digest: match e.content_digest.as_str() {
                        "" => None,
                        digest => Some(ContentDigest::parse("content_digest", digest)?),
                    },
                    description: None,
                })
            };
            item().map_err(|err| err.within(&format!("evidence[{i}]")))
        })
        .collect()
}

/// A contamination report on the wire.
pub fn report_to_proto(r: ContaminationReport) -> pb::ContaminationReport {
    pb::ContaminationReport {
        id: r.id.to_string(),
        dataset_id: r.dataset_id.to_string(),
        reporter_organization_id: r
            .reporter_organization_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        reporter_subject: r.reporter_subject,
        effective: r.effective,
        statement: r.statement,
        evidence: r
            .evidence
            .iter()
            .map(|e| pb::ContaminationEvidence {
                uri: e.uri.clone(),
                content_digest: e
                    .content_digest
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        create_time: Some(time_to_proto(r.create_time)),
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::domain::dataset::limits;
    use crate::domain::evaluation::{MAX_LISTED, Offender, listed_each};
    use crate::domain::model_name::{FamilyMatch, MAX_ENTRY_CHARS, MatchRule};
    use crate::domain::policy::MAX_POLICIES_PER_EVALUATION;

    /// The bound `EvaluateDataset` documents in `policy.proto`.
    const MAX_EVALUATION_BYTES: usize = 2 * 1024 * 1024;

    /// Every name as long as the API takes, in four-byte characters.
    fn widest_step() -> PathStep {
        PathStep::Shown {
            id: Uuid::now_v7(),
            name: "𝐃".repeat(limits::NAME),
            version: "𝐕".repeat(limits::VERSION),
        }
    }

    /// The widest evaluation listing `listed` offenders, obligation sources and datasets lacking
    /// an attestation, each name at its longest.
    fn widest_evaluation(listed: usize) -> Evaluation {
        let offender = Offender {
            path: (0..6).map(|_| widest_step()).collect(),
            path_length: 10_000,
            offence: Offence::RestrictedModelOutput {
                model_id: "𝐑".repeat(limits::MODEL_FIELD),
                source_index: 255,
                found: FamilyMatch {
                    rule: MatchRule::Confusable,
                    matched: "m".repeat(MAX_ENTRY_CHARS),
                    normalized: String::new(),
                    derivative: true,
                },
            },
        };
        Evaluation {
            verdict: Verdict::Contaminated,
            target_exemption: None,
            offenders: vec![offender.clone(); listed],
            offender_count: 1_000_000,
            missing_attestations: (0..listed).map(|_| widest_step()).collect(),
            missing_attestation_count: 1_000_000,
            attestation_ids: (0..100_000).map(|_| Uuid::now_v7()).collect(),
            closure_size: 1_000_000,
            obligations: vec![Obligation {
                kind: ObligationKind::NamePrefix,
                status: ObligationStatus::Unmet,
                sources: vec![offender; listed],
                source_count: 1_000_000,
            }],
            purpose: Purpose::CompetingModel,
        }
    }

    #[test]
    fn the_widest_evaluation_by_the_most_policies_stays_within_the_same_bound() {
        let policy = Arc::new(
            Policy::from_toml(include_str!("../../../policies/deepseek-r1.toml"))
                .expect("the built-in policy parses"),
        );
        let judged = (0..MAX_POLICIES_PER_EVALUATION)
            .map(|_| {
                let listed = listed_each(MAX_POLICIES_PER_EVALUATION);
                (Arc::clone(&policy), widest_evaluation(listed))
            })
            .collect();
        let answer = evaluations_to_proto(
            Uuid::now_v7(),
            "𝐓".repeat(limits::MODEL_FIELD),
            Purpose::CompetingModel,
            judged,
        );
        assert_eq!(answer.policy_evaluations.len(), MAX_POLICIES_PER_EVALUATION);
        let each = &answer.policy_evaluations[0];
        assert_eq!(
            each.attestation_ids.len(),
            listed_attestation_ids_each(MAX_POLICIES_PER_EVALUATION)
        );
        assert_eq!(each.attestation_count, 100_000);
        assert_eq!(answer.verdict, pb::Verdict::Contaminated as i32);
        let bytes = answer.encoded_len();
        assert!(bytes <= MAX_EVALUATION_BYTES, "{bytes} bytes");
    }

    #[test]
    fn the_worst_verdict_of_several_is_the_answers() {
        let policy = Arc::new(
            Policy::from_toml(include_str!("../../../policies/deepseek-r1.toml"))
                .expect("the built-in policy parses"),
        );
        let with = |verdicts: &[Verdict]| {
            let judged = verdicts
                .iter()
                .map(|&verdict| {
                    let mut e = widest_evaluation(0);
                    e.verdict = verdict;
                    (Arc::clone(&policy), e)
                })
                .collect();
            pb::Verdict::try_from(
                evaluations_to_proto(Uuid::now_v7(), String::new(), Purpose::Undeclared, judged)
                    .verdict,
            )
        };
        use Verdict::*;
        assert_eq!(with(&[Clean, Exempt]), Ok(pb::Verdict::Exempt));
        assert_eq!(
            with(&[Clean, Incomplete, Exempt]),
            Ok(pb::Verdict::Incomplete)
        );
        assert_eq!(
            with(&[Incomplete, Contaminated, Clean]),
            Ok(pb::Verdict::Contaminated)
        );
        assert_eq!(with(&[Clean, Clean]), Ok(pb::Verdict::Clean));
    }

    #[test]
    fn the_widest_evaluation_stays_within_its_documented_bound() {
        let policy = Policy::from_toml(include_str!("../../../policies/deepseek-r1.toml"))
            .expect("the built-in policy parses");
        // Reported contaminations offend while restricted outputs bring an obligation: both lists
        // full at once.
        let evaluation = widest_evaluation(MAX_LISTED);
        let answer = evaluation_to_proto(
            Uuid::now_v7(),
            &policy,
            "𝐓".repeat(limits::MODEL_FIELD),
            evaluation,
        );
        assert_eq!(answer.attestation_ids.len(), MAX_LISTED_ATTESTATION_IDS);
        assert_eq!(answer.attestation_count, 100_000);
        assert_eq!(answer.offenders[0].path_length, 10_000);
        let bytes = answer.encoded_len();
        assert!(bytes <= MAX_EVALUATION_BYTES, "{bytes} bytes");
    }
}
