//! `TransparencyLogService`: checkpoints, proofs and leaves. Public, like certificate verification:
//! nobody needs an account to audit the log.

use tonic::{Request, Response, Status};

use super::convert::time_to_proto;
use crate::error::Error;
use crate::proto::v1 as pb;
use crate::proto::v1::get_inclusion_proof_request::Leaf;
use crate::registry::Registry;

/// The handlers of `TransparencyLogService`.
pub struct LogHandlers {
    /// The registry.
    pub registry: Registry,
}

/// `0` in a size field means "the newest checkpoint's size".
fn size_or_newest(size: u64) -> Option<u64> {
    (size != 0).then_some(size)
}

#[tonic::async_trait]
impl pb::transparency_log_service_server::TransparencyLogService for LogHandlers {
    #[tracing::instrument(skip_all)]
    async fn get_checkpoint(
        &self,
        _request: Request<pb::GetCheckpointRequest>,
    ) -> Result<Response<pb::Checkpoint>, Status> {
        let checkpoint = self.registry.checkpoint().await?;
        let (origin, verifier_key) = self.registry.log_identity();
        Ok(Response::new(pb::Checkpoint {
            note: checkpoint.note,
            origin: origin.to_owned(),
            tree_size: checkpoint.tree_size,
            root_hash: checkpoint.root.to_vec(),
            time: Some(time_to_proto(checkpoint.time)),
            verifier_key,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_inclusion_proof(
        &self,
        request: Request<pb::GetInclusionProofRequest>,
    ) -> Result<Response<pb::InclusionProof>, Status> {
        let request = request.into_inner();
        let leaf_index = match request.leaf {
            Some(Leaf::LeafIndex(index)) => index,
            Some(Leaf::EventSequence(0)) => {
                return Err(Error::invalid("event_sequence", "sequences start at 1").into());
            }
            Some(Leaf::EventSequence(sequence)) => sequence - 1,
            None => {
                return Err(Error::invalid("leaf", "give leaf_index or event_sequence").into());
            }
        };
        let answer = self
            .registry
            .inclusion_proof(leaf_index, size_or_newest(request.tree_size))
            .await?;
        Ok(Response::new(pb::InclusionProof {
            leaf_index: answer.leaf_index,
            tree_size: answer.tree_size,
            leaf_data: answer.leaf_data.to_vec(),
            leaf_hash: crate::domain::transparency::leaf_hash(&answer.leaf_data).to_vec(),
            hashes: answer.proof.iter().map(|h| h.to_vec()).collect(),
            root_hash: answer.root.to_vec(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_consistency_proof(
        &self,
        request: Request<pb::GetConsistencyProofRequest>,
    ) -> Result<Response<pb::ConsistencyProof>, Status> {
        let request = request.into_inner();
        let answer = self
            .registry
            .consistency_proof(
                request.first_tree_size,
                size_or_newest(request.second_tree_size),
            )
            .await?;
        Ok(Response::new(pb::ConsistencyProof {
            first_tree_size: answer.first_size,
            second_tree_size: answer.second_size,
            hashes: answer.proof.iter().map(|h| h.to_vec()).collect(),
            first_root_hash: answer.first_root.to_vec(),
            second_root_hash: answer.second_root.to_vec(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_leaves(
        &self,
        request: Request<pb::GetLeavesRequest>,
    ) -> Result<Response<pb::GetLeavesResponse>, Status> {
        let request = request.into_inner();
        let leaves = self
            .registry
            .log_leaves(request.start, request.count)
            .await?;
        Ok(Response::new(pb::GetLeavesResponse {
            leaves: leaves
                .into_iter()
                .zip(request.start..)
                .map(|(data, index)| pb::Leaf {
                    index,
                    data: data.to_vec(),
                })
                .collect(),
        }))
    }
}
