//! `provenance.v1.DatasetService`.

use tonic::{Request, Response, Status};

use super::convert::{
    batch_registrations, contamination_evidence, dataset_to_proto, new_dataset, report_to_proto,
};
use crate::domain::access::Role;
use crate::domain::attestation;
use crate::domain::dataset::limits;
use crate::domain::paging::page_size;
use crate::domain::registration::Registration;
use crate::domain::text::{optional_line, optional_text, optional_uuid, required_uuid};
use crate::error::Error;
use crate::proto::v1 as pb;
use crate::registry::Registry;

/// Handlers of the dataset service.
pub struct DatasetHandlers {
    /// The registry the handlers serve.
    pub registry: Registry,
}

#[tonic::async_trait]
impl pb::dataset_service_server::DatasetService for DatasetHandlers {
    #[tracing::instrument(skip_all)]
    async fn register_dataset(
        &self,
        request: Request<pb::RegisterDatasetRequest>,
    ) -> Result<Response<pb::RegisterDatasetResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        // Rights before validation, so that a caller without them learns nothing from the answers.
        let organization = caller.member_with(Role::Registrar)?;
        let new = new_dataset(request.into_inner(), organization, &caller)?;
        let registration = self.registry.register_dataset(&caller, new).await?;
        Ok(Response::new(registration_to_proto(registration)))
    }

    #[tracing::instrument(skip_all)]
    async fn register_datasets(
        &self,
        request: Request<pb::RegisterDatasetsRequest>,
    ) -> Result<Response<pb::RegisterDatasetsResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let organization = caller.member_with(Role::Registrar)?;
        let items = batch_registrations(request.into_inner(), organization, &caller)?;
        let registrations = self.registry.register_datasets(&caller, items).await?;
        Ok(Response::new(pb::RegisterDatasetsResponse {
            results: registrations
                .into_iter()
                .map(registration_to_proto)
                .collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_dataset(
        &self,
        request: Request<pb::GetDatasetRequest>,
    ) -> Result<Response<pb::Dataset>, Status> {
        let caller = self.registry.caller(&request).await?;
        let id = required_uuid("id", &request.get_ref().id)?;
        let dataset = self.registry.get_dataset(&caller, id).await?;
        Ok(Response::new(dataset_to_proto(dataset)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_datasets(
        &self,
        request: Request<pb::ListDatasetsRequest>,
    ) -> Result<Response<pb::ListDatasetsResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let size = page_size(request.page_size)?;
        let name = optional_line("name", &request.name, limits::NAME)?;
        let organization_id = optional_uuid("organization_id", &request.organization_id)?;
        let (datasets, next) = self
            .registry
            .list_datasets(&caller, name, organization_id, size, &request.page_token)
            .await?;
        Ok(Response::new(pb::ListDatasetsResponse {
            datasets: datasets.into_iter().map(dataset_to_proto).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn report_contamination(
        &self,
        request: Request<pb::ReportContaminationRequest>,
    ) -> Result<Response<pb::ContaminationReport>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let dataset_id = required_uuid("dataset_id", &request.dataset_id)?;
        let statement = optional_text(
            "statement",
            &request.statement,
            attestation::limits::STATEMENT,
        )?
        .ok_or_else(|| Error::invalid("statement", "is required"))?;
        let evidence = contamination_evidence(request.evidence)?;
        let report = self
            .registry
            .report_contamination(&caller, dataset_id, statement, evidence)
            .await?;
        Ok(Response::new(report_to_proto(report)))
    }
}

fn registration_to_proto(registration: Registration) -> pb::RegisterDatasetResponse {
    let already_existed = matches!(registration, Registration::Existing(_));
    let dataset = match registration {
        Registration::Created(d) | Registration::Existing(d) => d,
    };
    pb::RegisterDatasetResponse {
        dataset: Some(dataset_to_proto(dataset)),
        already_existed,
    }
}
