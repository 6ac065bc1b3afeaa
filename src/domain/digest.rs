//! Content digests: `sha256:` followed by 64 lower-case hex digits.

use std::fmt;

use crate::error::{Error, Result};

/// A SHA-256 content digest in its one accepted spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentDigest(String);

const PREFIX: &str = "sha256:";

impl ContentDigest {
    /// Checks the text form; upper-case hex is refused so that one digest has one spelling.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        if value.is_empty() {
            return Err(Error::invalid(field, "is required"));
        }
        let hex = value.strip_prefix(PREFIX).ok_or_else(|| {
            Error::invalid(
                field,
                "must start with `sha256:` followed by 64 lower-case hex digits",
            )
        })?;
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::invalid(
                field,
                "must be `sha256:` followed by exactly 64 lower-case hex digits",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        use sha2::Digest;
        Self(format!(
            "{PREFIX}{}",
            hex::encode(sha2::Sha256::digest(bytes))
        ))
    }

    /// The text form, `sha256:...`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_canonical_form_and_refuses_every_near_miss() {
        let good = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(ContentDigest::parse("d", &good).unwrap().as_str(), good);
        for bad in [
            String::new(),
            "ab".repeat(32),
            format!("sha256:{}", "AB".repeat(32)),
            format!("sha256:{}", "ab".repeat(31)),
            format!("sha256:{}a", "ab".repeat(32)),
            format!("sha512:{}", "ab".repeat(32)),
            format!("sha256:{}", "zz".repeat(32)),
            format!(" sha256:{}", "ab".repeat(32)),
        ] {
            assert!(
                matches!(
                    ContentDigest::parse("d", &bad),
                    Err(Error::InvalidArgument(_))
                ),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn digest_of_bytes_matches_the_known_sha256_of_abc() {
        assert_eq!(
            ContentDigest::of(b"abc").as_str(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
