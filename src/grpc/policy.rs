//! `provenance.v1.PolicyService`.

use tonic::{Request, Response, Status};

use super::convert::{
    evaluation_to_proto, evaluations_to_proto, policy_selection, policy_to_proto,
    purpose_from_proto,
};
use crate::domain::dataset::limits;
use crate::domain::text::{optional_line, required_uuid};
use crate::proto::v1 as pb;
use crate::registry::Registry;

/// Handlers of the policy service.
pub struct PolicyHandlers {
    /// The registry the handlers serve.
    pub registry: Registry,
}

#[tonic::async_trait]
impl pb::policy_service_server::PolicyService for PolicyHandlers {
    #[tracing::instrument(skip_all)]
    async fn list_policies(
        &self,
        request: Request<pb::ListPoliciesRequest>,
    ) -> Result<Response<pb::ListPoliciesResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let policies = self.registry.list_policies(&caller);
        Ok(Response::new(pb::ListPoliciesResponse {
            policies: policies.iter().map(|p| policy_to_proto(p)).collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_policy(
        &self,
        request: Request<pb::GetPolicyRequest>,
    ) -> Result<Response<pb::Policy>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.get_ref();
        let policy = self
            .registry
            .get_policy(&caller, &request.id, &request.version)?;
        Ok(Response::new(policy_to_proto(&policy)))
    }

    #[tracing::instrument(skip_all)]
    async fn evaluate_dataset(
        &self,
        request: Request<pb::EvaluateDatasetRequest>,
    ) -> Result<Response<pb::Evaluation>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let dataset_id = required_uuid("dataset_id", &request.dataset_id)?;
        let target = optional_line("target_model", &request.target_model, limits::MODEL_FIELD)?;
        let purpose = purpose_from_proto(request.declared_purpose)?;
        if let Some(selection) = policy_selection(&request)? {
            let judged = self
                .registry
                .evaluate_many(&caller, dataset_id, &selection, target.as_deref(), purpose)
                .await?;
            return Ok(Response::new(evaluations_to_proto(
                dataset_id,
                request.target_model,
                purpose,
                judged,
            )));
        }
        let (policy, evaluation) = self
            .registry
            .evaluate(
                &caller,
                dataset_id,
                &request.policy_id,
                &request.policy_version,
                target.as_deref(),
                purpose,
            )
            .await?;
        Ok(Response::new(evaluation_to_proto(
            dataset_id,
            &policy,
            request.target_model,
            evaluation,
        )))
    }
}
