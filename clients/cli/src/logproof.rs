//! The transparency log without the network: the proof files `log prove` writes, their
//! verification against checkpoints opened with a pinned key (`log verify`), and the monitor's
//! judgement of each new checkpoint (`log monitor`). Pure: notes, proofs and a key in, checks out.
//! Every hash, proof and signature is checked by the `transparency-log` crate; this module only
//! decides what is checked against what.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use transparency_log::{
    Checkpoint, Hash, NoteVerifier, VerifyingKey, hash_leaf, open_checkpoint, verify_consistency,
    verify_inclusion,
};

use crate::offline::Check;

/// `format` of an inclusion proof file.
pub const INCLUSION_FORMAT: &str = "provenance-log-inclusion/v1";

/// `format` of a consistency proof file.
pub const CONSISTENCY_FORMAT: &str = "provenance-log-consistency/v1";

/// An audit path, as the file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The leaf's index (its event's sequence minus one).
    pub leaf_index: u64,
    /// The tree the proof is against.
    pub tree_size: u64,
    /// The leaf's data: its event's chain hash.
    pub leaf_data: Vec<u8>,
    /// Sibling hashes from the leaf up.
    pub hashes: Vec<Hash>,
    /// The signed note of a checkpoint of `tree_size`, when the registry had one at hand.
    pub checkpoint: Option<String>,
}

impl InclusionProof {
    /// The file's JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "format": INCLUSION_FORMAT,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_data": hex::encode(&self.leaf_data),
            "hashes": hashes_json(&self.hashes),
            "checkpoint": self.checkpoint,
        })
    }

    /// Reads the file's JSON, whose `format` the caller has checked. The error says which field
    /// is wrong.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let checkpoint = match &value["checkpoint"] {
            Value::Null => None,
            Value::String(note) => Some(note.clone()),
            _ => return Err("`checkpoint` is neither a signed note nor null".into()),
        };
        Ok(Self {
            leaf_index: number(value, "leaf_index")?,
            tree_size: number(value, "tree_size")?,
            leaf_data: value["leaf_data"]
                .as_str()
                .ok_or("`leaf_data` is not a hex string")
                .and_then(|text| hex::decode(text).map_err(|_| "`leaf_data` is not hex"))?,
            hashes: hashes(value)?,
            checkpoint,
        })
    }
}

/// A consistency proof, as the file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// The older tree size.
    pub first_tree_size: u64,
    /// The newer tree size.
    pub second_tree_size: u64,
    /// The proof, in RFC 9162 order.
    pub hashes: Vec<Hash>,
}

impl ConsistencyProof {
    /// The file's JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "format": CONSISTENCY_FORMAT,
            "first_tree_size": self.first_tree_size,
            "second_tree_size": self.second_tree_size,
            "hashes": hashes_json(&self.hashes),
        })
    }

    /// Reads the file's JSON, whose `format` the caller has checked.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        Ok(Self {
            first_tree_size: number(value, "first_tree_size")?,
            second_tree_size: number(value, "second_tree_size")?,
            hashes: hashes(value)?,
        })
    }
}

fn hashes_json(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(hex::encode).collect()
}

fn number(value: &Value, field: &str) -> Result<u64, String> {
    value[field]
        .as_u64()
        .ok_or_else(|| format!("`{field}` is not a whole number"))
}

fn hashes(value: &Value) -> Result<Vec<Hash>, String> {
    let list = value["hashes"]
        .as_array()
        .ok_or("`hashes` is not a list of hex strings")?;
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_str()
                .and_then(|text| hex::decode(text).ok())
                .and_then(|bytes| to_hash(&bytes))
                .ok_or_else(|| format!("`hashes[{i}]` is not 32 bytes in hex"))
        })
        .collect()
}

/// The Ed25519 keys of a JWKS's entries with `"use": "log"`, each with its entry: the registry
/// lists its transparency log's key beside the certificate signing keys.
pub fn jwks_log_keys(jwks: &Value) -> Vec<(VerifyingKey, &Value)> {
    jwks["keys"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .filter(|k| k["use"] == "log")
                .filter_map(|jwk| {
                    let key = jwk["x"]
                        .as_str()
                        .and_then(|x| URL_SAFE_NO_PAD.decode(x).ok())
                        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())?;
                    Some((key, jwk))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// 32 bytes as a hash.
pub fn to_hash(bytes: &[u8]) -> Option<Hash> {
    bytes.try_into().ok()
}

/// A hash in standard base64, as checkpoints spell roots.
pub fn base64(hash: &Hash) -> String {
    STANDARD.encode(hash)
}

/// `<name>+<key id>`: enough to tell keys apart in messages.
pub fn key_label(verifier: &NoteVerifier) -> String {
    format!("{}+{:08x}", verifier.name(), verifier.key_id())
}

/// Opens a note with the pinned key and checks that it speaks for the key's log: the signature
/// alone does not say which log a checkpoint is of.
pub fn open_trusted(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint, String> {
    let checkpoint = open_checkpoint(note, verifier).map_err(|e| {
        format!(
            "does not verify with the pinned key {}: {e}",
            key_label(verifier)
        )
    })?;
    origin_matches(&checkpoint, verifier)?;
    Ok(checkpoint)
}

fn origin_matches(checkpoint: &Checkpoint, verifier: &NoteVerifier) -> Result<(), String> {
    if checkpoint.origin == verifier.name() {
        Ok(())
    } else {
        Err(format!(
            "it is a checkpoint of the log {:?}, but the pinned key is {:?}'s",
            checkpoint.origin,
            verifier.name()
        ))
    }
}

/// One line about a verified checkpoint: size, root, time.
pub fn describe(checkpoint: &Checkpoint) -> String {
    format!(
        "{} leaves, root {}",
        checkpoint.size,
        hex::encode(checkpoint.root)
    )
}

// ----- log verify --------------------------------------------------------------------------------

/// What `log verify` was given: note texts and proof files (already known to be of the right
/// `format`; their fields are judged here, so that a tampered file fails a check).
#[derive(Debug, Default)]
pub struct VerifyInput<'a> {
    /// The checkpoint, `--checkpoint`.
    pub checkpoint: Option<&'a str>,
    /// `--inclusion`.
    pub inclusion: Option<&'a Value>,
    /// `--consistency`.
    pub consistency: Option<&'a Value>,
    /// `--old-checkpoint`.
    pub old_checkpoint: Option<&'a str>,
}

/// The outcome of `log verify`.
#[derive(Debug)]
pub struct LogVerification {
    /// Every check made passed, and none was left unmade.
    pub verified: bool,
    /// The `--checkpoint`, when it verified.
    pub checkpoint: Option<Checkpoint>,
    /// The checks made, in order.
    pub checks: Vec<Check>,
    /// The checks that could not be made because one they rest on failed, and why.
    pub not_checked: Vec<Check>,
}

/// A checkpoint that verified, and what to call it in messages.
struct Trusted<'a> {
    label: &'a str,
    checkpoint: Checkpoint,
}

/// Verifies what was given against the pinned key. Each check runs when what it rests on
/// verified; the others are listed as not checked.
pub fn verify(verifier: &NoteVerifier, input: &VerifyInput) -> LogVerification {
    let mut checks = Vec::new();
    let mut not_checked = Vec::new();
    let mut trusted: Vec<Trusted> = Vec::new();

    // The checkpoint: its signature, then its origin.
    let mut new = None;
    if let Some(note) = input.checkpoint {
        match open_checkpoint(note, verifier) {
            Ok(checkpoint) => {
                checks.push(Check::new(
                    "checkpoint",
                    true,
                    format!(
                        "signed by {}: {}",
                        key_label(verifier),
                        describe(&checkpoint)
                    ),
                ));
                match origin_matches(&checkpoint, verifier) {
                    Ok(()) => {
                        checks.push(Check::new(
                            "origin",
                            true,
                            format!("{:?}, the pinned key's log", checkpoint.origin),
                        ));
                        new = Some(checkpoint.clone());
                        trusted.push(Trusted {
                            label: "the checkpoint",
                            checkpoint,
                        });
                    }
                    Err(why) => checks.push(Check::new("origin", false, why)),
                }
            }
            Err(e) => {
                checks.push(Check::new(
                    "checkpoint",
                    false,
                    format!(
                        "the note does not verify with the pinned key {}: {e}",
                        key_label(verifier)
                    ),
                ));
                not_checked.push(Check::new(
                    "origin",
                    false,
                    "not checked: the checkpoint did not verify",
                ));
            }
        }
    }

    // The old checkpoint and the consistency proof from it to the checkpoint.
    if let Some(note) = input.old_checkpoint {
        let old = match open_trusted(note, verifier) {
            Ok(old) => {
                checks.push(Check::new(
                    "old_checkpoint",
                    true,
                    format!("signed by {}: {}", key_label(verifier), describe(&old)),
                ));
                trusted.push(Trusted {
                    label: "the old checkpoint",
                    checkpoint: old.clone(),
                });
                Some(old)
            }
            Err(why) => {
                checks.push(Check::new(
                    "old_checkpoint",
                    false,
                    format!("the note {why}"),
                ));
                None
            }
        };
        if let Some(proof) = input.consistency {
            match (ConsistencyProof::from_json(proof), &old, &new) {
                (Err(why), _, _) => checks.push(Check::new(
                    "consistency",
                    false,
                    format!("the proof file is malformed: {why}"),
                )),
                (Ok(proof), Some(old), Some(new)) => {
                    checks.push(consistency_check(&proof, old, new))
                }
                (Ok(_), _, _) => not_checked.push(Check::new(
                    "consistency",
                    false,
                    "not checked: it needs both checkpoints verified",
                )),
            }
        }
    }

    // The inclusion proof, against the verified checkpoint of its tree size.
    if let Some(value) = input.inclusion {
        match InclusionProof::from_json(value) {
            Err(why) => checks.push(Check::new(
                "inclusion",
                false,
                format!("the proof file is malformed: {why}"),
            )),
            Ok(proof) => {
                if let Some(note) = &proof.checkpoint {
                    let (check, own) = proof_checkpoint_check(note, verifier, &trusted);
                    checks.push(check);
                    if let Some(own) = own {
                        trusted.push(Trusted {
                            label: "the proof's own checkpoint",
                            checkpoint: own,
                        });
                    }
                }
                if trusted.is_empty() {
                    not_checked.push(Check::new(
                        "inclusion",
                        false,
                        "not checked: no checkpoint verified",
                    ));
                } else {
                    checks.push(inclusion_check(&proof, &trusted));
                }
            }
        }
    }

    let verified = !checks.is_empty() && not_checked.is_empty() && checks.iter().all(|c| c.passed);
    LogVerification {
        verified,
        checkpoint: new,
        checks,
        not_checked,
    }
}

fn consistency_check(proof: &ConsistencyProof, old: &Checkpoint, new: &Checkpoint) -> Check {
    if (proof.first_tree_size, proof.second_tree_size) != (old.size, new.size) {
        let swapped = if old.size > new.size {
            " (the old checkpoint is the larger: are --checkpoint and --old-checkpoint swapped?)"
        } else {
            ""
        };
        return Check::new(
            "consistency",
            false,
            format!(
                "the proof links trees of {} and {} leaves, but the old checkpoint is of {} and the checkpoint of {}{swapped}",
                proof.first_tree_size, proof.second_tree_size, old.size, new.size
            ),
        );
    }
    match verify_consistency(old.size, new.size, &proof.hashes, &old.root, &new.root) {
        Ok(()) if old.size == new.size => Check::new(
            "consistency",
            true,
            format!(
                "both checkpoints are of the same tree of {} leaves",
                new.size
            ),
        ),
        Ok(()) => Check::new(
            "consistency",
            true,
            format!(
                "the tree of {} leaves is a prefix of the tree of {}: the log only grew",
                old.size, new.size
            ),
        ),
        Err(e) if old.size == new.size => Check::new(
            "consistency",
            false,
            format!(
                "{e}: two checkpoints of {} leaves, both signed by the log key, with different roots: the log is forked; keep both notes",
                new.size
            ),
        ),
        Err(e) => Check::new(
            "consistency",
            false,
            format!(
                "{e}: the checkpoints are not of one append-only log (a fork), or the proof was altered"
            ),
        ),
    }
}

/// The checkpoint a proof file carries: signed by the pinned key, and of the same root as any
/// checkpoint given of its size. Returned when it passes.
fn proof_checkpoint_check(
    note: &str,
    verifier: &NoteVerifier,
    trusted: &[Trusted],
) -> (Check, Option<Checkpoint>) {
    let own = match open_trusted(note, verifier) {
        Ok(own) => own,
        Err(why) => {
            let check = Check::new(
                "proof_checkpoint",
                false,
                format!("the checkpoint inside the proof file {why}"),
            );
            return (check, None);
        }
    };
    if let Some(other) = trusted
        .iter()
        .find(|t| t.checkpoint.size == own.size && t.checkpoint.root != own.root)
    {
        let check = Check::new(
            "proof_checkpoint",
            false,
            format!(
                "the proof's checkpoint and {} are both of {} leaves and signed by the log key, with different roots: the log is forked; keep both notes",
                other.label, own.size
            ),
        );
        return (check, None);
    }
    let check = Check::new(
        "proof_checkpoint",
        true,
        format!("signed by {}: {}", key_label(verifier), describe(&own)),
    );
    (check, Some(own))
}

fn inclusion_check(proof: &InclusionProof, trusted: &[Trusted]) -> Check {
    let Some(against) = trusted
        .iter()
        .find(|t| t.checkpoint.size == proof.tree_size)
    else {
        let sizes: Vec<String> = trusted
            .iter()
            .map(|t| format!("{} is of {}", t.label, t.checkpoint.size))
            .collect();
        return Check::new(
            "inclusion",
            false,
            format!(
                "the proof is for the tree of {} leaves, but no verified checkpoint is of that size ({}); fetch one against a checkpoint you hold with `provctl log prove ... --tree-size N`",
                proof.tree_size,
                sizes.join(", ")
            ),
        );
    };
    let leaf = hash_leaf(&proof.leaf_data);
    let root = &against.checkpoint.root;
    match verify_inclusion(
        &leaf,
        proof.leaf_index,
        proof.tree_size,
        &proof.hashes,
        root,
    ) {
        Ok(()) => Check::new(
            "inclusion",
            true,
            format!(
                "leaf {} (event {}, data {}) is in the tree of {} leaves of {}",
                proof.leaf_index,
                proof.leaf_index.saturating_add(1),
                hex::encode(&proof.leaf_data),
                proof.tree_size,
                against.label
            ),
        ),
        Err(e) => Check::new(
            "inclusion",
            false,
            format!(
                "{e}: leaf {} with this data is not in the tree of {}, or the proof was altered",
                proof.leaf_index, against.label
            ),
        ),
    }
}

// ----- log monitor -------------------------------------------------------------------------------

/// What a monitor raises the alarm for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmKind {
    /// Two checkpoints, both signed by the log key, that no append-only log can have produced.
    Fork,
    /// A checkpoint that cannot be trusted: not signed by the pinned key, of another log, or
    /// smaller than one already verified.
    Rejected,
}

impl fmt::Display for AlarmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fork => "FORK DETECTED",
            Self::Rejected => "CHECKPOINT REJECTED",
        })
    }
}

/// Why the monitor stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// Fork or rejection.
    pub kind: AlarmKind,
    /// What was found.
    pub reason: String,
}

impl Alarm {
    /// A fork: two signed checkpoints no append-only log can have produced.
    pub fn fork(reason: impl Into<String>) -> Self {
        Self {
            kind: AlarmKind::Fork,
            reason: reason.into(),
        }
    }

    /// A checkpoint that cannot be trusted.
    pub fn rejected(reason: impl Into<String>) -> Self {
        Self {
            kind: AlarmKind::Rejected,
            reason: reason.into(),
        }
    }
}

/// How a new, verified checkpoint stands to the last one verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The same tree. `resigned` when the note differs (another time line): the registry
    /// promises one note per size, but the tree is the same.
    Same {
        /// The note differs from the one kept.
        resigned: bool,
    },
    /// A larger tree: a consistency proof from the last size must link them.
    Grown,
}

/// Opens a note the registry answered with the pinned key.
pub fn open_new(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint, Alarm> {
    open_trusted(note, verifier)
        .map_err(|why| Alarm::rejected(format!("the registry's newest checkpoint {why}")))
}

/// How `new` stands to `last`, or the alarm it raises without any proof: the same size with
/// another root is a fork, a smaller size a log that shrank.
pub fn step(last: (&Checkpoint, &str), new: (&Checkpoint, &str)) -> Result<Step, Alarm> {
    let ((last, last_note), (new, new_note)) = (last, new);
    if new.size == last.size {
        if new.root != last.root {
            return Err(Alarm::fork(format!(
                "two checkpoints of {} leaves, both signed by the log key, with different roots",
                new.size
            )));
        }
        return Ok(Step::Same {
            resigned: new_note != last_note,
        });
    }
    if new.size < last.size {
        return Err(Alarm::rejected(format!(
            "the registry's newest checkpoint is of {} leaves, fewer than the {} already verified: an append-only log never shrinks (a rollback, or another view of the log)",
            new.size, last.size
        )));
    }
    Ok(Step::Grown)
}

/// Checks the consistency proof the registry gave from `last` to `new`, hashes as received.
pub fn check_growth(
    last: &Checkpoint,
    new: &Checkpoint,
    proof_sizes: (u64, u64),
    hashes: &[Vec<u8>],
) -> Result<(), Alarm> {
    if proof_sizes != (last.size, new.size) {
        return Err(Alarm::fork(format!(
            "asked for a consistency proof from {} to {} leaves, the registry answered one from {} to {}",
            last.size, new.size, proof_sizes.0, proof_sizes.1
        )));
    }
    let Some(hashes) = hashes
        .iter()
        .map(|h| to_hash(h))
        .collect::<Option<Vec<Hash>>>()
    else {
        return Err(Alarm::fork(
            "the registry's consistency proof holds a hash that is not 32 bytes",
        ));
    };
    verify_consistency(last.size, new.size, &hashes, &last.root, &new.root).map_err(|e| {
        Alarm::fork(format!(
            "the consistency proof from {} to {} leaves does not verify ({e}): the new checkpoint does not extend the one verified before",
            last.size, new.size
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use transparency_log::{
        MemoryTree, SigningKey, consistency_proof, inclusion_proof, sign_checkpoint,
    };

    const ORIGIN: &str = "registry.test/log";

    struct Log {
        key: SigningKey,
        tree: MemoryTree,
        leaves: Vec<[u8; 32]>,
    }

    impl Log {
        fn new(seed: u8, size: u8) -> Self {
            let mut log = Self {
                key: SigningKey::from_bytes(&[seed; 32]),
                tree: MemoryTree::new(),
                leaves: Vec::new(),
            };
            log.grow(size);
            log
        }

        fn grow(&mut self, by: u8) {
            for _ in 0..by {
                let data = [self.leaves.len() as u8 + 1; 32];
                self.tree.append(hash_leaf(&data)).expect("room for a leaf");
                self.leaves.push(data);
            }
        }

        fn verifier(&self) -> NoteVerifier {
            NoteVerifier::new(ORIGIN, self.key.verifying_key()).expect("a valid key")
        }

        fn note(&self) -> String {
            self.note_with(self.tree.root(), "time 1764400000")
        }

        fn note_with(&self, root: Hash, time: &str) -> String {
            let checkpoint = Checkpoint {
                origin: ORIGIN.into(),
                size: self.tree.size(),
                root,
                extensions: vec![time.into()],
            };
            sign_checkpoint(&checkpoint, ORIGIN, &self.key).expect("a valid checkpoint")
        }

        fn inclusion(&self, index: u64) -> Value {
            let hashes = inclusion_proof(index, self.tree.size(), &self.tree).expect("a proof");
            InclusionProof {
                leaf_index: index,
                tree_size: self.tree.size(),
                leaf_data: self.leaves[index as usize].to_vec(),
                hashes,
                checkpoint: None,
            }
            .to_json()
        }

        fn consistency(&self, first: u64) -> Value {
            let second = self.tree.size();
            let hashes = consistency_proof(first, second, &self.tree).expect("a proof");
            ConsistencyProof {
                first_tree_size: first,
                second_tree_size: second,
                hashes,
            }
            .to_json()
        }
    }

    fn failed(verification: &LogVerification) -> Vec<&str> {
        verification
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name.as_ref())
            .collect()
    }

    #[test]
    fn proof_files_round_trip() {
        let log = Log::new(1, 5);
        let value = log.inclusion(2);
        assert_eq!(value["format"], INCLUSION_FORMAT);
        let proof = InclusionProof::from_json(&value).expect("a valid file");
        assert_eq!(proof.to_json(), value);
        let value = log.consistency(3);
        let proof = ConsistencyProof::from_json(&value).expect("a valid file");
        assert_eq!(proof.to_json(), value);
        let mut bad = value.clone();
        bad["hashes"][0] = json!("abcd");
        assert!(
            ConsistencyProof::from_json(&bad)
                .unwrap_err()
                .contains("hashes[0]")
        );
    }

    #[test]
    fn everything_verifies() {
        let mut log = Log::new(1, 5);
        let old = log.note();
        let inclusion = log.inclusion(1);
        log.grow(4);
        let new = log.note();
        let consistency = log.consistency(5);
        let verification = verify(
            &log.verifier(),
            &VerifyInput {
                checkpoint: Some(&new),
                inclusion: Some(&inclusion),
                consistency: Some(&consistency),
                old_checkpoint: Some(&old),
            },
        );
        assert!(verification.verified, "{:?}", verification.checks);
        let names: Vec<&str> = verification
            .checks
            .iter()
            .map(|c| c.name.as_ref())
            .collect();
        assert_eq!(
            names,
            [
                "checkpoint",
                "origin",
                "old_checkpoint",
                "consistency",
                "inclusion"
            ]
        );
        // The proof is of the old tree: it is checked against the old checkpoint.
        assert!(verification.checks[4].detail.contains("the old checkpoint"));
    }

    #[test]
    fn a_proof_carrying_its_checkpoint_needs_no_other() {
        let log = Log::new(1, 6);
        let mut inclusion = log.inclusion(5);
        inclusion["checkpoint"] = json!(log.note());
        let verification = verify(
            &log.verifier(),
            &VerifyInput {
                inclusion: Some(&inclusion),
                ..VerifyInput::default()
            },
        );
        assert!(verification.verified, "{:?}", verification.checks);
        assert!(verification.checks[1].detail.contains("proof's own"));
    }

    #[test]
    fn tampering_fails_the_check_it_touches() {
        let log = Log::new(1, 7);
        let note = log.note();
        let mut inclusion = log.inclusion(3);
        let hash = inclusion["hashes"][0].as_str().expect("hex").to_owned();
        let flipped = format!(
            "{}{}",
            if hash.starts_with('0') { '1' } else { '0' },
            &hash[1..]
        );
        inclusion["hashes"][0] = json!(flipped);
        let input = VerifyInput {
            checkpoint: Some(&note),
            inclusion: Some(&inclusion),
            ..VerifyInput::default()
        };
        let verification = verify(&log.verifier(), &input);
        assert!(!verification.verified);
        assert_eq!(failed(&verification), ["inclusion"]);

        let mut other_leaf = log.inclusion(3);
        other_leaf["leaf_data"] = json!(hex::encode([9u8; 32]));
        let input = VerifyInput {
            checkpoint: Some(&note),
            inclusion: Some(&other_leaf),
            ..VerifyInput::default()
        };
        assert_eq!(failed(&verify(&log.verifier(), &input)), ["inclusion"]);
    }

    #[test]
    fn another_key_or_log_is_refused() {
        let log = Log::new(1, 3);
        let note = log.note();
        let stranger = Log::new(2, 3);
        let verification = verify(
            &stranger.verifier(),
            &VerifyInput {
                checkpoint: Some(&note),
                inclusion: Some(&log.inclusion(0)),
                ..VerifyInput::default()
            },
        );
        assert!(!verification.verified);
        assert_eq!(failed(&verification), ["checkpoint"]);
        let not_checked: Vec<&str> = verification
            .not_checked
            .iter()
            .map(|c| c.name.as_ref())
            .collect();
        assert_eq!(not_checked, ["origin", "inclusion"]);

        // The key's name must be the checkpoint's origin.
        let other_name =
            NoteVerifier::new("elsewhere/log", log.key.verifying_key()).expect("a valid key");
        let renamed = sign_checkpoint(
            &Checkpoint {
                origin: ORIGIN.into(),
                size: 3,
                root: log.tree.root(),
                extensions: Vec::new(),
            },
            "elsewhere/log",
            &log.key,
        )
        .expect("a valid checkpoint");
        let verification = verify(
            &other_name,
            &VerifyInput {
                checkpoint: Some(&renamed),
                ..VerifyInput::default()
            },
        );
        assert_eq!(failed(&verification), ["origin"]);
    }

    #[test]
    fn swapped_or_forked_checkpoints_fail_consistency() {
        let mut log = Log::new(1, 4);
        let old = log.note();
        log.grow(3);
        let new = log.note();
        let consistency = log.consistency(4);
        let swapped = verify(
            &log.verifier(),
            &VerifyInput {
                checkpoint: Some(&old),
                consistency: Some(&consistency),
                old_checkpoint: Some(&new),
                ..VerifyInput::default()
            },
        );
        assert_eq!(failed(&swapped), ["consistency"]);
        assert!(
            swapped
                .checks
                .last()
                .is_some_and(|c| c.detail.contains("swapped"))
        );

        // Same size, another root, both signed: a fork.
        let fork = log.note_with([7; 32], "time 1764400001");
        let forked = verify(
            &log.verifier(),
            &VerifyInput {
                checkpoint: Some(&fork),
                consistency: Some(&log.consistency(4)),
                old_checkpoint: Some(&old),
                ..VerifyInput::default()
            },
        );
        assert_eq!(failed(&forked), ["consistency"]);
    }

    #[test]
    fn the_monitor_follows_growth_and_catches_forks() {
        let mut log = Log::new(3, 5);
        let verifier = log.verifier();
        let first_note = log.note();
        let first = open_new(&first_note, &verifier).expect("signed by the key");
        log.grow(6);
        let grown_note = log.note();
        let grown = open_new(&grown_note, &verifier).expect("signed by the key");
        assert_eq!(
            step((&first, &first_note), (&grown, &grown_note)),
            Ok(Step::Grown)
        );
        let proof = consistency_proof(5, 11, &log.tree).expect("a proof");
        let proof: Vec<Vec<u8>> = proof.iter().map(|h| h.to_vec()).collect();
        assert_eq!(check_growth(&first, &grown, (5, 11), &proof), Ok(()));

        // A proof that does not link them, or links other sizes.
        let mut bad = proof.clone();
        bad[0][0] ^= 1;
        let alarm = check_growth(&first, &grown, (5, 11), &bad).expect_err("altered");
        assert_eq!(alarm.kind, AlarmKind::Fork);
        let alarm = check_growth(&first, &grown, (4, 11), &proof).expect_err("other sizes");
        assert_eq!(alarm.kind, AlarmKind::Fork);

        // The same size: unchanged, re-signed, or forked.
        assert_eq!(
            step((&grown, &grown_note), (&grown, &grown_note)),
            Ok(Step::Same { resigned: false })
        );
        let resigned = log.note_with(log.tree.root(), "time 1764400009");
        assert_eq!(
            step((&grown, &grown_note), (&grown, &resigned)),
            Ok(Step::Same { resigned: true })
        );
        let fork_note = log.note_with([1; 32], "time 1764400009");
        let fork = open_new(&fork_note, &verifier).expect("signed by the key");
        let alarm = step((&grown, &grown_note), (&fork, &fork_note)).expect_err("a fork");
        assert_eq!(alarm.kind, AlarmKind::Fork);
        assert_eq!(alarm.kind.to_string(), "FORK DETECTED");

        // Smaller than before, or signed by another key.
        let alarm = step((&grown, &grown_note), (&first, &first_note)).expect_err("shrank");
        assert_eq!(alarm.kind, AlarmKind::Rejected);
        let stranger = Log::new(4, 5).note();
        let alarm = open_new(&stranger, &verifier).expect_err("another key");
        assert_eq!(alarm.kind, AlarmKind::Rejected);
        assert_eq!(alarm.kind.to_string(), "CHECKPOINT REJECTED");
    }
}
