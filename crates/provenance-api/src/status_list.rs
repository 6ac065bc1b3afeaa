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
}
