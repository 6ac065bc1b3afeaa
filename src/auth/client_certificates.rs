//! Mutual TLS: client certificates that stand for an organisation and a role, so that a
//! procurement system can call without a bearer token.
//!
//! The mapping is a TOML file the operator keeps (`--tls-client-identities`), one entry per client
//! certificate, named by the SHA-256 of the certificate (its DER bytes, as
//! `openssl x509 -in client.pem -outform der | sha256sum` prints it):
//!
//! ```toml
//! [[client]]
//! name = "acme-procurement"        # recorded as the caller's subject: `tls:acme-procurement`
//! sha256 = "3f1c...64 hex digits"
//! organization = "0191b7c4-..."    # the organisation it acts for
//! role = "auditor"                 # auditor, registrar or admin
//! ```
//!
//! Pinning certificates, not names, means a certificate the client CA issues to someone else never
//! acts for an organisation by accident; a renewed certificate needs a new entry.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::access::{Caller, Role};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    client: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    sha256: String,
    organization: String,
    role: String,
}

/// Client certificates by SHA-256, each with the caller it stands for.
#[derive(Debug, Clone, Default)]
pub struct ClientIdentities {
    by_fingerprint: HashMap<[u8; 32], Caller>,
}

impl ClientIdentities {
    /// Reads the mapping at `path`; any mistake stops the start, naming the entry.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Reads the mapping from the text of a file named `origin` (in messages).
    pub fn parse(text: &str, origin: &str) -> anyhow::Result<Self> {
        let file: File = toml::from_str(text)
            .with_context(|| format!("{origin} is not a client identity file"))?;
        let mut by_fingerprint = HashMap::new();
        for entry in file.client {
            let problem = |what: &str| anyhow::anyhow!("{origin}: client {:?}: {what}", entry.name);
            let mut fingerprint = [0u8; 32];
            hex::decode_to_slice(entry.sha256.trim(), &mut fingerprint)
                .map_err(|_| problem("sha256 must be 64 hex digits"))?;
            let organization = Uuid::try_parse(entry.organization.trim())
                .map_err(|_| problem("organization must be an organisation's UUID"))?;
            let role = match Role::parse(&entry.role) {
                Some(role @ (Role::Auditor | Role::Registrar | Role::Admin)) => role,
                _ => return Err(problem("role must be auditor, registrar or admin")),
            };
            if entry.name.trim().is_empty() || entry.name.len() > 100 {
                return Err(problem("name must be 1 to 100 characters"));
            }
            let caller = Caller {
                // Stable per certificate, so that what it writes names the same creator.
                token_id: uuid::Builder::from_custom_bytes(first_16(&fingerprint)).into_uuid(),
                subject: format!("tls:{}", entry.name),
                organization_id: Some(organization),
                role,
            };
            if by_fingerprint.insert(fingerprint, caller).is_some() {
                bail!("{origin}: the certificate {} is listed twice", entry.sha256);
            }
        }
        Ok(Self { by_fingerprint })
    }

    /// The caller a verified client certificate (DER) stands for, if it is listed.
    pub fn identify(&self, certificate: &[u8]) -> std::result::Result<Caller, String> {
        let fingerprint: [u8; 32] = Sha256::digest(certificate).into();
        self.by_fingerprint
            .get(&fingerprint)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "the client certificate (sha256 {}) is not mapped to an organisation; ask the \
                 operator to list it, or send `authorization: Bearer <token>`",
                    hex::encode(fingerprint)
                )
            })
    }
}

fn first_16(fingerprint: &[u8; 32]) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&fingerprint[..16]);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "0191b7c4-0000-7000-8000-000000000001";

    fn load(text: &str) -> anyhow::Result<ClientIdentities> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("clients.toml");
        std::fs::write(&path, text)?;
        ClientIdentities::load(&path)
    }

    fn entry(sha256: &str, organization: &str, role: &str) -> String {
        format!(
            "[[client]]\nname = \"p\"\nsha256 = \"{sha256}\"\norganization = \"{organization}\"\nrole = \"{role}\"\n"
        )
    }

    #[test]
    fn a_listed_certificate_is_its_caller_and_no_other_is() {
        let certificate = b"certificate DER bytes";
        let sha256 = hex::encode(Sha256::digest(certificate));
        let clients = load(&entry(&sha256, ORG, "registrar")).expect("loads");
        let caller = clients.identify(certificate).expect("listed");
        assert_eq!(caller.role, Role::Registrar);
        assert_eq!(caller.organization_id, Uuid::try_parse(ORG).ok());
        assert_eq!(caller.subject, "tls:p");
        assert_eq!(
            clients.identify(certificate).expect("listed").token_id,
            caller.token_id
        );
        assert!(
            clients
                .identify(b"another")
                .is_err_and(|e| e.contains("not mapped"))
        );
    }

    #[test]
    fn mistakes_stop_the_load_naming_the_entry() {
        let sha = "ab".repeat(32);
        for (text, needle) in [
            (entry("abc", ORG, "auditor"), "64 hex digits"),
            (entry(&sha, "acme", "auditor"), "UUID"),
            (entry(&sha, ORG, "operator"), "role must be"),
            (entry(&sha, ORG, "auditor").repeat(2), "listed twice"),
            (
                "[[client]]\nname = \"p\"\n".to_owned(),
                "not a client identity file",
            ),
        ] {
            let error = format!("{:#}", load(&text).expect_err("refused"));
            assert!(error.contains(needle), "{needle}: {error}");
        }
    }
}
