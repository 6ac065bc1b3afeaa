//! The transparency log's checkpoint key: an Ed25519 key of its own, never a certificate signing
//! key, so that a leaked or rotated certificate key says nothing about the log and the other way
//! round. Kept in a file in the data directory, or in the token of `--signing-key pkcs11:...`
//! under its own label; either way it signs through [`Ed25519Signer`].

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use transparency_log::{
    Checkpoint, NoteVerifier, SigningKey, VerifyingKey, checkpoint_text, signed_note,
};

use crate::error::{Error, Result};
use crate::pkcs11::{Token, TokenSigner};
use crate::signing_keys::{Ed25519Signer, seed_signer, thumbprint};

/// The key that signs checkpoints, and the log's name (the checkpoints' origin and key name).
pub struct LogKey {
    signer: Arc<dyn Ed25519Signer>,
    verifier: NoteVerifier,
}

impl LogKey {
    /// Reads the key at `path` (creating it, mode 0600, on first start) for the log named `origin`.
    pub fn load_or_create(path: &Path, origin: &str) -> anyhow::Result<Self> {
        let seed = crate::key_file::load_or_create_secret(path)?;
        let signing = SigningKey::from_bytes(&seed);
        Self::new(signing.verifying_key(), seed_signer(signing), origin)
    }

    /// The key labelled `label` in `token` (blocking), made there first when `create` and the
    /// token holds none, for the log named `origin`.
    pub fn in_token(
        token: &Arc<Token>,
        label: &str,
        create: bool,
        origin: &str,
    ) -> anyhow::Result<Self> {
        let key = match token.keys(label)?.pop() {
            Some(key) => key,
            None if create => token.generate(label, chrono::Utc::now())?,
            None => anyhow::bail!(
                "the token {} holds no checkpoint key labelled {label:?}",
                token.uri().redacted()
            ),
        };
        let public = VerifyingKey::from_bytes(&key.public).map_err(|e| {
            anyhow::anyhow!("the checkpoint key in the token is no Ed25519 key: {e}")
        })?;
        let signer = Arc::new(TokenSigner {
            token: token.clone(),
            label: label.to_owned(),
            id: key.id,
        });
        Self::new(public, signer, origin)
    }

    fn new(
        public: VerifyingKey,
        signer: Arc<dyn Ed25519Signer>,
        origin: &str,
    ) -> anyhow::Result<Self> {
        let verifier = NoteVerifier::new(origin, public)
            .map_err(|e| anyhow::anyhow!("{origin:?} cannot name the transparency log: {e}"))
            .context("choose an --issuer without spaces or '+'")?;
        Ok(Self { signer, verifier })
    }

    /// The log's name: the origin line of its checkpoints.
    pub fn origin(&self) -> &str {
        self.verifier.name()
    }

    /// The public key in the signed-note verifier form `<name>+<key id>+<base64 key>`.
    pub fn verifier_key(&self) -> String {
        self.verifier.vkey()
    }

    /// Signs `checkpoint`, returning the note. Fails with `UNAVAILABLE` when the key's hardware
    /// module cannot sign now.
    pub async fn sign(&self, checkpoint: &Checkpoint) -> Result<String> {
        let refused = |e| Error::internal(anyhow::anyhow!("cannot sign a checkpoint: {e}"));
        let text = checkpoint_text(checkpoint, self.origin()).map_err(refused)?;
        let signature = crate::signing_keys::sign(&self.signer, text.clone().into_bytes()).await?;
        signed_note(
            &text,
            self.origin(),
            self.verifier.verifying_key(),
            &signature,
        )
        .map_err(refused)
    }

    /// The RFC 7638 thumbprint of the public key: the JWK's `kid`.
    pub fn key_id(&self) -> String {
        thumbprint(&self.x())
    }

    fn x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.verifier.verifying_key().to_bytes())
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
