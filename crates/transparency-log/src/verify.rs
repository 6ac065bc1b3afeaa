//! Offline verification of inclusion and consistency proofs, following the
//! algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2.
//!
//! The proof length is checked up front against the length the same algorithm
//! would consume, so a wrong-length proof is reported as such (rather than as a
//! root mismatch) and no loop ever depends on the attacker-chosen length.

use crate::hash::{Hash, empty_root, hash_children};

/// Why a proof was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is out of range for tree size {size}")]
    IndexOutOfRange {
        /// The claimed leaf index.
        index: u64,
        /// The claimed tree size.
        size: u64,
    },
    /// A consistency proof was presented from a larger tree to a smaller one.
    #[error("first tree size {first} is larger than second tree size {second}")]
    SizeOrder {
        /// The claimed older tree size.
        first: u64,
        /// The claimed newer tree size.
        second: u64,
    },
    /// The proof does not have the number of hashes that these sizes (and
    /// index) require.
    #[error("proof has {actual} hashes where {expected} are required")]
    WrongProofLength {
        /// The number of hashes a valid proof has.
        expected: usize,
        /// The number of hashes presented.
        actual: usize,
    },
    /// The root recomputed from an inclusion proof is not the expected root, or
    /// two trees of the same size have different roots.
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
    /// The consistency proof does not reproduce the older tree's root.
    #[error("the consistency proof does not reproduce the first tree's root")]
    FirstRootMismatch,
    /// The consistency proof does not reproduce the newer tree's root.
    #[error("the consistency proof does not reproduce the second tree's root")]
    SecondRootMismatch,
}

/// Right-shifts `fn_` and `sn` together until `fn_` is odd or zero (the RFC's
/// "until either LSB(fn) is set or fn is 0").
fn shift_to_odd(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// Number of hashes the RFC 9162 2.1.3.2 loop consumes for this index and size
/// before `sn` reaches 0. Requires `index < size`.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (mut fn_, mut sn) = (index, size - 1);
    let mut len = 0;
    while sn != 0 {
        // Only the "fn == sn with fn even" case skips levels; every other step
        // consumes one hash per level.
        if fn_ == sn && fn_ & 1 == 0 {
            shift_to_odd(&mut fn_, &mut sn);
        }
        fn_ >>= 1;
        sn >>= 1;
        len += 1;
    }
    len
}

/// Number of hashes the RFC 9162 2.1.4.2 algorithm consumes. Requires
/// `0 < first < second`.
fn consistency_proof_len(first: u64, second: u64) -> usize {
    // A power-of-two first tree is a single perfect node whose hash the
    // verifier already has, so the proof omits it.
    let mut len = usize::from(!first.is_power_of_two());
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    while sn != 0 {
        if fn_ == sn && fn_ & 1 == 0 {
            shift_to_odd(&mut fn_, &mut sn);
        }
        fn_ >>= 1;
        sn >>= 1;
        len += 1;
    }
    len
}

/// Recomputes the root of a tree of `tree_size` leaves from the hash of leaf
/// `leaf_index` and its inclusion proof (RFC 9162 section 2.1.3.2).
///
/// The result is only meaningful once compared with a trusted root; prefer
/// [`verify_inclusion`] unless the root is compared elsewhere.
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    leaf_index: u64,
    tree_size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if leaf_index >= tree_size {
        return Err(ProofError::IndexOutOfRange {
            index: leaf_index,
            size: tree_size,
        });
    }
    let expected = inclusion_proof_len(leaf_index, tree_size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    }
    let (mut fn_, mut sn) = (leaf_index, tree_size - 1);
    let mut root = *leaf_hash;
    for p in proof {
        // `fn_` odd means the current node is a right child; `fn_ == sn` means
        // it is the last node of its level, whose missing right sibling makes
        // it climb without hashing until it becomes a right child.
        if fn_ & 1 == 1 || fn_ == sn {
            root = hash_children(p, &root);
            if fn_ & 1 == 0 {
                shift_to_odd(&mut fn_, &mut sn);
            }
        } else {
            root = hash_children(&root, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    Ok(root)
}

/// Checks that `leaf_hash` is leaf number `leaf_index` of the tree of
/// `tree_size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    leaf_index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(leaf_hash, leaf_index, tree_size, proof)?;
    if computed == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Checks that the tree of `second_size` leaves with root `second_root` is an
/// append-only extension of the tree of `first_size` leaves with root
/// `first_root` (RFC 9162 section 2.1.4.2).
///
/// Edge cases the RFC leaves implicit: equal sizes require an empty proof and
/// equal roots; `first_size == 0` requires an empty proof and `first_root` to
/// be the empty-tree hash, since every tree extends the empty one.
pub fn verify_consistency(
    first_size: u64,
    second_size: u64,
    proof: &[Hash],
    first_root: &Hash,
    second_root: &Hash,
) -> Result<(), ProofError> {
    if first_size > second_size {
        return Err(ProofError::SizeOrder {
            first: first_size,
            second: second_size,
        });
    }
    if first_size == second_size || first_size == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                expected: 0,
                actual: proof.len(),
            });
        }
        if first_size == 0 {
            return if *first_root == empty_root() {
                Ok(())
            } else {
                Err(ProofError::FirstRootMismatch)
            };
        }
        return if first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }

    let expected = consistency_proof_len(first_size, second_size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    }
    let (seed, rest) = if first_size.is_power_of_two() {
        (first_root, proof)
    } else {
        // Cannot fail: the expected length counts this element.
        proof.split_first().ok_or(ProofError::WrongProofLength {
            expected,
            actual: 0,
        })?
    };

    let (mut fn_, mut sn) = (first_size - 1, second_size - 1);
    // Skip the levels where the old tree's last node is a right child: the
    // seed already covers them.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in rest {
        if fn_ & 1 == 1 || fn_ == sn {
            // A left sibling: part of both the old and the new tree.
            fr = hash_children(c, &fr);
            sr = hash_children(c, &sr);
            if fn_ & 1 == 0 {
                shift_to_odd(&mut fn_, &mut sn);
            }
        } else {
            // A right sibling: only in the new tree.
            sr = hash_children(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if fr != *first_root {
        return Err(ProofError::FirstRootMismatch);
    }
    if sr != *second_root {
        return Err(ProofError::SecondRootMismatch);
    }
    Ok(())
}
