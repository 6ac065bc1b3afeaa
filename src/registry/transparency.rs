//! Use cases of the transparency log: signed checkpoints, proofs, leaves, and the start-up check
//! that the stored tree matches the event log and every checkpoint signed before. None needs a
//! caller: a leaf reveals only an event's chain hash.

use chrono::{DateTime, Utc};
use transparency_log::{
    Checkpoint, consistency_proof, empty_root, hash_children, inclusion_proof, root_at,
};

use super::Registry;
use crate::domain::event::log_position;
use crate::domain::transparency::{
    FetchedNodes, Hash, NodeId, SignedCheckpoint, TreeError, leaf_hash, nodes_read_by,
    time_extension,
};
use crate::error::{Error, Result};
use crate::store::{LogSnapshot, Store};

/// Most leaves one `GetLeaves` call returns.
pub const MAX_LEAVES_PER_CALL: u32 = 1000;

/// Leaves read per query by the start-up check.
const CHECK_PAGE: u32 = 10_000;

/// An audit path and what it proves.
#[derive(Debug, Clone)]
pub struct InclusionAnswer {
    /// The leaf.
    pub leaf_index: u64,
    /// The tree it is proved against.
    pub tree_size: u64,
    /// The leaf's data: its event's chain hash.
    pub leaf_data: [u8; 32],
    /// Sibling hashes from the leaf up.
    pub proof: Vec<Hash>,
    /// Root of that tree.
    pub root: Hash,
}

/// A consistency proof and the two roots.
#[derive(Debug, Clone)]
pub struct ConsistencyAnswer {
    /// Older size.
    pub first_size: u64,
    /// Newer size.
    pub second_size: u64,
    /// The proof.
    pub proof: Vec<Hash>,
    /// Root at the older size.
    pub first_root: Hash,
    /// Root at the newer size.
    pub second_root: Hash,
}

fn corrupted(what: String) -> Error {
    Error::internal(anyhow::anyhow!("the transparency log is corrupted: {what}"))
}

impl Registry {
    /// The log's name and its key in signed-note verifier form.
    pub fn log_identity(&self) -> (&str, String) {
        (self.log_key.origin(), self.log_key.verifier_key())
    }

    /// The newest checkpoint: the tree over every committed event, signed once per tree size, its
    /// note followed by the witnesses' cosignatures (asked for when the size is new; see
    /// [`super::witnesses`]).
    pub async fn checkpoint(&self) -> Result<SignedCheckpoint> {
        let signed = self.signed_checkpoint().await?;
        self.cosigned(signed).await
    }

    /// The newest checkpoint with the registry's signature only.
    async fn signed_checkpoint(&self) -> Result<SignedCheckpoint> {
        // The newest checkpoint first: the tree only grows, so a size read afterwards is at least
        // its size unless the store lost events (read the other way round, a checkpoint signed
        // in between by a concurrent call would look like a shrunken log).
        let latest = self.store.latest_checkpoint().await?;
        let size = self.store.log_size().await?;
        match latest {
            Some(latest) if latest.tree_size == size => return Ok(latest),
            Some(latest) if latest.tree_size > size => {
                return Err(corrupted(format!(
                    "it holds {size} leaves but a checkpoint of {} was signed",
                    latest.tree_size
                )));
            }
            _ => {}
        }
        let root = self.root_at(size).await?;
        let time = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_default();
        // Signed before it is kept: a key that cannot sign leaves no checkpoint behind.
        let note = self
            .log_key
            .sign(&Checkpoint {
                origin: self.log_key.origin().to_owned(),
                size,
                root,
                extensions: vec![time_extension(time.timestamp())],
            })
            .await?;
        // A concurrent call may have kept one of this size first: answer with the one kept.
        self.store
            .keep_checkpoint(SignedCheckpoint {
                tree_size: size,
                root,
                time,
                note,
            })
            .await
    }

    /// The audit path of leaf `leaf_index` in the tree of `tree_size` leaves (`None`: the newest
    /// checkpoint's).
    pub async fn inclusion_proof(
        &self,
        leaf_index: u64,
        tree_size: Option<u64>,
    ) -> Result<InclusionAnswer> {
        let tree_size = self.checked_size("tree_size", tree_size).await?;
        if leaf_index >= tree_size {
            return Err(Error::invalid(
                "leaf",
                format!("leaf index {leaf_index} is not in a tree of {tree_size} leaves"),
            ));
        }
        let nodes = self
            .fetch(&nodes_read_by(|source| {
                inclusion_proof(leaf_index, tree_size, source).map(|_| ())
            }))
            .await?;
        let proof = inclusion_proof(leaf_index, tree_size, &nodes).map_err(missing)?;
        let root = self.root_at(tree_size).await?;
        let leaf_data = self
            .store
            .log_leaves(leaf_index, 1)
            .await?
            .pop()
            .ok_or_else(|| corrupted(format!("leaf {leaf_index} has no event")))?;
        Ok(InclusionAnswer {
            leaf_index,
            tree_size,
            leaf_data,
            proof,
            root,
        })
    }

    /// The consistency proof between the trees of `first` and `second` leaves (`None`: the newest
    /// checkpoint's size).
    pub async fn consistency_proof(
        &self,
        first: u64,
        second: Option<u64>,
    ) -> Result<ConsistencyAnswer> {
        let second = self.checked_size("second_tree_size", second).await?;
        if first == 0 || first > second {
            return Err(Error::invalid(
                "first_tree_size",
                format!("must be between 1 and the second tree size ({second})"),
            ));
        }
        let proof = self.proof_between(first, second).await?;
        Ok(ConsistencyAnswer {
            first_size: first,
            second_size: second,
            proof,
            first_root: self.root_at(first).await?,
            second_root: self.root_at(second).await?,
        })
    }

    /// The consistency proof from `first` to `second` leaves, both within the stored tree.
    pub(super) async fn proof_between(&self, first: u64, second: u64) -> Result<Vec<Hash>> {
        let nodes = self
            .fetch(&nodes_read_by(|source| {
                consistency_proof(first, second, source).map(|_| ())
            }))
            .await?;
        consistency_proof(first, second, &nodes).map_err(missing)
    }

    /// Leaf data from index `start` (at most [`crate::domain::event::MAX_SEQUENCE`]; none past the
    /// end of the log), at most `count` (1 to [`MAX_LEAVES_PER_CALL`]).
    pub async fn log_leaves(&self, start: u64, count: u32) -> Result<Vec<[u8; 32]>> {
        log_position("start", start)?;
        if count == 0 || count > MAX_LEAVES_PER_CALL {
            return Err(Error::invalid(
                "count",
                format!("must be between 1 and {MAX_LEAVES_PER_CALL}"),
            ));
        }
        self.store.log_leaves(start, count).await
    }

    /// Checks, before the server takes calls, that the stored tree covers exactly the event log,
    /// that its root is the one rebuilt from every event's chain hash, and that every size signed
    /// before still has the root it was signed with. A store that fails is reported, not served.
    ///
    /// Everything is read from one snapshot of the database: other replicas keep writing while a
    /// replica starts, and a tree, an event count and a checkpoint read at different moments
    /// would disagree about a sound log.
    pub async fn check_log(&self) -> Result<u64> {
        Ok(check_stored_log(self.store.as_ref()).await?.size)
    }

    async fn checked_size(&self, field: &str, requested: Option<u64>) -> Result<u64> {
        match requested {
            None => Ok(self.checkpoint().await?.tree_size),
            Some(size) => {
                let available = self.store.log_size().await?;
                if size > available {
                    Err(Error::invalid(
                        field,
                        format!("the log holds {available} leaves; {size} is too many"),
                    ))
                } else {
                    Ok(size)
                }
            }
        }
    }

    async fn root_at(&self, size: u64) -> Result<Hash> {
        if size == 0 {
            return Ok(empty_root());
        }
        let nodes = self
            .fetch(&nodes_read_by(|source| root_at(size, source).map(|_| ())))
            .await?;
        root_at(size, &nodes).map_err(missing)
    }

    async fn fetch(&self, ids: &[NodeId]) -> Result<FetchedNodes> {
        self.store.log_nodes(ids).await
    }
}

/// What [`check_stored_log`] found sound, read from one snapshot.
#[derive(Debug, Clone)]
pub struct CheckedLog {
    /// Leaves in the tree (events covered).
    pub size: u64,
    /// The event chain's head in the same snapshot (its sequence is `size`).
    pub head: crate::domain::event::ChainHead,
    /// The latest signed checkpoint, whose root is the tree's at its size (its signature is not
    /// checked here: the registry signed it with its own key).
    pub checkpoint: Option<SignedCheckpoint>,
}

/// The check of [`Registry::check_log`] on any store, such as a copy being restored (`admin
/// verify`): the stored tree covers exactly the event log, every stored node is the hash of its
/// event or children, and the latest checkpoint's root is the tree's at its size.
pub async fn check_stored_log(store: &dyn Store) -> Result<CheckedLog> {
    let mut snapshot = store.log_snapshot().await?;
    let snapshot = snapshot.as_mut();
    let size = snapshot.log_size().await?;
    let head = snapshot.chain_head().await?;
    if size != head.sequence {
        return Err(corrupted(format!(
            "it covers {size} events but the event log holds {}",
            head.sequence
        )));
    }
    // Every stored node, level by level and page by page: a leaf must be its event's leaf
    // hash, an inner node the hash of its two children. Memory stays at one page.
    let mut level = 0u8;
    while size >> level > 0 {
        let count = size >> level;
        let mut index = 0;
        while index < count {
            let page = (count - index).min(u64::from(CHECK_PAGE)) as u32;
            let stored = snapshot.log_level(level, index, page).await?;
            let expected: Vec<Hash> = if level == 0 {
                let events = snapshot.log_leaves(index, page).await?;
                events.iter().map(leaf_hash).collect()
            } else {
                let children = snapshot.log_level(level - 1, 2 * index, 2 * page).await?;
                children
                    .chunks_exact(2)
                    .map(|pair| hash_children(&pair[0], &pair[1]))
                    .collect()
            };
            if stored.len() != page as usize || stored != expected {
                return Err(corrupted(format!(
                    "a node of level {level} between {index} and {} does not match {}",
                    index + u64::from(page),
                    if level == 0 {
                        "its event"
                    } else {
                        "its children"
                    }
                )));
            }
            index += u64::from(page);
        }
        level += 1;
    }
    let checkpoint = snapshot.latest_checkpoint().await?;
    if let Some(latest) = &checkpoint
        && (latest.tree_size > size
            || snapshot_root(snapshot, latest.tree_size).await? != latest.root)
    {
        return Err(corrupted(format!(
            "it does not extend checkpoint {} that the registry signed",
            latest.tree_size
        )));
    }
    Ok(CheckedLog {
        size,
        head,
        checkpoint,
    })
}

/// The root of the tree of `size` leaves, from the nodes in `snapshot`.
async fn snapshot_root(snapshot: &mut dyn LogSnapshot, size: u64) -> Result<Hash> {
    if size == 0 {
        return Ok(empty_root());
    }
    let nodes = snapshot
        .log_nodes(&nodes_read_by(|source| root_at(size, source).map(|_| ())))
        .await?;
    root_at(size, &nodes).map_err(missing)
}

fn missing<E: std::fmt::Display>(error: TreeError<E>) -> Error {
    corrupted(format!("{error:#}"))
}
