//! The event log as a transparency log: each event is one leaf of an RFC 9162 Merkle tree whose
//! data is the event's 32-byte chain hash (leaf index = sequence - 1).
//!
//! The tree's arithmetic lives in the `transparency-log` crate. What this module adds is how the
//! registry feeds it from an asynchronous store: which stored nodes a computation reads depends only
//! on the sizes and indices involved, never on hash values, so a computation is first run over a
//! source that answers every read with zeros to learn the nodes it needs, those are fetched in one
//! query, and it is run again over them.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;

pub use transparency_log::{
    Checkpoint, Frontier, Hash, MissingNode, NodeId, NodeSource, TreeError, hash_leaf,
};

/// The leaf hash of the event whose chain hash is `event_hash`.
pub fn leaf_hash(event_hash: &[u8; 32]) -> Hash {
    hash_leaf(event_hash)
}

/// Answers every read with zeros and remembers what was read.
#[derive(Default)]
struct Recorder {
    read: RefCell<BTreeSet<NodeId>>,
}

impl NodeSource for Recorder {
    type Error = Infallible;

    fn node(&self, id: NodeId) -> Result<Hash, Infallible> {
        self.read.borrow_mut().insert(id);
        Ok([0; 32])
    }
}

/// The stored nodes `compute` reads. Its result over zeros is thrown away; only its reads count.
pub fn nodes_read_by<T>(
    compute: impl FnOnce(&dyn NodeSource<Error = Infallible>) -> T,
) -> Vec<NodeId> {
    let recorder = Recorder::default();
    compute(&recorder);
    recorder.read.into_inner().into_iter().collect()
}

/// Nodes fetched from the store, as a source for the real computation.
#[derive(Debug, Default, Clone)]
pub struct FetchedNodes(pub HashMap<NodeId, Hash>);

impl NodeSource for FetchedNodes {
    type Error = MissingNode;

    fn node(&self, id: NodeId) -> Result<Hash, MissingNode> {
        self.0.get(&id).copied().ok_or(MissingNode(id))
    }
}

/// The stored nodes that growing the tree of `size` leaves starts from (its frontier).
pub fn frontier_nodes(size: u64) -> Vec<NodeId> {
    nodes_read_by(|source| Frontier::restore(size, source).map(|_| ()))
}

/// Appends `leaves` to the tree of `size` leaves whose [`frontier_nodes`] are `stored`; returns
/// every node the new leaves complete, for the store to write with their events.
pub fn grow_tree(
    size: u64,
    stored: &FetchedNodes,
    leaves: impl IntoIterator<Item = Hash>,
) -> crate::error::Result<Vec<(NodeId, Hash)>> {
    use crate::error::Error;
    let mut frontier = Frontier::restore(size, stored).map_err(|e| {
        Error::internal(anyhow::anyhow!(
            "the transparency log does not hold the tree of {size} events: {e:#}"
        ))
    })?;
    let mut written = Vec::new();
    for leaf in leaves {
        written.extend(
            frontier
                .append(leaf)
                .map_err(|_| Error::internal(anyhow::anyhow!("the transparency log is full")))?,
        );
    }
    Ok(written)
}

/// A checkpoint the registry signed, as it keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// Leaves covered.
    pub tree_size: u64,
    /// Their root hash.
    pub root: Hash,
    /// When it was signed (whole seconds, as in the note).
    pub time: chrono::DateTime<chrono::Utc>,
    /// The signed note.
    pub note: String,
}

/// A witness's cosignature of one of the registry's checkpoints (c2sp.org/tlog-cosignature),
/// verified before it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointCosignature {
    /// Size of the cosigned checkpoint.
    pub tree_size: u64,
    /// The witness's verifier key (`<name>+<key id>+<key>`).
    pub witness: String,
    /// The signature line, without its newline, as appended to the checkpoint's note.
    pub line: String,
    /// When the witness cosigned (its timestamp), Unix seconds.
    pub cosigned_at: i64,
}

/// The checkpoint's extension line that dates it.
pub fn time_extension(unix_seconds: i64) -> String {
    format!("time {unix_seconds}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use transparency_log::{MemoryTree, inclusion_proof, root_at};

    #[test]
    fn the_nodes_a_proof_reads_are_enough_to_compute_it() {
        let mut tree = MemoryTree::new();
        for i in 0u8..77 {
            tree.append(leaf_hash(&[i; 32])).expect("room");
        }
        for (index, size) in [(0, 1), (5, 77), (76, 77), (31, 64), (40, 70)] {
            let needed = nodes_read_by(|source| inclusion_proof(index, size, source).map(|_| ()));
            let fetched = FetchedNodes(
                needed
                    .iter()
                    .map(|id| (*id, tree.node(*id).expect("stored")))
                    .collect(),
            );
            assert_eq!(
                inclusion_proof(index, size, &fetched).expect("enough nodes"),
                inclusion_proof(index, size, &tree).expect("whole tree")
            );
            let needed = nodes_read_by(|source| root_at(size, source).map(|_| ()));
            let fetched = FetchedNodes(
                needed
                    .iter()
                    .map(|id| (*id, tree.node(*id).expect("stored")))
                    .collect(),
            );
            assert_eq!(
                root_at(size, &fetched).expect("enough nodes"),
                root_at(size, &tree).expect("whole tree")
            );
        }
    }

    #[test]
    fn a_missing_node_is_reported_not_invented() {
        let empty = FetchedNodes::default();
        assert!(matches!(
            root_at(3, &empty),
            Err(TreeError::Source(MissingNode(_)))
        ));
    }
}
