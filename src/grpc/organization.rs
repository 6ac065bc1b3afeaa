//! `provenance.v1.OrganizationService`.

use tonic::{Request, Response, Status};

use super::convert::{organization_to_proto, role_from_proto, token_to_proto};
use crate::domain::dataset::limits;
use crate::domain::paging::page_size;
use crate::domain::text::{optional_line, optional_uuid, required_line};
use crate::error::Error;
use crate::proto::v1 as pb;
use crate::registry::Registry;

/// Handlers of the organisation service.
pub struct OrganizationHandlers {
    /// The registry the handlers serve.
    pub registry: Registry,
}

#[tonic::async_trait]
impl pb::organization_service_server::OrganizationService for OrganizationHandlers {
    #[tracing::instrument(skip_all)]
    async fn create_organization(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Result<Response<pb::Organization>, Status> {
        let caller = self.registry.caller(&request).await?;
        let name = required_line("name", &request.get_ref().name, limits::NAME)?;
        let organization = self.registry.create_organization(&caller, name).await?;
        Ok(Response::new(organization_to_proto(organization)))
    }

    #[tracing::instrument(skip_all)]
    async fn get_organization(
        &self,
        request: Request<pb::GetOrganizationRequest>,
    ) -> Result<Response<pb::Organization>, Status> {
        let caller = self.registry.caller(&request).await?;
        let id = optional_uuid("id", &request.get_ref().id)?;
        let organization = self.registry.get_organization(&caller, id).await?;
        Ok(Response::new(organization_to_proto(organization)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_organizations(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Result<Response<pb::ListOrganizationsResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let size = page_size(request.page_size)?;
        let name = optional_line("name", &request.name, limits::NAME)?;
        let (organizations, next) = self
            .registry
            .list_organizations(&caller, name, size, &request.page_token)
            .await?;
        Ok(Response::new(pb::ListOrganizationsResponse {
            organizations: organizations
                .into_iter()
                .map(organization_to_proto)
                .collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_access_token(
        &self,
        request: Request<pb::CreateAccessTokenRequest>,
    ) -> Result<Response<pb::CreateAccessTokenResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let role = role_from_proto(request.role)?;
        let subject = required_line("subject", &request.subject, limits::NAME)?;
        let ttl = request
            .ttl
            .map(|d| {
                if d.nanos != 0 {
                    return Err(Error::invalid("ttl", "must be whole seconds"));
                }
                // Seconds beyond what a duration holds are beyond the maximum too: the range check
                // then answers with the bounds, as for any other lifetime out of range.
                Ok(
                    chrono::Duration::try_seconds(d.seconds).unwrap_or(if d.seconds < 0 {
                        chrono::Duration::MIN
                    } else {
                        chrono::Duration::MAX
                    }),
                )
            })
            .transpose()?;
        let (token, info) = self
            .registry
            .create_access_token(&caller, role, subject, ttl)
            .await?;
        Ok(Response::new(pb::CreateAccessTokenResponse {
            token,
            info: Some(token_to_proto(info)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_access_token(
        &self,
        request: Request<pb::RevokeAccessTokenRequest>,
    ) -> Result<Response<pb::AccessTokenInfo>, Status> {
        let caller = self.registry.caller(&request).await?;
        let id = crate::domain::text::required_uuid("id", &request.get_ref().id)?;
        let record = self.registry.revoke_access_token(&caller, id).await?;
        Ok(Response::new(token_to_proto(record)))
    }
}
