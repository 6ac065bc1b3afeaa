//! Certificate keys from a JWKS document (RFC 7517), as the registry publishes it at
//! `/.well-known/jwks.json` and in `GetSigningKeys`: Ed25519 keys (RFC 8037) whose `kid` is their
//! RFC 7638 thumbprint, with the registry's `status`, `valid_from` and `valid_until` members.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ed25519_verify::PublicKey;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::checks::{CertificateKey, CertificateKeys};

/// A JWKS document read as certificate keys. Its other keys (the registry also lists its
/// transparency log's key, `"use": "log"`) are never used to verify a certificate.
#[derive(Debug, Clone)]
pub struct JsonWebKeySet<'a> {
    document: &'a Value,
}

impl<'a> JsonWebKeySet<'a> {
    /// The keys of `document` (`{"keys": [...]}`); see [`check_jwks`] for whether it is one.
    pub fn new(document: &'a Value) -> Self {
        Self { document }
    }
}

impl CertificateKeys for JsonWebKeySet<'_> {
    /// The JWK named `kid`, if it is an Ed25519 signing key whose id is its thumbprint and whose
    /// public key the signature rule accepts; otherwise why not.
    fn certificate_key(&self, kid: &str) -> Result<CertificateKey, String> {
        let key = jwk_list(self.document)
            .iter()
            .filter_map(Value::as_object)
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
            .ok_or_else(|| format!("kid {kid:?} is not in the JWKS"))?;
        let member = |name: &str| key.get(name).and_then(Value::as_str).unwrap_or("");
        if member("use") != "sig" {
            return Err(format!(
                "key {kid} is not a signing key: its use is {:?}, not \"sig\"",
                member("use")
            ));
        }
        if member("kty") != "OKP" || member("crv") != "Ed25519" {
            return Err(format!(
                "key {kid} is not an Ed25519 key (kty {:?}, crv {:?})",
                member("kty"),
                member("crv")
            ));
        }
        if key.contains_key("alg") && member("alg") != "EdDSA" {
            return Err(format!("key {kid} is for {:?}, not EdDSA", member("alg")));
        }
        let x = member("x");
        let bytes = URL_SAFE_NO_PAD
            .decode(x)
            .map_err(|_| format!("key {kid} holds no Ed25519 public key in x: not base64url"))?;
        let public_key = PublicKey::from_bytes(&bytes)
            .map_err(|why| format!("key {kid} holds no usable Ed25519 public key in x: {why}"))?;
        if thumbprint(x) != kid {
            return Err(format!(
                "kid {kid} is not the RFC 7638 thumbprint of its key: the JWKS was altered"
            ));
        }
        Ok(CertificateKey {
            kid: kid.to_owned(),
            public_key,
            valid_from: time_member(key, kid, "valid_from")?,
            valid_until: time_member(key, kid, "valid_until")?,
            note: Some(format!(
                "{} in the JWKS",
                key.get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("no status")
            )),
        })
    }
}

/// A time member of the registry's JWKs: absent or null, or RFC 3339.
fn time_member(
    key: &Map<String, Value>,
    kid: &str,
    name: &str,
) -> Result<Option<DateTime<Utc>>, String> {
    match key.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.to_utc()))
            .map_err(|_| format!("key {kid} has a malformed {name} {text:?}")),
        Some(_) => Err(format!("key {kid} has a malformed {name}")),
    }
}

/// The keys of a JWKS document; none when it has no `keys` list.
pub fn jwk_list(jwks: &Value) -> &[Value] {
    jwks.get("keys")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Checks that `jwks` looks like a JWKS that can verify certificates: an object with a list of
/// keys, at least one a signing key (`"use": "sig"`) with a `kid`. Other keys are allowed and
/// never used.
pub fn check_jwks(jwks: &Value) -> Result<(), String> {
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        return Err("not a JWKS: expected a JSON object with a \"keys\" list".into());
    };
    let signing = keys.iter().any(|k| {
        k.get("use").and_then(Value::as_str) == Some("sig")
            && k.get("kid").and_then(Value::as_str).is_some()
    });
    if !signing {
        return Err("the JWKS holds no signing key (a key with a kid and \"use\": \"sig\")".into());
    }
    Ok(())
}

/// RFC 7638 thumbprint of an Ed25519 public key `x` (base64url): base64url SHA-256 of the required
/// members in lexicographic order, without whitespace. The registry's key ids.
pub fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}
