//! Certificate-Transparency-style guarantees for an append-only event log:
//! RFC 9162 Merkle tree hashing, inclusion and consistency proofs, and signed
//! checkpoints in the C2SP signed-note format.
//!
//! This crate holds only the algorithms. It knows nothing of servers, storage
//! or transport: the log server supplies stored hashes through [`NodeSource`],
//! and clients verify proofs and checkpoints offline with [`verify_inclusion`],
//! [`verify_consistency`] and [`open_checkpoint`].
//!
//! # Hashing (RFC 9162 section 2.1.1)
//!
//! With `H` = SHA-256 and `D[a:b]` the entries `a..b` of the log:
//!
//! * leaf hash: `H(0x00 || entry)` ([`hash_leaf`]);
//! * interior node: `H(0x01 || left || right)` ([`hash_children`]);
//! * `MTH({}) = H("")` ([`empty_root`]), `MTH(D[i:i+1])` = leaf hash of entry
//!   `i`, and for `n > 1` entries `MTH(D[a:a+n]) = H(0x01 || MTH(D[a:a+k]) ||
//!   MTH(D[a+k:a+n]))` where `k` is the largest power of two strictly below `n`.
//!
//! The distinct prefixes keep a leaf from ever being mistaken for an interior
//! node.
//!
//! # Node addressing
//!
//! [`NodeId`] `{ level, index }` names the root of the perfect subtree covering
//! leaves `[index * 2^level, (index + 1) * 2^level)`; level 0 holds the leaf
//! hashes. Such a node is fixed once its last leaf is appended, so the server
//! stores each one exactly once ([`Frontier::append`] returns the ones an
//! append completes, amortised one per leaf). Any hash the proofs need,
//! `MTH(D[a:b])`, is the right fold of the perfect subtrees given by the set
//! bits of `b - a` (largest first, starting at `a`), so roots and proofs cost
//! O(log n) node reads and never rehash the log.
//!
//! # Proofs
//!
//! [`inclusion_proof`] returns the RFC 9162 section 2.1.3.1 audit path (RFC 6962
//! `PATH`), leaf's sibling first. [`consistency_proof`] returns the section
//! 2.1.4.1 proof (RFC 6962 `SUBPROOF(m, D[0:n], true)`), deepest node first;
//! it is empty when the sizes are equal or the first size is 0. Verification
//! follows sections 2.1.3.2 and 2.1.4.2 literally, after checking that the
//! proof has exactly the number of hashes those algorithms consume.
//!
//! # Checkpoints (c2sp.org/tlog-checkpoint in a c2sp.org/signed-note)
//!
//! The checkpoint body is
//!
//! ```text
//! <origin>\n
//! <tree size, decimal, no leading zeros>\n
//! <root hash, standard base64 with padding>\n
//! <extension line>\n        (zero or more, each non-empty, e.g. "time 1764400000")
//! ```
//!
//! The note is the body, an empty line, then one line per signer:
//! `— <key name> <base64(key ID || signature)>` and a newline, where `—` is
//! U+2014 EM DASH and each separator is a single space. The note must be UTF-8
//! with no control character other than newline; the last empty line
//! separates the body from the signatures. For Ed25519 the signature is over
//! the body bytes exactly (final newline included, separating empty line
//! excluded), and the key ID is the first four bytes, big-endian, of
//! `SHA-256(key name || "\n" || 0x01 || 32-byte public key)`. A verifier key
//! is published as `<name>+<key ID as 8 lowercase hex digits>+<base64(0x01 ||
//! public key)>`.
//!
//! Verifying: split at the last empty line; ignore signature lines from other
//! keys (a different name or key ID); reject the note if a line by the trusted
//! key fails the registry's Ed25519 rule (crate `ed25519-verify`; SECURITY.md,
//! "Ed25519 signatures"), or if none verifies; only then parse the
//! body, strictly. [`open_checkpoint`] also bounds input size
//! ([`MAX_NOTE_BYTES`], [`MAX_SIGNATURES`]). The caller must still check that
//! the origin is the log it expects and, for a newer checkpoint, that a
//! consistency proof links it to the one it already trusts.

#![warn(missing_docs)]

mod checkpoint;
mod cosignature;
mod hash;
mod tiles;
mod tree;
mod verify;
mod witness;

#[cfg(test)]
mod tests;

pub use checkpoint::{
    Checkpoint, CheckpointError, MAX_NOTE_BYTES, MAX_SIGNATURES, NoteVerifier, check_note_text,
    checkpoint_text, key_id, open_checkpoint, open_note, sign_checkpoint, sign_note, signed_note,
};
pub use cosignature::{
    COSIGNATURE_V1_ED25519, CosignatureVerifier, Cosigned, CosignerKey, MAX_COSIGNATURE_TIME,
    cosigned_message, cosigner_key_id, verify_cosignatures,
};
pub use hash::{Hash, empty_root, hash_children, hash_leaf};
pub use tiles::{
    BundleError, MAX_ENTRY_BYTES, MAX_TILE_LEVEL, MissingTile, TILE_HEIGHT, TILE_WIDTH, Tile,
    TileLevel, TilePathError, TileSet, TileSizeError, decode_entry_bundle, encode_entry_bundle,
    tiles_read_by,
};
pub use tree::{
    Frontier, MemoryTree, MissingNode, NodeId, NodeSource, TreeError, TreeFull, consistency_proof,
    inclusion_proof, nodes_completed_by_append, root_at,
};
pub use verify::{ProofError, root_from_inclusion_proof, verify_consistency, verify_inclusion};
pub use witness::{
    AddCheckpoint, MAX_ADD_CHECKPOINT_BYTES, MAX_PROOF_LINES, Refusal, SIZE_CONTENT_TYPE,
    add_checkpoint_body, check_add_checkpoint, note_origin, parse_add_checkpoint,
    parse_size_answer,
};

/// The signing and verifying key types this crate's API takes, re-exported so
/// callers use the same `ed25519-dalek` version.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
