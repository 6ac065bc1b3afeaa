//! Signed notes (c2sp.org/signed-note) with Ed25519 keys, and checkpoints
//! (c2sp.org/tlog-checkpoint) carried in them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::hash::Hash;

/// Largest note [`open_note`] accepts, in bytes. Far above any checkpoint; it
/// only bounds the work an untrusted input can cause.
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// Most signature lines [`open_note`] accepts (the spec requires at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// Every signature line starts with U+2014 EM DASH and a space.
pub(crate) const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Signature type identifier of Ed25519 in signed notes.
const ALG_ED25519: u8 = 0x01;

/// Key ID (4 bytes) followed by an Ed25519 signature (64 bytes).
const ED25519_SIGNATURE_LINE_BYTES: usize = 4 + 64;

/// Why a note, checkpoint or verifier key was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The note is larger than [`MAX_NOTE_BYTES`].
    #[error("note is {len} bytes, more than the {max} allowed")]
    NoteTooLarge {
        /// Size of the rejected note.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The note has more than [`MAX_SIGNATURES`] signature lines.
    #[error("note has more than {max} signature lines")]
    TooManySignatures {
        /// The limit.
        max: usize,
    },
    /// The note or text contains an ASCII control character other than newline
    /// (carriage returns and tabs included), which the spec forbids.
    #[error("control character {byte:#04x} at byte {offset}")]
    ControlCharacter {
        /// Byte offset of the character.
        offset: usize,
        /// The offending byte.
        byte: u8,
    },
    /// The note does not end with a newline.
    #[error("note does not end with a newline")]
    MissingFinalNewline,
    /// No blank line separates the text from the signature lines.
    #[error("note has no blank line between its text and its signatures")]
    MissingBlankLine,
    /// The blank line is followed by no signature line.
    #[error("note has no signature lines")]
    NoSignatures,
    /// A signature line does not have the form `— <name> <base64>`.
    #[error("signature line {line} is malformed: {reason}")]
    MalformedSignatureLine {
        /// 1-based position among the signature lines.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A key name is empty or contains a space or `+`.
    #[error("key name {0:?} is invalid: it must be non-empty, without spaces or '+'")]
    InvalidKeyName(String),
    /// A verifier key (`<name>+<hex key id>+<base64 key>`) is malformed.
    #[error("verifier key is malformed: {0}")]
    MalformedVerifierKey(&'static str),
    /// A signature line by the trusted key does not verify. The whole note is
    /// rejected, as the spec recommends, even if another line verifies.
    #[error("signature by {name}+{key_id:08x} does not verify")]
    InvalidSignature {
        /// Key name of the failing line.
        name: String,
        /// Key ID of the failing line.
        key_id: u32,
    },
    /// No signature line is by the trusted key (same name and key ID).
    #[error("note has no signature by {name}+{key_id:08x}")]
    NotSignedByKey {
        /// Name of the trusted key.
        name: String,
        /// Key ID of the trusted key.
        key_id: u32,
    },
    /// Text to be signed is empty or does not end with a newline.
    #[error("note text is invalid: {0}")]
    InvalidText(&'static str),
    /// The checkpoint body has fewer than the three mandatory lines.
    #[error("checkpoint has {0} lines; origin, tree size and root hash are required")]
    TooFewLines(usize),
    /// The origin line is empty or contains a newline or control character.
    #[error("checkpoint origin is invalid: {0}")]
    InvalidOrigin(&'static str),
    /// The tree size line is not a canonical decimal `u64`.
    #[error("checkpoint tree size is invalid: {0}")]
    InvalidSize(&'static str),
    /// The root hash line is not the canonical base64 of 32 bytes.
    #[error("checkpoint root hash is invalid: {0}")]
    InvalidRootHash(&'static str),
    /// An extension line is empty or contains a newline or control character.
    #[error("checkpoint extension line {index} is invalid: {reason}")]
    InvalidExtension {
        /// 0-based position among the extension lines.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A log's signed statement of its tree at one size (the note text of a
/// c2sp.org/tlog-checkpoint).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Identity of the log, e.g. `example.com/registry`. Verifiers must compare
    /// it with the log they expect: the signature alone does not say which log
    /// the key speaks for.
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// `MTH` of the first `size` leaves.
    pub root: Hash,
    /// Optional extra lines, each non-empty, e.g. `time 1764400000`.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: origin, decimal size, base64 root and each extension,
    /// every line ending in a newline.
    pub fn body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        for extension in &self.extensions {
            body.push_str(extension);
            body.push('\n');
        }
        body
    }

    /// The Unix time in seconds from the first extension line of the form
    /// `time <seconds>`, if there is one and it is a canonical decimal.
    pub fn time(&self) -> Option<u64> {
        self.extensions
            .iter()
            .find_map(|line| line.strip_prefix("time "))
            .and_then(|digits| parse_decimal(digits).ok())
    }

    /// Refuses fields that would not survive the round trip through
    /// [`Checkpoint::body`]: a newline in the origin would let it forge the size
    /// and root lines.
    fn validate(&self) -> Result<(), CheckpointError> {
        check_origin(&self.origin)?;
        self.extensions
            .iter()
            .enumerate()
            .try_for_each(|(index, extension)| check_extension(index, extension))
    }

    /// Parses a note text strictly. Does not authenticate anything: only call
    /// it on text whose signature has been verified.
    pub(crate) fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        let Some(text) = text.strip_suffix('\n') else {
            return Err(CheckpointError::InvalidText("does not end with a newline"));
        };
        let lines: Vec<&str> = text.split('\n').collect();
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(CheckpointError::TooFewLines(lines.len()));
        };
        check_origin(origin)?;
        let size = parse_decimal(size).map_err(CheckpointError::InvalidSize)?;
        let root = STANDARD
            .decode(root)
            .map_err(|_| CheckpointError::InvalidRootHash("not canonical standard base64"))?;
        let root: Hash = root
            .try_into()
            .map_err(|_| CheckpointError::InvalidRootHash("does not decode to 32 bytes"))?;
        for (index, extension) in extensions.iter().enumerate() {
            check_extension(index, extension)?;
        }
        Ok(Self {
            origin: (*origin).to_owned(),
            size,
            root,
            extensions: extensions.iter().map(|line| (*line).to_owned()).collect(),
        })
    }
}

/// Parses a decimal `u64` with no sign, no whitespace and no leading zero
/// (except `0` itself), so that each number has exactly one spelling.
pub(crate) fn parse_decimal(text: &str) -> Result<u64, &'static str> {
    if text.is_empty() {
        return Err("empty");
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a plain decimal number");
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err("leading zero");
    }
    text.parse().map_err(|_| "larger than u64::MAX")
}

/// An origin line must be non-empty and, being one line, hold no newline
/// (nor any other control character, which notes forbid).
fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    if origin.is_empty() {
        return Err(CheckpointError::InvalidOrigin("empty"));
    }
    if has_control(origin) {
        return Err(CheckpointError::InvalidOrigin(
            "contains a newline or control character",
        ));
    }
    Ok(())
}

/// Extension lines must be non-empty single lines.
fn check_extension(index: usize, extension: &str) -> Result<(), CheckpointError> {
    let reason = if extension.is_empty() {
        "empty"
    } else if has_control(extension) {
        "contains a newline or control character"
    } else {
        return Ok(());
    };
    Err(CheckpointError::InvalidExtension { index, reason })
}

/// True if `text` holds an ASCII control character, newline included.
fn has_control(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20)
}

/// The first control character other than newline, which notes must not hold.
pub(crate) fn find_forbidden_control(text: &str) -> Option<CheckpointError> {
    text.bytes()
        .enumerate()
        .find(|&(_, b)| b < 0x20 && b != b'\n')
        .map(|(offset, byte)| CheckpointError::ControlCharacter { offset, byte })
}

/// Key names must be non-empty with no Unicode space and no `+`, so that they
/// can be delimited in signature lines and verifier keys.
pub(crate) fn check_key_name(name: &str) -> Result<(), CheckpointError> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(CheckpointError::InvalidKeyName(name.to_owned()));
    }
    if has_control(name) {
        return Err(CheckpointError::InvalidKeyName(name.to_owned()));
    }
    Ok(())
}

/// The signed-note key ID of an Ed25519 key: the first four bytes, big-endian,
/// of `SHA-256(name || "\n" || 0x01 || public key)`.
pub fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([ALG_ED25519]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The verifier key text `<name>+<8 hex digits key ID>+<base64(alg || 32-byte key)>`: the form
/// [`parse_vkey`] reads, for checkpoint and cosignature keys alike.
pub(crate) fn format_vkey(name: &str, key_id: u32, alg: u8, key: &VerifyingKey) -> String {
    let mut raw = Vec::with_capacity(33);
    raw.push(alg);
    raw.extend_from_slice(key.as_bytes());
    format!("{name}+{key_id:08x}+{}", STANDARD.encode(raw))
}

/// Splits a verifier key `<name>+<8 hex digits key ID>+<base64(alg || 32-byte key)>` of signature
/// type `alg` into its name, claimed key ID and Ed25519 key (`wrong_type` is the refusal of another
/// type); the caller checks the key ID, which depends on the type.
pub(crate) fn parse_vkey<'a>(
    vkey: &'a str,
    alg: u8,
    wrong_type: &'static str,
) -> Result<(&'a str, u32, VerifyingKey), CheckpointError> {
    // The base64 part may itself contain '+', so split only twice.
    let mut parts = vkey.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(CheckpointError::MalformedVerifierKey(
            "expected <name>+<key id>+<key>",
        ));
    };
    check_key_name(name)?;
    if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CheckpointError::MalformedVerifierKey(
            "key id is not 8 hex digits",
        ));
    }
    let claimed_id = u32::from_str_radix(id_hex, 16)
        .map_err(|_| CheckpointError::MalformedVerifierKey("key id is not 8 hex digits"))?;
    let raw = STANDARD
        .decode(key_b64)
        .map_err(|_| CheckpointError::MalformedVerifierKey("key is not canonical base64"))?;
    let Some((&found, key_bytes)) = raw.split_first() else {
        return Err(CheckpointError::MalformedVerifierKey("key is empty"));
    };
    if found != alg {
        return Err(CheckpointError::MalformedVerifierKey(wrong_type));
    }
    let key_bytes: [u8; 32] = key_bytes
        .try_into()
        .map_err(|_| CheckpointError::MalformedVerifierKey("Ed25519 public key is not 32 bytes"))?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| CheckpointError::MalformedVerifierKey("not a valid Ed25519 public key"))?;
    Ok((name, claimed_id, key))
}

/// A trusted Ed25519 key under its signed-note name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
    /// The same key, decoded for the registry's one Ed25519 rule (`ed25519-verify`), by which
    /// notes are checked as certificates are.
    rule_key: ed25519_verify::PublicKey,
}

impl NoteVerifier {
    /// A verifier for `key` under `name`.
    ///
    /// Refuses invalid names and weak (small-order) keys, for which a
    /// signature proves nothing, and keys not canonically encoded.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, CheckpointError> {
        check_key_name(name)?;
        if key.is_weak() {
            return Err(CheckpointError::MalformedVerifierKey(
                "weak (small-order) public key",
            ));
        }
        let rule_key = ed25519_verify::PublicKey::from_bytes(key.as_bytes()).map_err(|_| {
            CheckpointError::MalformedVerifierKey("Ed25519 public key not canonically encoded")
        })?;
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, &key),
            key,
            rule_key,
        })
    }

    /// Parses a verifier key `<name>+<8 hex digits key ID>+<base64(0x01 ||
    /// 32-byte public key)>`, checking that the key ID matches the key.
    pub fn from_vkey(vkey: &str) -> Result<Self, CheckpointError> {
        let (name, claimed_id, key) =
            parse_vkey(vkey, ALG_ED25519, "signature type is not Ed25519 (0x01)")?;
        let verifier = Self::new(name, key)?;
        if verifier.key_id != claimed_id {
            return Err(CheckpointError::MalformedVerifierKey(
                "key id does not match the key",
            ));
        }
        Ok(verifier)
    }

    /// The verifier key text form, `<name>+<key id>+<base64(0x01 || key)>`,
    /// to publish so that clients can check checkpoints.
    pub fn vkey(&self) -> String {
        format_vkey(&self.name, self.key_id, ALG_ED25519, &self.key)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID signature lines carry.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }
}

/// Signs a note text with one Ed25519 key and returns the note: the text, a
/// blank line and the signature line `— <name> <base64(key ID || signature)>`.
///
/// The text must be non-empty, end with a newline and hold no control
/// character other than newline.
pub fn sign_note(text: &str, key_name: &str, key: &SigningKey) -> Result<String, CheckpointError> {
    check_note_text(text, key_name)?;
    let signature = key.sign(text.as_bytes()).to_bytes();
    signed_note(text, key_name, &key.verifying_key(), &signature)
}

/// Checks that `text` may be signed as a note under `key_name` (the checks of
/// [`sign_note`]), for a signer that signs the text elsewhere (a hardware
/// module) and then calls [`signed_note`].
pub fn check_note_text(text: &str, key_name: &str) -> Result<(), CheckpointError> {
    check_key_name(key_name)?;
    if text.is_empty() {
        return Err(CheckpointError::InvalidText("empty"));
    }
    if !text.ends_with('\n') {
        return Err(CheckpointError::InvalidText("does not end with a newline"));
    }
    if let Some(error) = find_forbidden_control(text) {
        return Err(error);
    }
    Ok(())
}

/// The note of `text` (checked by [`check_note_text`]) with `signature`, the
/// Ed25519 signature of `text` by `key` under `key_name`, made elsewhere.
pub fn signed_note(
    text: &str,
    key_name: &str,
    key: &VerifyingKey,
    signature: &[u8; 64],
) -> Result<String, CheckpointError> {
    check_note_text(text, key_name)?;
    let id = key_id(key_name, key);
    let mut payload = Vec::with_capacity(ED25519_SIGNATURE_LINE_BYTES);
    payload.extend_from_slice(&id.to_be_bytes());
    payload.extend_from_slice(signature);
    let note = format!(
        "{text}\n{SIGNATURE_PREFIX}{key_name} {}\n",
        STANDARD.encode(payload)
    );
    if note.len() > MAX_NOTE_BYTES {
        return Err(CheckpointError::NoteTooLarge {
            len: note.len(),
            max: MAX_NOTE_BYTES,
        });
    }
    Ok(note)
}

/// Checks a note's signatures against one trusted key and returns its text
/// (including the final newline).
///
/// Signature lines by other keys (a different name or key ID) are ignored, as
/// the spec requires, so witnesses' cosignatures and rotated keys do not get in
/// the way. A line by the trusted key that fails the registry's one Ed25519
/// rule (crate `ed25519-verify`: cofactored, canonical encodings, S < L) rejects
/// the whole note.
pub fn open_note<'a>(note: &'a str, verifier: &NoteVerifier) -> Result<&'a str, CheckpointError> {
    let (text, lines) = split_note(note)?;
    let mut verified = false;
    for line in &lines {
        if line.name != verifier.name || line.key_id != verifier.key_id {
            continue;
        }
        ed25519_verify::verify(&verifier.rule_key, text.as_bytes(), &line.signature).map_err(
            |_| CheckpointError::InvalidSignature {
                name: line.name.to_owned(),
                key_id: line.key_id,
            },
        )?;
        verified = true;
    }
    if verified {
        Ok(text)
    } else {
        Err(CheckpointError::NotSignedByKey {
            name: verifier.name.clone(),
            key_id: verifier.key_id,
        })
    }
}

/// One signature line of a note, decoded but not verified.
pub(crate) struct SignatureLine<'a> {
    /// The key name.
    pub name: &'a str,
    /// The key ID (the first four bytes of the decoded signature).
    pub key_id: u32,
    /// The signature bytes after the key ID (never empty).
    pub signature: Vec<u8>,
}

/// Splits a note into its text (final newline included) and its signature lines, checking the
/// note's form and bounds ([`MAX_NOTE_BYTES`], [`MAX_SIGNATURES`]) but no signature.
pub(crate) fn split_note(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), CheckpointError> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(CheckpointError::NoteTooLarge {
            len: note.len(),
            max: MAX_NOTE_BYTES,
        });
    }
    if let Some(error) = find_forbidden_control(note) {
        return Err(error);
    }
    if !note.ends_with('\n') {
        return Err(CheckpointError::MissingFinalNewline);
    }
    // The text may contain blank lines, signature lines cannot, so the last
    // blank line is the separator.
    let Some(split) = note.rfind("\n\n") else {
        return Err(CheckpointError::MissingBlankLine);
    };
    let text = &note[..split + 1];
    let signatures = &note[split + 2..];
    let Some(signatures) = signatures.strip_suffix('\n') else {
        return Err(CheckpointError::NoSignatures);
    };

    // Counted before any line is decoded, so the limit also bounds the
    // number of verifications an input can trigger.
    if signatures.split('\n').count() > MAX_SIGNATURES {
        return Err(CheckpointError::TooManySignatures {
            max: MAX_SIGNATURES,
        });
    }

    let mut lines = Vec::new();
    for (position, line) in signatures.split('\n').enumerate() {
        let line_number = position + 1;
        let malformed = |reason| CheckpointError::MalformedSignatureLine {
            line: line_number,
            reason,
        };
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or_else(|| malformed("does not start with an em dash and a space"))?;
        let (name, encoded) = rest
            .split_once(' ')
            .ok_or_else(|| malformed("no space between key name and signature"))?;
        check_key_name(name).map_err(|_| malformed("invalid key name"))?;
        let raw = STANDARD
            .decode(encoded)
            .map_err(|_| malformed("signature is not canonical standard base64"))?;
        let Some((id_bytes, signature)) = raw.split_first_chunk::<4>() else {
            return Err(malformed("signature shorter than its 4-byte key id"));
        };
        if signature.is_empty() {
            return Err(malformed("signature shorter than its 4-byte key id"));
        }
        lines.push(SignatureLine {
            name,
            key_id: u32::from_be_bytes(*id_bytes),
            signature: signature.to_vec(),
        });
    }
    Ok((text, lines))
}

/// Signs `checkpoint` with `key` under `key_name` and returns the note.
///
/// The key name conventionally equals the origin. Fails if the checkpoint's
/// origin or extensions could not be parsed back (empty, or containing a
/// newline or control character) or the key name is invalid.
pub fn sign_checkpoint(
    checkpoint: &Checkpoint,
    key_name: &str,
    key: &SigningKey,
) -> Result<String, CheckpointError> {
    checkpoint.validate()?;
    sign_note(&checkpoint.body(), key_name, key)
}

/// The text of `checkpoint` to sign (checked as [`sign_checkpoint`] checks it),
/// for a signer that signs elsewhere (a hardware module) and then makes the
/// note with [`signed_note`].
pub fn checkpoint_text(checkpoint: &Checkpoint, key_name: &str) -> Result<String, CheckpointError> {
    checkpoint.validate()?;
    let text = checkpoint.body();
    check_note_text(&text, key_name)?;
    Ok(text)
}

/// Verifies a checkpoint note against one trusted key and parses its text
/// strictly.
///
/// The signature is checked before the text is parsed, as the spec requires
/// unsigned text to be ignored. The caller must still compare the origin with
/// the log it expects.
pub fn open_checkpoint(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint, CheckpointError> {
    let text = open_note(note, verifier)?;
    Checkpoint::parse_body(text)
}
