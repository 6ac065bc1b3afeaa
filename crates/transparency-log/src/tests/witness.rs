//! Cosignatures (c2sp.org/tlog-cosignature) and the witness's `add-checkpoint` checks
//! (c2sp.org/tlog-witness), each refusal with the status the spec gives it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::Signer;
use sha2::{Digest, Sha256};

use crate::*;

const ORIGIN: &str = "registry.example/log";
const WITNESS: &str = "witness.example/w1";

fn log_key() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

fn log_verifier() -> NoteVerifier {
    NoteVerifier::new(ORIGIN, log_key().verifying_key()).unwrap()
}

fn witness_key() -> CosignerKey {
    CosignerKey::new(WITNESS, SigningKey::from_bytes(&[3; 32])).unwrap()
}

fn tree(size: u64) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for i in 0..size {
        tree.append(hash_leaf(format!("leaf {i}").as_bytes()))
            .unwrap();
    }
    tree
}

fn note_of(tree: &MemoryTree) -> String {
    let checkpoint = Checkpoint {
        origin: ORIGIN.into(),
        size: tree.size(),
        root: tree.root(),
        extensions: vec![],
    };
    sign_checkpoint(&checkpoint, ORIGIN, &log_key()).unwrap()
}

fn request(old_size: u64, tree: &MemoryTree) -> AddCheckpoint {
    let proof = if old_size == 0 || old_size > tree.size() {
        vec![]
    } else {
        consistency_proof(old_size, tree.size(), tree).unwrap()
    };
    parse_add_checkpoint(add_checkpoint_body(old_size, &proof, &note_of(tree)).as_bytes()).unwrap()
}

#[test]
fn cosignature_is_built_as_the_spec_says() {
    let key = witness_key();
    let body = "registry.example/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    let line = key.cosign(body, 1_679_315_147).unwrap();
    let encoded = line
        .strip_prefix("\u{2014} witness.example/w1 ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap();
    let raw = STANDARD.decode(encoded).unwrap();
    assert_eq!(raw.len(), 4 + 8 + 64);
    // Key ID: SHA-256(name || "\n" || 0x04 || public key)[:4].
    let public = SigningKey::from_bytes(&[3; 32]).verifying_key();
    let mut hasher = Sha256::new();
    hasher.update(b"witness.example/w1\n\x04");
    hasher.update(public.as_bytes());
    assert_eq!(raw[..4], hasher.finalize()[..4]);
    assert_eq!(raw[4..12], 1_679_315_147u64.to_be_bytes());
    // The signature is over the header line, the time line and the body.
    let message = format!("cosignature/v1\ntime 1679315147\n{body}");
    let expected = SigningKey::from_bytes(&[3; 32]).sign(message.as_bytes());
    assert_eq!(raw[12..], expected.to_bytes());
    // The vkey round-trips, with type 0x04.
    let vkey = key.verifier().vkey();
    assert!(vkey.starts_with("witness.example/w1+"));
    assert_eq!(
        CosignatureVerifier::from_vkey(&vkey).unwrap(),
        key.verifier()
    );
    let raw_key = STANDARD
        .decode(vkey.splitn(3, '+').nth(2).unwrap())
        .unwrap();
    assert_eq!(raw_key[0], 0x04);
    // Zero and too-large timestamps are refused.
    assert!(key.cosign(body, 0).is_err());
    assert!(key.cosign(body, 1 << 63).is_err());
}

#[test]
fn cosignatures_verify_and_bad_ones_reject_the_note() {
    let note = note_of(&tree(5));
    let body = note.split_once("\n\n").unwrap().0.to_owned() + "\n";
    let line = witness_key().cosign(&body, 1_700_000_000).unwrap();
    let cosigned = format!("{note}{line}");
    let other = CosignerKey::new("other.example", SigningKey::from_bytes(&[4; 32])).unwrap();
    let verifiers = [other.verifier(), witness_key().verifier()];
    let (text, found) = verify_cosignatures(&cosigned, &verifiers).unwrap();
    assert_eq!(text, body);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].verifier, found[0].timestamp), (1, 1_700_000_000));
    assert_eq!(format!("{}\n", found[0].line), line);
    // The log's signature still verifies with the cosignature appended.
    assert_eq!(open_checkpoint(&cosigned, &log_verifier()).unwrap().size, 5);
    // No cosignature: nothing found, no error.
    assert!(verify_cosignatures(&note, &verifiers).unwrap().1.is_empty());
    // A cosignature moved onto another checkpoint does not verify.
    let moved = format!("{}{line}", note_of(&tree(6)));
    assert!(matches!(
        verify_cosignatures(&moved, &verifiers),
        Err(CheckpointError::InvalidSignature { .. })
    ));
    // A plain note signature by the same key and name is not a cosignature (other key ID).
    let plain = sign_note(&body, WITNESS, &SigningKey::from_bytes(&[3; 32])).unwrap();
    let plain_line = plain.rsplit_once("\n\n").unwrap().1;
    assert!(
        verify_cosignatures(&format!("{note}{plain_line}"), &verifiers)
            .unwrap()
            .1
            .is_empty()
    );
}

#[test]
fn witness_cosigns_a_growing_log_and_refuses_what_the_spec_refuses() {
    let log = log_verifier();
    // First contact: old size 0, no proof.
    let first = check_add_checkpoint(&request(0, &tree(3)), &log, None).unwrap();
    let latest = Some((3, first.root));
    // Growth with a proof from the size cosigned.
    let grown = check_add_checkpoint(&request(3, &tree(8)), &log, latest).unwrap();
    assert_eq!(grown.size, 8);
    // The same checkpoint again is fine.
    check_add_checkpoint(&request(3, &tree(3)), &log, latest).unwrap();
    // 409 when the old size is not the witness's.
    assert_eq!(
        check_add_checkpoint(&request(0, &tree(8)), &log, latest),
        Err(Refusal::Conflict(3))
    );
    // 400 when the old size is above the checkpoint's.
    assert_eq!(
        check_add_checkpoint(&request(9, &tree(8)), &log, latest)
            .unwrap_err()
            .status(),
        400
    );
    // 422 for a fork: another history from the same 3 leaves, grown past the 8 cosigned.
    let mut fork = tree(3);
    for i in 0..7 {
        fork.append(hash_leaf(format!("other {i}").as_bytes()))
            .unwrap();
    }
    let refusal = check_add_checkpoint(&request(8, &fork), &log, Some((8, tree(8).root())));
    assert_eq!(refusal.unwrap_err().status(), 422);
    // 422 for the same size with another root.
    let other = check_add_checkpoint(&request(10, &fork), &log, Some((10, tree(10).root())));
    assert_eq!(other.unwrap_err().status(), 422);
    // 422 for a proof from size 0.
    let mut from_zero = request(0, &tree(3));
    from_zero.proof.push([0; 32]);
    assert_eq!(
        check_add_checkpoint(&from_zero, &log, None)
            .unwrap_err()
            .status(),
        422
    );
    // 403 without the log's signature.
    let stranger = NoteVerifier::new(ORIGIN, SigningKey::from_bytes(&[9; 32]).verifying_key());
    assert_eq!(
        check_add_checkpoint(&request(0, &tree(3)), &stranger.unwrap(), None)
            .unwrap_err()
            .status(),
        403
    );
}

#[test]
fn malformed_bodies_are_bad_requests() {
    let note = note_of(&tree(2));
    for body in [
        format!("old 01\n\n{note}"),
        format!("new 1\n\n{note}"),
        format!("old 1\nnot base64\n\n{note}"),
        format!("old 1\n{note}"),
        format!(
            "old 1\n{}\n{note}",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n".repeat(64)
        ),
    ] {
        let refusal = parse_add_checkpoint(body.as_bytes()).unwrap_err();
        assert_eq!(refusal.status(), 400, "{body:?}");
    }
    let huge = vec![b'a'; MAX_ADD_CHECKPOINT_BYTES + 1];
    assert_eq!(parse_add_checkpoint(&huge).unwrap_err().status(), 400);
    assert_eq!(note_origin(&note), Some(ORIGIN));
    assert_eq!(parse_size_answer("42\n"), Some(42));
    assert_eq!(parse_size_answer("042\n"), None);
}
