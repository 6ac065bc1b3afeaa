//! RFC 9162 section 2.1.1 hashing with SHA-256.

use sha2::{Digest, Sha256};

/// A SHA-256 output: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// Domain-separation prefix of leaf hashes.
///
/// Leaves and interior nodes get different prefixes so that an interior node can
/// never be passed off as a leaf (second-preimage attack on the tree).
const LEAF_PREFIX: u8 = 0x00;

/// Domain-separation prefix of interior node hashes.
const NODE_PREFIX: u8 = 0x01;

/// Hash of one log entry: `SHA-256(0x00 || data)`.
pub fn hash_leaf(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(data);
    hasher.finalize().into()
}

/// Hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn hash_children(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([NODE_PREFIX]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// Root of the empty tree: `SHA-256("")`, as RFC 9162 defines `MTH({})`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}
