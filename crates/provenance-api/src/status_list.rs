//! Token status lists (IETF draft-ietf-oauth-status-list): the `status` claim a certificate
//! carries, the claims of the signed `statuslist+jwt` the registry publishes at its `uri`, and the
//! list's encoding: one bit per certificate (1 = revoked), bit `idx % 8` (least significant first)
//! of byte `idx / 8`, the bytes compressed with DEFLATE in the ZLIB format (RFC 1950) and written
//! base64url without padding.

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The JWT `typ` of a status list token.
pub const STATUS_LIST_TYPE: &str = "statuslist+jwt";

/// The media type a status list token is served with.
pub const STATUS_LIST_MEDIA_TYPE: &str = "application/statuslist+jwt";

/// Status values with one bit per token: `0x00` valid, `0x01` invalid (revoked).
pub const STATUS_VALID: u8 = 0;
/// See [`STATUS_VALID`].
pub const STATUS_INVALID: u8 = 1;

/// Largest decompressed list a client accepts (2^27 positions at one bit): bounds what a hostile
/// list can make a verifier allocate.
pub const MAX_LIST_BYTES: usize = 1 << 24;

/// The certificate's `status` claim: `{"status_list": {"idx": ..., "uri": ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusClaim {
    /// Where its status is published.
    pub status_list: StatusListReference,
}

/// A position in a status list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListReference {
    /// The certificate's index in the list.
    pub idx: u64,
    /// The list token's URI (also its `sub`).
    pub uri: String,
}

/// The `status_list` claim of a status list token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusList {
    /// Bits per status: always 1 here.
    pub bits: u8,
    /// The compressed list, base64url without padding.
    pub lst: String,
}

/// The claims of a status list token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListClaims {
    /// The list's URI, as the certificates' `uri` names it.
    pub sub: String,
    /// When the list was built (seconds since the epoch).
    pub iat: i64,
    /// After this the list must not be used.
    pub exp: i64,
    /// Seconds a verifier may use this list before fetching it again.
    pub ttl: i64,
    /// The list.
    pub status_list: StatusList,
}

/// Why a list could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StatusListError {
    /// Only one bit per status is defined here.
    #[error("status_list.bits is {0}; this registry's lists have 1 bit per certificate")]
    Bits(u8),
    /// `lst` is not base64url.
    #[error("status_list.lst is not base64url: {0}")]
    Base64(String),
    /// `lst` is not ZLIB-compressed data, or decompresses to more than [`MAX_LIST_BYTES`].
    #[error("status_list.lst is not a ZLIB stream of at most {MAX_LIST_BYTES} bytes: {0}")]
    Zlib(String),
    /// The index is past the end of the list.
    #[error("index {idx} is past the end of a list of {len} positions")]
    OutOfRange {
        /// The index.
        idx: u64,
        /// Positions in the list.
        len: u64,
    },
}

/// The list of `capacity` positions (a multiple of 8) with the bits at `revoked` set, compressed.
pub fn encode_list(capacity: u64, revoked: impl IntoIterator<Item = u64>) -> StatusList {
    let mut bytes = vec![0u8; capacity.div_ceil(8) as usize];
    for idx in revoked {
        if let Some(byte) = bytes.get_mut((idx / 8) as usize) {
            *byte |= 1 << (idx % 8);
        }
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(&bytes);
    let compressed = encoder.finish().unwrap_or_default();
    StatusList {
        bits: 1,
        lst: URL_SAFE_NO_PAD.encode(compressed),
    }
}

/// The decompressed bytes of a list.
pub fn decode_list(list: &StatusList) -> Result<Vec<u8>, StatusListError> {
    if list.bits != 1 {
        return Err(StatusListError::Bits(list.bits));
    }
    let compressed = URL_SAFE_NO_PAD
        .decode(&list.lst)
        .map_err(|e| StatusListError::Base64(e.to_string()))?;
    let mut bytes = Vec::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .take(MAX_LIST_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| StatusListError::Zlib(e.to_string()))?;
    if bytes.len() > MAX_LIST_BYTES {
        return Err(StatusListError::Zlib("too large".into()));
    }
    Ok(bytes)
}

/// The status at `idx` of a decoded list ([`STATUS_VALID`] or [`STATUS_INVALID`]).
pub fn status_at(bytes: &[u8], idx: u64) -> Result<u8, StatusListError> {
    let byte = usize::try_from(idx / 8)
        .ok()
        .and_then(|i| bytes.get(i))
        .ok_or(StatusListError::OutOfRange {
            idx,
            len: bytes.len() as u64 * 8,
        })?;
    Ok((byte >> (idx % 8)) & 1)
}

/// The `status_list` check of offline verification: the certificate's bit in a copy of its status
/// list (`list_token`, the `statuslist+jwt` fetched from the certificate's `uri` at some time),
/// signed by a key of `keys`, judged at `at`. The detail says how fresh the answer is: when the
/// list was built, how old it is, and whether it is past its `ttl` (then fetch it again). A list
/// past its `exp`, of another URI, or not signed by a certificate key fails the check.
pub fn status_list_check(
    claims: &crate::certificate::CertificateClaims,
    list_token: &str,
    keys: &impl crate::certificate::CertificateKeys,
    at: chrono::DateTime<chrono::Utc>,
) -> crate::certificate::Check {
    use crate::certificate::Check;
    let fail = |detail: String| Check::new("status_list", false, detail);
    let Some(status) = &claims.status else {
        return fail(
            "the certificate names no status list; verify online to learn its status".into(),
        );
    };
    let reference = &status.status_list;
    let list = match open_list_token(list_token.trim(), keys) {
        Ok(list) => list,
        Err(why) => return fail(format!("the status list: {why}")),
    };
    if list.sub != reference.uri {
        return fail(format!(
            "the status list is {}, but the certificate's is {}",
            list.sub, reference.uri
        ));
    }
    let now = at.timestamp();
    if now >= list.exp {
        return fail(format!(
            "the status list expired (exp {}); fetch it again from {}",
            list.exp, reference.uri
        ));
    }
    let bit = match decode_list(&list.status_list).and_then(|b| status_at(&b, reference.idx)) {
        Ok(bit) => bit,
        Err(why) => return fail(format!("the status list: {why}")),
    };
    let age = now - list.iat;
    let freshness = if age <= list.ttl {
        format!("built {age} s before, within its ttl of {} s", list.ttl)
    } else {
        format!(
            "built {age} s before, past its ttl of {} s: stale, fetch it again from {}",
            list.ttl, reference.uri
        )
    };
    if bit == STATUS_VALID {
        Check::new(
            "status_list",
            true,
            format!("not revoked according to the status list {freshness}"),
        )
    } else {
        fail(format!("REVOKED according to the status list {freshness}"))
    }
}

/// The claims of a `statuslist+jwt` whose signature verifies with a key of `keys`.
fn open_list_token(
    token: &str,
    keys: &impl crate::certificate::CertificateKeys,
) -> Result<StatusListClaims, String> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a compact JWS".into());
    };
    let decode = |part: &str, what: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|e| format!("its {what} is not base64url: {e}"))
    };
    let header: serde_json::Value = serde_json::from_slice(&decode(header, "header")?)
        .map_err(|e| format!("its header is not JSON: {e}"))?;
    if header["typ"] != STATUS_LIST_TYPE || header["alg"] != "EdDSA" {
        return Err(format!(
            "its header is not a {STATUS_LIST_TYPE} signed with EdDSA: {header}"
        ));
    }
    let kid = header["kid"].as_str().ok_or("its header names no kid")?;
    let key = keys.certificate_key(kid)?;
    let signature = decode(signature, "signature")?;
    let signing_input = &token[..header_and_payload_len(token)];
    ed25519_verify::verify(&key.public_key, signing_input.as_bytes(), &signature)
        .map_err(|_| "its signature does not verify".to_owned())?;
    serde_json::from_slice(&decode(payload, "payload")?)
        .map_err(|e| format!("its claims are not a status list's: {e}"))
}

fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_least_significant_first_and_round_trip() {
        let list = encode_list(16, [0, 3, 9, 15, 99]);
        let bytes = decode_list(&list).unwrap();
        assert_eq!(bytes, vec![0b0000_1001, 0b1000_0010]);
        for idx in 0..16 {
            let expected = u8::from([0, 3, 9, 15].contains(&idx));
            assert_eq!(status_at(&bytes, idx), Ok(expected));
        }
        assert_eq!(
            status_at(&bytes, 16),
            Err(StatusListError::OutOfRange { idx: 16, len: 16 })
        );
    }

    #[test]
    fn the_drafts_example_decodes() {
        // draft-ietf-oauth-status-list, section 4.1: bits 1, statuses 1 0 0 1 1 1 0 1 | 1 1 0 0 0 1 0 1.
        let list = StatusList {
            bits: 1,
            lst: "eNrbuRgAAhcBXQ".into(),
        };
        let bytes = decode_list(&list).unwrap();
        assert_eq!(bytes, vec![0xb9, 0xa3]);
        let statuses: Vec<u8> = (0..16).map(|i| status_at(&bytes, i).unwrap()).collect();
        assert_eq!(statuses, [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]);
    }

    #[test]
    fn malformed_lists_are_refused() {
        let bad = |lst: &str, bits| {
            decode_list(&StatusList {
                bits,
                lst: lst.into(),
            })
        };
        assert_eq!(bad("eNrbuRgAAhcBXQ", 2), Err(StatusListError::Bits(2)));
        assert!(matches!(bad("***", 1), Err(StatusListError::Base64(_))));
        assert!(matches!(bad("AAAA", 1), Err(StatusListError::Zlib(_))));
    }
    /// RFC 8037 appendix A.1's key, whose JWKS entry is known.
    fn signing_key() -> ed25519_dalek::SigningKey {
        let mut seed = [0u8; 32];
        hex::decode_to_slice(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            &mut seed,
        )
        .unwrap();
        ed25519_dalek::SigningKey::from_bytes(&seed)
    }

    const KID: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
    const URI: &str = "https://registry.example/statuslists/1";

    fn sign(header: &serde_json::Value, claims: &serde_json::Value) -> String {
        use ed25519_dalek::Signer;
        let encode = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let input = format!("{}.{}", encode(header), encode(claims));
        let signature = signing_key().sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn list_token(iat: i64, revoked: &[u64]) -> String {
        let claims = StatusListClaims {
            sub: URI.into(),
            iat,
            exp: iat + 86_400,
            ttl: 300,
            status_list: encode_list(64, revoked.iter().copied()),
        };
        sign(
            &serde_json::json!({"alg": "EdDSA", "typ": STATUS_LIST_TYPE, "kid": KID}),
            &serde_json::to_value(claims).unwrap(),
        )
    }

    fn certificate(idx: u64, uri: &str) -> crate::certificate::CertificateClaims {
        serde_json::from_value(serde_json::json!({
            "iss": "r", "sub": "datasets/x", "iat": 0, "nbf": 0, "exp": 1, "jti": "j",
            "dataset": {"id": "d", "organization_id": "o", "name": "n", "version": "1",
                        "content_digest": "sha256:00"},
            "lineage": {"digest": "sha256:11", "size": 1, "members": [], "members_complete": true},
            "policy": {"id": "p", "version": "1", "clause_sha256": "22"},
            "verdict": "CLEAN", "attestations": [],
            "status": {"status_list": {"idx": idx, "uri": uri}},
        }))
        .unwrap()
    }

    #[test]
    fn the_offline_check_reads_the_bit_and_says_how_fresh_it_is() {
        let jwks = serde_json::json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            "kid": KID, "use": "sig", "alg": "EdDSA",
        }]});
        let keys = crate::certificate::JsonWebKeySet::new(&jwks);
        let at = |s| chrono::DateTime::from_timestamp(s, 0).unwrap();
        let token = list_token(1_000, &[5]);
        let check = status_list_check(&certificate(4, URI), &token, &keys, at(1_100));
        assert!(check.passed, "{}", check.detail);
        assert!(
            check
                .detail
                .contains("built 100 s before, within its ttl of 300 s")
        );
        let check = status_list_check(&certificate(4, URI), &token, &keys, at(2_000));
        assert!(
            check.passed && check.detail.contains("stale"),
            "{}",
            check.detail
        );
        let check = status_list_check(&certificate(5, URI), &token, &keys, at(1_100));
        assert!(
            !check.passed && check.detail.starts_with("REVOKED"),
            "{}",
            check.detail
        );
        // Expired, another list, out of range, altered, or no status claim at all: refused.
        let check = status_list_check(&certificate(4, URI), &token, &keys, at(1_000 + 86_400));
        assert!(!check.passed && check.detail.contains("expired"));
        let other = "https://registry.example/statuslists/2";
        let check = status_list_check(&certificate(4, other), &token, &keys, at(1_100));
        assert!(!check.passed && check.detail.contains("but the certificate's is"));
        let check = status_list_check(&certificate(64, URI), &token, &keys, at(1_100));
        assert!(!check.passed && check.detail.contains("past the end"));
        let tampered = token.replacen('.', ".e", 1);
        for bad in [tampered, "x.y".to_owned()] {
            let check = status_list_check(&certificate(4, URI), &bad, &keys, at(1_100));
            assert!(!check.passed, "{bad}");
        }
        let mut none = certificate(4, URI);
        none.status = None;
        assert!(!status_list_check(&none, &token, &keys, at(1_100)).passed);
    }
}
