//! Certificate signing keys: Ed25519, never the access-token key, kept in one JSON file (mode 0600)
//! so that every replica can read the same keys. Rotation adds a new active key and retires the old
//! one, which stays in the file (and in the published JWKS) to verify what it signed.
//!
//! The file: `{"keys": [{"kid", "created", "retired", "private_key"}]}`, where `private_key` is the
//! 32-byte Ed25519 seed in hex, `created`/`retired` are RFC 3339 times, and `kid` is the key's RFC
//! 7638 JWK thumbprint, so that anyone holding the public key can recompute it.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use ed25519_verify::PublicKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::event::{format_time, truncate_to_micros};

/// One signing key.
#[derive(Clone)]
pub struct KeyEntry {
    /// Key id: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// When it was made (and became active).
    pub created: DateTime<Utc>,
    /// When a newer key replaced it; `None` for the active key.
    pub retired: Option<DateTime<Utc>>,
    signing: SigningKey,
    /// Built once: JWT libraries otherwise parse the key again for every token.
    encoding: jsonwebtoken::EncodingKey,
    /// Decoded (and checked against the signature rule) once, for the same reason.
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

    /// The key of `seed`. Refused when the signature rule refuses its public key, which an honest
    /// seed gives with negligible probability: better to know at start than at each verification.
    fn from_seed(
        seed: [u8; 32],
        created: DateTime<Utc>,
        retired: Option<DateTime<Utc>>,
    ) -> anyhow::Result<Self> {
        let signing = SigningKey::from_bytes(&seed);
        let kid = thumbprint(&public_x(&signing));
        let encoding = crate::jwt_crypto::ed25519_encoding_key(&signing)?;
        let public = PublicKey::from_bytes(signing.verifying_key().as_bytes())
            .map_err(|why| anyhow::anyhow!("key {kid} cannot verify signatures: {why}"))?;
        Ok(Self {
            kid,
            created,
            retired,
            signing,
            encoding,
            public,
        })
    }

    /// The public key, base64url without padding (the JWK's `x`).
    pub fn x(&self) -> String {
        public_x(&self.signing)
    }

    /// The key that signs JWTs.
    pub fn encoding_key(&self) -> &jsonwebtoken::EncodingKey {
        &self.encoding
    }

    /// The Ed25519 signature of `message` (deterministic, RFC 8032): what a DSSE envelope carries.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        ed25519_dalek::Signer::sign(&self.signing, message).to_bytes()
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

fn public_x(signing: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes())
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
        let file = KeyFile {
            keys: self
                .keys
                .iter()
                .map(|k| StoredKey {
                    kid: k.kid.clone(),
                    created: format_time(k.created),
                    retired: k.retired.map(format_time),
                    private_key: hex::encode(k.signing.to_bytes()),
                })
                .collect(),
        };
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
