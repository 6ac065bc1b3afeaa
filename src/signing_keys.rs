//! Certificate signing keys: Ed25519, never the access-token key, kept in one JSON file (mode 0600)
//! so that every replica can read the same keys. Rotation adds a new active key and retires the old
//! one, which stays in the file (and in the published JWKS) to verify what it signed.
//!
//! The file: `{"keys": [{"kid", "created", "retired", "private_key"}]}`, where `private_key` is the
//! 32-byte Ed25519 seed in hex, `created`/`retired` are RFC 3339 times, and `kid` is the key's RFC
//! 7638 JWK thumbprint, so that anyone holding the public key can recompute it.
//!
//! With `--signing-key pkcs11:...` the keys live in a hardware security module instead
//! ([`crate::pkcs11`]); either way a key signs through the [`Ed25519Signer`] trait, and calls that
//! may block (a module) run off the async runtime's threads, bounded ([`off_runtime`]).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use ed25519_verify::PublicKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::domain::event::{format_time, truncate_to_micros};
use crate::pkcs11::{Token, TokenSigner};

/// Signs with one Ed25519 key, wherever it is kept: a key file's seed or a key in a hardware
/// security module. Interchangeable behind [`KeyEntry`] and [`crate::log_key::LogKey`].
pub trait Ed25519Signer: Send + Sync {
    /// The signature (pure Ed25519, RFC 8032) of `message`. May block when [`Self::blocks`]:
    /// async code calls it through [`sign`].
    fn sign_blocking(&self, message: &[u8]) -> Result<[u8; 64], SignError>;

    /// Whether a call may block (leaves the process: a hardware module), and so runs on the
    /// blocking pool, bounded by [`off_runtime`].
    fn blocks(&self) -> bool;
}

/// A key that could not sign (its hardware module is gone, erred or did not answer in time). The
/// detail is logged; callers get `UNAVAILABLE`, and nothing the signature was for is stored.
#[derive(Debug, thiserror::Error)]
#[error("the signing key is unavailable: {0}")]
pub struct SignError(pub String);

impl From<SignError> for crate::error::Error {
    fn from(error: SignError) -> Self {
        tracing::error!(error = %error, "a signing key could not sign");
        crate::error::Error::Unavailable(
            "a signing key is unavailable (its hardware security module does not answer); \
             nothing was written: try again later"
                .into(),
        )
    }
}

/// Most calls to a hardware module at once, waiting or running; more are refused at once, so a
/// module that hangs holds at most this many blocking threads.
pub const MAX_BLOCKING_SIGNER_CALLS: usize = 64;

/// Longest the caller waits for a hardware module's answer.
pub const SIGNER_CALL_TIMEOUT: Duration = Duration::from_secs(10);

static BLOCKING_CALLS: LazyLock<Arc<Semaphore>> =
    LazyLock::new(|| Arc::new(Semaphore::new(MAX_BLOCKING_SIGNER_CALLS)));

/// Runs `call` (a hardware module call) on the blocking pool: at most
/// [`MAX_BLOCKING_SIGNER_CALLS`] at once, each waited for at most [`SIGNER_CALL_TIMEOUT`].
pub async fn off_runtime<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, SignError> + Send + 'static,
) -> Result<T, SignError> {
    let permit = BLOCKING_CALLS.clone().try_acquire_owned().map_err(|_| {
        SignError(format!(
            "{MAX_BLOCKING_SIGNER_CALLS} calls to the hardware module are pending"
        ))
    })?;
    let running = tokio::task::spawn_blocking(move || {
        // Held until the call returns, however long the caller waits.
        let _permit = permit;
        call()
    });
    match tokio::time::timeout(SIGNER_CALL_TIMEOUT, running).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(failure)) => Err(SignError(format!(
            "the call to the module failed: {failure}"
        ))),
        Err(_) => Err(SignError(format!(
            "the hardware module did not answer within {SIGNER_CALL_TIMEOUT:?}"
        ))),
    }
}

/// The signature of `message` by `signer`, off the runtime's threads when it may block.
pub async fn sign(
    signer: &Arc<dyn Ed25519Signer>,
    message: Vec<u8>,
) -> Result<[u8; 64], SignError> {
    if !signer.blocks() {
        return signer.sign_blocking(&message);
    }
    let signer = signer.clone();
    off_runtime(move || signer.sign_blocking(&message)).await
}

/// A key file's key: signs in the process.
struct SeedSigner(SigningKey);

impl Ed25519Signer for SeedSigner {
    fn sign_blocking(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        Ok(ed25519_dalek::Signer::sign(&self.0, message).to_bytes())
    }

    fn blocks(&self) -> bool {
        false
    }
}

/// The signer of an Ed25519 seed (a key file's key).
pub fn seed_signer(signing: SigningKey) -> Arc<dyn Ed25519Signer> {
    Arc::new(SeedSigner(signing))
}

/// One signing key.
#[derive(Clone)]
pub struct KeyEntry {
    /// Key id: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// When it was made (and became active).
    pub created: DateTime<Utc>,
    /// When a newer key replaced it; `None` for the active key.
    pub retired: Option<DateTime<Utc>>,
    /// What signs with it.
    signer: Arc<dyn Ed25519Signer>,
    /// The seed, for a key kept in a file (written back on rotation); `None` in a token.
    seed: Option<SigningKey>,
    /// The public key (RFC 8032 encoding).
    x: [u8; 32],
    /// Decoded (and checked against the signature rule) once: verifiers would otherwise parse it
    /// again for every token.
    public: PublicKey,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field("created", &self.created)
            .field("retired", &self.retired)
            .finish_non_exhaustive()
    }
}

impl KeyEntry {
    fn generate(now: DateTime<Utc>) -> anyhow::Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| anyhow::anyhow!("the operating system gave no random bytes: {e}"))?;
        Self::from_seed(seed, truncate_to_micros(now), None)
    }

    /// The key of `seed`.
    fn from_seed(
        seed: [u8; 32],
        created: DateTime<Utc>,
        retired: Option<DateTime<Utc>>,
    ) -> anyhow::Result<Self> {
        let signing = SigningKey::from_bytes(&seed);
        let x = signing.verifying_key().to_bytes();
        let mut key = Self::from_public(x, created, retired, seed_signer(signing.clone()))?;
        key.seed = Some(signing);
        Ok(key)
    }

    /// The key with public key `x` that `signer` signs with. Refused when the signature rule
    /// refuses the public key, which an honest key is with negligible probability: better to know
    /// at start than at each verification.
    pub fn from_public(
        x: [u8; 32],
        created: DateTime<Utc>,
        retired: Option<DateTime<Utc>>,
        signer: Arc<dyn Ed25519Signer>,
    ) -> anyhow::Result<Self> {
        // Nothing signs or verifies JWTs before a key exists (src/jwt_crypto.rs).
        crate::jwt_crypto::install()?;
        let kid = thumbprint(&URL_SAFE_NO_PAD.encode(x));
        let public = PublicKey::from_bytes(&x)
            .map_err(|why| anyhow::anyhow!("key {kid} cannot verify signatures: {why}"))?;
        Ok(Self {
            kid,
            created,
            retired,
            signer,
            seed: None,
            x,
            public,
        })
    }

    /// The public key, base64url without padding (the JWK's `x`).
    pub fn x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.x)
    }

    /// The Ed25519 signature of `message` (deterministic, RFC 8032): what a DSSE envelope
    /// carries. Fails when the key's hardware module cannot sign now.
    pub async fn sign(&self, message: Vec<u8>) -> Result<[u8; 64], SignError> {
        sign(&self.signer, message).await
    }

    /// `claims` as a compact JWS (RFC 7515) under `header` (whose `alg` must be EdDSA), signed
    /// with this key: the bytes `jsonwebtoken::encode` makes, signed wherever the key is kept.
    pub async fn sign_jws<T: Serialize>(
        &self,
        header: &jsonwebtoken::Header,
        claims: &T,
    ) -> crate::error::Result<String> {
        if header.alg != jsonwebtoken::Algorithm::EdDSA {
            return Err(crate::error::Error::internal(anyhow::anyhow!(
                "certificate keys sign EdDSA only, not {:?}",
                header.alg
            )));
        }
        let part = |value: serde_json::Result<Vec<u8>>| {
            value
                .map(|json| URL_SAFE_NO_PAD.encode(json))
                .map_err(|e| crate::error::Error::internal(anyhow::anyhow!("cannot sign: {e}")))
        };
        let input = format!(
            "{}.{}",
            part(serde_json::to_vec(header))?,
            part(serde_json::to_vec(claims))?
        );
        let signature = self.sign(input.clone().into_bytes()).await?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// The public key, decoded for the signature rule (`ed25519-verify`).
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Whether this key is the one that signs now.
    pub fn is_active(&self) -> bool {
        self.retired.is_none()
    }

    /// The public JWK (RFC 7517, OKP per RFC 8037), with the registry's `status`, `valid_from` and
    /// `valid_until` members.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.x(),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
            "status": if self.is_active() { "active" } else { "retired" },
            "valid_from": format_time(self.created),
            "valid_until": self.retired.map(format_time),
        })
    }
}

/// RFC 7638 thumbprint of an Ed25519 public key: the API's, with which verifiers check a JWK's id.
pub use provenance_api::certificate::jwks::thumbprint;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    keys: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredKey {
    kid: String,
    created: String,
    retired: Option<String>,
    private_key: String,
}

/// The signing keys, newest last.
#[derive(Debug, Clone)]
pub struct KeyRing {
    keys: Vec<KeyEntry>,
}

impl KeyRing {
    /// Reads the key file at `path`, creating it with one fresh key if it does not exist. Refuses a
    /// file other users can read, and a file whose keys do not match their ids.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            let ring = KeyRing {
                keys: vec![KeyEntry::generate(Utc::now())?],
            };
            ring.write(path, true)?;
            return Ok(ring);
        }
        Self::load(path)
    }

    /// Reads the key file at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = crate::key_file::read_private(path)?;
        let file: KeyFile = serde_json::from_str(&text)
            .with_context(|| format!("signing key file {} is not a key file", path.display()))?;
        let problem = |what: String| anyhow::anyhow!("signing key file {}: {what}", path.display());
        let mut keys = Vec::with_capacity(file.keys.len());
        for stored in file.keys {
            let mut seed = [0u8; 32];
            hex::decode_to_slice(&stored.private_key, &mut seed)
                .map_err(|_| problem(format!("key {} is not 64 hex digits", stored.kid)))?;
            let time = |t: &str| {
                DateTime::parse_from_rfc3339(t)
                    .map(|t| t.to_utc())
                    .map_err(|_| problem(format!("key {} has a malformed time {t:?}", stored.kid)))
            };
            let entry = KeyEntry::from_seed(
                seed,
                time(&stored.created)?,
                stored.retired.as_deref().map(time).transpose()?,
            )
            .map_err(|e| problem(format!("{e:#}")))?;
            if entry.kid != stored.kid {
                return Err(problem(format!("key {} does not match its id", stored.kid)));
            }
            keys.push(entry);
        }
        let active = keys.iter().filter(|k| k.is_active()).count();
        if active != 1 {
            return Err(problem(format!(
                "{active} active keys; exactly one must be active"
            )));
        }
        if keys.last().is_some_and(|k| !k.is_active()) {
            return Err(problem("the active key must be the newest".into()));
        }
        Ok(Self { keys })
    }

    /// Makes a new key active and retires the current one; writes the file atomically.
    pub fn rotate(path: &Path) -> anyhow::Result<KeyEntry> {
        let (ring, fresh) = Self::load(path)?.rotated()?;
        ring.replace(path)?;
        Ok(fresh)
    }

    /// These keys with the current one retired and a new one active after it; and the new key.
    pub fn rotated(&self) -> anyhow::Result<(KeyRing, KeyEntry)> {
        let mut ring = self.clone();
        let now = truncate_to_micros(Utc::now());
        for key in &mut ring.keys {
            if key.retired.is_none() {
                key.retired = Some(now);
            }
        }
        let fresh = KeyEntry::generate(now)?;
        ring.keys.push(fresh.clone());
        Ok((ring, fresh))
    }

    /// Writes these keys over the file at `path`, atomically (mode 0600).
    pub fn replace(&self, path: &Path) -> anyhow::Result<()> {
        self.write(path, false)
    }

    /// The fingerprint the database records of a file holding these keys: their ids, oldest first
    /// (see [`crate::domain::key_record`]).
    pub fn fingerprint(&self) -> String {
        crate::domain::key_record::signing_keys_fingerprint(
            self.keys.iter().map(|k| k.kid.as_str()),
        )
    }

    fn write(&self, path: &Path, create_new: bool) -> anyhow::Result<()> {
        let mut keys = Vec::with_capacity(self.keys.len());
        for k in &self.keys {
            let Some(seed) = &k.seed else {
                bail!("key {} is kept in a token, not a file", k.kid);
            };
            keys.push(StoredKey {
                kid: k.kid.clone(),
                created: format_time(k.created),
                retired: k.retired.map(format_time),
                private_key: hex::encode(seed.to_bytes()),
            });
        }
        let file = KeyFile { keys };
        let text = serde_json::to_string_pretty(&file)?;
        // Written beside the target and renamed over it, so a reader never sees half a file.
        let temporary = path.with_extension("json.tmp");
        let _ = fs::remove_file(&temporary);
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        out.write_all(text.as_bytes())
            .and_then(|()| out.sync_all())
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        if create_new && path.exists() {
            bail!(
                "signing key file {} appeared while it was being created",
                path.display()
            );
        }
        fs::rename(&temporary, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    }

    /// The key that signs now.
    pub fn active(&self) -> &KeyEntry {
        // `load` and `load_or_create` guarantee exactly one active key, the newest.
        self.keys
            .iter()
            .rev()
            .find(|k| k.is_active())
            .unwrap_or(&self.keys[self.keys.len() - 1])
    }

    /// The key with id `kid`.
    pub fn find(&self, kid: &str) -> Option<&KeyEntry> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> &[KeyEntry] {
        &self.keys
    }

    /// The public keys as a JWKS document (RFC 7517), newest first.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().rev().map(KeyEntry::jwk).collect::<Vec<_>>() })
    }
}

impl KeyRing {
    /// The keys `token` holds labelled `label` (blocking: call it off the runtime): the newest is
    /// active, each older one retired when the next was made. Fails when there are none.
    pub fn in_token(token: &Arc<Token>, label: &str) -> Result<Self, SignError> {
        let found = token.keys(label)?;
        let retirements = found
            .iter()
            .skip(1)
            .map(|next| Some(next.created))
            .chain([None]);
        let mut keys = Vec::with_capacity(found.len());
        for (key, retired) in found.iter().zip(retirements) {
            let signer: Arc<dyn Ed25519Signer> = Arc::new(TokenSigner {
                token: token.clone(),
                label: label.to_owned(),
                id: key.id.clone(),
            });
            keys.push(
                KeyEntry::from_public(key.public, key.created, retired, signer)
                    .map_err(|e| SignError(format!("{e:#}")))?,
            );
        }
        if keys.is_empty() {
            return Err(SignError(format!(
                "the token {} holds no key labelled {label:?}",
                token.uri().redacted()
            )));
        }
        Ok(Self { keys })
    }
}

/// How long the certificate keys read from a token are used for signing before the token is
/// listed again: a rotation made by another process is signed with within this long (at once
/// after a JWKS or `ListSigningKeys` read, which always list the token).
pub const TOKEN_KEYS_RECHECK: Duration = Duration::from_secs(1);

/// The certificate keys in a token, as a running server keeps them: the last listing, listed
/// again when older than [`TOKEN_KEYS_RECHECK`] (one listing at a time; a token that does not
/// answer leaves the last listing in use, and signing then fails on its own).
pub struct TokenKeyRing {
    token: Arc<Token>,
    label: String,
    current: RwLock<(Instant, Arc<KeyRing>)>,
    listing: tokio::sync::Mutex<()>,
}

impl TokenKeyRing {
    /// Lists the keys labelled `label` (blocking; at start).
    pub fn open(token: Arc<Token>, label: &str) -> anyhow::Result<Self> {
        let ring = KeyRing::in_token(&token, label)?;
        Ok(Self {
            token,
            label: label.to_owned(),
            current: RwLock::new((Instant::now(), Arc::new(ring))),
            listing: tokio::sync::Mutex::new(()),
        })
    }

    /// The last listing.
    pub fn cached(&self) -> Arc<KeyRing> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    /// The keys, listed again unless the last listing is younger than `age`.
    pub async fn listed_within(&self, age: Duration) -> Arc<KeyRing> {
        let asked = Instant::now();
        let fresh_enough = |at: Instant| asked.saturating_duration_since(at) < age;
        if fresh_enough(self.current.read().unwrap_or_else(|p| p.into_inner()).0) {
            return self.cached();
        }
        let _one_at_a_time = self.listing.lock().await;
        // Listed by another caller meanwhile.
        if self.current.read().unwrap_or_else(|p| p.into_inner()).0 >= asked {
            return self.cached();
        }
        let (token, label) = (self.token.clone(), self.label.clone());
        match off_runtime(move || KeyRing::in_token(&token, &label)).await {
            Ok(ring) => {
                let ring = Arc::new(ring);
                *self.current.write().unwrap_or_else(|p| p.into_inner()) =
                    (Instant::now(), ring.clone());
                ring
            }
            Err(error) => {
                tracing::error!(
                    error = %error,
                    "cannot list the signing keys in the token; keeping the last listing"
                );
                self.cached()
            }
        }
    }
}

/// Where the certificate signing keys are: a key file (the default) or a token.
pub enum CertificateKeySource {
    /// A key file, re-read when it changes.
    File(KeyRingFile),
    /// A hardware security module.
    Token(TokenKeyRing),
}

impl CertificateKeySource {
    /// The keys as last read (for a file: as it holds them now), without calling a token.
    pub fn current(&self) -> Arc<KeyRing> {
        match self {
            Self::File(file) => file.current(),
            Self::Token(token) => token.cached(),
        }
    }

    /// The keys to sign with now.
    pub async fn for_signing(&self) -> Arc<KeyRing> {
        match self {
            Self::File(file) => file.current(),
            Self::Token(token) => token.listed_within(TOKEN_KEYS_RECHECK).await,
        }
    }

    /// The keys as they are now, for publication (JWKS, `ListSigningKeys`).
    pub async fn listed(&self) -> Arc<KeyRing> {
        match self {
            Self::File(file) => file.current(),
            Self::Token(token) => token.listed_within(Duration::ZERO).await,
        }
    }

    /// The keys to check a signature by key `kid` with (see [`KeyRingFile::for_verifying`]); a
    /// token is listed again for an unknown `kid` at most every [`TOKEN_KEYS_RECHECK`].
    pub async fn for_verifying(&self, kid: &str) -> Arc<KeyRing> {
        match self {
            Self::File(file) => file.for_verifying(kid),
            Self::Token(token) => {
                let cached = token.cached();
                if cached.find(kid).is_some() {
                    return cached;
                }
                token.listed_within(TOKEN_KEYS_RECHECK).await
            }
        }
    }
}

/// The key ring of a running server: re-read when the file changes, so that `keys rotate` takes
/// effect without a restart (and on every replica that reads the same file).
pub struct KeyRingFile {
    path: PathBuf,
    current: RwLock<(Option<FileStamp>, Arc<KeyRing>)>,
    /// When the file was opened: the origin of `checked_ms`.
    opened: Instant,
    /// When the file's stamp was last compared with the cached keys, in ms since `opened`.
    checked_ms: AtomicU64,
}

/// How long keys that know a token's `kid` are used to check its signature without looking at
/// the file again. Looking costs a `stat` per verification; a new key is looked for at once (its
/// `kid` is unknown), so only a retirement can go unnoticed, for at most this long.
pub const VERIFYING_KEYS_RECHECK: Duration = Duration::from_millis(100);

/// What tells a changed file: rotation renames a new file over the old one, so its inode changes
/// even within one tick of the clock.
type FileStamp = (u64, i64, i64, u64);

fn stamp(path: &Path) -> Option<FileStamp> {
    fs::metadata(path)
        .ok()
        .map(|m| (m.ino(), m.mtime(), m.mtime_nsec(), m.len()))
}

impl KeyRingFile {
    /// Loads (creating if needed) the key file at `path`.
    pub fn open(path: PathBuf) -> anyhow::Result<Self> {
        let ring = KeyRing::load_or_create(&path)?;
        let modified = stamp(&path);
        Ok(Self {
            path,
            current: RwLock::new((modified, Arc::new(ring))),
            opened: Instant::now(),
            checked_ms: AtomicU64::new(0),
        })
    }

    /// The keys to check a signature by key `kid` with: those last read when they hold `kid` and
    /// the file was looked at within [`VERIFYING_KEYS_RECHECK`], else [`Self::current`].
    pub fn for_verifying(&self, kid: &str) -> Arc<KeyRing> {
        let now_ms = self.millis_since_opened();
        if now_ms.saturating_sub(self.checked_ms.load(Ordering::Relaxed))
            < VERIFYING_KEYS_RECHECK.as_millis() as u64
        {
            let cached = self
                .current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .1
                .clone();
            if cached.find(kid).is_some() {
                return cached;
            }
        }
        self.current()
    }

    fn millis_since_opened(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The keys as the file holds them now. A file that became unreadable keeps the last good keys
    /// in use and logs why.
    pub fn current(&self) -> Arc<KeyRing> {
        self.checked_ms
            .store(self.millis_since_opened(), Ordering::Relaxed);
        let modified = stamp(&self.path);
        {
            let cached = self.current.read().unwrap_or_else(|p| p.into_inner());
            if cached.0 == modified {
                return cached.1.clone();
            }
        }
        match KeyRing::load(&self.path) {
            Ok(ring) => {
                let ring = Arc::new(ring);
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = (modified, ring.clone());
                ring
            }
            Err(error) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    "cannot reload the signing keys; keeping the last good ones"
                );
                self.current
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .1
                    .clone()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_new_file_holds_one_private_active_key_that_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing-keys.json");
        let ring = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(ring.keys().len(), 1);
        let again = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(again.active().kid, ring.active().kid);
        assert_eq!(again.active().x(), ring.active().x());
    }

    #[test]
    fn rotation_retires_the_old_key_and_keeps_it_for_verification() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing-keys.json");
        let first = KeyRing::load_or_create(&path).unwrap().active().clone();
        let second = KeyRing::rotate(&path).unwrap();
        let ring = KeyRing::load(&path).unwrap();
        assert_eq!(ring.active().kid, second.kid);
        let old = ring.find(&first.kid).unwrap();
        assert!(!old.is_active() && old.retired.is_some());
        let jwks = ring.jwks();
        assert_eq!(jwks["keys"][0]["kid"], second.kid.as_str());
        assert_eq!(jwks["keys"][1]["status"], "retired");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn the_jwk_has_the_rfc_8037_members_and_its_kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037, appendix A.1 and A.3: this key's thumbprint is known.
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let key = KeyEntry::from_seed(seed, Utc::now(), None).unwrap();
        assert_eq!(key.x(), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
        assert_eq!(key.kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        let jwk = key.jwk();
        for (member, value) in [
            ("kty", "OKP"),
            ("crv", "Ed25519"),
            ("use", "sig"),
            ("alg", "EdDSA"),
            ("status", "active"),
        ] {
            assert_eq!(jwk[member], value);
        }
    }

    #[tokio::test]
    async fn a_jws_is_the_one_jsonwebtoken_makes_with_the_same_key() {
        let seed = [5u8; 32];
        let key = KeyEntry::from_seed(seed, Utc::now(), None).unwrap();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.typ = Some("lineage-cert+jwt".into());
        header.kid = Some(key.kid.clone());
        let claims = json!({"sub": "datasets/1", "n": 1, "text": "é"});
        let ours = key.sign_jws(&header, &claims).await.unwrap();
        let encoding = crate::jwt_crypto::ed25519_encoding_key(&SigningKey::from_bytes(&seed));
        let theirs = jsonwebtoken::encode(&header, &claims, &encoding.unwrap()).unwrap();
        assert_eq!(ours, theirs);
        // Another algorithm is refused rather than mislabelled.
        let hs256 = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        assert!(key.sign_jws(&hs256, &claims).await.is_err());
    }

    /// A signer that always fails, as a hardware module that went away does.
    struct Gone;

    impl Ed25519Signer for Gone {
        fn sign_blocking(&self, _: &[u8]) -> Result<[u8; 64], SignError> {
            Err(SignError("the token is not present".into()))
        }

        fn blocks(&self) -> bool {
            true
        }
    }

    #[tokio::test]
    async fn a_key_that_cannot_sign_gives_unavailable_through_the_blocking_pool() {
        let x = SigningKey::from_bytes(&[3; 32]).verifying_key().to_bytes();
        let key = KeyEntry::from_public(x, Utc::now(), None, Arc::new(Gone)).unwrap();
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        let refused = key.sign_jws(&header, &json!({})).await.unwrap_err();
        assert!(
            matches!(&refused, crate::error::Error::Unavailable(m) if m.contains("nothing was written")),
            "{refused:?}"
        );
    }

    #[test]
    fn a_file_others_can_read_or_whose_ids_lie_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing-keys.json");
        KeyRing::load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            KeyRing::load(&path)
                .unwrap_err()
                .to_string()
                .contains("chmod 600")
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let kid = KeyRing::load(&path).unwrap().active().kid.clone();
        fs::write(&path, text.replace(&kid, "forged-kid")).unwrap();
        assert!(
            KeyRing::load(&path)
                .unwrap_err()
                .to_string()
                .contains("does not match its id")
        );
    }

    #[test]
    fn a_running_server_sees_a_rotation_without_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing-keys.json");
        let file = KeyRingFile::open(path.clone()).unwrap();
        let before = file.current().active().kid.clone();
        let rotated = KeyRing::rotate(&path).unwrap();
        assert_ne!(before, rotated.kid);
        assert_eq!(file.current().active().kid, rotated.kid);
    }

    #[test]
    fn verification_finds_a_new_key_at_once_and_a_retirement_within_the_recheck_interval() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing-keys.json");
        let file = KeyRingFile::open(path.clone()).unwrap();
        let old = file.current().active().kid.clone();
        assert!(
            file.for_verifying(&old)
                .find(&old)
                .unwrap()
                .retired
                .is_none()
        );
        let rotated = KeyRing::rotate(&path).unwrap();
        // The new key is unknown to the cached keys, so they are read again at once.
        let keys = file.for_verifying(&rotated.kid);
        assert!(keys.find(&rotated.kid).is_some_and(KeyEntry::is_active));
        assert!(keys.find(&old).unwrap().retired.is_some());
        // A second rotation retires the key tokens name; it shows once the interval has passed.
        let newest = KeyRing::rotate(&path).unwrap();
        std::thread::sleep(VERIFYING_KEYS_RECHECK + Duration::from_millis(20));
        let keys = file.for_verifying(&rotated.kid);
        assert!(keys.find(&rotated.kid).unwrap().retired.is_some());
        assert!(keys.find(&newest.kid).is_some_and(KeyEntry::is_active));
    }
}
