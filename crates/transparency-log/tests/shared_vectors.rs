//! The proof and checkpoint cases of `tests/data/verification_vectors.json`, which the Python
//! client's suite reads too (`clients/python/tests/test_vectors.py`): every case gets its expected
//! outcome here, named as the Python client names it (the error variant in snake case), so the two
//! implementations agree case by case. The file is written by
//! `clients/python/scripts/generate_vectors.py`, whose cases state their outcome.

use serde_json::{Value, json};
use transparency_log::{
    CheckpointError, Hash, NoteVerifier, ProofError, hash_leaf, open_checkpoint,
    verify_consistency, verify_inclusion,
};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/verification_vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("tests/data/verification_vectors.json");
    serde_json::from_str(&text).expect("the vectors are JSON")
}

fn cases<'a>(vectors: &'a Value, section: &str) -> &'a [Value] {
    let cases = vectors[section].as_array().expect("a list of cases");
    assert!(cases.len() >= 10, "only {} {section} cases", cases.len());
    cases
}

fn bytes(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("hex")).expect("hex")
}

fn hash(value: &Value) -> Hash {
    bytes(value).try_into().expect("32 bytes")
}

fn hashes(value: &Value) -> Vec<Hash> {
    value.as_array().expect("a list").iter().map(hash).collect()
}

fn proof_code(error: ProofError) -> &'static str {
    match error {
        ProofError::IndexOutOfRange { .. } => "index_out_of_range",
        ProofError::SizeOrder { .. } => "size_order",
        ProofError::WrongProofLength { .. } => "wrong_proof_length",
        ProofError::RootMismatch => "root_mismatch",
        ProofError::FirstRootMismatch => "first_root_mismatch",
        ProofError::SecondRootMismatch => "second_root_mismatch",
    }
}

fn checkpoint_code(error: &CheckpointError) -> &'static str {
    match error {
        CheckpointError::NoteTooLarge { .. } => "note_too_large",
        CheckpointError::TooManySignatures { .. } => "too_many_signatures",
        CheckpointError::ControlCharacter { .. } => "control_character",
        CheckpointError::MissingFinalNewline => "missing_final_newline",
        CheckpointError::MissingBlankLine => "missing_blank_line",
        CheckpointError::NoSignatures => "no_signatures",
        CheckpointError::MalformedSignatureLine { .. } => "malformed_signature_line",
        CheckpointError::InvalidKeyName(_) => "invalid_key_name",
        CheckpointError::MalformedVerifierKey(_) => "malformed_verifier_key",
        CheckpointError::InvalidSignature { .. } => "invalid_signature",
        CheckpointError::NotSignedByKey { .. } => "not_signed_by_key",
        CheckpointError::InvalidText(_) => "invalid_text",
        CheckpointError::TooFewLines(_) => "too_few_lines",
        CheckpointError::InvalidOrigin(_) => "invalid_origin",
        CheckpointError::InvalidSize(_) => "invalid_size",
        CheckpointError::InvalidRootHash(_) => "invalid_root_hash",
        CheckpointError::InvalidExtension { .. } => "invalid_extension",
    }
}

fn outcome(result: Result<(), ProofError>) -> Value {
    match result {
        Ok(()) => json!("ok"),
        Err(error) => json!(proof_code(error)),
    }
}

fn check_all(section: &str, run: impl Fn(&Value) -> Value) {
    let vectors = vectors();
    let failures: Vec<String> = cases(&vectors, section)
        .iter()
        .filter_map(|case| {
            let got = run(case);
            (got != case["expect"]).then(|| {
                format!(
                    "{}: got {got}, expected {}",
                    case["name"].as_str().unwrap_or("?"),
                    case["expect"]
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn inclusion_proof_cases_get_their_expected_outcome() {
    check_all("inclusion_proofs", |case| {
        outcome(verify_inclusion(
            &hash_leaf(&bytes(&case["leaf_data"])),
            case["leaf_index"].as_u64().expect("index"),
            case["tree_size"].as_u64().expect("size"),
            &hashes(&case["hashes"]),
            &hash(&case["root"]),
        ))
    });
}

#[test]
fn consistency_proof_cases_get_their_expected_outcome() {
    check_all("consistency_proofs", |case| {
        outcome(verify_consistency(
            case["first_size"].as_u64().expect("size"),
            case["second_size"].as_u64().expect("size"),
            &hashes(&case["hashes"]),
            &hash(&case["first_root"]),
            &hash(&case["second_root"]),
        ))
    });
}

#[test]
fn checkpoint_cases_get_their_expected_outcome() {
    check_all("checkpoints", |case| {
        let opened = NoteVerifier::from_vkey(case["verifier_key"].as_str().expect("a key"))
            .and_then(|verifier| {
                open_checkpoint(case["note"].as_str().expect("a note"), &verifier)
            });
        match opened {
            Ok(checkpoint) => json!({
                "origin": checkpoint.origin,
                "size": checkpoint.size,
                "root": hex::encode(checkpoint.root),
                "extensions": checkpoint.extensions,
            }),
            Err(error) => json!(checkpoint_code(&error)),
        }
    });
}
