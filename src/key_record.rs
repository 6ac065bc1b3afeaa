//! The registry's key files checked against the database's record of them (see
//! [`crate::domain::key_record`]): every process opening a registry, server or operator command,
//! reads its key files, records their fingerprints if the database has none yet (the first process
//! wins a race), and refuses to go on when its files are not the recorded ones, naming the files to
//! copy and where they were recorded from. With `--signing-key pkcs11:...` the certificate and
//! checkpoint keys are in a token instead (see [`crate::pkcs11`]); they are recorded and checked
//! the same way, by the same fingerprints, with the token's URI (without PIN) as their source.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::Utc;

use crate::config::CommonSettings;
use crate::domain::event::{format_time, truncate_to_micros};
use crate::domain::key_record::{Comparison, KeyKind, RecordedKey, compare};
use crate::log_key::LogKey;
use crate::pkcs11::{Pkcs11Uri, Token};
use crate::signing_keys::{CertificateKeySource, KeyEntry, KeyRing, KeyRingFile, TokenKeyRing};
use crate::store::Store;

/// File in the data directory holding the access-token signing secret.
pub const ACCESS_TOKEN_KEY_FILE: &str = "access-token.key";

/// The transparency log's checkpoint key, in the data directory.
pub const LOG_KEY_FILE: &str = "log-signing.key";

/// The label the access-token secret's fingerprint is an HMAC of: a fingerprint that says whether
/// two secrets are the same and nothing else about them.
const ACCESS_TOKEN_FINGERPRINT_LABEL: &[u8] = b"provenance-registry key fingerprint: access-token";

/// Where a process keeps its key files.
#[derive(Debug, Clone)]
pub struct KeyFiles {
    /// The access-token secret.
    pub access_token: PathBuf,
    /// The certificate signing keys.
    pub certificate_signing: PathBuf,
    /// The transparency log's key.
    pub log_signing: PathBuf,
    /// The token holding the certificate and checkpoint keys instead of their files.
    pub token: Option<Pkcs11Uri>,
}

impl KeyFiles {
    /// The files `settings` name.
    pub fn of(settings: &CommonSettings) -> Self {
        Self {
            access_token: settings.data_dir.join(ACCESS_TOKEN_KEY_FILE),
            certificate_signing: settings.signing_key_file(),
            log_signing: settings.data_dir.join(LOG_KEY_FILE),
            token: settings.signing_key.clone(),
        }
    }

    /// The token and label that hold the key of `kind`, when a token does.
    fn in_token(&self, kind: KeyKind) -> Option<Pkcs11Uri> {
        let uri = self.token.as_ref()?;
        match kind {
            KeyKind::AccessToken => None,
            KeyKind::CertificateSigning => Some(uri.clone()),
            KeyKind::LogSigning => Some(Pkcs11Uri {
                object: uri.log_object(),
                ..uri.clone()
            }),
        }
    }

    /// Where the key of `kind` is, as records and messages name it: `host:absolute path` of its
    /// file, or its token's URI (without PIN) naming its label.
    fn source(&self, kind: KeyKind) -> String {
        match self.in_token(kind) {
            Some(uri) => uri.redacted(),
            None => source_of(self.path(kind)),
        }
    }

    /// The file of `kind`, as messages name it: an absolute path (or the token's URI).
    fn shown(&self, kind: KeyKind) -> String {
        if let Some(uri) = self.in_token(kind) {
            return uri.redacted();
        }
        let path = self.path(kind);
        std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string()
    }

    /// The file of `kind`.
    pub fn path(&self, kind: KeyKind) -> &Path {
        match kind {
            KeyKind::AccessToken => &self.access_token,
            KeyKind::CertificateSigning => &self.certificate_signing,
            KeyKind::LogSigning => &self.log_signing,
        }
    }
}

/// The keys of a registry, read from their files and checked against the database's record.
pub struct CheckedKeys {
    /// The access-token secret.
    pub access_token: [u8; 32],
    /// The certificate signing keys (re-read when their file or token changes).
    pub certificates: CertificateKeySource,
    /// The transparency log's key.
    pub log: LogKey,
}

/// Reads the key files (creating the missing ones for a registry that has no keys yet), records
/// their fingerprints when the database has none, and checks them against the record. Refuses,
/// naming the files to copy, when a file is missing for a registry that has keys, or differs from
/// the recorded one. `log_origin` names the transparency log (see [`LogKey::load_or_create`]).
pub async fn open_keys(
    store: &dyn Store,
    files: &KeyFiles,
    log_origin: &str,
) -> anyhow::Result<CheckedKeys> {
    let recorded = store.recorded_keys().await?;
    refuse_missing_files(store, files, &recorded).await?;
    let access_token = crate::key_file::load_or_create_secret(&files.access_token)?;
    let (certificates, log) = match &files.token {
        None => (
            CertificateKeySource::File(KeyRingFile::open(files.certificate_signing.clone())?),
            LogKey::load_or_create(&files.log_signing, log_origin)?,
        ),
        Some(uri) => {
            let is_new = recorded.is_empty() && store.chain_head().await?.sequence == 0;
            let (uri, origin) = (uri.clone(), log_origin.to_owned());
            blocking(move || open_token_keys(&uri, is_new, &origin)).await?
        }
    };
    let local = [
        (
            KeyKind::AccessToken,
            access_token_fingerprint(&access_token),
        ),
        (
            KeyKind::CertificateSigning,
            certificates.current().fingerprint(),
        ),
        (KeyKind::LogSigning, log.key_id()),
    ]
    .map(|(kind, fingerprint)| record_of(files, kind, fingerprint));
    check_against_record(store, files, &local).await?;
    Ok(CheckedKeys {
        access_token,
        certificates,
        log,
    })
}

/// Runs `call`, which blocks (a token), on the blocking pool.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(call)
        .await
        .context("a call to the token failed")?
}

/// The keys in the token `uri` names (blocking), made there first for a new registry (`is_new`).
/// A registry that has keys gets no new ones: a token without them is the wrong token.
fn open_token_keys(
    uri: &Pkcs11Uri,
    is_new: bool,
    log_origin: &str,
) -> anyhow::Result<(CertificateKeySource, LogKey)> {
    let token = Token::open(uri)?;
    if token.keys(&uri.object)?.is_empty() {
        if !is_new {
            bail!(
                "the token {} holds no certificate keys labelled {:?}, but the database already \
                 holds a registry: use the token (and label) its keys were made in",
                uri.redacted(),
                uri.object
            );
        }
        token.generate(&uri.object, truncate_to_micros(Utc::now()))?;
    }
    let certificates = TokenKeyRing::open(token.clone(), &uri.object)?;
    let log = LogKey::in_token(&token, &uri.log_object(), is_new, log_origin)?;
    Ok((CertificateKeySource::Token(certificates), log))
}

/// The fingerprint the database records of an access-token secret: an HMAC-SHA-256 of a fixed
/// label under the secret, in hex. It tells whether two files hold the same secret; finding the
/// secret from it is as hard as forging the HMAC.
pub fn access_token_fingerprint(secret: &[u8; 32]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    hex::encode(ring::hmac::sign(&key, ACCESS_TOKEN_FINGERPRINT_LABEL).as_ref())
}

/// A record of `kind`'s key in `files` with `fingerprint`, made here and now.
fn record_of(files: &KeyFiles, kind: KeyKind, fingerprint: String) -> RecordedKey {
    record_from(files.source(kind), kind, fingerprint)
}

/// A record of `kind`'s file at `path` with `fingerprint`, made here and now.
fn record_of_path(path: &Path, kind: KeyKind, fingerprint: String) -> RecordedKey {
    record_from(source_of(path), kind, fingerprint)
}

fn record_from(source: String, kind: KeyKind, fingerprint: String) -> RecordedKey {
    RecordedKey {
        kind,
        fingerprint,
        source,
        record_time: truncate_to_micros(Utc::now()),
    }
}

/// `host:absolute path` of a file on this machine, as records name where a file came from.
fn source_of(path: &Path) -> String {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    format!("{}:{}", host_name(), path.display())
}

/// This machine's name, for telling replicas apart in messages.
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|file| {
            std::fs::read_to_string(file)
                .ok()
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
        })
        .unwrap_or_else(|| "localhost".to_owned())
}

/// A registry that has keys must not get new ones: a missing file is an error naming where to copy
/// it from. A database written by a release that recorded no keys counts as having keys once it
/// holds events.
async fn refuse_missing_files(
    store: &dyn Store,
    files: &KeyFiles,
    recorded: &[RecordedKey],
) -> anyhow::Result<()> {
    let missing: Vec<KeyKind> = KeyKind::ALL
        .into_iter()
        .filter(|kind| files.in_token(*kind).is_none() && !files.path(*kind).exists())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if recorded.is_empty() && store.chain_head().await?.sequence == 0 {
        // A new registry: its first process makes the keys.
        return Ok(());
    }
    let list = missing
        .iter()
        .map(|kind| {
            let from = recorded
                .iter()
                .find(|r| r.kind == *kind)
                .map(|r| format!(" (copy it from {})", r.source))
                .unwrap_or_default();
            format!("{}{from}", files.shown(*kind))
        })
        .collect::<Vec<_>>()
        .join(", ");
    bail!(
        "the database already holds a registry, but these key files are missing: {list}. Every \
         process of a registry must use the same keys: copy the files from an existing replica or \
         the data directory the registry was created in (mode 0600; README: PostgreSQL and \
         replicas) instead of making new ones"
    )
}

/// Records `local` where the database has no record yet, then compares every file with the record.
async fn check_against_record(
    store: &dyn Store,
    files: &KeyFiles,
    local: &[RecordedKey],
) -> anyhow::Result<()> {
    let recorded = store
        .record_keys(local)
        .await
        .context("cannot record the key fingerprints in the database")?;
    let mut problems = Vec::new();
    for key in local {
        let Some(record) = recorded.iter().find(|r| r.kind == key.kind) else {
            bail!(
                "the database recorded no fingerprint of the {} key",
                key.kind.as_str()
            );
        };
        let file = files.shown(key.kind);
        match compare(key.kind, &record.fingerprint, &key.fingerprint) {
            Comparison::Same => {}
            Comparison::Newer => {
                // Rotated since the record was written (by a release that did not record it, or a
                // rotation whose record failed): the record follows the file, unless another
                // process changed it meanwhile.
                if store
                    .replace_recorded_key(Some(&record.fingerprint), key)
                    .await?
                {
                    tracing::info!(
                        file = %file,
                        "recorded the certificate signing keys rotated since the last record"
                    );
                } else {
                    problems.push(format!(
                        "{file}: the record of the certificate signing keys changed while this \
                         process was starting (a rotation elsewhere?); start again"
                    ));
                }
            }
            Comparison::Older | Comparison::Different if files.in_token(key.kind).is_some() => {
                problems.push(format!(
                    "{file} holds other keys than the registry's (recorded from {}, {}): use the \
                     token and label the registry's keys are in",
                    record.source,
                    format_time(record.record_time)
                ))
            }
            Comparison::Older => problems.push(format!(
                "{file} is out of date (the keys were rotated since): copy {} (recorded {}) over it",
                record.source,
                format_time(record.record_time)
            )),
            Comparison::Different => problems.push(format!(
                "{file} holds other keys than the registry's: copy {} (recorded {}) over it",
                record.source,
                format_time(record.record_time)
            )),
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    bail!(
        "refusing to run with key files other than the registry's: {}. Every process of a registry \
         must hold the same key files (mode 0600; README: PostgreSQL and replicas): tokens, \
         certificates and checkpoints signed with other keys would be rejected by the others",
        problems.join("; ")
    )
}

/// Rotates the certificate signing keys where `files` keeps them: in their file (see
/// [`rotate_key_file`]) or in the token, where the new key is made (sensitive, not extractable)
/// before the record moves to it; when the record cannot move, the new key is removed again.
pub async fn rotate_signing_keys(store: &dyn Store, files: &KeyFiles) -> anyhow::Result<KeyEntry> {
    let Some(uri) = files.token.clone() else {
        return rotate_key_file(store, &files.certificate_signing).await;
    };
    let label = uri.object.clone();
    let (token, ring) = {
        let label = label.clone();
        blocking(move || {
            let token = Token::open(&uri)?;
            let ring = KeyRing::in_token(&token, &label)?;
            Ok((token, ring))
        })
        .await?
    };
    let before = ring.fingerprint();
    let (rotated, made) = {
        let (token, label) = (token.clone(), label.clone());
        blocking(move || {
            let made = token.generate(&label, truncate_to_micros(Utc::now()))?;
            match KeyRing::in_token(&token, &label) {
                Ok(rotated) => Ok((rotated, made)),
                Err(error) => {
                    let _ = token.destroy(&label, &made.id);
                    Err(error.into())
                }
            }
        })
        .await?
    };
    let after = record_of(files, KeyKind::CertificateSigning, rotated.fingerprint());
    if !store.replace_recorded_key(Some(&before), &after).await? {
        blocking(move || Ok(token.destroy(&label, &made.id)?)).await?;
        bail!(
            "the database's record of the certificate signing keys is not the keys in {}: they \
             were rotated elsewhere meanwhile, or this is another token",
            files.shown(KeyKind::CertificateSigning)
        );
    }
    Ok(rotated.active().clone())
}

/// The certificate signing keys where `files` keeps them, as they are now.
pub async fn signing_key_ring(files: &KeyFiles) -> anyhow::Result<KeyRing> {
    match files.token.clone() {
        None => KeyRing::load(&files.certificate_signing),
        Some(uri) => {
            blocking(move || Ok(KeyRing::in_token(&Token::open(&uri)?, &uri.object)?)).await
        }
    }
}

/// Checks the key files in `files` against the database's record without writing anything (for
/// `admin verify`, on a registry or a copy of one): each file must exist, be private to its owner,
/// and hold the recorded key. Certificate signing keys rotated after the record (`Newer`) pass, as
/// a server start would record them. Returns the log key, to check checkpoints with.
pub async fn check_key_files(
    store: &dyn Store,
    files: &KeyFiles,
    log_origin: &str,
) -> anyhow::Result<LogKey> {
    for kind in KeyKind::ALL {
        if files.in_token(kind).is_none() && !files.path(kind).is_file() {
            bail!("key file {} is missing", files.shown(kind));
        }
    }
    let access_token = crate::key_file::read_secret(&files.access_token)?;
    // Keys in a token are read there (never made: `false`), as `record_key_files` reads them.
    let (certificates, log) = match files.token.clone() {
        None => (
            KeyRing::load(&files.certificate_signing)?.fingerprint(),
            LogKey::load_or_create(&files.log_signing, log_origin)?,
        ),
        Some(uri) => {
            let origin = log_origin.to_owned();
            blocking(move || {
                let token = Token::open(&uri)?;
                Ok((
                    KeyRing::in_token(&token, &uri.object)?.fingerprint(),
                    LogKey::in_token(&token, &uri.log_object(), false, &origin)?,
                ))
            })
            .await?
        }
    };
    let local = [
        (
            KeyKind::AccessToken,
            access_token_fingerprint(&access_token),
        ),
        (KeyKind::CertificateSigning, certificates),
        (KeyKind::LogSigning, log.key_id()),
    ];
    let recorded = store.recorded_keys().await?;
    if recorded.is_empty() {
        if store.chain_head().await?.sequence > 0 {
            bail!(
                "the database records no key fingerprints although it holds events: it was \
                 written by a release that did not record them, so the key files cannot be \
                 checked against it. Start a server on it once to record them"
            );
        }
        return Ok(log);
    }
    let mut problems = Vec::new();
    for (kind, fingerprint) in &local {
        let file = files.shown(*kind);
        let Some(record) = recorded.iter().find(|r| r.kind == *kind) else {
            problems.push(format!(
                "{file}: the database recorded no fingerprint of the {} key",
                kind.as_str()
            ));
            continue;
        };
        match compare(*kind, &record.fingerprint, fingerprint) {
            Comparison::Same | Comparison::Newer => {}
            Comparison::Older => problems.push(format!(
                "{file} is out of date: the keys were rotated since (recorded {} from {})",
                format_time(record.record_time),
                record.source
            )),
            Comparison::Different => problems.push(format!(
                "{file} holds other keys than the registry's {} key (recorded {} from {})",
                kind.as_str(),
                format_time(record.record_time),
                record.source
            )),
        }
    }
    if problems.is_empty() {
        Ok(log)
    } else {
        bail!("{}", problems.join("; "))
    }
}

/// Rotates the certificate signing keys in `file`, which must hold the recorded keys: the record
/// is moved to the new keys first (so that of two rotations at once only one goes ahead), then the
/// file is written; when writing fails, the record is moved back.
async fn rotate_key_file(store: &dyn Store, file: &Path) -> anyhow::Result<KeyEntry> {
    let ring = KeyRing::load(file)?;
    let (rotated, fresh) = ring.rotated()?;
    let before = ring.fingerprint();
    let after = record_of_path(file, KeyKind::CertificateSigning, rotated.fingerprint());
    if !store.replace_recorded_key(Some(&before), &after).await? {
        bail!(
            "the database's record of the certificate signing keys is not {}: they were rotated \
             elsewhere meanwhile. Copy that replica's {} here (or rotate there) instead",
            file.display(),
            file.file_name().unwrap_or_default().to_string_lossy()
        );
    }
    if let Err(error) = rotated.replace(file) {
        let previous = record_of_path(file, KeyKind::CertificateSigning, before);
        if let Err(undo) = store
            .replace_recorded_key(Some(&after.fingerprint), &previous)
            .await
        {
            tracing::error!(
                error = %undo,
                "cannot restore the record of the certificate signing keys"
            );
        }
        return Err(error);
    }
    Ok(fresh)
}

/// Records the fingerprints of the key files in `files` as the registry's, replacing whatever was
/// recorded: for an operator who replaced a key on purpose (and on every replica).
pub async fn record_key_files(
    store: &dyn Store,
    files: &KeyFiles,
    log_origin: &str,
) -> anyhow::Result<Vec<RecordedKey>> {
    for kind in KeyKind::ALL {
        let path = files.path(kind);
        if files.in_token(kind).is_none() && !path.exists() {
            bail!("key file {} does not exist", path.display());
        }
    }
    let secret = crate::key_file::load_or_create_secret(&files.access_token)?;
    let (certificates, log) = match files.token.clone() {
        None => (
            KeyRing::load(&files.certificate_signing)?.fingerprint(),
            LogKey::load_or_create(&files.log_signing, log_origin)?.key_id(),
        ),
        Some(uri) => {
            let origin = log_origin.to_owned();
            blocking(move || {
                let token = Token::open(&uri)?;
                Ok((
                    KeyRing::in_token(&token, &uri.object)?.fingerprint(),
                    LogKey::in_token(&token, &uri.log_object(), false, &origin)?.key_id(),
                ))
            })
            .await?
        }
    };
    let keys = [
        (KeyKind::AccessToken, access_token_fingerprint(&secret)),
        (KeyKind::CertificateSigning, certificates),
        (KeyKind::LogSigning, log),
    ]
    .map(|(kind, fingerprint)| record_of(files, kind, fingerprint));
    for key in &keys {
        store.replace_recorded_key(None, key).await?;
    }
    Ok(keys.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_token_fingerprint_tells_secrets_apart_and_is_not_the_secret() {
        let secret = [7u8; 32];
        let fingerprint = access_token_fingerprint(&secret);
        assert_eq!(fingerprint, access_token_fingerprint(&secret));
        assert_ne!(fingerprint, access_token_fingerprint(&[8u8; 32]));
        assert_eq!(fingerprint.len(), 64);
        assert!(!fingerprint.contains(&hex::encode(secret)));
    }
}
