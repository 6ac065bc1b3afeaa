//! `provctl log checkpoint|key|prove|verify|monitor|leaves`.
//!
//! The log's calls need no token (`prove --certificate` reads the certificate, which does), and
//! `verify` does not connect at all. What the registry answers is checked before it is printed or
//! written, against the key the registry names for itself: that catches a broken answer, not a
//! lying registry. Trust comes only from a pinned key, in `verify` and `monitor`.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use provenance_api::v1 as pb;
use provenance_api::v1::get_inclusion_proof_request::Leaf;
use serde_json::{Value, json};
use tonic::Code;
use transparency_log::{
    Checkpoint, MAX_NOTE_BYTES, NoteVerifier, hash_leaf, open_checkpoint, verify_consistency,
    verify_inclusion,
};

use super::{pretty, print_lines, write_file};
use crate::cli::{LogCommand, LogVerifyArgs, MonitorArgs, ProveArgs};
use crate::client::Connection;
use crate::config::Settings;
use crate::error::{CliError, exit};
use crate::logproof::{
    self, Alarm, CONSISTENCY_FORMAT, ConsistencyProof, INCLUSION_FORMAT, InclusionProof,
    LogVerification, Step, VerifyInput, base64, describe, key_label, to_hash,
};
use crate::output::{Printer, format_time, message_json};
use crate::tiles::Mirror;

/// The largest proof or key file read: a proof holds at most 64 hashes of 32 bytes.
const MAX_PROOF_BYTES: u64 = 1 << 20;

/// Runs one `log` subcommand; the exit code tells `verify`'s and `monitor`'s outcome.
pub async fn run(
    global: &Settings,
    command: LogCommand,
    out: &mut Printer,
) -> Result<u8, CliError> {
    match command {
        LogCommand::Checkpoint {
            out: file,
            tiles: Some(url),
            key: Some(key),
        } => {
            let mirror = Mirror::parse(&url)?;
            let note = mirror.checkpoint().await?;
            let (verifier, _) = read_key(&key)?;
            let checkpoint = open_checkpoint(&note, &verifier).map_err(|e| {
                CliError::BadAnswer(format!(
                    "the checkpoint at {} does not verify with the pinned key {}: {e}",
                    mirror.describe(),
                    key_label(&verifier)
                ))
            })?;
            let newest = Newest {
                note,
                checkpoint,
                verifier_key: verifier.vkey(),
            };
            print_checkpoint(newest, file.as_deref(), out)?;
        }
        LogCommand::Checkpoint { out: file, .. } => {
            checkpoint(
                &Connection::open_public(global).await?,
                file.as_deref(),
                out,
            )
            .await?;
        }
        LogCommand::Key { out: file } => {
            key(
                &Connection::open_public(global).await?,
                file.as_deref(),
                out,
            )
            .await?;
        }
        LogCommand::Prove(args) => prove(global, args, out).await?,
        LogCommand::Verify(args) => return verify(&args, out),
        LogCommand::Monitor(args) => return monitor(global, args, out).await,
        LogCommand::Leaves {
            start,
            count,
            tiles: Some(url),
        } => mirror_leaves(&Mirror::parse(&url)?, start, count, out).await?,
        LogCommand::Leaves { start, count, .. } => {
            leaves(&Connection::open_public(global).await?, start, count, out).await?;
        }
    }
    Ok(exit::SUCCESS)
}

// ----- checkpoint --------------------------------------------------------------------------------

/// The registry's newest checkpoint, opened with the key the registry names in the same answer.
struct Newest {
    note: String,
    checkpoint: Checkpoint,
    /// The key the registry names, which opened it.
    verifier_key: String,
}

async fn newest_checkpoint(conn: &Connection) -> Result<Newest, CliError> {
    let answer = conn
        .log()
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let verifier = NoteVerifier::from_vkey(&answer.verifier_key).map_err(|e| {
        CliError::BadAnswer(format!("the checkpoint's verifier_key is not a key: {e}"))
    })?;
    let checkpoint = open_checkpoint(&answer.note, &verifier).map_err(|e| {
        CliError::BadAnswer(format!(
            "the checkpoint does not verify with the key the registry names ({}): {e}",
            key_label(&verifier)
        ))
    })?;
    if checkpoint.size != answer.tree_size
        || checkpoint.root.as_slice() != answer.root_hash.as_slice()
        || checkpoint.origin != answer.origin
    {
        return Err(CliError::BadAnswer(
            "the checkpoint's fields disagree with its signed note".into(),
        ));
    }
    Ok(Newest {
        note: answer.note,
        checkpoint,
        verifier_key: answer.verifier_key,
    })
}

/// The time a checkpoint's note states, if any.
fn checkpoint_timestamp(checkpoint: &Checkpoint) -> Option<provenance_api::wkt::Timestamp> {
    let seconds = i64::try_from(checkpoint.time()?).ok()?;
    Some(provenance_api::wkt::Timestamp { seconds, nanos: 0 })
}

/// The `time` line of a checkpoint, as the other times are printed.
fn checkpoint_time(checkpoint: &Checkpoint) -> Option<String> {
    checkpoint_timestamp(checkpoint).map(|t| format_time(&t))
}

/// A checkpoint as the API's `Checkpoint` message in the mapping, from what its signed note states
/// (origin, tree size, root, time), with the note and the key that opened it when given, and
/// `rootHashHex` (provctl's own): the root as text lines and proof files write it.
fn checkpoint_json(
    checkpoint: &Checkpoint,
    note: Option<&str>,
    verifier_key: Option<&str>,
) -> Result<Value, CliError> {
    let mut value = message_json(&pb::Checkpoint {
        note: note.unwrap_or_default().to_owned(),
        origin: checkpoint.origin.clone(),
        tree_size: checkpoint.size,
        root_hash: checkpoint.root.to_vec(),
        time: checkpoint_timestamp(checkpoint),
        verifier_key: verifier_key.unwrap_or_default().to_owned(),
    })?;
    value["rootHashHex"] = json!(hex::encode(checkpoint.root));
    Ok(value)
}

async fn checkpoint(
    conn: &Connection,
    file: Option<&Path>,
    out: &mut Printer,
) -> Result<(), CliError> {
    print_checkpoint(newest_checkpoint(conn).await?, file, out)
}

/// Prints a verified checkpoint, and writes its note to `file`.
fn print_checkpoint(
    newest: Newest,
    file: Option<&Path>,
    out: &mut Printer,
) -> Result<(), CliError> {
    let Newest {
        note,
        checkpoint,
        verifier_key,
    } = newest;
    if let Some(path) = file {
        // Exactly as signed: one changed byte and the signature no longer verifies.
        write_file(path, &note)?;
    }
    if out.is_json() {
        out.json(&checkpoint_json(
            &checkpoint,
            Some(&note),
            Some(&verifier_key),
        )?)?;
    } else {
        print_lines(
            out,
            vec![
                format!("origin:       {}", checkpoint.origin),
                format!("size:         {} leaves", checkpoint.size),
                format!("root:         {}", hex::encode(checkpoint.root)),
                format!("root base64:  {}", base64(&checkpoint.root)),
                format!(
                    "time:         {}",
                    checkpoint_time(&checkpoint).unwrap_or_else(|| "-".into())
                ),
            ],
        )?;
        if let Some(path) = file {
            eprintln!(
                "wrote the signed checkpoint to {}; verify it offline with `provctl log verify --key LOG_KEY --checkpoint {}` (pin LOG_KEY with `provctl log key --out FILE`)",
                path.display(),
                path.display()
            );
        }
    }
    Ok(())
}

// ----- leaves ------------------------------------------------------------------------------------

async fn leaves(
    conn: &Connection,
    start: u64,
    count: u32,
    out: &mut Printer,
) -> Result<(), CliError> {
    let answer = conn
        .log()
        .get_leaves(pb::GetLeavesRequest { start, count })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    print_leaves(&answer, start, out)
}

fn print_leaves(
    answer: &pb::GetLeavesResponse,
    start: u64,
    out: &mut Printer,
) -> Result<(), CliError> {
    if out.is_json() {
        // The answer, with provctl's own: the index asked for, and each leaf's event sequence, and
        // its data and leaf hash in hex, as events and proof files write hashes.
        let mut value = message_json(answer)?;
        value["start"] = json!(start.to_string());
        if let Some(leaves) = value.get_mut("leaves").and_then(Value::as_array_mut) {
            for (fields, leaf) in leaves.iter_mut().zip(&answer.leaves) {
                fields["eventSequence"] = json!((leaf.index + 1).to_string());
                fields["dataHex"] = json!(hex::encode(&leaf.data));
                fields["leafHashHex"] = json!(hex::encode(hash_leaf(&leaf.data)));
            }
        }
        out.json(&value)?;
    } else {
        for leaf in &answer.leaves {
            out.line(format!(
                "{:>8}  {}  (event {})",
                leaf.index,
                hex::encode(&leaf.data),
                leaf.index + 1
            ))?;
        }
        if answer.leaves.is_empty() {
            eprintln!("no leaves from index {start}: the log is smaller");
        }
    }
    Ok(())
}

/// `log leaves --tiles URL`: the same leaves, read from the mirror's entry bundles up to the size
/// its checkpoint states (leaves are data, checked by whoever rebuilds the tree from them).
async fn mirror_leaves(
    mirror: &Mirror,
    start: u64,
    count: u32,
    out: &mut Printer,
) -> Result<(), CliError> {
    let note = mirror.checkpoint().await?;
    let size = note
        .lines()
        .nth(1)
        .and_then(|line| line.parse::<u64>().ok())
        .ok_or_else(|| {
            CliError::BadAnswer(format!(
                "{}/checkpoint has no tree size on its second line",
                mirror.describe()
            ))
        })?;
    let data = mirror.leaves(start, u64::from(count), size).await?;
    let answer = pb::GetLeavesResponse {
        leaves: data
            .into_iter()
            .zip(start..)
            .map(|(data, index)| pb::Leaf { index, data })
            .collect(),
    };
    print_leaves(&answer, start, out)
}

// ----- key ---------------------------------------------------------------------------------------

/// The log key from the JWKS entry with `"use": "log"`, named by the checkpoints' origin, and
/// checked against the newest checkpoint.
pub(super) async fn log_key(conn: &Connection) -> Result<(NoteVerifier, Value), CliError> {
    let response = conn
        .certificates()
        .list_signing_keys(pb::ListSigningKeysRequest {})
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let jwks: Value = serde_json::from_str(&response.jwks_json)
        .map_err(|e| CliError::BadAnswer(format!("the JWKS is not JSON: {e}")))?;
    let candidates = logproof::jwks_log_keys(&jwks);
    if candidates.is_empty() {
        return Err(CliError::BadAnswer(
            "the registry's JWKS lists no key with \"use\": \"log\"".into(),
        ));
    }
    let newest = newest_checkpoint(conn).await?;
    let origin = &newest.checkpoint.origin;
    for (key, jwk) in candidates {
        let Ok(verifier) = NoteVerifier::new(origin, key) else {
            continue;
        };
        if open_checkpoint(&newest.note, &verifier).is_ok() {
            return Ok((verifier, jwk.clone()));
        }
    }
    Err(CliError::BadAnswer(
        "the newest checkpoint does not verify with the JWKS's log key: do not pin it; tell the registry's operator".into(),
    ))
}

async fn key(conn: &Connection, file: Option<&Path>, out: &mut Printer) -> Result<(), CliError> {
    let (verifier, jwk) = log_key(conn).await?;
    let vkey = verifier.vkey();
    if let Some(path) = file {
        write_file(path, &format!("{vkey}\n"))?;
    }
    match (out.is_json(), file) {
        (true, _) => out.json(&json!({
            "verifierKey": vkey,
            "name": verifier.name(),
            "keyId": format!("{:08x}", verifier.key_id()),
            "kid": jwk["kid"],
            "publicKey": jwk["x"],
        }))?,
        // The key alone: `provctl log key > log.vkey` pins it too.
        (false, None) => out.line(&vkey)?,
        (false, Some(path)) => {
            print_lines(
                out,
                vec![
                    format!("key:          {vkey}"),
                    format!("name:         {}", verifier.name()),
                    format!("key id:       {:08x}", verifier.key_id()),
                    format!("jwk kid:      {}", jwk["kid"].as_str().unwrap_or("-")),
                ],
            )?;
            eprintln!(
                "wrote the log key to {}; compare it with one obtained out of band, then verify with `provctl log verify --key {} --checkpoint NOTE_FILE`",
                path.display(),
                path.display()
            );
        }
    }
    Ok(())
}

// ----- prove -------------------------------------------------------------------------------------

async fn prove(global: &Settings, args: ProveArgs, out: &mut Printer) -> Result<(), CliError> {
    let (value, summary) = match &args.tiles {
        Some(url) => prove_from_tiles(&Mirror::parse(url)?, &args).await?,
        None => {
            // Only reading a certificate needs a token.
            let conn = if args.certificate.is_some() {
                Connection::open(global).await?
            } else {
                Connection::open_public(global).await?
            };
            match args.consistency {
                Some(first) => prove_consistency(&conn, first, args.to).await?,
                None => prove_inclusion(&conn, &args).await?,
            }
        }
    };
    match &args.out {
        None => out.json(&value)?,
        Some(path) => {
            write_file(path, &pretty(&value))?;
            if out.is_json() {
                out.json(&value)?;
            } else {
                let mut lines = vec![format!("wrote:        {}", path.display())];
                lines.extend(summary.lines);
                lines.push(format!(
                    "verify with:  {}",
                    summary
                        .verify_hint
                        .replace("PROOF_FILE", &path.display().to_string())
                ));
                print_lines(out, lines)?;
            }
        }
    }
    Ok(())
}

/// `prove --tiles`: the proof computed from a mirror's tiles, against the size of its checkpoint
/// unless `--to`/`--tree-size` says otherwise. Nothing is trusted here: `log verify` checks the
/// file (and the checkpoint it carries) with the pinned key.
async fn prove_from_tiles(mirror: &Mirror, args: &ProveArgs) -> Result<(Value, Summary), CliError> {
    let note = mirror.checkpoint().await?;
    let newest_size = note
        .lines()
        .nth(1)
        .and_then(|size| size.parse::<u64>().ok())
        .ok_or_else(|| {
            CliError::BadAnswer(format!(
                "{}/checkpoint has no tree size line",
                mirror.describe()
            ))
        })?;
    if let Some(first) = args.consistency {
        let second = args.to.unwrap_or(newest_size);
        if first > second || second > newest_size {
            return Err(CliError::Input(format!(
                "--consistency {first} --to {second}: the mirror's checkpoint is of {newest_size} leaves"
            )));
        }
        let proof = ConsistencyProof {
            first_tree_size: first,
            second_tree_size: second,
            hashes: mirror.consistency(first, second).await?,
        };
        let summary = Summary {
            lines: vec![format!("from:         {first} to {second} leaves, computed from the tiles at {}", mirror.describe())],
            verify_hint: "provctl log verify --key LOG_KEY --old-checkpoint OLD_NOTE --checkpoint NOTE_FILE --consistency PROOF_FILE".into(),
        };
        return Ok((proof.to_json(), summary));
    }
    let leaf_index = match (args.leaf, args.event_sequence) {
        (Some(index), _) => index,
        (_, Some(sequence)) => sequence.saturating_sub(1),
        _ => {
            return Err(CliError::Input(
                "with --tiles, say what to prove: --leaf, --event-sequence or --consistency".into(),
            ));
        }
    };
    let tree_size = args.tree_size.unwrap_or(newest_size);
    if leaf_index >= tree_size || tree_size > newest_size {
        return Err(CliError::Input(format!(
            "leaf {leaf_index} in {tree_size} leaves: the mirror's checkpoint is of {newest_size} leaves"
        )));
    }
    let hashes = mirror.inclusion(leaf_index, tree_size).await?;
    let leaf_data = mirror
        .leaves(leaf_index, 1, tree_size)
        .await?
        .pop()
        .ok_or_else(|| {
            CliError::BadAnswer(format!("{} has no entry {leaf_index}", mirror.describe()))
        })?;
    let checkpoint = (tree_size == newest_size).then_some(note);
    let lines = vec![
        format!("leaf:         {leaf_index} (event {})", leaf_index + 1),
        format!("leaf data:    {}", hex::encode(&leaf_data)),
        format!(
            "tree size:    {tree_size} leaves, computed from the tiles at {}",
            mirror.describe()
        ),
    ];
    let verify_hint = match &checkpoint {
        Some(_) => "provctl log verify --key LOG_KEY --inclusion PROOF_FILE".to_owned(),
        None => "provctl log verify --key LOG_KEY --checkpoint NOTE_FILE --inclusion PROOF_FILE"
            .to_owned(),
    };
    let proof = InclusionProof {
        leaf_index,
        tree_size,
        leaf_data,
        hashes,
        checkpoint,
    };
    Ok((proof.to_json(), Summary { lines, verify_hint }))
}

/// What `prove --out` prints besides the file.
struct Summary {
    lines: Vec<String>,
    /// The `log verify` command line, with `PROOF_FILE` for the file written.
    verify_hint: String,
}

async fn prove_inclusion(
    conn: &Connection,
    args: &ProveArgs,
) -> Result<(Value, Summary), CliError> {
    let mut lines = Vec::new();
    let leaf_index = match (args.leaf, args.event_sequence, args.certificate) {
        (Some(index), _, _) => index,
        (_, Some(sequence), _) => sequence.saturating_sub(1),
        (_, _, Some(id)) => {
            let certificate = conn
                .certificates()
                .get_certificate(pb::GetCertificateRequest {
                    id: id.to_string(),
                    as_of: None,
                })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            lines.push(format!(
                "certificate:  {}  issued at leaf {}",
                certificate.id, certificate.log_index
            ));
            certificate.log_index
        }
        (None, None, None) => {
            return Err(CliError::Input(
                "say what to prove: --leaf, --event-sequence, --certificate or --consistency"
                    .into(),
            ));
        }
    };
    let Proved {
        proof,
        root,
        newest_size,
    } = fetch_inclusion(conn, leaf_index, args.tree_size).await?;
    let tree_size = proof.tree_size;
    let checkpoint = proof.checkpoint.clone();
    lines.push(format!(
        "leaf:         {leaf_index} (event {})",
        leaf_index + 1
    ));
    lines.push(format!("leaf data:    {}", hex::encode(&proof.leaf_data)));
    lines.push(format!("tree size:    {tree_size} leaves"));
    lines.push(format!("root:         {}", hex::encode(root)));
    lines.push(match &checkpoint {
        Some(_) => format!("checkpoint:   included: the signed checkpoint of {tree_size} leaves"),
        None => format!(
            "checkpoint:   not included: the registry's newest checkpoint is of {newest_size} leaves; verify with a checkpoint of {tree_size} leaves you hold"
        ),
    });
    let verify_hint = match &checkpoint {
        Some(_) => "provctl log verify --key LOG_KEY --inclusion PROOF_FILE".to_owned(),
        None => "provctl log verify --key LOG_KEY --checkpoint NOTE_FILE --inclusion PROOF_FILE"
            .to_owned(),
    };
    Ok((proof.to_json(), Summary { lines, verify_hint }))
}

/// An inclusion proof the registry answered, checked, and the root it leads to.
pub(super) struct Proved {
    /// The proof, carrying the signed checkpoint when the newest one is of its tree size.
    pub proof: InclusionProof,
    /// The root the proof leads to.
    pub root: transparency_log::Hash,
    /// The size of the registry's newest checkpoint when the proof was fetched.
    pub newest_size: u64,
}

/// Fetches the inclusion proof of `leaf_index` in the tree of `tree_size` leaves (default: the
/// newest checkpoint's), and checks that it leads to the root the registry names and, when the
/// newest checkpoint is of that size, to that checkpoint's root, which the proof then carries.
pub(super) async fn fetch_inclusion(
    conn: &Connection,
    leaf_index: u64,
    tree_size: Option<u64>,
) -> Result<Proved, CliError> {
    let newest = newest_checkpoint(conn).await?;
    let tree_size = tree_size.unwrap_or(newest.checkpoint.size);
    let answer = conn
        .log()
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            leaf: Some(Leaf::LeafIndex(leaf_index)),
            // Explicit, so that a checkpoint signed meanwhile does not change the tree.
            tree_size,
        })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    if (answer.leaf_index, answer.tree_size) != (leaf_index, tree_size) {
        return Err(CliError::BadAnswer(format!(
            "asked to prove leaf {leaf_index} in the tree of {tree_size} leaves, the registry answered leaf {} in {}",
            answer.leaf_index, answer.tree_size
        )));
    }
    let hashes = proof_hashes(&answer.hashes)?;
    let root = to_hash(&answer.root_hash)
        .ok_or_else(|| CliError::BadAnswer("the proof's root is not 32 bytes".into()))?;
    let leaf_hash = hash_leaf(&answer.leaf_data);
    if answer.leaf_hash != leaf_hash {
        return Err(CliError::BadAnswer(
            "the proof's leaf hash is not the hash of its leaf data".into(),
        ));
    }
    verify_inclusion(&leaf_hash, leaf_index, tree_size, &hashes, &root).map_err(|e| {
        CliError::BadAnswer(format!(
            "the registry's inclusion proof does not lead to the root it names: {e}"
        ))
    })?;
    let checkpoint = if newest.checkpoint.size == tree_size {
        if newest.checkpoint.root != root {
            return Err(CliError::BadAnswer(format!(
                "the proof's root differs from the registry's signed checkpoint of {tree_size} leaves"
            )));
        }
        Some(newest.note)
    } else {
        None
    };
    let newest_size = newest.checkpoint.size;
    Ok(Proved {
        proof: InclusionProof {
            leaf_index,
            tree_size,
            leaf_data: answer.leaf_data,
            hashes,
            checkpoint,
        },
        root,
        newest_size,
    })
}

async fn prove_consistency(
    conn: &Connection,
    first: u64,
    to: Option<u64>,
) -> Result<(Value, Summary), CliError> {
    let second = match to {
        Some(second) => second,
        None => newest_checkpoint(conn).await?.checkpoint.size,
    };
    let answer = conn
        .log()
        .get_consistency_proof(pb::GetConsistencyProofRequest {
            first_tree_size: first,
            second_tree_size: second,
        })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    if (answer.first_tree_size, answer.second_tree_size) != (first, second) {
        return Err(CliError::BadAnswer(format!(
            "asked for a proof from {first} to {second} leaves, the registry answered one from {} to {}",
            answer.first_tree_size, answer.second_tree_size
        )));
    }
    let hashes = proof_hashes(&answer.hashes)?;
    let (Some(first_root), Some(second_root)) = (
        to_hash(&answer.first_root_hash),
        to_hash(&answer.second_root_hash),
    ) else {
        return Err(CliError::BadAnswer(
            "the proof's roots are not 32 bytes".into(),
        ));
    };
    verify_consistency(first, second, &hashes, &first_root, &second_root).map_err(|e| {
        CliError::BadAnswer(format!(
            "the registry's consistency proof does not link the roots it names: {e}"
        ))
    })?;
    let proof = ConsistencyProof {
        first_tree_size: first,
        second_tree_size: second,
        hashes,
    };
    let summary = Summary {
        lines: vec![
            format!("from:         {first} leaves, root {}", hex::encode(first_root)),
            format!("to:           {second} leaves, root {}", hex::encode(second_root)),
        ],
        verify_hint: "provctl log verify --key LOG_KEY --old-checkpoint OLD_NOTE --checkpoint NOTE_FILE --consistency PROOF_FILE".into(),
    };
    Ok((proof.to_json(), summary))
}

// ----- reading files -----------------------------------------------------------------------------

/// Where the pinned key came from.
pub(super) enum KeySource {
    File(PathBuf),
    Argument,
}

/// The pinned key: a verifier key, or a file holding one (`log key --out`).
pub(super) fn read_key(arg: &str) -> Result<(NoteVerifier, KeySource), CliError> {
    let path = Path::new(arg);
    let (text, source) = if path.is_file() {
        (
            read_text(path, "--key", MAX_PROOF_BYTES)?,
            KeySource::File(path.to_owned()),
        )
    } else {
        (arg.to_owned(), KeySource::Argument)
    };
    let verifier = NoteVerifier::from_vkey(text.trim()).map_err(|e| {
        CliError::Input(format!(
            "--key {arg}: not a log key ({e}); pass the key `provctl log key` prints (<name>+<key id>+<key>), or a file holding it (`provctl log key --out FILE`)"
        ))
    })?;
    Ok((verifier, source))
}

/// A file as text, up to `limit` bytes (one more is read, so that a larger file is seen).
fn read_text(path: &Path, flag: &str, limit: u64) -> Result<String, CliError> {
    let name = path.display();
    let file =
        File::open(path).map_err(|e| CliError::Input(format!("cannot read {flag} {name}: {e}")))?;
    let mut text = String::new();
    file.take(limit + 1)
        .read_to_string(&mut text)
        .map_err(|e| CliError::Input(format!("cannot read {flag} {name}: {e}")))?;
    Ok(text)
}

/// A checkpoint's signed note, byte for byte: the signature covers it exactly.
fn read_note(path: &Path, flag: &str) -> Result<String, CliError> {
    let note = read_text(path, flag, MAX_NOTE_BYTES as u64)?;
    if note.is_empty() {
        return Err(CliError::Input(format!(
            "{flag} {} is empty: expected a checkpoint (`provctl log checkpoint --out FILE`)",
            path.display()
        )));
    }
    Ok(note)
}

/// A proof file of the given format. A file of another kind is a usage error; what its fields
/// hold is judged by the checks.
fn read_proof(path: &Path, flag: &str, format: &str) -> Result<Value, CliError> {
    let name = path.display();
    let text = read_text(path, flag, MAX_PROOF_BYTES)?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        CliError::Input(format!(
            "{flag} {name} is not JSON ({e}): expected a proof file (`provctl log prove --out FILE`)"
        ))
    })?;
    let found = value["format"].as_str().unwrap_or_default();
    if found == format {
        return Ok(value);
    }
    let hint = match found {
        INCLUSION_FORMAT => "it is an inclusion proof: pass it with --inclusion".to_owned(),
        CONSISTENCY_FORMAT => "it is a consistency proof: pass it with --consistency".to_owned(),
        _ => format!("its format is {found:?}, not {format:?}"),
    };
    Err(CliError::Input(format!(
        "{flag} {name}: {hint} (`provctl log prove --out FILE` writes proof files)"
    )))
}

// ----- verify ------------------------------------------------------------------------------------

fn verify(args: &LogVerifyArgs, out: &mut Printer) -> Result<u8, CliError> {
    let (verifier, source) = read_key(&args.key)?;
    let note = |path: &Option<PathBuf>, flag| path.as_deref().map(|p| read_note(p, flag));
    let checkpoint = note(&args.checkpoint, "--checkpoint").transpose()?;
    let old_checkpoint = note(&args.old_checkpoint, "--old-checkpoint").transpose()?;
    let inclusion = args
        .inclusion
        .as_deref()
        .map(|p| read_proof(p, "--inclusion", INCLUSION_FORMAT))
        .transpose()?;
    let consistency = args
        .consistency
        .as_deref()
        .map(|p| read_proof(p, "--consistency", CONSISTENCY_FORMAT))
        .transpose()?;
    if let (None, Some(proof)) = (&checkpoint, &inclusion)
        && !proof["checkpoint"].is_string()
    {
        return Err(CliError::Input(format!(
            "the inclusion proof carries no checkpoint (the registry's newest was of another size when it was fetched): pass --checkpoint NOTE_FILE, a checkpoint of {} leaves",
            proof["tree_size"]
        )));
    }
    let verification = logproof::verify(
        &verifier,
        &VerifyInput {
            checkpoint: checkpoint.as_deref(),
            inclusion: inclusion.as_ref(),
            consistency: consistency.as_ref(),
            old_checkpoint: old_checkpoint.as_deref(),
        },
    );
    let printed = if out.is_json() {
        verification_json(&verification, &verifier, &source).and_then(|value| Ok(out.json(&value)?))
    } else {
        print_lines(out, verification_lines(&verification, &verifier, &source))
    };
    match printed {
        // A reader that stopped after the first line has what it wanted; the code still counts.
        Err(e) if e.is_broken_pipe() => {}
        other => other?,
    }
    Ok(if verification.verified {
        exit::SUCCESS
    } else {
        exit::LOG_VERIFICATION_FAILED
    })
}

fn key_source_text(source: &KeySource) -> String {
    match source {
        KeySource::File(path) => format!("pinned, from {}", path.display()),
        KeySource::Argument => "pinned, given on the command line".into(),
    }
}

/// The verification as JSON: provctl's own object, in lowerCamelCase; the checkpoint as
/// [`checkpoint_json`] writes it.
fn verification_json(
    v: &LogVerification,
    verifier: &NoteVerifier,
    source: &KeySource,
) -> Result<Value, CliError> {
    let check =
        |c: &crate::offline::Check| json!({"name": c.name, "passed": c.passed, "detail": c.detail});
    let checkpoint = match &v.checkpoint {
        Some(c) => checkpoint_json(c, None, None)?,
        None => Value::Null,
    };
    Ok(json!({
        "verified": v.verified,
        "mode": "offline",
        "key": {
            "verifierKey": verifier.vkey(),
            "source": match source {
                KeySource::File(_) => "file",
                KeySource::Argument => "argument",
            },
            "path": match source {
                KeySource::File(path) => json!(path.display().to_string()),
                KeySource::Argument => Value::Null,
            },
        },
        "checkpoint": checkpoint,
        "checks": v.checks.iter().map(check).collect::<Vec<_>>(),
        "notChecked": v
            .not_checked
            .iter()
            .map(|c| json!({"name": c.name, "detail": c.detail}))
            .collect::<Vec<_>>(),
    }))
}

fn verification_lines(
    v: &LogVerification,
    verifier: &NoteVerifier,
    source: &KeySource,
) -> Vec<String> {
    let mut lines = vec![
        if v.verified {
            "VERIFIED (offline)"
        } else {
            "NOT VERIFIED"
        }
        .to_owned(),
        format!(
            "key:          {} ({})",
            key_label(verifier),
            key_source_text(source)
        ),
    ];
    if let Some(c) = &v.checkpoint {
        lines.push(format!(
            "checkpoint:   {}, time {}",
            describe(c),
            checkpoint_time(c).unwrap_or_else(|| "-".into())
        ));
    }
    lines.push("checks:".into());
    for check in &v.checks {
        lines.push(format!(
            "  {:<4}  {:<16}  {}",
            if check.passed { "pass" } else { "FAIL" },
            check.name,
            check.detail
        ));
    }
    for check in &v.not_checked {
        lines.push(format!(
            "  {:<4}  {:<16}  {}",
            "--", check.name, check.detail
        ));
    }
    lines
}

// ----- monitor -----------------------------------------------------------------------------------

/// A checkpoint opened with the pinned key, and its note.
struct Verified {
    note: String,
    checkpoint: Checkpoint,
}

/// How a round's checkpoint stands to the last one verified.
enum Seen {
    /// No earlier checkpoint: trusted on first use.
    First,
    /// The same tree, the same note.
    Unchanged,
    /// The same tree under another note.
    Resigned,
    /// A larger tree, consistent with the last one.
    Grown { from: u64 },
}

async fn monitor(global: &Settings, args: MonitorArgs, out: &mut Printer) -> Result<u8, CliError> {
    let (verifier, _) = read_key(&args.key)?;
    let state = args.state.as_deref();
    let last = match state {
        Some(path) if path.exists() => {
            let note = read_note(path, "--state")?;
            match logproof::open_trusted(&note, &verifier) {
                Ok(checkpoint) => Some(Verified { note, checkpoint }),
                Err(why) => {
                    let alarm = Alarm::rejected(format!(
                        "the state file's checkpoint {why}; was it written with another --key, or altered?"
                    ));
                    return raise(out, &alarm, Notes::State(&note), state);
                }
            }
        }
        _ => None,
    };
    let source = match &args.tiles {
        Some(url) => Source::Mirror(Mirror::parse(url)?),
        None => Source::Registry(Connection::open_public(global).await?),
    };
    tokio::select! {
        code = follow(&source, &args, &verifier, last, out) => code,
        // Ctrl-C is how a monitor is meant to end. Should the handler fail to install, the
        // pattern disables this branch and the monitor goes on.
        Ok(()) = tokio::signal::ctrl_c() => {
            match state {
                Some(path) => eprintln!(
                    "stopped; the last verified checkpoint is kept in {}",
                    path.display()
                ),
                None => eprintln!("stopped"),
            }
            Ok(exit::SUCCESS)
        }
    }
}

/// Where a monitor reads the log.
enum Source {
    /// The registry's gRPC calls.
    Registry(Connection),
    /// A tiles mirror (`--tiles`).
    Mirror(Mirror),
}

impl Source {
    async fn checkpoint_note(&self) -> Result<String, CliError> {
        match self {
            Self::Registry(conn) => Ok(conn
                .log()
                .get_checkpoint(pb::GetCheckpointRequest {})
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner()
                .note),
            Self::Mirror(mirror) => mirror.checkpoint().await,
        }
    }

    /// The consistency proof from `from` to `to` leaves: the sizes it answers for, and its hashes.
    async fn consistency(
        &self,
        from: u64,
        to: u64,
    ) -> Result<((u64, u64), Vec<Vec<u8>>), CliError> {
        match self {
            Self::Registry(conn) => {
                let proof = conn
                    .log()
                    .get_consistency_proof(pb::GetConsistencyProofRequest {
                        first_tree_size: from,
                        second_tree_size: to,
                    })
                    .await
                    .map_err(|s| conn.fail(s))?
                    .into_inner();
                Ok((
                    (proof.first_tree_size, proof.second_tree_size),
                    proof.hashes,
                ))
            }
            Self::Mirror(mirror) => Ok((
                (from, to),
                mirror
                    .consistency(from, to)
                    .await?
                    .iter()
                    .map(|h| h.to_vec())
                    .collect(),
            )),
        }
    }
}

async fn follow(
    conn: &Source,
    args: &MonitorArgs,
    verifier: &NoteVerifier,
    mut last: Option<Verified>,
    out: &mut Printer,
) -> Result<u8, CliError> {
    let state = args.state.as_deref();
    let mut first_round = true;
    loop {
        match round(conn, verifier, last.as_ref()).await {
            Ok(Err((alarm, received))) => {
                let notes = Notes::Received {
                    last_verified: last.as_ref().map(|l| l.note.as_str()),
                    received: &received,
                };
                return raise(out, &alarm, notes, state);
            }
            Ok(Ok((new, seen))) => {
                // Kept before it is printed: a line on the screen means the state holds it. A
                // re-signed note of the same tree replaces the last one too, so that the warning
                // comes once.
                let changed = !matches!(seen, Seen::Unchanged);
                if let (true, Some(path)) = (changed, state) {
                    save_state(path, &new.note)?;
                }
                if first_round || changed {
                    print_round(out, &new, &seen)?;
                }
                if let Seen::Resigned = seen {
                    eprintln!(
                        "provctl: warning: the registry signed the tree of {} leaves again under another note; it promises one note per size (same root, so no fork)",
                        new.checkpoint.size
                    );
                }
                if changed {
                    last = Some(new);
                }
            }
            Err(e) if !args.once && is_transient(&e) => {
                eprintln!(
                    "provctl: {e}; retrying in {}",
                    humantime::format_duration(args.interval)
                );
            }
            Err(e) => return Err(e),
        }
        if args.once {
            return Ok(exit::SUCCESS);
        }
        first_round = false;
        tokio::time::sleep(args.interval).await;
    }
}

/// One round: the newest checkpoint, opened with the pinned key and, when the tree grew, linked to
/// the last one by a consistency proof. An alarm comes with the note that raised it.
async fn round(
    conn: &Source,
    verifier: &NoteVerifier,
    last: Option<&Verified>,
) -> Result<Result<(Verified, Seen), (Alarm, String)>, CliError> {
    let note = conn.checkpoint_note().await?;
    let checkpoint = match logproof::open_new(&note, verifier) {
        Ok(checkpoint) => checkpoint,
        Err(alarm) => return Ok(Err((alarm, note))),
    };
    let new = Verified { note, checkpoint };
    let Some(last) = last else {
        return Ok(Ok((new, Seen::First)));
    };
    let step = logproof::step((&last.checkpoint, &last.note), (&new.checkpoint, &new.note));
    let seen = match step {
        Err(alarm) => return Ok(Err((alarm, new.note))),
        Ok(Step::Same { resigned: false }) => Seen::Unchanged,
        Ok(Step::Same { resigned: true }) => Seen::Resigned,
        Ok(Step::Grown) => {
            let (from, to) = (last.checkpoint.size, new.checkpoint.size);
            // Every tree extends the empty one; the registry proves only from size 1.
            let (sizes, hashes) = if from == 0 {
                ((0, to), Vec::new())
            } else {
                conn.consistency(from, to).await?
            };
            if let Err(alarm) =
                logproof::check_growth(&last.checkpoint, &new.checkpoint, sizes, &hashes)
            {
                return Ok(Err((alarm, new.note)));
            }
            Seen::Grown { from }
        }
    };
    Ok(Ok((new, seen)))
}

fn print_round(out: &mut Printer, new: &Verified, seen: &Seen) -> Result<(), CliError> {
    let c = &new.checkpoint;
    let (status, previous) = match seen {
        Seen::First => ("first", None),
        Seen::Unchanged => ("unchanged", None),
        Seen::Resigned => ("resigned", None),
        Seen::Grown { from } => ("consistent", Some(*from)),
    };
    if out.is_json() {
        let mut value = checkpoint_json(c, Some(&new.note), None)?;
        value["status"] = json!(status);
        value["previousTreeSize"] = json!(previous.map(|size| size.to_string()));
        out.json_line(&value)?;
        return Ok(());
    }
    let what = match seen {
        Seen::First => "trusted on first use: its signature verifies, and there is no earlier checkpoint to compare it with".to_owned(),
        Seen::Unchanged => "unchanged since the last verified checkpoint".to_owned(),
        Seen::Resigned => "unchanged tree, re-signed under another note".to_owned(),
        Seen::Grown { from } => format!("consistent with the last verified checkpoint of {from} leaves"),
    };
    out.line(format!(
        "{}  size {}  root {}  {what}",
        checkpoint_time(c).unwrap_or_else(|| "-".into()),
        c.size,
        hex::encode(c.root)
    ))?;
    out.flush()?;
    Ok(())
}

/// The notes an alarm is about.
enum Notes<'a> {
    /// The state file's note does not verify with the pinned key.
    State(&'a str),
    /// The registry answered a note that does not verify, or does not extend the last verified
    /// one (if any).
    Received {
        last_verified: Option<&'a str>,
        received: &'a str,
    },
}

/// Prints the alarm with the notes it is about (on stdout; its reason also on stderr), keeps the
/// note that raised it next to the state file, and exits 10. The state file is left as it was.
fn raise(
    out: &mut Printer,
    alarm: &Alarm,
    notes: Notes,
    state: Option<&Path>,
) -> Result<u8, CliError> {
    let evidence = match (state, &notes) {
        (Some(path), Notes::Received { received, .. }) => {
            let mut name = path.as_os_str().to_owned();
            name.push(".rejected");
            let evidence = PathBuf::from(name);
            write_file(&evidence, received)?;
            Some(evidence)
        }
        _ => None,
    };
    let shown: Vec<(&str, &str, Option<&str>)> = match notes {
        Notes::State(note) => vec![("stateNote", "the state file's checkpoint", Some(note))],
        Notes::Received {
            last_verified,
            received,
        } => vec![
            (
                "lastVerifiedNote",
                "the last verified checkpoint",
                last_verified,
            ),
            (
                "receivedNote",
                "the checkpoint the registry answers",
                Some(received),
            ),
        ],
    };
    if out.is_json() {
        let mut value = json!({
            "alarm": alarm.kind.to_string(),
            "reason": alarm.reason,
            "receivedNoteFile": evidence.as_ref().map(|p| p.display().to_string()),
        });
        for (key, _, note) in &shown {
            value[*key] = json!(note);
        }
        out.json_line(&value)?;
    } else {
        let mut lines = vec![format!("!!! {}: {}", alarm.kind, alarm.reason)];
        for (_, title, note) in &shown {
            lines.push(format!("----- {title} -----"));
            lines.push(note.map_or_else(|| "(none)".to_owned(), |n| n.trim_end().to_owned()));
        }
        lines.push("-----".to_owned());
        lines.push(
            "Keep these notes: signed by the log key, they are the evidence. Compare checkpoints with other auditors before trusting this registry again."
                .to_owned(),
        );
        print_lines(out, lines)?;
    }
    out.flush()?;
    eprintln!("provctl: {}: {}", alarm.kind, alarm.reason);
    if let Some(path) = evidence {
        eprintln!(
            "provctl: the checkpoint that raised the alarm is kept in {}; the state file still holds the last verified one",
            path.display()
        );
    }
    Ok(exit::LOG_VERIFICATION_FAILED)
}

/// Replaces the state file in one step, so that an interrupted write never leaves half a note.
fn save_state(path: &Path, note: &str) -> Result<(), CliError> {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    let temporary = PathBuf::from(name);
    write_file(&temporary, note)?;
    fs::rename(&temporary, path).map_err(|source| CliError::WriteFile {
        path: path.to_owned(),
        source,
    })
}

/// Failures a long-running monitor waits out: the registry is down or busy.
fn is_transient(error: &CliError) -> bool {
    match error {
        CliError::Connect { .. } => true,
        CliError::Rpc { status, .. } => matches!(
            status.code(),
            Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Cancelled
        ),
        _ => false,
    }
}

/// The hashes of a proof the registry answered, each of which must be 32 bytes.
fn proof_hashes(hashes: &[Vec<u8>]) -> Result<Vec<transparency_log::Hash>, CliError> {
    hashes
        .iter()
        .map(|h| to_hash(h))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| CliError::BadAnswer("a proof hash is not 32 bytes".into()))
}
