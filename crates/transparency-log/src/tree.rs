//! Building the tree from stored perfect-subtree hashes, and producing roots and
//! proofs from them.
//!
//! Every hash the RFC 9162 recursion asks for is `MTH(D[a:b])` for a range that
//! is either a perfect subtree or a "right border" range whose start is aligned
//! to its largest power-of-two chunk. Both are composed from at most 64 stored
//! perfect nodes, so nothing here ever rehashes the leaves.

use std::convert::Infallible;

use crate::hash::{Hash, empty_root, hash_children};

/// Address of a stored node: the root of the perfect subtree covering leaves
/// `[index * 2^level, (index + 1) * 2^level)`.
///
/// Level 0 holds the leaf hashes themselves; the node at `(level + 1, i)` is
/// `hash_children((level, 2i), (level, 2i + 1))`. A node exists once all of its
/// leaves have been appended, and it never changes afterwards, which is what lets
/// a server store it once and serve it forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves; the subtree covers `2^level` leaves.
    pub level: u8,
    /// Position among the nodes of the same level, counted from the left.
    pub index: u64,
}

impl NodeId {
    /// The node at `level` and `index`.
    pub const fn new(level: u8, index: u64) -> Self {
        Self { level, index }
    }

    /// The leaf hash of entry `index`.
    pub const fn leaf(index: u64) -> Self {
        Self { level: 0, index }
    }
}

/// Read access to stored perfect-subtree hashes.
///
/// Synchronous on purpose: proofs need at most a few dozen reads, so a server
/// keeps the nodes it serves in a cache (or reads them inside one transaction)
/// rather than paying for an async boundary per node. Implementations should
/// return an error, not a made-up hash, for a node they do not hold: that is how
/// a request for a tree larger than the log is reported.
pub trait NodeSource {
    /// Why a node could not be read (missing, storage failure, ...).
    type Error;

    /// The hash of the perfect subtree `id`.
    fn node(&self, id: NodeId) -> Result<Hash, Self::Error>;
}

impl<T: NodeSource + ?Sized> NodeSource for &T {
    type Error = T::Error;

    fn node(&self, id: NodeId) -> Result<Hash, Self::Error> {
        (**self).node(id)
    }
}

/// A tree that already holds `u64::MAX` leaves cannot take another one, because
/// the next leaf index would not fit in a `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the tree already holds u64::MAX leaves")]
pub struct TreeFull;

/// Why a root or proof could not be produced from a [`NodeSource`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TreeError<E = Infallible> {
    /// The leaf index is not below the tree size (this includes every index for
    /// a tree of size 0, which has no leaves to prove).
    #[error("leaf index {index} is out of range for tree size {size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size the proof was requested for.
        size: u64,
    },
    /// A consistency proof was asked from a larger tree to a smaller one.
    #[error("first tree size {first} is larger than second tree size {second}")]
    SizeOrder {
        /// The older tree size.
        first: u64,
        /// The newer tree size.
        second: u64,
    },
    /// The tree cannot grow any further.
    #[error(transparent)]
    TreeFull(#[from] TreeFull),
    /// The node source failed, typically because the requested size is beyond
    /// what it holds.
    #[error("reading a stored node failed")]
    Source(#[source] E),
}

/// The largest power of two strictly below `n`, the split point `k` of the
/// RFC 9162 recursion. Callers guarantee `n >= 2`.
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[start:end])` for a range whose start is a multiple of its largest
/// power-of-two chunk, which holds for every range the RFC recursion visits.
///
/// The range then splits into perfect subtrees of strictly decreasing size
/// (one per set bit of `end - start`), and the RFC's right-leaning recursion
/// makes the hash the right fold of those chunks.
fn range_hash<S: NodeSource + ?Sized>(
    start: u64,
    end: u64,
    source: &S,
) -> Result<Hash, TreeError<S::Error>> {
    let width = end - start;
    let mut chunks: Vec<Hash> = Vec::with_capacity(width.count_ones() as usize);
    let mut pos = start;
    for level in (0..64u8).rev() {
        if (width >> level) & 1 == 1 {
            let id = NodeId::new(level, pos >> level);
            chunks.push(source.node(id).map_err(TreeError::Source)?);
            pos += 1u64 << level;
        }
    }
    Ok(fold_right(&chunks))
}

/// Combines perfect-subtree roots, largest (leftmost) first, into the root of
/// their concatenation; the empty list is the empty tree.
fn fold_right(chunks: &[Hash]) -> Hash {
    let mut iter = chunks.iter().rev();
    match iter.next() {
        None => empty_root(),
        Some(last) => iter.fold(*last, |acc, left| hash_children(left, &acc)),
    }
}

/// The tree root `MTH(D[0:size])`, read from at most 64 stored nodes.
///
/// Size 0 gives [`empty_root`] without reading anything.
pub fn root_at<S: NodeSource + ?Sized>(size: u64, source: &S) -> Result<Hash, TreeError<S::Error>> {
    range_hash(0, size, source)
}

/// The RFC 9162 section 2.1.3.1 inclusion proof (RFC 6962 `PATH`) of leaf
/// `leaf_index` in the tree of `tree_size` leaves, ordered from the leaf's
/// sibling up to the child of the root.
///
/// Walks the RFC recursion top-down. Once the walk steps into a left half it
/// stays inside a perfect subtree, so only one right-border range costs more
/// than a single node read: O(log n) reads overall.
pub fn inclusion_proof<S: NodeSource + ?Sized>(
    leaf_index: u64,
    tree_size: u64,
    source: &S,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if leaf_index >= tree_size {
        return Err(TreeError::IndexOutOfRange {
            index: leaf_index,
            size: tree_size,
        });
    }
    let mut proof = Vec::new();
    let (mut lo, mut hi) = (0u64, tree_size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if leaf_index - lo < k {
            proof.push(range_hash(lo + k, hi, source)?);
            hi = lo + k;
        } else {
            proof.push(range_hash(lo, lo + k, source)?);
            lo += k;
        }
    }
    // The recursion appends the sibling found at each depth after the deeper
    // part of the path, so the top-down walk produced them in reverse.
    proof.reverse();
    Ok(proof)
}

/// The RFC 9162 section 2.1.4.1 consistency proof (RFC 6962 `SUBPROOF`)
/// between the trees of `first_size` and `second_size` leaves.
///
/// Equal sizes and `first_size == 0` give the empty proof: every tree is
/// consistent with itself and with the empty tree. Those cases still read the
/// last leaf of the second tree so that a size beyond the source is reported
/// rather than silently "proved".
pub fn consistency_proof<S: NodeSource + ?Sized>(
    first_size: u64,
    second_size: u64,
    source: &S,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if first_size > second_size {
        return Err(TreeError::SizeOrder {
            first: first_size,
            second: second_size,
        });
    }
    if first_size == 0 || first_size == second_size {
        if second_size > 0 {
            source
                .node(NodeId::leaf(second_size - 1))
                .map_err(TreeError::Source)?;
        }
        return Ok(Vec::new());
    }
    let mut proof = Vec::new();
    let (mut lo, mut hi) = (0u64, second_size);
    let mut m = first_size;
    // `whole` is the RFC's boolean: true while the current subtree's left edge
    // is the left edge of the whole tree, whose old root the verifier already
    // holds and so need not be sent.
    let mut whole = true;
    loop {
        let n = hi - lo;
        if m == n {
            if !whole {
                proof.push(range_hash(lo, hi, source)?);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            proof.push(range_hash(lo + k, hi, source)?);
            hi = lo + k;
        } else {
            proof.push(range_hash(lo, lo + k, source)?);
            lo += k;
            m -= k;
            whole = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// The nodes that appending leaf number `size` completes, reading the left
/// siblings it needs from `source` instead of holding a [`Frontier`].
///
/// Returns the leaf itself at level 0 followed by every parent it completes, in
/// increasing level; these are exactly the nodes to persist. The number of
/// parents is the number of trailing one bits of `size`, so this is amortised
/// O(1) reads and hashes per append.
pub fn nodes_completed_by_append<S: NodeSource + ?Sized>(
    size: u64,
    leaf: Hash,
    source: &S,
) -> Result<Vec<(NodeId, Hash)>, TreeError<S::Error>> {
    if size == u64::MAX {
        return Err(TreeFull.into());
    }
    let mut completed = vec![(NodeId::leaf(size), leaf)];
    let mut hash = leaf;
    let mut index = size;
    let mut level = 0u8;
    // A node is a right child exactly when its index is odd; only then does
    // it complete its parent.
    while index & 1 == 1 {
        let left = source
            .node(NodeId::new(level, index - 1))
            .map_err(TreeError::Source)?;
        hash = hash_children(&left, &hash);
        level += 1;
        index >>= 1;
        completed.push((NodeId::new(level, index), hash));
    }
    Ok(completed)
}

/// The right border of a tree: the roots of the perfect subtrees that
/// decompose `[0, size)`, one per set bit of `size`, largest first.
///
/// It is all that is needed to append a leaf and to compute the current root,
/// so a log server keeps one in memory, persists what [`Frontier::append`]
/// returns, and rebuilds it on start with [`Frontier::restore`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Invariant: `hashes.len() == size.count_ones()`, largest subtree first.
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the frontier of the tree of `size` leaves from stored nodes,
    /// reading one node per set bit of `size`.
    pub fn restore<S: NodeSource + ?Sized>(
        size: u64,
        source: &S,
    ) -> Result<Self, TreeError<S::Error>> {
        let hashes = border_ids(size)
            .map(|id| source.node(id).map_err(TreeError::Source))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { size, hashes })
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the current tree ([`empty_root`] when empty).
    pub fn root(&self) -> Hash {
        fold_right(&self.hashes)
    }

    /// The border nodes with their addresses, largest subtree first.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, Hash)> + '_ {
        border_ids(self.size).zip(self.hashes.iter().copied())
    }

    /// Appends a leaf hash and returns the nodes it completes: the leaf at
    /// level 0, then each parent it closes, in increasing level.
    ///
    /// The caller persists these so that proofs can later be served from a
    /// [`NodeSource`]. Each append hashes once per trailing one bit of the old
    /// size, which is amortised O(1).
    pub fn append(&mut self, leaf: Hash) -> Result<Vec<(NodeId, Hash)>, TreeFull> {
        let index = self.size;
        let new_size = index.checked_add(1).ok_or(TreeFull)?;
        // The trailing one bits of the old size are the smallest border
        // subtrees; each is the left sibling of the next completed node.
        let merged = index.trailing_ones() as usize;
        let keep = self.hashes.len().saturating_sub(merged);
        let lefts = self.hashes.split_off(keep);

        let mut completed = Vec::with_capacity(lefts.len() + 1);
        completed.push((NodeId::leaf(index), leaf));
        let mut hash = leaf;
        let mut id = NodeId::leaf(index);
        for left in lefts.iter().rev() {
            hash = hash_children(left, &hash);
            id = NodeId::new(id.level + 1, id.index >> 1);
            completed.push((id, hash));
        }
        self.hashes.push(hash);
        self.size = new_size;
        Ok(completed)
    }
}

/// Addresses of the perfect subtrees decomposing `[0, size)`, largest first.
fn border_ids(size: u64) -> impl Iterator<Item = NodeId> {
    let mut start = 0u64;
    (0..64u8).rev().filter_map(move |level| {
        if (size >> level) & 1 == 0 {
            return None;
        }
        let id = NodeId::new(level, start >> level);
        start += 1u64 << level;
        Some(id)
    })
}

/// The node a [`MemoryTree`] was asked for but does not hold: its leaves have
/// not all been appended yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("node at level {} index {} is not stored", .0.level, .0.index)]
pub struct MissingNode(pub NodeId);

/// An in-memory [`NodeSource`]: one vector of hashes per level, filled by
/// [`MemoryTree::append`].
///
/// Suitable for tests, tools and modest logs; it stores about two hashes per
/// leaf.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The root of the current tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Appends a leaf hash, stores every node it completes and returns them
    /// (the same list as [`Frontier::append`]).
    pub fn append(&mut self, leaf: Hash) -> Result<Vec<(NodeId, Hash)>, TreeFull> {
        let completed = self.frontier.append(leaf)?;
        for &(id, hash) in &completed {
            let level = usize::from(id.level);
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            // Nodes of a level complete left to right, so each new one lands
            // at the end of its vector.
            self.levels[level].push(hash);
        }
        Ok(completed)
    }
}

impl NodeSource for MemoryTree {
    type Error = MissingNode;

    fn node(&self, id: NodeId) -> Result<Hash, MissingNode> {
        self.levels
            .get(usize::from(id.level))
            .and_then(|level| level.get(usize::try_from(id.index).ok()?))
            .copied()
            .ok_or(MissingNode(id))
    }
}
