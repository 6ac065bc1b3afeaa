//! Use cases of policies: reading them, evaluating datasets, attestations and contamination reports.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Registry;
use crate::domain::access::{Caller, Role};
use crate::domain::attestation::{Attestation, ContaminationReport, Evidence, Method};
use crate::domain::evaluation::{self, Evaluation};
use crate::domain::event::truncate_to_micros;
use crate::domain::paging::PageTokens;
use crate::domain::policy::{Policy, PolicySelection, Purpose};
use crate::domain::refusal;
use crate::error::{Error, Result};
use crate::store::AttestationQuery;

/// What a caller asks to attest, validated.
#[derive(Debug, Clone)]
pub struct AttestationDraft {
    /// The dataset.
    pub dataset_id: Uuid,
    /// Policy id (empty when `selection` names the policies).
    pub policy_id: String,
    /// Policy version, empty for the only one.
    pub policy_version: String,
    /// The several policies the attestation covers (`policies` or `all_policies`), or `None` for
    /// the one of `policy_id` and `policy_version`.
    pub selection: Option<PolicySelection>,
    /// What the models the dataset trains are for, as the organisation declares it.
    pub declared_purpose: Purpose,
    /// How.
    pub method: Method,
    /// What it relied on.
    pub evidence: Vec<Evidence>,
    /// The statement.
    pub statement: String,
    /// When it stops counting.
    pub expire_time: Option<DateTime<Utc>>,
}

impl Registry {
    /// Every loaded policy version (any authenticated caller).
    pub fn list_policies(&self, _caller: &Caller) -> Vec<Arc<Policy>> {
        self.policies.list().cloned().collect()
    }

    /// One policy version (any authenticated caller).
    pub fn get_policy(&self, _caller: &Caller, id: &str, version: &str) -> Result<Arc<Policy>> {
        self.policies.get("id", id, "version", version)
    }

    /// Judges a dataset the caller may see under a policy, for an optional target model.
    pub async fn evaluate(
        &self,
        caller: &Caller,
        dataset_id: Uuid,
        policy_id: &str,
        policy_version: &str,
        target_model: Option<&str>,
        purpose: Purpose,
    ) -> Result<(Arc<Policy>, Evaluation)> {
        let policy = self
            .policies
            .get("policy_id", policy_id, "policy_version", policy_version)?;
        self.get_dataset(caller, dataset_id).await?;
        let graph = self
            .store
            .closure_graph(dataset_id, &policy.id, &policy.version, Utc::now())
            .await?;
        let evaluation = evaluation::evaluate(&graph, &policy, target_model, purpose, caller);
        Ok((policy, evaluation))
    }

    /// Judges a dataset the caller may see under each of several policies, reading and walking its
    /// lineage once; the evaluations come in the order of the policies, each listing at most
    /// [`evaluation::listed_each`] offenders, obligation sources and datasets lacking an
    /// attestation, so that together they list no more than one evaluation does.
    pub async fn evaluate_many(
        &self,
        caller: &Caller,
        dataset_id: Uuid,
        selection: &PolicySelection,
        target_model: Option<&str>,
        purpose: Purpose,
    ) -> Result<Vec<(Arc<Policy>, Evaluation)>> {
        let policies = self.policies.select(selection)?;
        let listed = evaluation::listed_each(policies.len());
        self.get_dataset(caller, dataset_id).await?;
        let keys: Vec<(&str, &str)> = policies
            .iter()
            .map(|p| (p.id.as_str(), p.version.as_str()))
            .collect();
        let shared = self
            .store
            .shared_closure(dataset_id, &keys, Utc::now())
            .await?;
        let judged: Vec<&Policy> = policies.iter().map(Arc::as_ref).collect();
        let evaluations = shared.evaluate_each(&judged, target_model, purpose, caller, listed);
        Ok(policies.into_iter().zip(evaluations).collect())
    }

    /// Records an attestation on one of the caller's organisation's datasets (registrars and
    /// admins), covering one policy version or several. Refused with the offending paths when the
    /// dataset's lineage is contaminated under any of them, naming the first such policy.
    pub async fn record_attestation(
        &self,
        caller: &Caller,
        draft: AttestationDraft,
    ) -> Result<Attestation> {
        let organization = caller.member_with(Role::Registrar)?;
        let policies = self.policies.resolve(
            &draft.policy_id,
            &draft.policy_version,
            draft.selection.as_ref(),
        )?;
        let first = policies
            .first()
            .ok_or_else(|| Error::invalid("all_policies", "no policy is loaded"))?;
        let dataset = self
            .own_dataset(caller, organization, draft.dataset_id, "attest")
            .await?;
        let now = truncate_to_micros(Utc::now());
        if draft.expire_time.is_some_and(|expiry| expiry <= now) {
            return Err(Error::invalid("expire_time", "must be in the future"));
        }
        let attestation = Attestation {
            id: Uuid::now_v7(),
            dataset_id: dataset.id,
            organization_id: organization,
            policy_id: first.id.clone(),
            policy_version: first.version.clone(),
            policies: policies
                .iter()
                .map(|p| (p.id.clone(), p.version.clone()))
                .collect(),
            declared_purpose: draft.declared_purpose,
            method: draft.method,
            evidence: draft.evidence,
            statement: draft.statement,
            create_time: now,
            expire_time: draft.expire_time,
            attester_token_id: caller.token_id,
            attester_subject: caller.subject.clone(),
            revoke_time: None,
            revoke_reason: None,
        };
        let event = attestation.recorded_event(dataset.visibility.is_public());
        let check_caller = caller.clone();
        // The lineage as it stands before this attestation, each policy judged by the purpose the
        // dataset's attestations already declare (as an evaluation without a purpose would).
        let precondition = move |shared: &evaluation::SharedClosure| {
            let judged: Vec<&Policy> = policies.iter().map(Arc::as_ref).collect();
            let found = shared.evaluate_each(
                &judged,
                None,
                Purpose::Undeclared,
                &check_caller,
                evaluation::MAX_LISTED,
            );
            let Some((policy, found)) = judged
                .iter()
                .zip(&found)
                .find(|(_, found)| found.offender_count > 0)
            else {
                return Ok(());
            };
            Err(refusal::contaminated(
                &format!(
                    "dataset {} cannot be attested under policy {:?} version {:?}: its lineage is contaminated",
                    shared.graph.root, policy.id, policy.version
                ),
                found,
            ))
        };
        self.store
            .record_attestation(&attestation, event, &precondition)
            .await?;
        self.feed.notify();
        Ok(attestation)
    }

    /// Reads an attestation whose dataset the caller may see.
    pub async fn get_attestation(&self, caller: &Caller, id: Uuid) -> Result<Attestation> {
        let not_found = || Error::NotFound(format!("attestation {id} not found"));
        let attestation = self
            .store
            .get_attestation(id)
            .await?
            .ok_or_else(not_found)?;
        self.get_dataset(caller, attestation.dataset_id)
            .await
            .map_err(|_| not_found())?;
        Ok(attestation)
    }

    /// One page of attestations: of a dataset the caller may see, or of the caller's organisation.
    pub async fn list_attestations(
        &self,
        caller: &Caller,
        dataset_id: Option<Uuid>,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Attestation>, Option<String>)> {
        let scope = dataset_id.map(|id| id.to_string()).unwrap_or_default();
        let tokens = PageTokens::new("attestations", &[&scope]);
        let after = tokens.decode_id(page_token)?;
        let organization_id = match dataset_id {
            Some(id) => {
                self.get_dataset(caller, id).await?;
                None
            }
            None if caller.role == Role::Operator => None,
            None => Some(caller.member_with(Role::Auditor)?),
        };
        let list = self
            .store
            .list_attestations(&AttestationQuery {
                dataset_id,
                organization_id,
                after,
                limit: page_size + 1,
            })
            .await?;
        Ok(tokens.page(list, page_size, |a| a.id.to_string()))
    }

    /// Revokes one of the caller's organisation's attestations (registrars and admins).
    pub async fn revoke_attestation(
        &self,
        caller: &Caller,
        id: Uuid,
        reason: String,
    ) -> Result<Attestation> {
        let organization = caller.member_with(Role::Registrar)?;
        let not_found = || Error::NotFound(format!("attestation {id} not found"));
        let attestation = self
            .store
            .get_attestation(id)
            .await?
            .filter(|a| a.organization_id == organization)
            .ok_or_else(not_found)?;
        let dataset = self.get_dataset(caller, attestation.dataset_id).await?;
        let now = truncate_to_micros(Utc::now());
        let event = attestation.revoked_event(
            dataset.visibility.is_public(),
            now,
            &reason,
            caller.token_id,
        );
        let revoked = self
            .store
            .revoke_attestation(organization, id, now, &reason, event)
            .await;
        self.certificate_cache.invalidate_all();
        let revoked = revoked?.ok_or_else(not_found)?;
        self.feed.notify();
        Ok(revoked)
    }

    /// Files a contamination report on a dataset the caller may see (registrars, admins, operators).
    /// It marks the dataset contaminated only when filed by the owner or the operator.
    pub async fn report_contamination(
        &self,
        caller: &Caller,
        dataset_id: Uuid,
        statement: String,
        evidence: Vec<Evidence>,
    ) -> Result<ContaminationReport> {
        let reporter = match caller.role {
            Role::Operator => None,
            _ => Some(caller.member_with(Role::Registrar)?),
        };
        let dataset = self.get_dataset(caller, dataset_id).await?;
        let effective = caller.role == Role::Operator || reporter == Some(dataset.organization_id);
        let report = ContaminationReport {
            id: Uuid::now_v7(),
            dataset_id,
            reporter_organization_id: reporter,
            reporter_token_id: caller.token_id,
            reporter_subject: caller.subject.clone(),
            effective,
            statement,
            evidence,
            create_time: truncate_to_micros(Utc::now()),
        };
        let event = report.event(dataset.organization_id, dataset.visibility.is_public());
        let stored = self.store.report_contamination(&report, event).await;
        self.certificate_cache.invalidate_all();
        stored?;
        self.feed.notify();
        Ok(report)
    }
}
