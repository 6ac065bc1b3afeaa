//! `provenance.v1.LineageService`.

use tonic::{Request, Response, Status};

use super::convert::lineage_node_to_proto;
use super::{ResponseStream, stream_of};
use crate::domain::export::ExportFormat;
use crate::domain::lineage::{Direction, max_depth};
use crate::domain::paging::page_size;
use crate::domain::text::required_uuid;
use crate::error::{Error, Result};
use crate::proto::v1 as pb;
use crate::registry::{LineageQuery, Registry};

/// Handlers of the lineage service.
pub struct LineageHandlers {
    /// The registry the handlers serve.
    pub registry: Registry,
}

fn query_from_proto(request: &pb::GetLineageRequest) -> Result<LineageQuery> {
    query_of(&request.dataset_id, request.direction, request.max_depth)
}

fn query_of(dataset_id: &str, direction: i32, depth: i32) -> Result<LineageQuery> {
    let direction = match pb::LineageDirection::try_from(direction) {
        Ok(pb::LineageDirection::Unspecified | pb::LineageDirection::Upstream) => {
            Direction::Upstream
        }
        Ok(pb::LineageDirection::Downstream) => Direction::Downstream,
        Err(_) => {
            return Err(Error::invalid(
                "direction",
                "must be LINEAGE_DIRECTION_UPSTREAM or LINEAGE_DIRECTION_DOWNSTREAM",
            ));
        }
    };
    Ok(LineageQuery {
        root: required_uuid("dataset_id", dataset_id)?,
        direction,
        max_depth: max_depth(depth)?,
    })
}

fn export_format_from_proto(value: i32) -> Result<ExportFormat> {
    match pb::LineageExportFormat::try_from(value) {
        Ok(pb::LineageExportFormat::Spdx3) => Ok(ExportFormat::Spdx3),
        Ok(pb::LineageExportFormat::Cyclonedx) => Ok(ExportFormat::CycloneDx),
        Ok(pb::LineageExportFormat::Prov) => Ok(ExportFormat::Prov),
        Ok(pb::LineageExportFormat::Unspecified) | Err(_) => Err(Error::invalid(
            "format",
            "must be LINEAGE_EXPORT_FORMAT_SPDX3, LINEAGE_EXPORT_FORMAT_CYCLONEDX or \
             LINEAGE_EXPORT_FORMAT_PROV",
        )),
    }
}

#[tonic::async_trait]
impl pb::lineage_service_server::LineageService for LineageHandlers {
    #[tracing::instrument(skip_all)]
    async fn get_lineage(
        &self,
        request: Request<pb::GetLineageRequest>,
    ) -> Result<Response<pb::GetLineageResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let query = query_from_proto(&request)?;
        let size = page_size(request.page_size)?;
        let page = self
            .registry
            .lineage_page(&caller, &query, size, &request.page_token)
            .await?;
        Ok(Response::new(pb::GetLineageResponse {
            nodes: page.nodes.into_iter().map(lineage_node_to_proto).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
            total_count: page.total_count as i32,
            hidden_count: page.hidden_count as i32,
        }))
    }

    type StreamLineageStream = ResponseStream<pb::LineageNode>;

    #[tracing::instrument(skip_all)]
    async fn stream_lineage(
        &self,
        request: Request<pb::GetLineageRequest>,
    ) -> Result<Response<Self::StreamLineageStream>, Status> {
        let caller = self.registry.caller(&request).await?;
        let query = query_from_proto(request.get_ref())?;
        let nodes = self.registry.lineage_stream(&caller, query).await?;
        Ok(Response::new(stream_of(nodes, lineage_node_to_proto)))
    }

    #[tracing::instrument(skip_all)]
    async fn export_lineage(
        &self,
        request: Request<pb::ExportLineageRequest>,
    ) -> Result<Response<pb::ExportLineageResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let query = query_of(&request.dataset_id, request.direction, request.max_depth)?;
        let format = export_format_from_proto(request.format)?;
        let content = self
            .registry
            .export_lineage(&caller, &query, format)
            .await?;
        Ok(Response::new(pb::ExportLineageResponse {
            media_type: format.media_type().to_owned(),
            content,
        }))
    }
}
