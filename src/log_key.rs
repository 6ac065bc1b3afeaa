//! The transparency log's checkpoint key: an Ed25519 key of its own, never a certificate signing
//! key, so that a leaked or rotated certificate key says nothing about the log and the other way
//! round.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use transparency_log::{Checkpoint, NoteVerifier, SigningKey, sign_checkpoint};

use crate::error::{Error, Result};
use crate::signing_keys::thumbprint;

/// The key that signs checkpoints, and the log's name (the checkpoints' origin and key name).
pub struct LogKey {
    signing: SigningKey,
    verifier: NoteVerifier,
}

impl LogKey {
    /// Reads the key at `path` (creating it, mode 0600, on first start) for the log named `origin`.
    pub fn load_or_create(path: &Path, origin: &str) -> anyhow::Result<Self> {
        let seed = crate::key_file::load_or_create_secret(path)?;
        let signing = SigningKey::from_bytes(&seed);
        let verifier = NoteVerifier::new(origin, signing.verifying_key())
            .map_err(|e| anyhow::anyhow!("{origin:?} cannot name the transparency log: {e}"))
            .context("choose an --issuer without spaces or '+'")?;
        Ok(Self { signing, verifier })
    }

    /// The log's name: the origin line of its checkpoints.
    pub fn origin(&self) -> &str {
        self.verifier.name()
    }

    /// The public key in the signed-note verifier form `<name>+<key id>+<base64 key>`.
    pub fn verifier_key(&self) -> String {
        self.verifier.vkey()
    }

    /// Signs `checkpoint`, returning the note.
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<String> {
        sign_checkpoint(checkpoint, self.origin(), &self.signing)
            .map_err(|e| Error::internal(anyhow::anyhow!("cannot sign a checkpoint: {e}")))
    }

    /// The RFC 7638 thumbprint of the public key: the JWK's `kid`.
    pub fn key_id(&self) -> String {
        thumbprint(&self.x())
    }

    fn x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.signing.verifying_key().to_bytes())
    }

    /// The public JWK, with `"use": "log"` so that no verifier takes it for a certificate key.
    pub fn jwk(&self) -> Value {
        let x = self.x();
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "kid": thumbprint(&x),
            "x": x,
            "use": "log",
            "alg": "EdDSA",
            "status": "active",
        })
    }
}
