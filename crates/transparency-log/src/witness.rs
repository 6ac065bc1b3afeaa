//! The `add-checkpoint` call of c2sp.org/tlog-witness, both ways: the request body a log sends
//! ([`add_checkpoint_body`]) and the checks a witness makes before it cosigns
//! ([`parse_add_checkpoint`], [`check_add_checkpoint`]), each refusal with the HTTP status the
//! spec assigns to it. Transport and storage belong to the caller.
//!
//! The body is `old <size>\n`, zero to 63 base64 consistency-proof hashes each on its own line,
//! an empty line, then the checkpoint note (which may carry several signatures).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::checkpoint::{
    Checkpoint, CheckpointError, NoteVerifier, open_checkpoint, parse_decimal,
};
use crate::hash::{Hash, empty_root};
use crate::verify::verify_consistency;

/// Most consistency proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// Largest `add-checkpoint` body a witness reads, in bytes: far above a checkpoint with its
/// proof, and small enough that a flood of them costs nothing.
pub const MAX_ADD_CHECKPOINT_BYTES: usize = 64 * 1024;

/// Content type of the 409 answer, whose body is the witness's size and a newline.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// A parsed `add-checkpoint` request: nothing in it is trusted yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size the client believes the witness last cosigned.
    pub old_size: u64,
    /// Consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint note with its signatures.
    pub note: String,
}

/// Why a witness does not cosign, each with the status the spec gives it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400: the request is malformed, or the old size is above the checkpoint's size.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 403: no valid signature by a key the witness trusts for the origin.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: the witness does not know the checkpoint's origin.
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// 409: the old size is not the size the witness last cosigned (given here).
    #[error("the witness last cosigned size {0}")]
    Conflict(u64),
    /// 422: the checkpoint is not consistent with the one the witness cosigned last.
    #[error("inconsistent: {0}")]
    Unprocessable(String),
}

impl Refusal {
    /// The HTTP status of this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Forbidden(_) => 403,
            Self::UnknownOrigin(_) => 404,
            Self::Conflict(_) => 409,
            Self::Unprocessable(_) => 422,
        }
    }
}

/// The request body of `add-checkpoint`.
pub fn add_checkpoint_body(old_size: u64, proof: &[Hash], note: &str) -> String {
    let mut body = format!("old {old_size}\n");
    for hash in proof {
        body.push_str(&STANDARD.encode(hash));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(note);
    body
}

/// Parses an `add-checkpoint` body (at most [`MAX_ADD_CHECKPOINT_BYTES`]).
pub fn parse_add_checkpoint(body: &[u8]) -> Result<AddCheckpoint, Refusal> {
    let bad = |reason: &str| Refusal::BadRequest(reason.to_owned());
    if body.len() > MAX_ADD_CHECKPOINT_BYTES {
        return Err(bad("body too large"));
    }
    let body = std::str::from_utf8(body).map_err(|_| bad("body is not UTF-8"))?;
    let Some((head, note)) = body.split_once("\n\n") else {
        return Err(bad("no empty line before the checkpoint"));
    };
    let mut lines = head.split('\n');
    let old_line = lines.next().unwrap_or_default();
    let old_size = old_line
        .strip_prefix("old ")
        .ok_or_else(|| bad("the first line is not \"old <size>\""))
        .and_then(|digits| {
            parse_decimal(digits).map_err(|reason| bad(&format!("old size: {reason}")))
        })?;
    let mut proof = Vec::new();
    for line in lines {
        if proof.len() == MAX_PROOF_LINES {
            return Err(bad("more than 63 consistency proof lines"));
        }
        let hash = STANDARD
            .decode(line)
            .ok()
            .and_then(|raw| Hash::try_from(raw).ok())
            .ok_or_else(|| bad("a consistency proof line is not the base64 of 32 bytes"))?;
        proof.push(hash);
    }
    Ok(AddCheckpoint {
        old_size,
        proof,
        note: note.to_owned(),
    })
}

/// The origin line of a note, read before any signature is checked so that the witness knows
/// which keys to check it with.
pub fn note_origin(note: &str) -> Option<&str> {
    note.split_once('\n').map(|(origin, _)| origin)
}

/// The checks of `add-checkpoint` once the origin is known: `log` is the key the witness trusts
/// for it, `latest` the size and root it last cosigned for it. Returns the checkpoint to cosign;
/// the caller must store it as the latest, atomically with reading `latest`, before answering.
pub fn check_add_checkpoint(
    request: &AddCheckpoint,
    log: &NoteVerifier,
    latest: Option<(u64, Hash)>,
) -> Result<Checkpoint, Refusal> {
    let checkpoint = open_checkpoint(&request.note, log).map_err(|e| match e {
        CheckpointError::InvalidSignature { .. } | CheckpointError::NotSignedByKey { .. } => {
            Refusal::Forbidden(e.to_string())
        }
        other => Refusal::BadRequest(format!("checkpoint: {other}")),
    })?;
    if request.old_size > checkpoint.size {
        return Err(Refusal::BadRequest(format!(
            "old size {} is above the checkpoint's size {}",
            request.old_size, checkpoint.size
        )));
    }
    let (latest_size, latest_root) = latest.unwrap_or((0, empty_root()));
    if request.old_size != latest_size {
        return Err(Refusal::Conflict(latest_size));
    }
    if checkpoint.size == 0 && checkpoint.root != empty_root() {
        return Err(Refusal::Unprocessable(
            "a checkpoint of size 0 must have the empty tree's root".into(),
        ));
    }
    if request.old_size == 0 {
        if !request.proof.is_empty() {
            return Err(Refusal::Unprocessable(
                "the proof from size 0 must be empty".into(),
            ));
        }
        return Ok(checkpoint);
    }
    if request.old_size == checkpoint.size {
        if checkpoint.root != latest_root {
            return Err(Refusal::Unprocessable(format!(
                "a different root for size {} than the one cosigned",
                checkpoint.size
            )));
        }
        return Ok(checkpoint);
    }
    verify_consistency(
        request.old_size,
        checkpoint.size,
        &request.proof,
        &latest_root,
        &checkpoint.root,
    )
    .map_err(|e| {
        Refusal::Unprocessable(format!(
            "not consistent with the checkpoint of size {} cosigned before: {e}",
            request.old_size
        ))
    })?;
    Ok(checkpoint)
}

/// Parses a 409 answer's body: the witness's size and a newline.
pub fn parse_size_answer(body: &str) -> Option<u64> {
    body.strip_suffix('\n')
        .and_then(|digits| parse_decimal(digits).ok())
}
