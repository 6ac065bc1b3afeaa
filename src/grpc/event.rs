//! `provenance.v1.EventService`.

use tonic::{Request, Response, Status};

use super::convert::event_to_proto;
use super::{ResponseStream, stream_of};
use crate::domain::paging::page_size;
use crate::proto::v1 as pb;
use crate::registry::Registry;

/// Handlers of the event service.
pub struct EventHandlers {
    /// The registry the handlers serve.
    pub registry: Registry,
}

#[tonic::async_trait]
impl pb::event_service_server::EventService for EventHandlers {
    #[tracing::instrument(skip_all)]
    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Result<Response<pb::ListEventsResponse>, Status> {
        let caller = self.registry.caller(&request).await?;
        let request = request.into_inner();
        let size = page_size(request.page_size)?;
        let (events, next) = self
            .registry
            .list_events(&caller, request.after_sequence, size, &request.page_token)
            .await?;
        Ok(Response::new(pb::ListEventsResponse {
            events: events.into_iter().map(event_to_proto).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }

    type WatchEventsStream = ResponseStream<pb::Event>;

    #[tracing::instrument(skip_all)]
    async fn watch_events(
        &self,
        request: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        let caller = self.registry.caller(&request).await?;
        let events = self
            .registry
            .watch_events(&caller, request.get_ref().after_sequence)?;
        Ok(Response::new(stream_of(events, event_to_proto)))
    }
}
