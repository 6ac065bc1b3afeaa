//! The cryptography behind `jsonwebtoken`: the registry's own [`CryptoProvider`], which knows the
//! two algorithms the registry uses and refuses every other by name.
//!
//! - EdDSA (lineage certificates): signed with `ed25519-dalek`, verified by the one Ed25519 rule of
//!   `ed25519-verify` (SECURITY.md, "Ed25519 signatures"), the rule every other verifier of the
//!   registry applies.
//! - HS256 (access tokens): HMAC-SHA-256 from `ring`, which TLS already compiles in.
//!
//! jsonwebtoken is built without its `rust_crypto` and `aws_lc_rs` back ends, so no RSA, ECDSA or
//! other HMAC code is in the binary, and nothing chooses a provider but [`install`]. Every
//! constructor of a key the registry signs or verifies JWTs with calls it (`TokenKeys::new`, the
//! certificate signing keys' `KeyEntry::from_public`, [`ed25519_encoding_key`]): jsonwebtoken
//! needs no key before those, so no entry point (server, admin commands, tests, benchmarks) can
//! sign or verify first. Certificates themselves are signed by `KeyEntry::sign_jws`, which builds
//! the same JWS bytes and signs them wherever the key is kept (a file or a hardware module).

use anyhow::bail;
use ed25519_dalek::SigningKey;
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind, Result, new_error};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use ring::hmac;

/// The provider [`install`] installs.
static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    // The registry writes its JWKS itself (src/signing_keys.rs) and reads none.
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: |_| Err(no_jwk()),
        rsa_pub_components_from_public_key: |_| Err(no_jwk()),
        ec_pub_components_from_private_key: |_, _| Err(no_jwk()),
        ed_pub_components_from_private_key: |_, _| Err(no_jwk()),
        compute_digest: |_, _| Err(no_jwk()),
    },
};

/// Makes the registry's provider jsonwebtoken's for this process; only the first call does
/// anything. Fails if another provider got there first, which nothing in the registry installs.
pub fn install() -> anyhow::Result<()> {
    let _ = PROVIDER.install_default();
    match CryptoProvider::try_get_default() {
        Some(installed) if std::ptr::eq(installed, &PROVIDER) => Ok(()),
        _ => bail!(
            "another JWT crypto provider is installed in this process; the registry signs and \
             verifies JWTs only with its own (src/jwt_crypto.rs)"
        ),
    }
}

/// `signing`'s key for jsonwebtoken (EdDSA), with the provider installed. jsonwebtoken holds an
/// Ed25519 private key as PKCS#8 DER (RFC 8410): SEQUENCE { version 0, AlgorithmIdentifier
/// { id-Ed25519 }, OCTET STRING { OCTET STRING seed } }.
pub fn ed25519_encoding_key(signing: &SigningKey) -> anyhow::Result<EncodingKey> {
    install()?;
    let mut der = PKCS8_PREFIX.to_vec();
    der.extend_from_slice(&signing.to_bytes());
    Ok(EncodingKey::from_ed_der(&der))
}

/// Everything of an Ed25519 PKCS#8 v1 document before the 32-byte seed.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

fn new_signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    match algorithm {
        Algorithm::EdDSA => {
            expect_family(key.family(), AlgorithmFamily::Ed)?;
            // Only the form ed25519_encoding_key writes.
            let seed: [u8; 32] = key
                .as_bytes()
                .strip_prefix(&PKCS8_PREFIX)
                .and_then(|seed| seed.try_into().ok())
                .ok_or_else(|| new_error(ErrorKind::InvalidEddsaKey))?;
            Ok(Box::new(EdDsaSigner(SigningKey::from_bytes(&seed))))
        }
        Algorithm::HS256 => {
            expect_family(key.family(), AlgorithmFamily::Hmac)?;
            Ok(Box::new(Hs256(hmac::Key::new(
                hmac::HMAC_SHA256,
                key.as_bytes(),
            ))))
        }
        other => Err(refused(*other)),
    }
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match algorithm {
        Algorithm::EdDSA => {
            expect_family(key.family(), AlgorithmFamily::Ed)?;
            let public = ed25519_verify::PublicKey::from_bytes(key.try_get_as_bytes()?)
                .map_err(|_| new_error(ErrorKind::InvalidEddsaKey))?;
            Ok(Box::new(EdDsaVerifier(public)))
        }
        Algorithm::HS256 => {
            expect_family(key.family(), AlgorithmFamily::Hmac)?;
            Ok(Box::new(Hs256(hmac::Key::new(
                hmac::HMAC_SHA256,
                key.try_get_as_bytes()?,
            ))))
        }
        other => Err(refused(*other)),
    }
}

fn expect_family(found: AlgorithmFamily, expected: AlgorithmFamily) -> Result<()> {
    if found == expected {
        Ok(())
    } else {
        Err(new_error(ErrorKind::InvalidKeyFormat))
    }
}

fn refused(algorithm: Algorithm) -> Error {
    new_error(ErrorKind::Provider(format!(
        "{algorithm:?} is refused: the registry signs and verifies JWTs with EdDSA (certificates) \
         and HS256 (access tokens) only"
    )))
}

fn no_jwk() -> Error {
    new_error(ErrorKind::Provider(
        "the registry's JWT provider converts no keys to or from JWKs".into(),
    ))
}

struct EdDsaSigner(SigningKey);

impl Signer<Vec<u8>> for EdDsaSigner {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(ed25519_dalek::Signer::sign(&self.0, message)
            .to_bytes()
            .to_vec())
    }
}

impl JwtSigner for EdDsaSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct EdDsaVerifier(ed25519_verify::PublicKey);

impl Verifier<Vec<u8>> for EdDsaVerifier {
    fn verify(
        &self,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> std::result::Result<(), signature::Error> {
        ed25519_verify::verify(&self.0, message, signature).map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for EdDsaVerifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct Hs256(hmac::Key);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(hmac::sign(&self.0, message).as_ref().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(
        &self,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> std::result::Result<(), signature::Error> {
        // Compared in constant time.
        hmac::verify(&self.0, message, signature).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_verify::crafting::{Craft, craft};
    use jsonwebtoken::{Header, Validation};
    use serde_json::{Value, json};

    const SEED: [u8; 32] = [7; 32];

    fn claims() -> Value {
        json!({"sub": "s", "exp": 4_000_000_000u64})
    }

    fn eddsa_validation() -> Validation {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.required_spec_claims.clear();
        validation
    }

    fn decoding_key(seed: &[u8; 32]) -> DecodingKey {
        DecodingKey::from_ed_der(SigningKey::from_bytes(seed).verifying_key().as_bytes())
    }

    #[test]
    fn eddsa_tokens_are_rfc_8032_signatures_that_verify() {
        install().unwrap();
        let signing = SigningKey::from_bytes(&SEED);
        let key = ed25519_encoding_key(&signing).unwrap();
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims(), &key).unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        // Ed25519 is deterministic: the signature is the RFC 8032 one of the signing input.
        assert_eq!(
            URL_SAFE_NO_PAD.decode(signature).unwrap(),
            craft(&SEED, input.as_bytes(), Craft::Honest)
        );
        let decoded =
            jsonwebtoken::decode::<Value>(&token, &decoding_key(&SEED), &eddsa_validation());
        assert_eq!(decoded.unwrap().claims, claims());
        let other =
            jsonwebtoken::decode::<Value>(&token, &decoding_key(&[8; 32]), &eddsa_validation());
        assert_eq!(other.unwrap_err().kind(), &ErrorKind::InvalidSignature);
    }

    #[test]
    fn eddsa_verification_is_the_ed25519_rule() {
        install().unwrap();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
        let input = format!("{header}.{payload}");
        // Among them signatures the rule accepts and a cofactorless verifier refuses, and the
        // other way round.
        for how in Craft::ALL {
            let signature = URL_SAFE_NO_PAD.encode(craft(&SEED, input.as_bytes(), how));
            let decoded = jsonwebtoken::decode::<Value>(
                format!("{input}.{signature}"),
                &decoding_key(&SEED),
                &eddsa_validation(),
            );
            assert_eq!(decoded.is_ok(), how.expected().is_ok(), "{}", how.name());
        }
        // A small-order public key is refused before any signature is looked at.
        let small_order = DecodingKey::from_ed_der(&{
            let mut identity = [0u8; 32];
            identity[0] = 1;
            identity
        });
        let signature = URL_SAFE_NO_PAD.encode(craft(&SEED, input.as_bytes(), Craft::Honest));
        let decoded = jsonwebtoken::decode::<Value>(
            format!("{input}.{signature}"),
            &small_order,
            &eddsa_validation(),
        );
        assert_eq!(decoded.unwrap_err().kind(), &ErrorKind::InvalidEddsaKey);
    }

    #[test]
    fn hs256_is_rfc_4231_hmac_sha_256_and_verifies() {
        install().unwrap();
        // RFC 4231, test case 2.
        let key = EncodingKey::from_secret(b"Jefe").unwrap();
        let signature =
            jsonwebtoken::crypto::sign(b"what do ya want for nothing?", &key, Algorithm::HS256)
                .unwrap();
        assert_eq!(
            hex::encode(URL_SAFE_NO_PAD.decode(signature).unwrap()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims(), &key).unwrap();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        let secret = |s: &[u8]| DecodingKey::from_secret(s).unwrap();
        assert!(jsonwebtoken::decode::<Value>(&token, &secret(b"Jefe"), &validation).is_ok());
        let wrong = jsonwebtoken::decode::<Value>(&token, &secret(b"jefe"), &validation);
        assert_eq!(wrong.unwrap_err().kind(), &ErrorKind::InvalidSignature);
    }

    #[test]
    fn every_other_algorithm_is_refused_by_name_and_keys_of_another_family_too() {
        install().unwrap();
        let secret = EncodingKey::from_secret(&[1; 32]).unwrap();
        let ed = ed25519_encoding_key(&SigningKey::from_bytes(&SEED)).unwrap();
        for algorithm in [
            Algorithm::HS384,
            Algorithm::HS512,
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::ES256,
            Algorithm::ES384,
        ] {
            let key = if algorithm.family() == AlgorithmFamily::Hmac {
                &secret
            } else {
                &ed
            };
            let refusal = jsonwebtoken::crypto::sign(b"m", key, algorithm).unwrap_err();
            assert!(
                refusal
                    .to_string()
                    .contains(&format!("{algorithm:?} is refused")),
                "{refusal}"
            );
            let verifying = DecodingKey::from_secret(&[1; 32]).unwrap();
            let refusal =
                jsonwebtoken::crypto::verify("AAAA", b"m", &verifying, algorithm).unwrap_err();
            assert!(refusal.to_string().contains("is refused"), "{refusal}");
        }
        // An EdDSA signature with an HMAC secret, and HS256 with an Ed25519 key.
        for (key, algorithm) in [(&secret, Algorithm::EdDSA), (&ed, Algorithm::HS256)] {
            let refusal = jsonwebtoken::crypto::sign(b"m", key, algorithm).unwrap_err();
            assert_eq!(refusal.kind(), &ErrorKind::InvalidKeyFormat);
        }
        // A DER document other than the one ed25519_encoding_key writes.
        let other = EncodingKey::from_ed_der(&[0x30; 48]);
        let refusal = jsonwebtoken::crypto::sign(b"m", &other, Algorithm::EdDSA).unwrap_err();
        assert_eq!(refusal.kind(), &ErrorKind::InvalidEddsaKey);
    }
}
