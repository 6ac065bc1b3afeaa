//! `provenance.v1.AttestationService`.

use tonic::{Request, Response, Status};

use super::convert::{attestation_draft, attestation_to_proto};
use crate::domain::attestation::limits;
use crate::domain::paging::page_size;
use crate::domain::text::{optional_uuid, required_line, required_uuid};
use crate::proto::v1 as pb;
use crate::registry::Registry;

/// Handlers of the attestation service.
pub struct AttestationHandlers {
    /// The registry the handlers serve.
    pub registry: Registry,
}

#[tonic::async_trait]
impl pb::attestation_service_server::AttestationService for AttestationHandlers {
    #[tracing::instrument(skip_all)]
    async fn record_attestation(
        &self,
        request: Request<pb::RecordAttestationRequest>,
    ) -> Result<Response<pb::Attestation>, Status> {
        let caller = self.registry.caller(&request).await?;
        // Rights before validation, so that a caller without them learns nothing from the answers.
        caller.member_with(crate::domain::access::Role::Registrar)?;
        let draft = attestation_draft(request.into_inner())?;
        let attestation = self.registry.record_attestation(&caller, draft).await?;
        Ok(Response::new(attestation_to_proto(attestation)))
    }

    #[tracing::instrument(skip_all)]
    async fn get_attestation(
        &self,
        request: Request<pb::GetAttestationRequest>,
    ) -> Result<Response<pb::Attestation>, Status> {
        let caller = self.registry.caller(&request).await?;
        let id = required_uuid("id", &request.get_ref().id)?;
        let attestation = self.registry.get_attestation(&caller, id).await?;
        Ok(Response::new(attestation_to_proto(attestation)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_attestations(
        &self,
        request: Request<pb::ListAttestationsRequest>,
    ) -> Result<Response<pb::ListAttestationsResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let size = page_size(request.page_size)?;
        let dataset_id = optional_uuid("dataset_id", &request.dataset_id)?;
        let (list, next) = self
            .registry
            .list_attestations(&caller, dataset_id, size, &request.page_token)
            .await?;
        Ok(Response::new(pb::ListAttestationsResponse {
            attestations: list.into_iter().map(attestation_to_proto).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_attestation(
        &self,
        request: Request<pb::RevokeAttestationRequest>,
    ) -> Result<Response<pb::Attestation>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let id = required_uuid("id", &request.id)?;
        let reason = required_line("reason", &request.reason, limits::REASON)?;
        let attestation = self
            .registry
            .revoke_attestation(&caller, id, reason)
            .await?;
        Ok(Response::new(attestation_to_proto(attestation)))
    }
}
