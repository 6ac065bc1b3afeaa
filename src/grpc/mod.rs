//! gRPC handlers, one file per service. Each handler authenticates the caller, converts the request
//! into domain types (`convert`), calls the [`Registry`](crate::registry::Registry) and converts back.

pub mod attestation;
pub mod certificate;
pub mod convert;
pub mod dataset;
pub mod event;
pub mod lineage;
pub mod log;
pub mod organization;
pub mod policy;
pub mod status;
pub mod webhook;

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::Status;

/// The stream type of server-streaming RPCs.
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Maps a channel of domain results into a response stream of wire messages.
pub fn stream_of<T, U>(
    receiver: tokio::sync::mpsc::Receiver<crate::error::Result<T>>,
    convert: fn(T) -> U,
) -> ResponseStream<U>
where
    T: Send + 'static,
    U: Send + 'static,
{
    use tokio_stream::StreamExt;
    Box::pin(
        tokio_stream::wrappers::ReceiverStream::new(receiver)
            .map(move |item| item.map(convert).map_err(Status::from)),
    )
}
