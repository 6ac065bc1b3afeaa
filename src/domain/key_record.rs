//! The record of a registry's keys in its database: one fingerprint per key file, written by the
//! first process that opens the database, so that a process holding other keys (a replica started
//! without the copied files, a data directory made by mistake) refuses to start instead of issuing
//! tokens, certificates and checkpoints the other processes reject. Pure rules; the files are read
//! in `crate::key_record`, the rows kept by the store.
//!
//! A fingerprint never allows recovering a key: the two Ed25519 files are fingerprinted by their
//! public keys' RFC 7638 thumbprints (which the JWKS publishes anyway), the access-token secret by
//! an HMAC of a fixed label under the secret.

use chrono::{DateTime, Utc};

/// One key file of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyKind {
    /// `access-token.key`: the secret that signs access tokens.
    AccessToken,
    /// `signing-keys.json`: the certificate signing keys, active and retired.
    CertificateSigning,
    /// `log-signing.key`: the transparency log's checkpoint key.
    LogSigning,
}

impl KeyKind {
    /// Every kind, in the order messages name them.
    pub const ALL: [KeyKind; 3] = [
        KeyKind::AccessToken,
        KeyKind::CertificateSigning,
        KeyKind::LogSigning,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::AccessToken => "access-token",
            KeyKind::CertificateSigning => "certificate-signing",
            KeyKind::LogSigning => "log-signing",
        }
    }

    /// Inverse of [`KeyKind::as_str`].
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

/// The recorded fingerprint of one key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedKey {
    /// Which file.
    pub kind: KeyKind,
    /// Its fingerprint. For the certificate signing keys, the ids of every key in the file, oldest
    /// first, separated by spaces: rotation appends one.
    pub fingerprint: String,
    /// Where the recording process read the file: `host:path`, for messages that say where to copy
    /// it from.
    pub source: String,
    /// When it was recorded.
    pub record_time: DateTime<Utc>,
}

/// How a process's key file compares with the database's record of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// The same key(s).
    Same,
    /// Certificate signing keys only: the file holds the recorded keys and newer ones after them (it
    /// was rotated after the record was written); the record should follow.
    Newer,
    /// Certificate signing keys only: the recorded keys are the file's and newer ones (another
    /// copy of the file was rotated); this copy is out of date.
    Older,
    /// Other keys altogether.
    Different,
}

/// Compares the fingerprint of a process's `kind` file, `local`, with the `recorded` one.
pub fn compare(kind: KeyKind, recorded: &str, local: &str) -> Comparison {
    if recorded == local {
        return Comparison::Same;
    }
    if kind != KeyKind::CertificateSigning {
        return Comparison::Different;
    }
    let recorded: Vec<&str> = recorded.split_whitespace().collect();
    let local: Vec<&str> = local.split_whitespace().collect();
    if recorded == local {
        Comparison::Same
    } else if local.starts_with(&recorded) {
        Comparison::Newer
    } else if recorded.starts_with(&local) {
        Comparison::Older
    } else {
        Comparison::Different
    }
}

/// The fingerprint of a certificate key file holding the keys `kids`, oldest first.
pub fn signing_keys_fingerprint<'a>(kids: impl IntoIterator<Item = &'a str>) -> String {
    kids.into_iter().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_from_their_stored_names() {
        for kind in KeyKind::ALL {
            assert_eq!(KeyKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(KeyKind::parse("access-token.key"), None);
    }

    #[test]
    fn single_keys_are_the_same_or_different() {
        assert_eq!(compare(KeyKind::AccessToken, "ab", "ab"), Comparison::Same);
        assert_eq!(
            compare(KeyKind::AccessToken, "ab", "abc"),
            Comparison::Different
        );
        assert_eq!(
            compare(KeyKind::LogSigning, "k1", "k1 k2"),
            Comparison::Different
        );
    }

    #[test]
    fn certificate_keys_compare_by_their_history() {
        let kind = KeyKind::CertificateSigning;
        assert_eq!(compare(kind, "a b", "a b"), Comparison::Same);
        assert_eq!(compare(kind, "a", "a b"), Comparison::Newer);
        assert_eq!(compare(kind, "a b c", "a b"), Comparison::Older);
        assert_eq!(compare(kind, "a b", "a c"), Comparison::Different);
        assert_eq!(compare(kind, "a", "b"), Comparison::Different);
        assert_eq!(compare(kind, "a", "b a"), Comparison::Different);
        assert_eq!(
            signing_keys_fingerprint(["k1", "k2"]),
            "k1 k2",
            "oldest first, one space apart"
        );
    }
}
