//! Witness cosignatures of checkpoints (c2sp.org/tlog-cosignature, the Ed25519 `cosignature/v1`
//! type).
//!
//! A cosignature is a signed-note signature line `— <name> base64(key ID || timestamp ||
//! signature)` appended to a checkpoint, where:
//!
//! * the key ID is the first four bytes of `SHA-256(name || "\n" || 0x04 || public key)` (0x04,
//!   not the 0x01 of plain Ed25519 note signatures, so neither can pass for the other);
//! * the timestamp is a big-endian `u64` of POSIX seconds, at most `2^63 - 1` and never zero here;
//! * the Ed25519 signature is over `"cosignature/v1\n" || "time <timestamp>\n" || <checkpoint
//!   body>` (the note text, final newline included).
//!
//! A cosigner's verifier key is `<name>+<key ID>+base64(0x04 || public key)`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::checkpoint::{
    CheckpointError, SIGNATURE_PREFIX, check_key_name, find_forbidden_control, format_vkey,
    parse_vkey, split_note,
};

/// Signature type of Ed25519 `cosignature/v1` keys in key IDs and verifier keys.
pub const COSIGNATURE_V1_ED25519: u8 = 0x04;

/// Largest timestamp a cosignature may carry (`2^63 - 1`).
pub const MAX_COSIGNATURE_TIME: u64 = i64::MAX as u64;

/// Key ID (4 bytes), timestamp (8 bytes), Ed25519 signature (64 bytes).
const COSIGNATURE_BYTES: usize = 4 + 8 + 64;

/// The key ID of an Ed25519 cosigner key: the first four bytes, big-endian, of
/// `SHA-256(name || "\n" || 0x04 || public key)`.
pub fn cosigner_key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([COSIGNATURE_V1_ED25519]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The message a `cosignature/v1` signs: header line, time line, then the checkpoint body.
pub fn cosigned_message(checkpoint_body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_body}")
}

/// A witness's signing key under its name.
pub struct CosignerKey {
    name: String,
    key: SigningKey,
}

impl CosignerKey {
    /// The cosigner `name` signing with `key`. Refuses names a signature line could not carry.
    pub fn new(name: &str, key: SigningKey) -> Result<Self, CheckpointError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    /// The verifier for this key.
    pub fn verifier(&self) -> CosignatureVerifier {
        let key = self.key.verifying_key();
        CosignatureVerifier {
            key_id: cosigner_key_id(&self.name, &key),
            name: self.name.clone(),
            key,
        }
    }

    /// The cosignature line (newline-terminated) of the checkpoint note text `checkpoint_body` at
    /// `timestamp` (POSIX seconds, 1 to `2^63 - 1`).
    pub fn cosign(&self, checkpoint_body: &str, timestamp: u64) -> Result<String, CheckpointError> {
        if timestamp == 0 || timestamp > MAX_COSIGNATURE_TIME {
            return Err(CheckpointError::InvalidText(
                "cosignature timestamp must be between 1 and 2^63 - 1",
            ));
        }
        if checkpoint_body.is_empty() || !checkpoint_body.ends_with('\n') {
            return Err(CheckpointError::InvalidText(
                "checkpoint body must be non-empty and end with a newline",
            ));
        }
        if let Some(error) = find_forbidden_control(checkpoint_body) {
            return Err(error);
        }
        let id = cosigner_key_id(&self.name, &self.key.verifying_key());
        let signature = self
            .key
            .sign(cosigned_message(checkpoint_body, timestamp).as_bytes());
        let mut payload = Vec::with_capacity(COSIGNATURE_BYTES);
        payload.extend_from_slice(&id.to_be_bytes());
        payload.extend_from_slice(&timestamp.to_be_bytes());
        payload.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(payload)
        ))
    }
}

/// A trusted witness: its name and Ed25519 `cosignature/v1` public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// A verifier for `key` under `name`; refuses invalid names and weak keys.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, CheckpointError> {
        check_key_name(name)?;
        if key.is_weak() {
            return Err(CheckpointError::MalformedVerifierKey(
                "weak (small-order) public key",
            ));
        }
        Ok(Self {
            key_id: cosigner_key_id(name, &key),
            name: name.to_owned(),
            key,
        })
    }

    /// Parses `<name>+<8 hex digits key ID>+<base64(0x04 || 32-byte key)>`, checking the key ID.
    pub fn from_vkey(vkey: &str) -> Result<Self, CheckpointError> {
        let (name, claimed_id, key) = parse_vkey(
            vkey,
            COSIGNATURE_V1_ED25519,
            "signature type is not Ed25519 cosignature/v1 (0x04)",
        )?;
        let verifier = Self::new(name, key)?;
        if verifier.key_id != claimed_id {
            return Err(CheckpointError::MalformedVerifierKey(
                "key id does not match the key",
            ));
        }
        Ok(verifier)
    }

    /// The verifier key text, `<name>+<key id>+base64(0x04 || key)`.
    pub fn vkey(&self) -> String {
        format_vkey(&self.name, self.key_id, COSIGNATURE_V1_ED25519, &self.key)
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID its cosignature lines carry.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }
}

/// A cosignature that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// Position of the verifier that matched in the list given.
    pub verifier: usize,
    /// When the witness cosigned, POSIX seconds.
    pub timestamp: u64,
    /// The signature line as it appears in the note, without its newline.
    pub line: String,
}

/// Checks the cosignatures of a note (a checkpoint with its signature lines) by `verifiers`,
/// and returns the note text and the ones that verified, at most one per verifier.
///
/// Lines by other keys are ignored (the log's own signature included: check it with
/// [`crate::open_checkpoint`]). A line whose name and key ID match a verifier but whose
/// signature, length or timestamp is wrong rejects the whole note, as signed-note requires.
pub fn verify_cosignatures<'a>(
    note: &'a str,
    verifiers: &[CosignatureVerifier],
) -> Result<(&'a str, Vec<Cosigned>), CheckpointError> {
    let (text, lines) = split_note(note)?;
    let mut found: Vec<Cosigned> = Vec::new();
    for (position, line) in lines.iter().enumerate() {
        let Some(index) = verifiers
            .iter()
            .position(|v| v.name == line.name && v.key_id == line.key_id)
        else {
            continue;
        };
        let invalid = || CheckpointError::InvalidSignature {
            name: line.name.to_owned(),
            key_id: line.key_id,
        };
        let Some((time_bytes, signature)) = line.signature.split_first_chunk::<8>() else {
            return Err(invalid());
        };
        let timestamp = u64::from_be_bytes(*time_bytes);
        if timestamp > MAX_COSIGNATURE_TIME {
            return Err(invalid());
        }
        if signature.len() != 64 {
            return Err(invalid());
        }
        let rule_key = ed25519_verify::PublicKey::from_bytes(verifiers[index].key.as_bytes())
            .map_err(|_| invalid())?;
        ed25519_verify::verify(
            &rule_key,
            cosigned_message(text, timestamp).as_bytes(),
            signature,
        )
        .map_err(|_| invalid())?;
        if found.iter().all(|c| c.verifier != index) {
            let encoded = note
                .get(text.len() + 1..)
                .and_then(|rest| rest.lines().nth(position))
                .unwrap_or_default();
            found.push(Cosigned {
                verifier: index,
                timestamp,
                line: encoded.to_owned(),
            });
        }
    }
    Ok((text, found))
}
