//! The `--evidence` arguments: `URI=sha256:HEX` for attestations, `URI[=sha256:HEX]` for
//! contamination reports.

use std::str::FromStr;

use provenance_api::v1 as pb;

/// What separates a URI from its digest.
const DIGEST_MARK: &str = "=sha256:";

/// Hex digits in a SHA-256.
const SHA256_HEX_LEN: usize = 64;

/// One `--evidence` of `attest record`: where the evidence is and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceArg {
    /// Where the evidence is.
    pub uri: String,
    /// `sha256:` + 64 lower-case hex digits.
    pub digest: String,
}

/// One `--evidence` of `dataset report`: where the evidence is, with its SHA-256 if given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEvidenceArg {
    /// Where the evidence is.
    pub uri: String,
    /// `sha256:` + 64 lower-case hex digits, when given.
    pub digest: Option<String>,
}

/// Splits `URI=sha256:HEX` at the last `=sha256:`, so that a URI may hold `=` itself (query
/// strings), and checks both halves. Without the mark the whole text is the URI.
fn split(text: &str) -> Result<(String, Option<String>), String> {
    let (uri, hex) = match text.rfind(DIGEST_MARK) {
        Some(at) => (&text[..at], Some(&text[at + DIGEST_MARK.len()..])),
        None => (text, None),
    };
    let uri = uri.trim();
    if uri.is_empty() {
        return Err(format!(
            "`{text}` names no evidence: expected URI=sha256:HEX, e.g. https://example.org/scan.log=sha256:<64 hex digits>"
        ));
    }
    let digest = hex.map(sha256_digest).transpose()?;
    Ok((uri.to_owned(), digest))
}

/// `sha256:` + the hex, lower-cased, if it is 64 hex digits.
fn sha256_digest(hex: &str) -> Result<String, String> {
    let hex = hex.trim();
    if hex.len() != SHA256_HEX_LEN || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`sha256:{hex}` is not a SHA-256: expected sha256: followed by {SHA256_HEX_LEN} hex digits, as `sha256sum FILE` prints them"
        ));
    }
    Ok(format!("sha256:{}", hex.to_ascii_lowercase()))
}

impl FromStr for EvidenceArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match split(text)? {
            (uri, Some(digest)) => Ok(Self { uri, digest }),
            (uri, None) => Err(format!(
                "`{uri}` has no digest: expected --evidence URI=sha256:HEX, with the SHA-256 of the evidence's bytes (`sha256sum FILE`)"
            )),
        }
    }
}

impl FromStr for ReportEvidenceArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (uri, digest) = split(text)?;
        Ok(Self { uri, digest })
    }
}

impl EvidenceArg {
    /// The evidence as the attestation API takes it.
    pub fn to_proto(&self) -> pb::Evidence {
        pb::Evidence {
            uri: self.uri.clone(),
            content_digest: self.digest.clone(),
            description: String::new(),
        }
    }
}

impl ReportEvidenceArg {
    /// The evidence as the contamination report API takes it.
    pub fn to_proto(&self) -> pb::ContaminationEvidence {
        pb::ContaminationEvidence {
            uri: self.uri.clone(),
            content_digest: self.digest.clone().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "9c56576a2fdb18041d76077bb5fa3cc7544b14e2ae231eabbf233950f7c9cd8e";

    #[test]
    fn attestation_evidence_needs_uri_and_digest() {
        let parsed: EvidenceArg = format!("https://example.org/review.pdf=sha256:{HEX}")
            .parse()
            .expect("a URI and a digest");
        assert_eq!(parsed.uri, "https://example.org/review.pdf");
        assert_eq!(parsed.digest, format!("sha256:{HEX}"));
        let proto = parsed.to_proto();
        assert_eq!(proto.content_digest, format!("sha256:{HEX}"));
        assert!(proto.description.is_empty());

        let missing = "https://example.org/review.pdf"
            .parse::<EvidenceArg>()
            .unwrap_err();
        assert!(missing.contains("URI=sha256:HEX"), "{missing}");
    }

    #[test]
    fn uris_keep_their_equals_signs() {
        let parsed: EvidenceArg = format!("https://x.org/log?run=7&a=b=sha256:{HEX}")
            .parse()
            .expect("the last =sha256: splits");
        assert_eq!(parsed.uri, "https://x.org/log?run=7&a=b");
        let report: ReportEvidenceArg = "https://x.org/?q=a=b".parse().expect("a bare URI");
        assert_eq!(report.uri, "https://x.org/?q=a=b");
        assert_eq!(report.digest, None);
    }

    #[test]
    fn digests_are_checked_and_lower_cased() {
        let upper: EvidenceArg = format!("s3://b/k=sha256:{}", HEX.to_uppercase())
            .parse()
            .expect("upper-case hex is accepted");
        assert_eq!(upper.digest, format!("sha256:{HEX}"));
        for bad in ["s3://b/k=sha256:abc", &format!("s3://b/k=sha256:{HEX}00")] {
            let error = bad.parse::<EvidenceArg>().unwrap_err();
            assert!(error.contains("64 hex digits"), "{error}");
        }
        let not_hex = format!("s3://b/k=sha256:{}", "z".repeat(64));
        assert!(not_hex.parse::<ReportEvidenceArg>().is_err());
    }

    #[test]
    fn empty_uris_are_refused() {
        for bad in ["", "  ", &format!("=sha256:{HEX}")] {
            assert!(bad.parse::<ReportEvidenceArg>().is_err(), "{bad:?}");
            assert!(bad.parse::<EvidenceArg>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn report_evidence_digest_is_optional() {
        let with: ReportEvidenceArg = format!("https://x.org/a=sha256:{HEX}")
            .parse()
            .expect("a URI and a digest");
        assert_eq!(with.to_proto().content_digest, format!("sha256:{HEX}"));
        let without: ReportEvidenceArg = "https://x.org/a".parse().expect("a URI");
        assert_eq!(without.to_proto().content_digest, "");
        assert_eq!(without.to_proto().uri, "https://x.org/a");
    }
}
